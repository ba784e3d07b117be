//go:build integration

// Package faults tests hoist apply against an API server that dies or
// freezes mid-apply. The tests stop, freeze and restart the local control
// plane's kube-apiserver, so they live in their own test binary, with their
// own cluster, and run one at a time: no other test uses that server.
package faults

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/hoist-dev/hoist/apply"
	"github.com/hoist-dev/hoist/internal/testcluster"
)

var hoistBin string

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(testcluster.WithHoist(m, "v0.0.0-test", &hoistBin, testcluster.Main))
}

var (
	services    = schema.GroupVersionResource{Version: "v1", Resource: "services"}
	deployments = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
)

// project writes a compose project of n services (a Service and a
// Deployment each) and returns its directory.
func project(t *testing.T, n int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("name: faults\nservices:\n")
	for i := range n {
		fmt.Fprintf(&b, "  svc%03d:\n    image: example/svc:1\n    expose: [\"8080\"]\n", i)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// run is one hoist process started in the background.
type run struct {
	cmd      *exec.Cmd
	out, err bytes.Buffer
	done     chan struct{}
	code     int
	ended    time.Time
}

func startHoist(t *testing.T, dir, kubeconfig string, args ...string) *run {
	t.Helper()
	r := &run{cmd: testcluster.Command(context.Background(), t, hoistBin, dir, []string{"KUBECONFIG=" + kubeconfig}, args...), done: make(chan struct{})}
	r.cmd.Stdout, r.cmd.Stderr = &r.out, &r.err
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		r.code = testcluster.ExitCode(r.cmd.Wait())
		r.ended = time.Now()
		close(r.done)
	}()
	t.Cleanup(func() {
		select {
		case <-r.done:
		default:
			_ = r.cmd.Process.Kill()
			<-r.done
		}
	})
	return r
}

// wait waits at most limit for the run to end.
func (r *run) wait(t *testing.T, limit time.Duration) {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(limit):
		t.Fatalf("hoist %s still runs after %s\nstderr:\n%s", strings.Join(r.cmd.Args[1:], " "), limit, r.err.String())
	}
}

// apiServer is the cluster's kube-apiserver process.
type apiServer struct {
	pidFile, logFile string
	pid              int
	argv             []string
}

// findAPIServer reads the API server's pid and command line (which a
// restart needs) from the cluster's state directory.
func findAPIServer(t *testing.T) *apiServer {
	t.Helper()
	dir := testcluster.Dir()
	a := &apiServer{pidFile: filepath.Join(dir, "kube-apiserver.pid"), logFile: filepath.Join(dir, "kube-apiserver.log")}
	b, err := os.ReadFile(a.pidFile)
	if err != nil {
		t.Fatal(err)
	}
	if a.pid, err = strconv.Atoi(strings.TrimSpace(string(b))); err != nil {
		t.Fatalf("%s: %v", a.pidFile, err)
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", a.pid))
	if err != nil {
		t.Fatalf("reading the API server's command line: %v", err)
	}
	a.argv = strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
	if filepath.Base(a.argv[0]) != "kube-apiserver" {
		t.Fatalf("pid %d runs %q, not kube-apiserver", a.pid, a.argv[0])
	}
	return a
}

func (a *apiServer) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := syscall.Kill(a.pid, sig); err != nil {
		t.Fatalf("sending %s to kube-apiserver (%d): %v", sig, a.pid, err)
	}
}

// alive reports whether the process runs (not gone, not a zombie).
func (a *apiServer) alive() bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", a.pid))
	if err != nil {
		return false
	}
	s := string(stat)
	fields := strings.Fields(s[strings.LastIndex(s, ")")+1:])
	return len(fields) > 0 && fields[0] != "Z"
}

