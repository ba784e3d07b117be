package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/clientcmd"
)

// TestAPIErrorsRBAC: every RBAC denial is one line naming what hoist was
// doing, the object (or resource) and its namespace, or that it is
// cluster-scoped; never an empty namespace.
func TestAPIErrorsRBAC(t *testing.T) {
	t.Parallel()
	k := newKube(t)
	k.compose(shopCompose)
	ns := "rbac-read"
	k.createNamespace(ns)
	// "reader" may read everything and change nothing.
	ctx := context.Background()
	role := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
		"metadata": map[string]any{"name": "hoist-test-reader"},
		"rules":    []any{map[string]any{"apiGroups": []any{"*"}, "resources": []any{"*"}, "verbs": []any{"get", "list", "watch"}}},
	}}
	binding := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
		"metadata": map[string]any{"name": "hoist-test-reader"},
		"roleRef":  map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "hoist-test-reader"},
		"subjects": []any{map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "reader"}},
	}}
	for gvr, u := range map[schema.GroupVersionResource]*unstructured.Unstructured{
		{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterroles"}:        role,
		{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterrolebindings"}: binding,
	} {
		if _, err := k.dyn.Resource(gvr).Apply(ctx, u.GetName(), u, metav1.ApplyOptions{FieldManager: "test", Force: true}); err != nil {
			t.Fatal(err)
		}
	}
	kubeconfigAs := func(user string) string {
		cfg, err := clientcmd.LoadFromFile(k.kubeconfig)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range cfg.AuthInfos {
			a.Impersonate = user
		}
		path := filepath.Join(t.TempDir(), "kubeconfig")
		if err := clientcmd.WriteToFile(*cfg, path); err != nil {
			t.Fatal(err)
		}
		return path
	}
	nobody, reader := kubeconfigAs("nobody"), kubeconfigAs("reader")
	tests := []struct {
		name       string
		kubeconfig string
		args       []string
		want       string // the line's start, after "error: "
	}{
		{name: "nobody, cluster-scoped list", kubeconfig: nobody, args: []string{"apply", "-n", "rbac-new", "--create-namespace"},
			want: `listing namespaces (cluster-scoped): namespaces is forbidden: User "nobody" cannot list resource "namespaces"`},
		{name: "nobody, namespaced read", kubeconfig: nobody, args: []string{"apply", "-n", ns},
			want: `reading ApplySet parent secret/shop in namespace ` + ns + `: secrets "shop" is forbidden: User "nobody" cannot get resource "secrets"`},
		{name: "reader, cluster-scoped apply", kubeconfig: reader, args: []string{"apply", "-n", "rbac-new", "--create-namespace"},
			want: `applying namespace/rbac-new (cluster-scoped): namespaces "rbac-new" is forbidden: User "reader" cannot patch resource "namespaces"`},
		{name: "reader, namespaced write", kubeconfig: reader, args: []string{"apply", "-n", ns},
			want: `writing ApplySet parent secret/shop in namespace ` + ns + `: secrets "shop" is forbidden: User "reader" cannot patch resource "secrets"`},
		{name: "reader, status", kubeconfig: reader, args: []string{"status", "-n", ns}, want: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runHoist(t, k.dir, "", []string{"KUBECONFIG=" + tc.kubeconfig}, tc.args...)
			if tc.want == "" {
				if r.code != 0 {
					t.Errorf("hoist %s: exit %d\n%s", strings.Join(tc.args, " "), r.code, r.stderr)
				}
				return
			}
			if r.code != 1 || strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "error: "+tc.want) {
				t.Errorf("hoist %s: exit %d, want 1 and one line starting\nerror: %s\ngot:\n%s", strings.Join(tc.args, " "), r.code, tc.want, r.stderr)
			}
			if strings.Contains(r.stderr, "namespace :") || strings.Contains(r.stderr, `namespace ""`) {
				t.Errorf("an empty namespace in the error: %s", r.stderr)
			}
		})
	}
}
