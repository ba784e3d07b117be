// Package testcluster starts the project's local control plane (etcd,
// kube-apiserver, kube-controller-manager, kube-scheduler and kwok, see
// hack/local-cluster.sh) once per test binary, for integration tests, and
// with MainRealNode also the real node (containerd, kubelet, kube-proxy,
// CoreDNS, metrics-server) on which pods really run.
//
// The tests that need the cluster are in files built only with -tags
// integration (make test and make test-integration set it); Main starts
// the cluster only in such a test binary. MainRealNode (e2e) does not
// depend on the tag.
//
// Without the binaries (make testenv builds them), or for a real node
// without root or containerd, the tests that need the cluster skip with one
// message, except under CI=true, where anything missing fails the run.
package testcluster

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"
)

// Binaries are the control-plane binaries the cluster needs.
var Binaries = []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok", "kubectl"}

// NodeBinaries are the binaries hack/testenv.sh builds for the real node, on
// top of Binaries.
var NodeBinaries = []string{"kubelet", "kube-proxy", "coredns", "metrics-server"}

// NodePackages are the host commands the real node needs, with the Debian
// package that provides each (.ci/run installs them).
var NodePackages = map[string]string{
	"containerd": "containerd", "runc": "runc", "ctr": "containerd", "buildah": "buildah",
	"nft": "nftables", "iptables": "iptables", "busybox": "busybox-static", "ip": "iproute2",
}

// realNode is true when the running cluster has a real node.
var realNode bool

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

// MainRealNode is Main with the real node: pods run in containerd on this
// machine. Only one real node can run per machine, so only one test package
// (e2e) uses it.
func MainRealNode(m *testing.M) int { return start(m, nil, true) }

// MainIf is Main, but starts the cluster only when need (called after flag
// parsing) reports that the selected tests or benchmarks use it.
func MainIf(m *testing.M, need func() bool) int { return start(m, need, false) }

func start(m *testing.M, need func() bool, withNode bool) int {
	flag.Parse()
	if testing.Short() {
		skipReason = "cluster tests do not run with -short"
		return m.Run()
	}
	if !withNode && !Integration {
		// No test that needs the cluster is compiled in.
		skipReason = "the cluster starts only in tests built with -tags integration"
		return m.Run()
	}
	if need != nil && !need() {
		skipReason = "the cluster was not started for this run"
		return m.Run()
	}
	var missing []string
	bins := Binaries
	if withNode {
		bins = append(append([]string(nil), Binaries...), NodeBinaries...)
	}
	for _, b := range bins {
		if _, err := os.Stat(filepath.Join(BinDir(), b)); err != nil {
			missing = append(missing, b)
		}
	}
	msg := ""
	if len(missing) > 0 {
		msg = fmt.Sprintf("control-plane binaries missing from %s: %v (run make testenv)", BinDir(), missing)
	} else if withNode {
		msg = nodeMissing()
	}
	if msg != "" {
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
	args := []string{"start", dir}
	if withNode {
		args = []string{"start", "--real-node", dir}
		waitForOtherNode()
	}
	start := exec.Command(script, args...)
	start.Stdout, start.Stderr = os.Stderr, os.Stderr
	if err := start.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "starting the local cluster:", err)
		if err := stop(script, dir); err != nil {
			fmt.Fprintln(os.Stderr, "stopping the local cluster:", err)
		}
		return 1
	}
	kubeconfig = filepath.Join(dir, "kubeconfig")
	clusterDir = dir
	realNode = withNode
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

// nodeMissing says what this machine lacks to run the real node, or "".
func nodeMissing() string {
	if os.Geteuid() != 0 {
		return "the real node needs root (kubelet and containerd)"
	}
	var missing []string
	for cmd, pkg := range NodePackages {
		if _, err := exec.LookPath(cmd); err != nil {
			missing = append(missing, cmd+" (Debian package "+pkg+")")
		}
	}
	if _, err := os.Stat("/usr/lib/cni/bridge"); err != nil {
		missing = append(missing, "/usr/lib/cni/bridge (Debian package containernetworking-plugins)")
	}
	if len(missing) == 0 {
		return ""
	}
	sort.Strings(missing)
	return fmt.Sprintf("the real node needs %s", strings.Join(missing, ", "))
}

// waitForOtherNode waits, up to 20 minutes, while another real node runs on
// this machine (its bridge exists): only one can run at a time, and two test
// runs in different checkouts may both want one.
func waitForOtherNode() {
	deadline := time.Now().Add(20 * time.Minute)
	for said := false; time.Now().Before(deadline); said = true {
		if _, err := os.Stat("/sys/class/net/hoist0"); err != nil {
			return
		}
		if !said {
			fmt.Fprintln(os.Stderr, "testcluster: another real node runs on this machine; waiting for it to stop")
		}
		time.Sleep(2 * time.Second)
	}
}

// RealNode reports whether the running cluster has a real node.
func RealNode() bool { return realNode }

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