// kill stops the API server with SIGKILL, as a crash would, and waits
// until it is gone.
func (a *apiServer) kill(t *testing.T) {
	t.Helper()
	a.signal(t, syscall.SIGKILL)
	for deadline := time.Now().Add(10 * time.Second); a.alive(); {
		if time.Now().After(deadline) {
			t.Fatalf("kube-apiserver (%d) still runs 10s after SIGKILL", a.pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// restart starts the same binary with the same arguments, appending to the
// same log, records its pid where the cluster's stop script finds it, and
// waits until it is ready.
func (a *apiServer) restart(t *testing.T, cfg *rest.Config) time.Duration {
	t.Helper()
	start := time.Now()
	log, err := os.OpenFile(a.logFile, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	cmd := exec.Command(a.argv[0], a.argv[1:]...)
	cmd.Stdout, cmd.Stderr = log, log
	// Its own process group: a Ctrl-C of go test must not leave the
	// cluster's stop script without its API server to stop, nor the other
	// way round.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("restarting kube-apiserver: %v", err)
	}
	go func() { _ = cmd.Wait() }() // reap it when the stop script ends it
	a.pid = cmd.Process.Pid
	if err := os.WriteFile(a.pidFile, []byte(strconv.Itoa(a.pid)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ready(t, cfg, 2*time.Minute)
	return time.Since(start)
}

// ready waits until the API server answers /readyz.
func ready(t *testing.T, cfg *rest.Config, limit time.Duration) {
	t.Helper()
	c := rest.CopyConfig(cfg)
	c.Timeout = 2 * time.Second
	disc, err := discovery.NewDiscoveryClientForConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	var last error
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if last = disc.RESTClient().Get().AbsPath("/readyz").Do(context.Background()).Error(); last == nil {
			return
		}
	}
	t.Fatalf("kube-apiserver not ready after %s: %v", limit, last)
}

// guard makes sure the API server runs and answers when the test ends,
// whatever happened to it.
func (a *apiServer) guard(t *testing.T, cfg *rest.Config) {
	t.Cleanup(func() {
		if a.alive() {
			_ = syscall.Kill(a.pid, syscall.SIGCONT)
			ready(t, cfg, 2*time.Minute)
			return
		}
		a.restart(t, cfg)
	})
}

type env struct {
	kubeconfig string
	cfg        *rest.Config
	dyn        dynamic.Interface
	api        *apiServer
}

func setup(t *testing.T) *env {
	t.Helper()
	kc := testcluster.Kubeconfig(t)
	cfg, err := clientcmd.BuildConfigFromFlags("", kc)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Timeout = 10 * time.Second
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{kubeconfig: kc, cfg: cfg, dyn: dyn, api: findAPIServer(t)}
	e.api.guard(t, cfg)
	return e
}

// waitForObjects polls until the namespace holds at least n Services:
// the apply is under way.
func (e *env) waitForObjects(t *testing.T, ns string, n int, r *run) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		select {
		case <-r.done:
			t.Fatalf("hoist ended before the fault (exit %d): the project is too small to catch mid-apply\nstderr:\n%s", r.code, r.err.String())
		default:
		}
		l, err := e.dyn.Resource(services).Namespace(ns).List(context.Background(), metav1.ListOptions{})
		if err == nil && len(l.Items) >= n {
			return
		}
	}
	t.Fatalf("no %d services in namespace %s after a minute", n, ns)
}

func (e *env) count(t *testing.T, gvr schema.GroupVersionResource, ns string) int {
	t.Helper()
	l, err := e.dyn.Resource(gvr).Namespace(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return len(l.Items)
}

// oneUnreachableLine checks that stderr is the README's single line.
func oneUnreachableLine(t *testing.T, what string, r *run, server string) {
	t.Helper()
	want := regexp.MustCompile(`^error: cannot reach the cluster at ` + regexp.QuoteMeta(server) + `: [a-z][^\n]* retried for [0-9.]+s: [^\n]+\n$`)
	t.Logf("%s: %s", what, strings.TrimSpace(r.err.String()))
	if r.code != 1 || !want.MatchString(r.err.String()) {
		t.Errorf("%s: exit %d, want 1 and one line matching %s\nstderr:\n%s", what, r.code, want, r.err.String())
	}
}

// converge runs apply again on the healthy server and checks that every
// object exists.
func (e *env) converge(t *testing.T, dir, ns string, n int) {
	t.Helper()
	r := startHoist(t, dir, e.kubeconfig, "apply", "-n", ns, "--create-namespace")
	r.wait(t, 3*time.Minute)
	if r.code != 0 {
		t.Fatalf("rerun: exit %d\nstderr:\n%s", r.code, r.err.String())
	}
	if got := e.count(t, services, ns) + e.count(t, deployments, ns); got != 2*n {
		t.Errorf("after the rerun: %d services and deployments, want %d", got, 2*n)
	}
}

// nServices is the size of the test project: big enough to be caught
// mid-apply at --concurrency 2.
const nServices = 150

// TestApplyServerKilled: the API server dies mid-apply and stays down.
// hoist retries, then gives up within the retry window with one line; once
// the server is back, apply again converges.
func TestApplyServerKilled(t *testing.T) {
	e := setup(t)
	dir, ns := project(t, nServices), "faults-killed"
	r := startHoist(t, dir, e.kubeconfig, "apply", "-n", ns, "--create-namespace", "--concurrency", "2")
	e.waitForObjects(t, ns, 3, r)
	e.api.kill(t)
	killed := time.Now()
	r.wait(t, apply.DefaultRetryFor+30*time.Second)
	took := r.ended.Sub(killed)
	t.Logf("hoist gave up %s after the API server was killed", took.Round(100*time.Millisecond))
	oneUnreachableLine(t, "killed server", r, e.cfg.Host)
	if took < apply.DefaultRetryFor-5*time.Second || took > apply.DefaultRetryFor+15*time.Second {
		t.Errorf("gave up %s after the kill, want about the retry window (%s)", took, apply.DefaultRetryFor)
	}
	t.Logf("kube-apiserver ready %s after its restart", e.api.restart(t, e.cfg).Round(100*time.Millisecond))
	e.converge(t, dir, ns, nServices)
}

// TestApplyServerRestarted: the API server dies mid-apply and comes back
// within the retry window: the same apply finishes.
func TestApplyServerRestarted(t *testing.T) {
	e := setup(t)
	dir, ns := project(t, nServices), "faults-restarted"
	r := startHoist(t, dir, e.kubeconfig, "apply", "-n", ns, "--create-namespace", "--concurrency", "2")
	e.waitForObjects(t, ns, 3, r)
	e.api.kill(t)
	time.Sleep(2 * time.Second)
	t.Logf("kube-apiserver ready %s after its restart", e.api.restart(t, e.cfg).Round(100*time.Millisecond))
	r.wait(t, 3*time.Minute)
	if r.code != 0 {
		t.Fatalf("apply across a restart: exit %d\nstderr:\n%s", r.code, r.err.String())
	}
	if got := e.count(t, services, ns) + e.count(t, deployments, ns); got != 2*nServices {
		t.Errorf("after apply across a restart: %d services and deployments, want %d", got, 2*nServices)
	}
	if n := strings.Count(r.out.String(), "\n"); n != 2*nServices+1 {
		t.Errorf("apply across a restart printed %d result lines, want %d", n, 2*nServices+1)
	}
}

// TestApplyServerFrozen: the API server freezes (SIGSTOP) mid-apply. Each
// request is bounded by the request timeout and retried for the retry
// window; hoist gives up with one line (and --timeout bounds it sooner);
// once the server runs again, apply converges.
func TestApplyServerFrozen(t *testing.T) {
	e := setup(t)
	dir := project(t, nServices)
	for _, tc := range []struct {
		name, ns string
		args     []string
		want     time.Duration
	}{
		{name: "default retry window", ns: "faults-frozen", want: apply.DefaultRetryFor},
		{name: "--timeout 10s", ns: "faults-frozen-timeout", args: []string{"--timeout", "10s"}, want: 10 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"apply", "-n", tc.ns, "--create-namespace", "--concurrency", "2"}, tc.args...)
			r := startHoist(t, dir, e.kubeconfig, args...)
			e.waitForObjects(t, tc.ns, 3, r)
			e.api.signal(t, syscall.SIGSTOP)
			frozen := time.Now()
			r.wait(t, tc.want+time.Minute)
			took := r.ended.Sub(frozen)
			t.Logf("hoist %s gave up %s after the API server froze", strings.Join(args, " "), took.Round(100*time.Millisecond))
			e.api.signal(t, syscall.SIGCONT)
			oneUnreachableLine(t, "frozen server", r, e.cfg.Host)
			if took > tc.want+5*time.Second {
				t.Errorf("gave up %s after the freeze, want at most about %s", took, tc.want)
			}
			ready(t, e.cfg, time.Minute)
			e.converge(t, dir, tc.ns, nServices)
		})
	}
}

// TestApplyServerFrozenBefore: the API server is frozen before hoist
// starts: nothing is applied yet, so hoist gives up after the first
// request's short retry window, in one line.
func TestApplyServerFrozenBefore(t *testing.T) {
	e := setup(t)
	dir := project(t, 3)
	e.api.signal(t, syscall.SIGSTOP)
	start := time.Now()
	r := startHoist(t, dir, e.kubeconfig, "apply", "-n", "faults-frozen-before", "--create-namespace")
	r.wait(t, time.Minute)
	took := r.ended.Sub(start)
	t.Logf("hoist apply gave up %s after it started against a frozen API server", took.Round(100*time.Millisecond))
	e.api.signal(t, syscall.SIGCONT)
	oneUnreachableLine(t, "server frozen before apply", r, e.cfg.Host)
	if !strings.Contains(r.err.String(), "reading the server version") || took > 10*time.Second {
		t.Errorf("gave up after %s, want the first request's window (5s)", took)
	}
	ready(t, e.cfg, time.Minute)
	e.converge(t, dir, "faults-frozen-before", 3)
}

// TestDeleteServerFrozen: the API server freezes while down deletes the
// project: hoist gives up with one line within the retry window, and down
// again, on the running server, finishes the job.
func TestDeleteServerFrozen(t *testing.T) {
	e := setup(t)
	dir, ns := project(t, nServices), "faults-down"
	e.converge(t, dir, ns, nServices)
	r := startHoist(t, dir, e.kubeconfig, "down", "-n", ns)
	for deadline := time.Now().Add(time.Minute); e.count(t, deployments, ns) == nServices; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("down deleted nothing in a minute\nstderr:\n%s", r.err.String())
		}
	}
	e.api.signal(t, syscall.SIGSTOP)
	frozen := time.Now()
	r.wait(t, apply.DefaultRetryFor+time.Minute)
	took := r.ended.Sub(frozen)
	t.Logf("hoist down gave up %s after the API server froze", took.Round(100*time.Millisecond))
	e.api.signal(t, syscall.SIGCONT)
	oneUnreachableLine(t, "server frozen during down", r, e.cfg.Host)
	if took > apply.DefaultRetryFor+5*time.Second {
		t.Errorf("gave up %s after the freeze, want at most about %s", took, apply.DefaultRetryFor)
	}
	ready(t, e.cfg, time.Minute)
	r = startHoist(t, dir, e.kubeconfig, "down", "-n", ns)
	r.wait(t, 3*time.Minute)
	if r.code != 0 {
		t.Fatalf("down again: exit %d\nstderr:\n%s", r.code, r.err.String())
	}
	if n := e.count(t, deployments, ns) + e.count(t, services, ns); n != 0 {
		t.Errorf("after down again: %d deployments and services left", n)
	}
}

// TestApplyServerPaused: the API server freezes for a few seconds
// mid-apply, less than the request timeout: the same apply finishes.
func TestApplyServerPaused(t *testing.T) {
	e := setup(t)
	dir, ns := project(t, nServices), "faults-paused"
	r := startHoist(t, dir, e.kubeconfig, "apply", "-n", ns, "--create-namespace", "--concurrency", "2")
	e.waitForObjects(t, ns, 3, r)
	e.api.signal(t, syscall.SIGSTOP)
	time.Sleep(3 * time.Second)
	e.api.signal(t, syscall.SIGCONT)
	r.wait(t, 3*time.Minute)
	if r.code != 0 {
		t.Fatalf("apply across a 3s freeze: exit %d\nstderr:\n%s", r.code, r.err.String())
	}
	if got := e.count(t, services, ns) + e.count(t, deployments, ns); got != 2*nServices {
		t.Errorf("after apply across a freeze: %d services and deployments, want %d", got, 2*nServices)
	}
}
