//go:build integration

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

// TestAPIErrors: RBAC denial and an unreachable server are one-line errors
// naming what failed.
func TestAPIErrors(t *testing.T) {
	t.Parallel()
	k := newKube(t)
	k.compose(shopCompose)
	// Impersonate a user with no permissions.
	cfg, err := clientcmd.LoadFromFile(k.kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range cfg.AuthInfos {
		a.Impersonate = "nobody"
	}
	denied := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, denied); err != nil {
		t.Fatal(err)
	}
	r := runHoist(t, k.dir, "", []string{"KUBECONFIG=" + denied}, "apply", "-n", "default")
	if r.code != 1 || !strings.Contains(r.stderr, "forbidden") || !strings.Contains(r.stderr, `User "nobody"`) {
		t.Errorf("RBAC denial: exit %d, stderr:\n%s", r.code, r.stderr)
	}

	// An object the API server rejects is named with the server's reason.
	// (hoist itself rejects what it can check, such as label syntax; a
	// node port outside the default range it warns about and leaves to
	// the server, whose range may be wider.)
	k.compose("services:\n  bad:\n    image: example/bad\n    ports: [\"8080:80\"]\n    x-kubernetes:\n      service: {type: NodePort, nodePort: 80}\n")
	r = k.hoist("apply", "-n", "rejected", "--create-namespace")
	if r.code != 1 || !strings.Contains(r.stderr, "error: applying service/bad-published in namespace rejected: ") || !strings.Contains(r.stderr, "nodePort") {
		t.Errorf("rejected object: exit %d, stderr:\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "deployment.apps/bad created") || strings.Contains(r.stdout, "service/bad-published") {
		t.Errorf("rejected object: stdout must report what was applied, and only that:\n%s", r.stdout)
	}
	k.compose(shopCompose)

	for _, c := range cfg.Clusters {
		c.Server = "https://127.0.0.1:1"
	}
	unreachable := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, unreachable); err != nil {
		t.Fatal(err)
	}
	r = runHoist(t, k.dir, "", []string{"KUBECONFIG=" + unreachable}, "apply")
	if r.code != 1 || !strings.Contains(r.stderr, "cannot reach the cluster at https://127.0.0.1:1") || strings.Count(withoutWarnings(r.stderr), "\n") != 1 {
		t.Errorf("unreachable: exit %d, stderr:\n%s", r.code, r.stderr)
	}
	if r := runHoist(t, k.dir, "", []string{"KUBECONFIG=" + unreachable}, "diff"); r.code != 2 {
		t.Errorf("diff against an unreachable server: exit %d, want 2", r.code)
	}
}

