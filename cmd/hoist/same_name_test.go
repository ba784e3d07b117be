//go:build integration

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSameNameProjects: two projects named alike, in two directories, in
// one namespace share one ApplySet. up of the second must not prune the
// first's objects: it refuses in one line naming the parent Secret and the
// first project's directory, and --force is the way out. down from the
// second refuses likewise.
func TestSameNameProjects(t *testing.T) {
	t.Parallel()
	k := newKube(t)
	ns := "same-name"
	first, second := filepath.Join(k.dir, "first"), filepath.Join(k.dir, "second")
	for dir, content := range map[string]string{
		first:  "name: shop\nservices:\n  web:\n    image: nginx:1.27\n    expose: [\"8080\"]\n    environment: {API_TOKEN: s3cret}\n",
		second: "name: shop\nservices:\n  api:\n    image: example/api:1\n    expose: [\"8080\"]\n",
	} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := []string{"KUBECONFIG=" + k.kubeconfig}
	in := func(dir string, args ...string) runResult {
		t.Helper()
		return runHoist(t, dir, "", env, args...)
	}
	if r := in(first, "up", "-n", ns, "--create-namespace", "--wait=false"); r.code != 0 {
		t.Fatalf("up of the first project: exit %d\n%s", r.code, r.stderr)
	}
	parent := k.mustGet(secrets, ns, "shop")
	if dir := parent.GetAnnotations()["hoist.dev/project-dir"]; dir != first {
		t.Errorf("parent records project-dir %q, want %q", dir, first)
	}
	if id := parent.GetAnnotations()["hoist.dev/project-id"]; len(id) != 32 {
		t.Errorf("parent records project-id %q, want 32 hex characters", id)
	}
	// up of the second refuses, before applying anything.
	r := in(second, "up", "-n", ns, "--wait=false")
	if r.code != 1 || strings.Count(r.stderr, "\n") != 1 ||
		!strings.HasPrefix(r.stderr, "error: refusing to prune orphan objects (") ||
		!strings.Contains(r.stderr, "deployment.apps/web") ||
		!strings.Contains(r.stderr, "secret/shop in namespace "+ns) ||
		!strings.Contains(r.stderr, first) || !strings.Contains(r.stderr, second) ||
		!strings.Contains(r.stderr, "--force") {
		t.Fatalf("up of the second project: exit %d, want 1 and one line naming the parent and both directories\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	t.Logf("up of the second project: %s", strings.TrimSpace(r.stderr))
	if r.stdout != "" {
		t.Errorf("the refused up applied something:\n%s", r.stdout)
	}
	k.mustGet(deployments, ns, "web")
	k.mustGet(services, ns, "web")
	k.mustGet(secrets, ns, "web-env")
	k.mustBeGone(deployments, ns, "api")

	// Without --prune, apply says what it found, as docker compose warns
	// about orphan containers, and prunes nothing.
	r = in(second, "apply", "-n", ns)
	if r.code != 0 || !strings.Contains(r.stderr, "Warning: found orphan objects (") || !strings.Contains(r.stderr, first) {
		t.Errorf("apply of the second project: exit %d, want 0 and an orphan warning\nstderr:\n%s", r.code, r.stderr)
	}
	t.Logf("apply of the second project: %s", strings.TrimSpace(r.stderr))
	k.mustGet(deployments, ns, "web")
	k.mustGet(deployments, ns, "api")

	// Now the first project's up would prune the second's api: refused too.
	r = in(first, "up", "-n", ns, "--wait=false")
	if r.code != 1 || !strings.Contains(r.stderr, "deployment.apps/api") || !strings.Contains(r.stderr, second) {
		t.Errorf("up of the first project after the second's apply: exit %d, want 1 naming api and the second directory\nstderr:\n%s", r.code, r.stderr)
	}
	// down from the first refuses to delete what the second applied last.
	r = in(first, "down", "-n", ns)
	if r.code != 1 || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, "refusing to delete project \"shop\"") || !strings.Contains(r.stderr, second) {
		t.Errorf("down of the first project: exit %d, want a one-line refusal\nstderr:\n%s", r.code, r.stderr)
	}
	k.mustGet(deployments, ns, "api")

	// --force prunes the other project's objects and records this one.
	r = in(second, "up", "-n", ns, "--wait=false", "--force")
	if r.code != 0 {
		t.Fatalf("up --force: exit %d\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"deployment.apps/web pruned", "service/web pruned", "secret/web-env pruned"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("up --force: stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	k.mustBeGone(deployments, ns, "web")
	k.mustBeGone(secrets, ns, "web-env")
	k.mustGet(deployments, ns, "api")
	if dir := k.mustGet(secrets, ns, "shop").GetAnnotations()["hoist.dev/project-dir"]; dir != second {
		t.Errorf("after up --force the parent records project-dir %q, want %q", dir, second)
	}
	// The same project again: nothing to refuse.
	if r := in(second, "up", "-n", ns, "--wait=false"); r.code != 0 {
		t.Errorf("up of the second project again: exit %d\n%s", r.code, r.stderr)
	}
	if r := in(second, "down", "-n", ns); r.code != 0 {
		t.Errorf("down of the second project: exit %d\n%s", r.code, r.stderr)
	}
}
