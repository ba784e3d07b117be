//go:build integration

package main

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestConflicts: fields another manager owns are not taken without
// --force-conflicts.
func TestConflicts(t *testing.T) {
	t.Parallel()
	k := newKube(t)
	ns := "conflicts"
	k.compose(shopCompose)
	k.mustHoist("apply", "-n", ns, "--create-namespace")
	other := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "db", "namespace": ns},
		"spec":     map[string]any{"replicas": int64(5)},
	}}
	if _, err := k.dyn.Resource(deployments).Namespace(ns).Apply(context.Background(), "db", other, metav1.ApplyOptions{FieldManager: "other", Force: true}); err != nil {
		t.Fatal(err)
	}
	r := k.hoist("apply", "-n", ns)
	if r.code != 1 || !strings.Contains(r.stderr, "conflict") || !strings.Contains(r.stderr, "--force-conflicts") || !strings.Contains(r.stderr, "deployment.apps/db") {
		t.Errorf("apply over another manager's field: exit %d, stderr:\n%s", r.code, r.stderr)
	}
	r = k.mustHoist("apply", "-n", ns, "--force-conflicts")
	if !strings.Contains(r.stdout, "deployment.apps/db configured") {
		t.Errorf("--force-conflicts:\n%s", r.stdout)
	}
	if n, _, _ := unstructured.NestedInt64(k.mustGet(deployments, ns, "db").Object, "spec", "replicas"); n != 1 {
		t.Errorf("db replicas %d after --force-conflicts, want 1", n)
	}
}