// TestAPIErrorsRBAC: every RBAC denial is one line naming what hoist was
// doing, the object (or resource) and its namespace, or that it is
// cluster-scoped; never an empty namespace.
func TestAPIErrorsRBAC(t *testing.T) {
	t.Parallel()
	k := newKube(t)
	k.compose(shopCompose)
	ns := "rbac-read"
	k.createNamespace(ns)
	// "reader" may read everything and change nothing, "secret-reader" may
	// only read Secrets, "secret-writer" may read everything and write
	// Secrets only, "no-watch" may do everything but watch.
	ctx := context.Background()
	rbac := func(resource string) schema.GroupVersionResource {
		return schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: resource}
	}
	read := map[string]any{"apiGroups": []any{"*"}, "resources": []any{"*"}, "verbs": []any{"get", "list", "watch"}}
	for user, rules := range map[string][]any{
		"reader":        {read},
		"secret-reader": {map[string]any{"apiGroups": []any{""}, "resources": []any{"secrets"}, "verbs": []any{"get"}}},
		"secret-writer": {read, map[string]any{"apiGroups": []any{""}, "resources": []any{"secrets"}, "verbs": []any{"patch", "create", "update"}}},
		"no-watch":      {map[string]any{"apiGroups": []any{"*"}, "resources": []any{"*"}, "verbs": []any{"get", "list", "create", "update", "patch", "delete"}}},
	} {
		name := "hoist-test-" + user
		role := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
			"metadata": map[string]any{"name": name},
			"rules":    rules,
		}}
		binding := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
			"metadata": map[string]any{"name": name},
			"roleRef":  map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
			"subjects": []any{map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}},
		}}
		if _, err := k.dyn.Resource(rbac("clusterroles")).Apply(ctx, name, role, metav1.ApplyOptions{FieldManager: "test", Force: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := k.dyn.Resource(rbac("clusterrolebindings")).Apply(ctx, name, binding, metav1.ApplyOptions{FieldManager: "test", Force: true}); err != nil {
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
	// "ns-reader" may read everything in one namespace only, which a
	// project created with --create-namespace (so the namespace is one of
	// its members): status and ls must not need to list namespaces.
	created := "rbac-created"
	if r := runHoist(t, k.dir, "", []string{"KUBECONFIG=" + k.kubeconfig}, "up", "-q", "-n", created, "--create-namespace", "--wait=false"); r.code != 0 {
		t.Fatalf("up -n %s: exit %d\n%s", created, r.code, r.stderr)
	}
	nsRole := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
		"metadata": map[string]any{"name": "hoist-test-ns-reader", "namespace": created},
		"rules":    []any{read},
	}}
	nsBinding := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
		"metadata": map[string]any{"name": "hoist-test-ns-reader", "namespace": created},
		"roleRef":  map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "hoist-test-ns-reader"},
		"subjects": []any{map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "ns-reader"}},
	}}
	if _, err := k.dyn.Resource(rbac("roles")).Namespace(created).Apply(ctx, "hoist-test-ns-reader", nsRole, metav1.ApplyOptions{FieldManager: "test", Force: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := k.dyn.Resource(rbac("rolebindings")).Namespace(created).Apply(ctx, "hoist-test-ns-reader", nsBinding, metav1.ApplyOptions{FieldManager: "test", Force: true}); err != nil {
		t.Fatal(err)
	}
	nsReader := kubeconfigAs("ns-reader")
	nobody, reader := kubeconfigAs("nobody"), kubeconfigAs("reader")
	secretReader, secretWriter := kubeconfigAs("secret-reader"), kubeconfigAs("secret-writer")
	noWatch := kubeconfigAs("no-watch")
	tests := []struct {
		name       string
		kubeconfig string
		args       []string
		// want is the start of every line, after "error: "; lines is
		// their number.
		want  string
		lines int
	}{
		{name: "cluster-scoped list", kubeconfig: secretReader, args: []string{"apply", "-n", "rbac-new", "--create-namespace"},
			want: `listing namespaces (cluster-scoped): namespaces is forbidden: User "secret-reader" cannot list resource "namespaces"`},
		{name: "nobody, namespaced read", kubeconfig: nobody, args: []string{"apply", "-n", ns},
			want: `reading ApplySet parent secret/shop in namespace ` + ns + `: secrets "shop" is forbidden: User "nobody" cannot get resource "secrets"`},
		{name: "reader, cluster-scoped apply", kubeconfig: reader, args: []string{"apply", "-n", "rbac-new", "--create-namespace"},
			want: `applying namespace/rbac-new (cluster-scoped): namespaces "rbac-new" is forbidden: User "reader" cannot patch resource "namespaces"`},
		{name: "reader, namespaced write", kubeconfig: reader, args: []string{"apply", "-n", ns},
			want: `writing ApplySet parent secret/shop in namespace ` + ns + `: secrets "shop" is forbidden: User "reader" cannot patch resource "secrets"`},
		{name: "secret-writer, objects", kubeconfig: secretWriter, args: []string{"apply", "-n", ns},
			want: `applying `, lines: 7},
		{name: "reader, status", kubeconfig: reader, args: []string{"status", "-n", ns}, want: ""},
		{name: "namespace reader, status", kubeconfig: nsReader, args: []string{"status", "-n", created}, want: ""},
		{name: "namespace reader, ls", kubeconfig: nsReader, args: []string{"ls", "-n", created}, want: ""},
		// The wait's watch is refused: one line at once, not the timeout
		// (the informer would retry forever).
		{name: "no-watch, apply --wait", kubeconfig: noWatch, args: []string{"apply", "-n", ns, "--wait", "--timeout", "3m", "-q"},
			want: `watching deployments.apps in namespace ` + ns + `: deployments.apps is forbidden: User "no-watch" cannot watch resource "deployments"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runHoist(t, k.dir, "", []string{"KUBECONFIG=" + tc.kubeconfig}, tc.args...)
			// Conversion warnings are not what this test is about.
			r.stderr = withoutWarnings(r.stderr)
			if tc.want == "" {
				if r.code != 0 {
					t.Errorf("hoist %s: exit %d\n%s", strings.Join(tc.args, " "), r.code, r.stderr)
				}
				return
			}
			t.Logf("hoist %s:\n%s", strings.Join(tc.args, " "), r.stderr)
			if tc.lines == 0 {
				tc.lines = 1
			}
			if r.code != 1 || strings.Count(r.stderr, "\n") != tc.lines {
				t.Errorf("hoist %s: exit %d, want 1 and %d line(s)\n%s", strings.Join(tc.args, " "), r.code, tc.lines, r.stderr)
			}
			for _, line := range lines(r.stderr) {
				if !strings.HasPrefix(line, "error: "+tc.want) {
					t.Errorf("hoist %s: want every line to start\nerror: %s\ngot:\n%s", strings.Join(tc.args, " "), tc.want, line)
				}
				if tc.lines > 1 && (!strings.Contains(line, " in namespace "+ns+": ") || !strings.Contains(line, `User "secret-writer" cannot patch resource`)) {
					t.Errorf("want the object, its namespace and the verb: %s", line)
				}
			}
			if strings.Contains(r.stderr, "namespace :") || strings.Contains(r.stderr, `namespace ""`) {
				t.Errorf("an empty namespace in the error: %s", r.stderr)
			}
		})
	}
}
