package testcluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// This file holds what every package that runs the hoist binary shares
// (cmd/hoist, cmd/hoist/faults, e2e): building it once, starting it in a
// clean environment and reading its exit code.

// WithHoist is the TestMain of a package that runs the hoist binary: it
// builds the binary (BuildHoist) into *bin, runs run (Main or
// MainRealNode) and removes the binary. It returns run's exit code, or 1
// when the build fails.
func WithHoist(m *testing.M, version string, bin *string, run func(*testing.M) int) int {
	b, cleanup, err := BuildHoist(version)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer cleanup()
	*bin = b
	return run(m)
}

// BuildHoist builds the hoist binary, reporting version, into a new
// temporary directory, for tests that run the binary. It returns the
// binary's path and a function that removes the directory; the go tool's
// output goes to stderr.
func BuildHoist(version string) (bin string, cleanup func(), err error) {
	dir, err := os.MkdirTemp("", "hoist-bin-")
	if err != nil {
		return "", nil, err
	}
	cleanup = func() { os.RemoveAll(dir) }
	bin = filepath.Join(dir, "hoist")
	build := exec.Command("go", "build", "-o", bin, "-ldflags", "-X main.version="+version, "./cmd/hoist")
	build.Dir = Root()
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("building hoist: %w", err)
	}
	return bin, cleanup, nil
}

// Command is bin (the hoist binary) with args, run in dir with a clean
// environment: PATH, HOME set to a new temporary directory of t, then env
// (KUBECONFIG=..., for instance). ctx ends it, as exec.CommandContext does.
func Command(ctx context.Context, t testing.TB, bin, dir string, env []string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	return cmd
}

// Run runs cmd with stdin as its standard input and returns its standard
// output, standard error and exit code. It fails t when cmd cannot run at
// all; a non-zero exit is a result, not a failure.
func Run(t testing.TB, cmd *exec.Cmd, stdin string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if exitErr := (*exec.ExitError)(nil); err != nil && !errors.As(err, &exitErr) {
		t.Fatalf("running %s: %v", filepath.Base(cmd.Path), err)
	}
	return out.String(), errOut.String(), ExitCode(err)
}

// ExitCode is the exit code that err, from a command's Run or Wait,
// carries: 0 for nil, the process's code for an *exec.ExitError (-1 when
// a signal killed it), and -1 when the command did not run.
func ExitCode(err error) int {
	if err == nil {
		return 0
	}
	if exitErr := (*exec.ExitError)(nil); errors.As(err, &exitErr) {
		return exitErr.ExitCode()
	}
	return -1
}
