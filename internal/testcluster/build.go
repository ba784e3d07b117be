package testcluster

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

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
