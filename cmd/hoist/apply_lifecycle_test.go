//go:build integration

package main

import (
	"context"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// shopKinds are the kinds of shopCompose's objects and its ApplySet parent.
var shopKinds = []schema.GroupVersionResource{deployments, services, hpas, secrets}

// TestApplyLifecycle walks a project through create, no-op re-apply, an
// edit, prune, status, diff and delete.
func TestApplyLifecycle(t *testing.T) {
	t.Parallel()
	k := newKube(t)
	ns := "lifecycle"
	k.compose(shopCompose)

	// First apply creates everything, the namespace first. Waiting for the
	// rollout lets controllers finish their status writes.
	r := k.mustHoist("apply", "-n", ns, "--create-namespace", "--wait", "--timeout", "3m")
	want := []string{
		"namespace/" + ns + " created",
		"service/db created",
		"service/web created",
		"service/worker created",
		"deployment.apps/db created",
		"deployment.apps/web created",
		"deployment.apps/worker created",
		"horizontalpodautoscaler.autoscaling/web created",
	}
	if diff := cmp.Diff(want, lines(r.stdout)); diff != "" {
		t.Fatalf("first apply (-want +got):\n%s", diff)
	}
	parent := k.mustGet(secrets, ns, "shop")
	id := parent.GetLabels()["applyset.kubernetes.io/id"]
	if !regexp.MustCompile(`^applyset-[A-Za-z0-9_-]{43}-v1$`).MatchString(id) {
		t.Errorf("ApplySet id %q does not have kubectl's format", id)
	}
	if got := parent.GetAnnotations()["applyset.kubernetes.io/contains-group-kinds"]; got != "Deployment.apps,HorizontalPodAutoscaler.autoscaling,Namespace,Service" {
		t.Errorf("contains-group-kinds = %q", got)
	}
	web := k.mustGet(deployments, ns, "web")
	if web.GetLabels()["applyset.kubernetes.io/part-of"] != id {
		t.Errorf("deployment web is not labelled part-of %s: %v", id, web.GetLabels())
	}
	if _, found, _ := unstructured.NestedInt64(web.Object, "spec", "replicas"); !found {
		t.Error("web: replicas missing") // defaulted by the server even when hoist leaves it to the HPA
	}
	for _, mf := range web.GetManagedFields() {
		if mf.Operation == metav1.ManagedFieldsOperationApply && mf.Manager != "hoist" {
			t.Errorf("applied by field manager %q, want hoist", mf.Manager)
		}
	}

	// Re-applying changes nothing: every line unchanged, no new resourceVersion.
	before, beforeRV := k.writesByHoist(ns, shopKinds), k.snapshot(ns, shopKinds, resourceVersion)
	r = k.mustHoist("apply", "-n", ns, "--create-namespace")
	for _, l := range lines(r.stdout) {
		if !strings.HasSuffix(l, " unchanged") {
			t.Errorf("re-apply: %q, want unchanged", l)
		}
	}
	if len(lines(r.stdout)) != len(want) {
		t.Errorf("re-apply printed %d lines, want %d", len(lines(r.stdout)), len(want))
	}
	if diff := cmp.Diff(before, k.writesByHoist(ns, shopKinds)); diff != "" {
		t.Errorf("re-apply wrote objects (-before +after):\n%s", diff)
	}
	// Objects no controller writes keep their resourceVersion exactly.
	afterRV := k.snapshot(ns, shopKinds, resourceVersion)
	for _, name := range []string{"services/db", "services/web", "services/worker", "secrets/shop"} {
		if beforeRV[name] == "" || beforeRV[name] != afterRV[name] {
			t.Errorf("re-apply changed %s: resourceVersion %q -> %q", name, beforeRV[name], afterRV[name])
		}
	}

	// diff: nothing to show is exit 0.
	if r := k.hoist("diff", "-n", ns, "--create-namespace"); r.code != 0 || r.stdout != "" {
		t.Errorf("diff of an applied project: exit %d, stdout:\n%s%s", r.code, r.stdout, r.stderr)
	}

	// An edit shows in diff (exit 1) and applies as configured.
	k.compose(strings.Replace(shopCompose, `command: ["work"]`, `command: ["work", "--fast"]`, 1))
	r = k.hoist("diff", "-n", ns)
	if r.code != 1 || !strings.Contains(r.stdout, "+        - --fast") || strings.Contains(r.stdout, "hoist.dev/applied-hash") {
		t.Errorf("diff after an edit: exit %d, want 1 and the new arg; stdout:\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = k.mustHoist("apply", "-n", ns)
	for _, l := range lines(r.stdout) {
		wantAction := " unchanged"
		if strings.HasPrefix(l, "deployment.apps/worker") {
			wantAction = " configured"
		}
		if !strings.HasSuffix(l, wantAction) {
			t.Errorf("apply after an edit: %q, want%s", l, wantAction)
		}
	}

	// A look-alike outside the ApplySet: same app labels, no part-of.
	lookalike := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "worker", "namespace": ns, "labels": map[string]any{
			"app.kubernetes.io/name": "worker", "app.kubernetes.io/part-of": "shop", "app.kubernetes.io/managed-by": "hoist",
		}},
	}}
	if _, err := k.dyn.Resource(configmaps).Namespace(ns).Create(context.Background(), lookalike, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	// Removing a service and pruning deletes its objects, and only those.
	k.compose(strings.Replace(shopCompose, "  worker:\n    image: example/worker:1\n    command: [\"work\"]\n", "", 1))
	r = k.mustHoist("apply", "-n", ns, "--prune")
	pruned := []string{}
	for _, l := range lines(r.stdout) {
		if strings.HasSuffix(l, " pruned") {
			pruned = append(pruned, l)
		}
	}
	sort.Strings(pruned)
	if diff := cmp.Diff([]string{"deployment.apps/worker pruned", "service/worker pruned"}, pruned); diff != "" {
		t.Errorf("prune (-want +got):\n%s\n%s", diff, r.stdout)
	}
	k.mustBeGone(deployments, ns, "worker")
	k.mustBeGone(services, ns, "worker")
	k.mustGet(configmaps, ns, "worker")
	k.mustGet(namespaces, "", ns) // leaving out --create-namespace never prunes the namespace

	// status lists the workloads with their Services and autoscalers.
	r = k.mustHoist("status", "-n", ns)
	// web's replicas belong to its autoscaler, which may not have scaled
	// it to its minimum of 2 yet.
	if !regexp.MustCompile(`(?m)^deployment\.apps/web\s+\d/\d\s+\S+\s+8080/TCP\s+2-4$`).MatchString(r.stdout) ||
		!regexp.MustCompile(`(?m)^deployment\.apps/db\s+\d/1\s+\S+\s+5432/TCP\s+-$`).MatchString(r.stdout) ||
		strings.Contains(r.stdout, "worker") {
		t.Errorf("status:\n%s", r.stdout)
	}
	if r := k.mustHoist("ps", "-n", ns); !strings.HasPrefix(r.stdout, "NAME ") {
		t.Errorf("ps alias:\n%s", r.stdout)
	}

	// delete removes the set and its parent, and nothing else: the
	// namespace hoist created stays while it holds the look-alike.
	r = k.mustHoist("delete", "-n", ns, "--wait")
	if !strings.Contains(r.stdout, "deployment.apps/web deleted") || strings.Contains(r.stdout, "namespace/") {
		t.Errorf("delete:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, "namespace/"+ns+" kept: it holds objects hoist did not apply (configmap/worker)") {
		t.Errorf("delete must say why it keeps the namespace:\n%s", r.stderr)
	}
	k.mustBeGone(deployments, ns, "web")
	k.mustBeGone(services, ns, "db")
	k.mustBeGone(hpas, ns, "web")
	k.mustBeGone(secrets, ns, "shop")
	k.mustGet(configmaps, ns, "worker")
	k.mustGet(namespaces, "", ns)
	if err := k.dyn.Resource(namespaces).Delete(context.Background(), ns, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
}
