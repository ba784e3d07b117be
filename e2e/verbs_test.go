package e2e

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/internal/testcluster"
)

// TestVerbs runs compose's everyday verbs against pods that really run:
// logs (of a running service, of a stuck init container, followed across a
// restart), exec (exit codes, stdin, -e, -w), run (--rm, exit code),
// restart, scale, ls across two projects and port-forward reaching a real
// HTTP server from 127.0.0.1, across a pod replacement. The steps share
// one project and run in order (project.eventually fails the whole test).
func TestVerbs(t *testing.T) {
	p := newProject(t, "verbs-app")
	stuck := newProject(t, "verbs-stuck")
	// The stuck project is applied without waiting: it never gets ready.
	if r := stuck.hoist("apply", "-n", stuck.ns, "--create-namespace"); r.code != 0 {
		t.Fatalf("hoist apply verbs-stuck: exit %d\n%s", r.code, r.stderr)
	}
	p.up()
	ns := []string{"-n", p.ns}

	func() {
		t.Log("== logs")
		p.eventually("web's log", time.Minute, func() (bool, string) {
			r := p.hoist(append([]string{"logs", "web"}, ns...)...)
			return r.code == 0 && strings.Contains(r.stdout, "web-1  | web started\n"), r.stdout + r.stderr
		})
		r := p.hoist(append([]string{"logs", "--no-log-prefix", "-t", "--tail", "1", "web"}, ns...)...)
		if r.code != 0 || !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\S+Z web started\n$`).MatchString(r.stdout) {
			t.Errorf("logs --no-log-prefix -t --tail 1: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
		}
		r = p.hoist(append([]string{"logs", "--until", "2000-01-01T00:00:00Z", "web"}, ns...)...)
		if r.code != 0 || r.stdout != "" {
			t.Errorf("logs --until long ago: exit %d, stdout %q", r.code, r.stdout)
		}
	}()

	func() {
		t.Log("== logs of a stuck init container")
		stuck.eventually("app's init container log", 2*time.Minute, func() (bool, string) {
			r := stuck.hoist("logs", "-n", stuck.ns, "app")
			return r.code == 0 && regexp.MustCompile(`(?m)^app-1/wait-for-db +\| waiting for`).MatchString(r.stdout), r.stdout + r.stderr
		})
	}()

	func() {
		t.Log("== exec")
		r := p.hoist("exec", "-n", p.ns, "-T", "web", "sh", "-c", "echo out; echo err >&2; exit 3")
		if r.code != 3 || r.stdout != "out\n" || !strings.Contains(r.stderr, "err\n") {
			t.Errorf("exec exit 3: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
		}
		r = p.hoistWithStdin("ping from stdin\n", "exec", "-n", p.ns, "-T", "worker", "cat")
		if r.code != 0 || r.stdout != "ping from stdin\n" {
			t.Errorf("exec with stdin: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
		}
		r = p.hoist("exec", "-n", p.ns, "-T", "-e", "FOO=bar", "-w", "/www", "web", "sh", "-c", "echo $FOO $(pwd) $(cat index.html)")
		if r.code != 0 || r.stdout != "bar /www hello-from-web\n" {
			t.Errorf("exec -e -w: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
		}
	}()

	func() {
		t.Log("== exec and run on a terminal")
		if _, err := exec.LookPath("script"); err != nil {
			t.Log("no script(1) to make a terminal: skipped")
			return
		}
		// script(1) runs hoist on a pseudo-terminal: exec allocates a TTY
		// by default, as docker compose exec does, and -T does not.
		r := onTerminal(t, p, hoistBin+" exec -n "+p.ns+" web sh -c 'tty; exit 4'")
		if r.code != 4 || !strings.Contains(r.stdout, "/dev/pts/") {
			t.Errorf("exec on a terminal: exit %d, output %q", r.code, r.stdout)
		}
		r = onTerminal(t, p, hoistBin+" exec -n "+p.ns+" -T web sh -c 'tty; exit 0'")
		if r.code != 0 || !strings.Contains(r.stdout, "not a tty") {
			t.Errorf("exec -T on a terminal: exit %d, output %q", r.code, r.stdout)
		}
		// run attaches with a TTY; the command waits a little so the
		// attach sees its output (kubectl run -it's race).
		r = onTerminal(t, p, hoistBin+" run -q -n "+p.ns+" worker sh -c 'sleep 3; tty; exit 5'")
		if r.code != 5 || !strings.Contains(r.stdout, "/dev/pts/") {
			t.Errorf("run on a terminal: exit %d, output %q", r.code, r.stdout)
		}
	}()

	func() {
		t.Log("== run")
		r := p.hoist("run", "-n", p.ns, "worker", "sh", "-c", "echo one-off $GREETING; exit 7")
		if r.code != 7 || r.stdout != "one-off hi\n" {
			t.Errorf("run exit 7: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
		}
		p.eventually("the one-off pod to be deleted (--rm)", time.Minute, func() (bool, string) {
			out, err := p.kubectl("get", "pods", "-l", "hoist.dev/run", "-o", "name")
			return err == nil && strings.TrimSpace(out) == "", out
		})
		r = p.hoist("run", "-n", p.ns, "--rm=false", "--entrypoint", "echo", "worker", "kept")
		if r.code != 0 || r.stdout != "kept\n" {
			t.Errorf("run --rm=false --entrypoint: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
		}
		if out := p.mustKubectl("get", "pods", "-l", "hoist.dev/run=worker", "-o", "name"); strings.Count(out, "pod/") != 1 {
			t.Errorf("run --rm=false left %q, want one pod", out)
		}
		p.mustKubectl("delete", "pods", "-l", "hoist.dev/run")
	}()

	func() {
		t.Log("== port-forward")
		bg := startHoist(t, p, append([]string{"port-forward", "web"}, ns...)...)
		defer bg.stop()
		get := func() (bool, string) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:38080/index.html", nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return false, err.Error()
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return string(b) == "hello-from-web\n", string(b)
		}
		p.eventually("127.0.0.1:38080 to serve web's page", time.Minute, get)
		old := p.onePod("web")
		p.mustKubectl("delete", "pod", old, "--wait=false")
		p.eventually("a new web pod", 2*time.Minute, func() (bool, string) {
			ready := p.readyPods("web")
			return len(ready) == 1 && ready[0] != old, strings.Join(ready, " ")
		})
		p.eventually("127.0.0.1:38080 to serve the new pod's page", time.Minute, get)
		if r := p.hoist(append([]string{"port-forward", "web"}, ns...)...); r.code != 1 || !strings.Contains(r.stderr, "port 38080 on 127.0.0.1 is in use") {
			t.Errorf("second port-forward on a busy port: exit %d, stderr %q", r.code, r.stderr)
		}
		bg.stop()
		// up --forward: the same once the project is up.
		up := startHoist(t, p, append([]string{"up", "--forward"}, ns...)...)
		defer up.stop()
		p.eventually("up --forward to serve web's page on 127.0.0.1:38080", time.Minute, get)
	}()

	func() {
		t.Log("== logs -f across a restart")
		bg := startHoist(t, p, append([]string{"logs", "-f", "worker"}, ns...)...)
		defer bg.stop()
		p.eventually("worker's ticks", time.Minute, func() (bool, string) {
			return strings.Contains(bg.stdout(), "worker-1  | tick "), bg.stdout()
		})
		old := p.onePod("worker")
		r := p.hoist(append([]string{"restart", "worker"}, ns...)...)
		if r.code != 0 || r.stdout != "deployment.apps/worker restarted\n" {
			t.Fatalf("restart: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
		}
		p.eventually("the restarted pod's first tick in the followed log", 2*time.Minute, func() (bool, string) {
			return strings.Count(bg.stdout(), "| tick 0\n") >= 2, bg.stdout()
		})
		if pod := p.onePod("worker"); pod == old {
			t.Errorf("restart kept pod %s", pod)
		}
	}()

	func() {
		t.Log("== scale")
		r := p.hoist(append([]string{"scale", "worker=2"}, ns...)...)
		if r.code != 0 || r.stdout != "deployment.apps/worker scaled\n" {
			t.Fatalf("scale: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
		}
		p.eventually("two ready worker pods", 2*time.Minute, func() (bool, string) {
			ready := p.readyPods("worker")
			return len(ready) == 2, strings.Join(ready, " ")
		})
		p.eventually("worker-2's log", time.Minute, func() (bool, string) {
			r := p.hoist(append([]string{"logs", "--index", "2", "worker"}, ns...)...)
			return r.code == 0 && strings.Contains(r.stdout, "worker-2  | tick") && !strings.Contains(r.stdout, "worker-1"), r.stdout
		})
	}()

	func() {
		t.Log("== up --scale")
		p.up("--scale", "worker=3")
		if ready := p.readyPods("worker"); len(ready) != 3 {
			t.Errorf("up --scale worker=3 --wait: ready worker pods %v", ready)
		}
		// A plain up applies the compose file's replicas again, as
		// docker compose up does, with no conflict over what scale set.
		p.up()
		p.eventually("one worker pod again", 2*time.Minute, func() (bool, string) {
			all := p.pods("worker")
			return len(all) == 1, strings.Join(all, " ")
		})
	}()

	func() {
		t.Log("== ls")
		r := p.hoist("ls", "-A")
		if r.code != 0 {
			t.Fatalf("ls -A: exit %d, stderr %q", r.code, r.stderr)
		}
		for _, want := range []*regexp.Regexp{
			regexp.MustCompile(`(?m)^verbs-app +` + p.ns + ` +2/2 +\S+ ago +v\S+\s*$`),
			regexp.MustCompile(`(?m)^verbs-stuck +` + stuck.ns + ` +0/2 +\S+ ago +v\S+\s*$`),
		} {
			if !want.MatchString(r.stdout) {
				t.Errorf("ls -A: no line matching %s in\n%s", want, r.stdout)
			}
		}
		r = p.hoist("ls", "-n", p.ns)
		if r.code != 0 || strings.Contains(r.stdout, "verbs-stuck") || !strings.Contains(r.stdout, "verbs-app") {
			t.Errorf("ls -n %s: exit %d, stdout:\n%s", p.ns, r.code, r.stdout)
		}
	}()
}

// onTerminal runs a shell command line on a pseudo-terminal (script(1))
// in the project directory; stdout is what the terminal showed.
func onTerminal(t *testing.T, p *project, line string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := testcluster.Command(ctx, t, "script", p.dir, append([]string{"KUBECONFIG=" + p.kubeconfig, "TERM=dumb"}, p.env...), "-qec", line, "/dev/null")
	cmd.Stdin = strings.NewReader("")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	if exitErr := (*exec.ExitError)(nil); errors.As(err, &exitErr) {
		code = exitErr.ExitCode()
	} else if err != nil {
		t.Fatalf("running script: %v", err)
	}
	return result{stdout: out.String(), code: code}
}

// background is a hoist command left running (logs -f, port-forward).
type background struct {
	t        *testing.T
	cmd      *exec.Cmd
	mu       sync.Mutex
	out, err bytes.Buffer
	done     chan struct{}
	stopped  sync.Once
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func startHoist(t *testing.T, p *project, args ...string) *background {
	t.Helper()
	b := &background{t: t, done: make(chan struct{})}
	b.cmd = testcluster.Command(context.Background(), t, hoistBin, p.dir, append([]string{"KUBECONFIG=" + p.kubeconfig}, p.env...), args...)
	b.cmd.Stdout, b.cmd.Stderr = lockedWriter{&b.mu, &b.out}, lockedWriter{&b.mu, &b.err}
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = b.cmd.Wait(); close(b.done) }()
	return b
}

func (b *background) stdout() string { b.mu.Lock(); defer b.mu.Unlock(); return b.out.String() }

// stop interrupts the command as Ctrl-C does and waits for it to end,
// which must be quick; once.
func (b *background) stop() { b.stopped.Do(b.interrupt) }

func (b *background) interrupt() {
	_ = b.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-b.done:
	case <-time.After(10 * time.Second):
		_ = b.cmd.Process.Kill()
		<-b.done
		b.t.Errorf("hoist %s did not end within 10s of SIGINT", strings.Join(b.cmd.Args[1:], " "))
	}
}
