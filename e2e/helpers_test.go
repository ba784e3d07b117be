package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/internal/testcluster"
)

// project is one compose project of testdata/, copied into a temporary
// directory and brought up in a namespace of its own.
type project struct {
	t          *testing.T
	dir        string
	ns         string
	kubeconfig string
	env        []string
}

type result struct {
	stdout, stderr string
	code           int
}

// newProject copies testdata/NAME into a temporary directory. The test's
// namespace is e2e-NAME; it is deleted, with everything in it, when the
// test ends.
func newProject(t *testing.T, name string) *project {
	t.Helper()
	kc := testcluster.Kubeconfig(t)
	if !testcluster.RealNode() {
		t.Fatal("the cluster has no real node: use testcluster.MainRealNode")
	}
	p := &project{t: t, dir: t.TempDir(), ns: "e2e-" + name, kubeconfig: kc}
	src := filepath.Join("testdata", name)
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		dst := filepath.Join(p.dir, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
	p.env = []string{"NS=" + p.ns}
	t.Cleanup(func() {
		if t.Failed() {
			p.dump()
		}
		r := p.hoist("down", "-n", p.ns, "--volumes", "--timeout", "2m")
		if r.code != 0 {
			t.Errorf("hoist down: exit %d\n%s", r.code, r.stderr)
		}
		_, _ = p.kubectl("delete", "namespace", p.ns, "--ignore-not-found", "--wait=false")
	})
	return p
}

// hoist runs the binary in the project directory against the cluster.
func (p *project) hoist(args ...string) result {
	p.t.Helper()
	return p.hoistWithStdin("", args...)
}

// hoistWithStdin is hoist with standard input.
func (p *project) hoistWithStdin(stdin string, args ...string) result {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := testcluster.Command(ctx, p.t, hoistBin, p.dir, append([]string{"KUBECONFIG=" + p.kubeconfig}, p.env...), args...)
	stdout, stderr, code := testcluster.Run(p.t, cmd, stdin)
	return result{stdout: stdout, stderr: stderr, code: code}
}

// up runs hoist up --wait into the project's namespace and fails the test
// unless it succeeds; it returns how long it took.
func (p *project) up(args ...string) time.Duration {
	p.t.Helper()
	start := time.Now()
	r := p.hoist(append([]string{"up", "-n", p.ns, "--create-namespace", "--timeout", "3m"}, args...)...)
	took := time.Since(start)
	if r.code != 0 {
		p.t.Fatalf("hoist up %s: exit %d after %s\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, took.Round(time.Second), r.stdout, r.stderr)
	}
	p.t.Logf("hoist up %s: %s", strings.Join(args, " "), took.Round(100*time.Millisecond))
	return took
}

// kubectl runs the test cluster's kubectl in the project's namespace.
func (p *project) kubectl(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(testcluster.BinDir(), "kubectl"),
		append([]string{"--kubeconfig", p.kubeconfig, "-n", p.ns, "--request-timeout=30s"}, args...)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(errOut.String()))
	}
	return out.String(), nil
}

// mustKubectl is kubectl that fails the test on an error.
func (p *project) mustKubectl(args ...string) string {
	p.t.Helper()
	out, err := p.kubectl(args...)
	if err != nil {
		p.t.Fatal(err)
	}
	return out
}

// get returns a jsonpath expression of an object, or "" when it is absent.
func (p *project) get(object, jsonpath string) string {
	out, err := p.kubectl("get", object, "-o", "jsonpath="+jsonpath)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(out)
}

// pods returns the names of the service's pods that are not being deleted.
func (p *project) pods(service string) []string {
	out, err := p.kubectl("get", "pods", "-l", "app.kubernetes.io/name="+service,
		"-o", `jsonpath={range .items[?(@.metadata.deletionTimestamp)]}-{.metadata.name} {end}{range .items[*]}{.metadata.name} {end}`)
	if err != nil {
		return nil
	}
	var deleting, names []string
	for _, f := range strings.Fields(out) {
		if strings.HasPrefix(f, "-") {
			deleting = append(deleting, f[1:])
		} else if !slices.Contains(deleting, f) {
			names = append(names, f)
		}
	}
	return names
}

// readyPods returns the service's pods whose Ready condition is True.
func (p *project) readyPods(service string) []string {
	var ready []string
	for _, pod := range p.pods(service) {
		if p.get("pod/"+pod, `{.status.conditions[?(@.type=="Ready")].status}`) == "True" {
			ready = append(ready, pod)
		}
	}
	return ready
}

// onePod waits for the service to have exactly one ready pod and returns it.
func (p *project) onePod(service string) string {
	p.t.Helper()
	var pod string
	p.eventually(service+" to have one ready pod", 2*time.Minute, func() (bool, string) {
		ready, all := p.readyPods(service), p.pods(service)
		if len(ready) == 1 && len(all) == 1 {
			pod = ready[0]
			return true, ""
		}
		return false, fmt.Sprintf("ready %v of %v", ready, all)
	})
	return pod
}

// restarts is the restart count of the pod's first container.
func (p *project) restarts(pod string) int {
	n, _ := strconv.Atoi(p.get("pod/"+pod, "{.status.containerStatuses[0].restartCount}"))
	return n
}

// logs returns the logs of a pod's container (all of them with "").
func (p *project) logs(pod, container string) string {
	args := []string{"logs", pod}
	if container != "" {
		args = append(args, "-c", container)
	} else {
		args = append(args, "--all-containers")
	}
	out, err := p.kubectl(args...)
	if err != nil && container != "" {
		// A service's container may be named otherwise (container_name):
		// fall back to the pod's default container.
		out, _ = p.kubectl("logs", pod)
	}
	return out
}

// eventually polls cond every half second until it holds, and fails the
// test after timeout with cond's last explanation. It returns how long the
// condition took.
func (p *project) eventually(what string, timeout time.Duration, cond func() (bool, string)) time.Duration {
	p.t.Helper()
	start := time.Now()
	deadline := start.Add(timeout)
	for {
		ok, why := cond()
		if ok {
			took := time.Since(start)
			p.t.Logf("%s: %s", what, took.Round(100*time.Millisecond))
			return took
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("timed out after %s waiting for %s: %s", timeout, what, why)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// containerPID is the host PID of the main process of the pod's first
// container, from containerd.
func (p *project) containerPID(pod string) int {
	p.t.Helper()
	id := strings.TrimPrefix(p.get("pod/"+pod, "{.status.containerStatuses[0].containerID}"), "containerd://")
	if id == "" {
		p.t.Fatalf("pod %s has no container ID", pod)
	}
	sock := filepath.Join(testcluster.Dir(), "node", "containerd.sock")
	out, err := exec.Command("ctr", "--address", sock, "--namespace", "k8s.io", "tasks", "ls").CombinedOutput()
	if err != nil {
		p.t.Fatalf("ctr tasks ls: %v: %s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && f[0] == id {
			pid, err := strconv.Atoi(f[1])
			if err == nil && pid > 0 {
				return pid
			}
		}
	}
	p.t.Fatalf("container %s of pod %s is not running in containerd:\n%s", id, pod, out)
	return 0
}

// dump logs what a failed test's namespace holds.
func (p *project) dump() {
	out, _ := p.kubectl("get", "all,pvc,events", "-o", "wide")
	p.t.Logf("namespace %s:\n%s", p.ns, out)
	for _, pod := range regexp.MustCompile(`pod/\S+`).FindAllString(out, -1) {
		p.t.Logf("logs of %s:\n%s", pod, p.logs(strings.TrimPrefix(pod, "pod/"), ""))
	}
}
