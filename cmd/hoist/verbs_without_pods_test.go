//go:build integration

package main

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/internal/testcluster"
)

// TestVerbsWithoutPods: against a cluster where the project is not up,
// exec says the service has no running pod, restart and scale say the
// workload is missing, logs prints nothing, ls finds no project.
func TestVerbsWithoutPods(t *testing.T) {
	kc := []string{"KUBECONFIG=" + testcluster.Kubeconfig(t)}
	dir := filepath.Join("testdata", "compose", "verbs")
	ns := []string{"-n", "verbs-nothing"}
	for _, tc := range []struct {
		args      []string
		code      int
		stdout    string
		stderrHas string
	}{
		{args: []string{"exec", "-T", "web", "true"}, code: 1, stderrHas: `error: service "web" has no running pod in namespace verbs-nothing; is the project up?` + "\n"},
		{args: []string{"exec", "-T", "--index", "2", "web", "true"}, code: 1, stderrHas: `error: service "web" has no pod with index 2 in namespace verbs-nothing (it has 0)` + "\n"},
		{args: []string{"restart", "web"}, code: 1, stderrHas: `error: service "web": deployment.apps/web is not in namespace verbs-nothing; is the project up?` + "\n"},
		{args: []string{"scale", "web=3"}, code: 1, stderrHas: `error: service "web": deployment.apps/web is not in namespace verbs-nothing; is the project up?` + "\n"},
		{args: []string{"logs", "web"}, code: 0},
		{args: []string{"ls"}, code: 0, stderrHas: "No projects found in namespace verbs-nothing\n"},
	} {
		// -n goes before the service: exec passes what follows it on.
		args := append(append([]string{tc.args[0]}, ns...), tc.args[1:]...)
		r := runHoist(t, dir, "", kc, args...)
		if r.code != tc.code || r.stdout != tc.stdout || r.stderr != tc.stderrHas {
			t.Errorf("hoist %s: exit %d, stdout %q, stderr %q; want exit %d, stdout %q, stderr %q", strings.Join(tc.args, " "), r.code, r.stdout, r.stderr, tc.code, tc.stdout, tc.stderrHas)
		}
	}
}

// TestPortForwardCannotStart: kwok's fake pods are ready but cannot be
// forwarded to (their kubelet cannot upgrade the connection). port-forward
// tries again a few times, then ends with one error line, instead of
// saying the pod went away and trying forever. Also: logs --index beyond
// the service's pods.
func TestPortForwardCannotStart(t *testing.T) {
	t.Parallel()
	k := newKube(t)
	ns := "port-forward-fails"
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	k.compose(fmt.Sprintf("services:\n  web:\n    image: nginx:1.27\n    ports: [\"%d:80\"]\n", port))
	k.mustHoist("up", "-n", ns, "--create-namespace", "--timeout", "2m")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := testcluster.Command(ctx, t, hoistBin, k.dir, []string{"KUBECONFIG=" + k.kubeconfig}, "port-forward", "-n", ns, "web")
	stdout, stderr, code := testcluster.Run(t, cmd, "")
	if ctx.Err() != nil {
		t.Fatalf("port-forward still running after a minute; stderr:\n%s", stderr)
	}
	errLines := 0
	for _, l := range lines(stderr) {
		if strings.HasPrefix(l, "error: ") {
			errLines++
		}
	}
	if code != 1 || errLines != 1 || !strings.Contains(stderr, `error: service "web": forwarding to pod web-`) || strings.Contains(stderr, "went away") {
		t.Errorf("port-forward to a pod that cannot forward: exit %d, want 1 and one error line\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	// logs --index beyond the pods is an error, as for exec.
	r := k.hoist("logs", "-n", ns, "--index", "5", "web")
	if want := `error: service "web" has no pod with index 5 in namespace ` + ns + " (it has 1)\n"; r.code != 1 || r.stderr != want {
		t.Errorf("logs --index 5: exit %d, stderr %q; want 1 and %q", r.code, r.stderr, want)
	}
}

// TestDiffNewNamespace: diff of a first deploy into a namespace that does
// not exist yet shows every object as new with --create-namespace, and
// says in one line that the namespace is missing without it (the server
// cannot dry-run objects into a missing namespace).
func TestDiffNewNamespace(t *testing.T) {
	t.Parallel()
	k := newKube(t)
	k.compose("services:\n  web:\n    image: nginx:1.27\n    expose: [\"80\"]\n")
	ns := "diff-brand-new"
	r := k.hoist("diff", "-n", ns)
	if want := "error: namespace " + ns + " does not exist: create it, or let hoist create it (--create-namespace)\n"; r.code != 2 || r.stderr != want {
		t.Errorf("diff into a missing namespace: exit %d, stderr %q; want 2 and %q", r.code, r.stderr, want)
	}
	r = k.hoist("diff", "-n", ns, "--create-namespace")
	if r.code != 1 || withoutWarnings(r.stderr) != "" || !strings.Contains(r.stdout, "+kind: Deployment") || !strings.Contains(r.stdout, "+kind: Namespace") {
		t.Errorf("diff --create-namespace into a missing namespace: exit %d, want 1 and every object new\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	k.mustBeGone(deployments, ns, "web")
}

// TestDryRunServerNewNamespace: up --dry-run=server of a first deploy with
// --create-namespace says what it would create, one line per object, not
// one error per object about the missing namespace.
func TestDryRunServerNewNamespace(t *testing.T) {
	t.Parallel()
	k := newKube(t)
	k.compose("services:\n  web:\n    image: nginx:1.27\n    expose: [\"80\"]\n")
	ns := "dry-run-brand-new"
	r := k.hoist("up", "-n", ns, "--create-namespace", "--dry-run=server")
	if r.code != 0 || withoutWarnings(r.stderr) != "" || !strings.Contains(r.stdout, "deployment.apps/web created (server dry run)") || !strings.Contains(r.stdout, "namespace/"+ns+" created (server dry run)") {
		t.Errorf("up --dry-run=server into a new namespace: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	k.mustBeGone(deployments, ns, "web")
}
