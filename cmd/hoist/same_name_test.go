//go:build integration

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
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
	in := k.projects(map[string]string{
		first:  "name: shop\nservices:\n  web:\n    image: nginx:1.27\n    expose: [\"8080\"]\n    environment: {API_TOKEN: s3cret}\n",
		second: "name: shop\nservices:\n  api:\n    image: example/api:1\n    expose: [\"8080\"]\n",
	})
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

// TestForeignObjects: objects of the same names that another project (its
// own ApplySet) or a person (no ApplySet) made are never taken over: up
// refuses before writing anything, naming each and whose it is, so that
// the second project's down -v cannot delete the first's data; --force
// takes them over. Two spellings of one name (my_app, my-app) share a
// parent and are refused as two projects, by down -p too.
func TestForeignObjects(t *testing.T) {
	t.Parallel()
	k := newKube(t)
	ns := "foreign"
	alpha, beta, mine, app := filepath.Join(k.dir, "alpha"), filepath.Join(k.dir, "beta"), filepath.Join(k.dir, "mine"), filepath.Join(k.dir, "app")
	in := k.projects(map[string]string{
		app:   "services:\n  app:\n    image: nginx:1.27\n",
		alpha: "services:\n  db:\n    image: postgres:16\n    volumes: [data:/var/lib/postgresql/data]\nvolumes:\n  data:\n",
		beta:  "services:\n  cache:\n    image: redis:7\n    volumes: [data:/data]\nvolumes:\n  data:\n",
		mine:  "services:\n  web:\n    image: nginx:1.27\n    expose: [\"80\"]\n",
	})
	if r := in(alpha, "up", "-n", ns, "--create-namespace", "--wait=false"); r.code != 0 {
		t.Fatalf("up of alpha: exit %d\n%s", r.code, r.stderr)
	}
	r := in(beta, "up", "-n", ns, "--wait=false")
	if r.code != 1 || strings.Count(withoutWarnings(r.stderr), "\n") != 1 || r.stdout != "" ||
		!strings.Contains(r.stderr, `refusing to take over objects project "beta" did not apply in namespace `+ns+`: persistentvolumeclaim/data (of project "alpha")`) ||
		!strings.Contains(r.stderr, "--force") {
		t.Fatalf("up of beta: exit %d, want 1 and one line naming alpha's claim\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if got := k.mustGet(claims, ns, "data").GetLabels()["app.kubernetes.io/part-of"]; got != "alpha" {
		t.Errorf("after the refused up, the claim is part of %q, want alpha", got)
	}
	k.mustBeGone(deployments, ns, "cache")
	for _, args := range [][]string{{"diff", "-n", ns}, {"apply", "-n", ns, "--dry-run=client"}} {
		if r := in(beta, args...); r.code == 0 || !strings.Contains(r.stderr, "persistentvolumeclaim/data (of project \"alpha\")") {
			t.Errorf("hoist %s: exit %d, want the refusal\n%s", strings.Join(args, " "), r.code, r.stderr)
		}
	}

	// An object made by hand.
	svc := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Service",
		"metadata": map[string]any{"name": "web", "namespace": ns},
		"spec":     map[string]any{"ports": []any{map[string]any{"port": int64(5432)}}},
	}}
	if _, err := k.dyn.Resource(services).Namespace(ns).Create(t.Context(), svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	uid := k.mustGet(services, ns, "web").GetUID()
	r = in(mine, "apply", "-n", ns)
	if r.code != 1 || !strings.Contains(r.stderr, "service/web (made outside hoist)") {
		t.Errorf("apply over a Service made by hand: exit %d, want the refusal\n%s", r.code, r.stderr)
	}
	if got := k.mustGet(services, ns, "web").GetUID(); got != uid {
		t.Errorf("the Service made by hand was replaced (uid %s, was %s)", got, uid)
	}
	if r := in(mine, "apply", "-n", ns, "--force"); r.code != 0 || !strings.Contains(r.stdout, "service/web configured") {
		t.Errorf("apply --force: exit %d, want the Service taken over\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}

	// --force takes alpha's claim over.
	if r := in(beta, "up", "-n", ns, "--wait=false", "--force"); r.code != 0 {
		t.Errorf("up of beta --force: exit %d\n%s", r.code, r.stderr)
	}

	// my_app and my-app: one parent, two projects.
	if r := in(app, "up", "-n", ns, "-p", "my_app", "--wait=false"); r.code != 0 {
		t.Fatalf("up -p my_app: exit %d\n%s", r.code, r.stderr)
	}
	if r := in(app, "down", "-n", ns, "-p", "my-app"); r.code != 1 || !strings.Contains(r.stderr, `project "my_app"`) {
		t.Errorf("down -p my-app: exit %d, want a refusal naming my_app\n%s", r.code, r.stderr)
	}
	if r := in(k.dir, "down", "-n", ns, "-p", "my-app"); r.code != 1 || !strings.Contains(r.stderr, `project "my_app"`) {
		t.Errorf("down -p my-app without compose files: exit %d, want a refusal naming my_app\n%s", r.code, r.stderr)
	}
	k.mustGet(deployments, ns, "app")
	if r := in(app, "down", "-n", ns, "-p", "my_app"); r.code != 0 {
		t.Errorf("down -p my_app: exit %d\n%s", r.code, r.stderr)
	}
}

// projects writes each directory's compose.yaml and returns a function
// that runs hoist in one of them against the test cluster.
func (k *kube) projects(files map[string]string) func(dir string, args ...string) runResult {
	k.t.Helper()
	for dir, content := range files {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			k.t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(content), 0o644); err != nil {
			k.t.Fatal(err)
		}
	}
	env := []string{"KUBECONFIG=" + k.kubeconfig}
	return func(dir string, args ...string) runResult {
		k.t.Helper()
		return runHoist(k.t, dir, "", env, args...)
	}
}
