// Package testcluster starts the project's local control plane (etcd,
// kube-apiserver, kube-controller-manager, kube-scheduler and kwok, see
// hack/local-cluster.sh) once per test binary, for integration tests.
//
// Without the binaries (make testenv builds them) the tests that need the
// cluster skip, except under CI=true, where a missing binary fails the run.
package testcluster

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// Binaries are the control-plane binaries the cluster needs.
var Binaries = []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok", "kubectl"}

var (
	kubeconfig string
	skipReason string
	clusterDir string
)

// Dir is the running cluster's state directory (kubeconfig, logs and one
// NAME.pid file per component, see hack/local-cluster.sh), or "" when no
// cluster runs. Fault tests use the pid files to stop, freeze and restart
// a component.
func Dir() string { return clusterDir }

// Root is the repository's top directory.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// BinDir is where make testenv puts the binaries.
func BinDir() string {
	if d := os.Getenv("HOIST_TESTENV_BIN"); d != "" {
		return d
	}
	return filepath.Join(Root(), ".cache", "testenv", "v1.37.2", "bin")
}

// Main starts the cluster, runs the tests and stops it. Use it from
// TestMain: os.Exit(testcluster.Main(m)).
func Main(m *testing.M) int { return MainIf(m, nil) }

// MainIf is Main, but starts the cluster only when need (called after flag
// parsing) reports that the selected tests or benchmarks use it.
func MainIf(m *testing.M, need func() bool) int {
	flag.Parse()
	if testing.Short() {
		skipReason = "cluster tests do not run with -short"
		return m.Run()
	}
	if need != nil && !need() {
		skipReason = "the cluster was not started for this run"
		return m.Run()
	}
	var missing []string
	for _, b := range Binaries {
		if _, err := os.Stat(filepath.Join(BinDir(), b)); err != nil {
			missing = append(missing, b)
		}
	}
	if len(missing) > 0 {
		msg := fmt.Sprintf("control-plane binaries missing from %s: %v (run make testenv)", BinDir(), missing)
		if os.Getenv("CI") == "true" {
			fmt.Fprintln(os.Stderr, "FAIL:", msg)
			return 1
		}
		skipReason = msg
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "hoist-cluster-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	script := filepath.Join(Root(), "hack", "local-cluster.sh")
	start := exec.Command(script, "start", dir)
	start.Stdout, start.Stderr = os.Stderr, os.Stderr
	if err := start.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "starting the local cluster:", err)
		stop(script, dir)
		return 1
	}
	kubeconfig = filepath.Join(dir, "kubeconfig")
	clusterDir = dir
	code := m.Run()
	if err := stop(script, dir); err != nil {
		fmt.Fprintln(os.Stderr, "stopping the local cluster:", err)
		code = 1
	}
	if code == 0 {
		os.RemoveAll(dir)
	} else {
		fmt.Fprintln(os.Stderr, "cluster logs kept in", dir)
	}
	return code
}

func stop(script, dir string) error {
	cmd := exec.Command(script, "stop", dir)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return cmd.Run()
}

// Lookup returns the cluster's kubeconfig, or "" and why there is no
// cluster, for tests that also do useful work without one.
func Lookup() (path, why string) {
	if kubeconfig == "" && skipReason == "" {
		return "", "testcluster.Main did not run: call it from TestMain"
	}
	return kubeconfig, skipReason
}

// Kubeconfig returns the cluster's kubeconfig, or skips the test when
// there is no cluster.
func Kubeconfig(t testing.TB) string {
	t.Helper()
	if kubeconfig == "" {
		if skipReason == "" {
			t.Fatal(errors.New("testcluster.Main did not run: call it from TestMain"))
		}
		t.Skip(skipReason)
	}
	return kubeconfig
}
