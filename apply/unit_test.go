package apply

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// These tests cover the parts that do not depend on server behaviour; all
// apply, prune, diff, delete and wait behaviour is tested against the real
// control plane (cmd/hoist/cluster_test.go).

func TestApplySetID(t *testing.T) {
	t.Parallel()
	// kubectl's ID: applyset-<base64url(sha256("name.namespace.Secret."))>-v1,
	// here computed independently for name shop in namespace shop.
	got := newApplySet("shop", "shop", "hoist/v1.0.0", "hoist").ID()
	if want := "applyset-GwAbKEnoQdgaoi0MSLuXqidpqgFxJVNssD4MzmoY9us-v1"; got != want {
		t.Errorf("ID() = %q, want %q", got, want)
	}
	if other := newApplySet("shop", "staging", "", "hoist").ID(); other == got {
		t.Error("the ID must depend on the namespace")
	}
}

func TestGroupKinds(t *testing.T) {
	t.Parallel()
	gks := map[schema.GroupKind]bool{
		{Group: "apps", Kind: "Deployment"}:                     true,
		{Kind: "Service"}:                                       true,
		{Group: "autoscaling", Kind: "HorizontalPodAutoscaler"}: true,
		{Kind: "Namespace"}:                                     true,
	}
	s := formatGroupKinds(gks)
	if want := "Deployment.apps,HorizontalPodAutoscaler.autoscaling,Namespace,Service"; s != want {
		t.Errorf("formatGroupKinds = %q, want %q", s, want)
	}
	if diff := cmp.Diff(gks, parseGroupKinds(s)); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if len(parseGroupKinds("")) != 0 {
		t.Error("empty annotation must parse to no kinds")
	}
}

func TestContains(t *testing.T) {
	t.Parallel()
	live := map[string]any{
		"spec": map[string]any{
			"replicas": int64(2), "paused": false,
			"template": map[string]any{"containers": []any{map[string]any{"name": "web", "image": "nginx", "imagePullPolicy": "Always"}}},
		},
		"status": map[string]any{"readyReplicas": int64(2)},
	}
	tests := []struct {
		name string
		want any
		ok   bool
	}{
		{name: "subset", want: map[string]any{"spec": map[string]any{"replicas": int64(2)}}, ok: true},
		{name: "defaulted fields are ignored", want: map[string]any{"spec": map[string]any{"template": map[string]any{"containers": []any{map[string]any{"name": "web", "image": "nginx"}}}}}, ok: true},
		{name: "numbers compare by value", want: map[string]any{"spec": map[string]any{"replicas": float64(2)}}, ok: true},
		{name: "a changed value", want: map[string]any{"spec": map[string]any{"replicas": int64(3)}}, ok: false},
		{name: "a missing field", want: map[string]any{"spec": map[string]any{"minReadySeconds": int64(5)}}, ok: false},
		{name: "a list of another length", want: map[string]any{"spec": map[string]any{"template": map[string]any{"containers": []any{}}}}, ok: false},
		{name: "a changed list element", want: map[string]any{"spec": map[string]any{"template": map[string]any{"containers": []any{map[string]any{"image": "nginx:2"}}}}}, ok: false},
		{name: "a type change", want: map[string]any{"spec": "x"}, ok: false},
		{name: "false is a value", want: map[string]any{"spec": map[string]any{"paused": true}}, ok: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := contains(live, tc.want); got != tc.ok {
				t.Errorf("contains = %v, want %v", got, tc.ok)
			}
		})
	}
}

func TestMaskSecrets(t *testing.T) {
	t.Parallel()
	secret := func(data map[string]any) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Secret", "data": data}}
	}
	live := secret(map[string]any{"same": "YQ==", "changed": "Yg==", "gone": "Yw=="})
	merged := secret(map[string]any{"same": "YQ==", "changed": "ZA==", "new": "ZQ=="})
	maskSecrets(live, merged)
	if diff := cmp.Diff(map[string]any{"same": "***", "changed": "*** (before)", "gone": "***"}, live.Object["data"]); diff != "" {
		t.Errorf("live (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"same": "***", "changed": "*** (after)", "new": "***"}, merged.Object["data"]); diff != "" {
		t.Errorf("merged (-want +got):\n%s", diff)
	}
	// A new Secret has no live side.
	fresh := secret(map[string]any{"k": "dg=="})
	maskSecrets(nil, fresh)
	if fresh.Object["data"].(map[string]any)["k"] != "***" {
		t.Errorf("new secret not masked: %v", fresh.Object["data"])
	}
}

func TestResultString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		r    Result
		want string
	}{
		{Result{Ref: Ref{GroupKind: schema.GroupKind{Group: "apps", Kind: "Deployment"}, Name: "web"}, Action: Created}, "deployment.apps/web created"},
		{Result{Ref: Ref{GroupKind: schema.GroupKind{Kind: "Service"}, Name: "web"}, Action: Unchanged, DryRun: DryRunServer}, "service/web unchanged (server dry run)"},
		{Result{Ref: Ref{GroupKind: schema.GroupKind{Group: "autoscaling", Kind: "HorizontalPodAutoscaler"}, Name: "w"}, Action: Pruned, DryRun: DryRunClient}, "horizontalpodautoscaler.autoscaling/w pruned (dry run)"},
	}
	for _, tc := range tests {
		if got := tc.r.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
}

func TestEvaluate(t *testing.T) {
	t.Parallel()
	deploy := func(gen, observed, replicas, updated, total, available int64, conds ...any) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "apps/v1", "kind": "Deployment",
			"metadata": map[string]any{"name": "web", "generation": gen},
			"spec":     map[string]any{"replicas": replicas},
			"status": map[string]any{"observedGeneration": observed, "updatedReplicas": updated, "replicas": total,
				"availableReplicas": available, "readyReplicas": available, "conditions": conds},
		}}
	}
	tests := []struct {
		name      string
		obj       *unstructured.Unstructured
		ready     bool
		failed    bool
		wantMsg   string
		wantCount string
	}{
		{name: "rolled out", obj: deploy(2, 2, 3, 3, 3, 3), ready: true, wantCount: "3/3"},
		{name: "spec not observed", obj: deploy(3, 2, 3, 3, 3, 3), wantMsg: "waiting for the deployment spec update to be observed"},
		{name: "updating", obj: deploy(2, 2, 3, 1, 3, 3), wantMsg: "1 out of 3 new replicas have been updated"},
		{name: "old replicas", obj: deploy(2, 2, 3, 3, 4, 3), wantMsg: "1 old replicas are pending termination"},
		{name: "not available", obj: deploy(2, 2, 3, 3, 3, 1), wantMsg: "1 of 3 updated replicas are available", wantCount: "1/3"},
		{name: "deadline", obj: deploy(2, 2, 3, 1, 3, 1, map[string]any{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}), failed: true},
		{name: "job complete", obj: &unstructured.Unstructured{Object: map[string]any{"kind": "Job", "metadata": map[string]any{"name": "j"},
			"status": map[string]any{"succeeded": int64(1), "conditions": []any{map[string]any{"type": "Complete", "status": "True"}}}}}, ready: true, wantCount: "1/1"},
		{name: "job failed", obj: &unstructured.Unstructured{Object: map[string]any{"kind": "Job", "metadata": map[string]any{"name": "j"},
			"status": map[string]any{"conditions": []any{map[string]any{"type": "Failed", "status": "True", "message": "BackoffLimitExceeded"}}}}}, failed: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := evaluate(tc.obj)
			if st.ready != tc.ready || (st.failed != nil) != tc.failed {
				t.Fatalf("ready=%v failed=%v, want ready=%v failed=%v", st.ready, st.failed, tc.ready, tc.failed)
			}
			if tc.wantMsg != "" && st.message != tc.wantMsg {
				t.Errorf("message %q, want %q", st.message, tc.wantMsg)
			}
			if tc.wantCount != "" && st.progress != tc.wantCount {
				t.Errorf("progress %q, want %q", st.progress, tc.wantCount)
			}
		})
	}
}

func TestParseDryRun(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]DryRun{"": DryRunNone, "none": DryRunNone, "client": DryRunClient, "server": DryRunServer} {
		if got, err := ParseDryRun(in); err != nil || got != want {
			t.Errorf("ParseDryRun(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseDryRun("all"); err == nil {
		t.Error("ParseDryRun(all) must fail")
	}
}

func TestAtMinimum(t *testing.T) {
	t.Parallel()
	hpa := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
		"metadata": map[string]any{"name": "web"},
		"spec": map[string]any{"minReplicas": int64(2), "maxReplicas": int64(4),
			"scaleTargetRef": map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}},
	}}
	minimums := autoscalerMinimums([]*unstructured.Unstructured{hpa}, "ns")
	ref := Ref{GroupKind: schema.GroupKind{Group: "apps", Kind: "Deployment"}, Namespace: "ns", Name: "web"}
	if diff := cmp.Diff(map[Ref]int64{ref: 2}, minimums); diff != "" {
		t.Fatalf("autoscalerMinimums (-want +got):\n%s", diff)
	}
	deploy := func(replicas int64) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "apps/v1", "kind": "Deployment",
			"metadata": map[string]any{"name": "web", "generation": int64(1)},
			"spec":     map[string]any{"replicas": replicas},
			"status": map[string]any{"observedGeneration": int64(1), "updatedReplicas": replicas, "replicas": replicas,
				"availableReplicas": replicas, "readyReplicas": replicas},
		}}
	}
	if st := atMinimum(evaluate(deploy(1)), deploy(1), 2); st.ready || st.progress != "1/2" || !strings.Contains(st.message, "minimum of 2") {
		t.Errorf("one replica under a minimum of 2: %+v", st)
	}
	if st := atMinimum(evaluate(deploy(2)), deploy(2), 2); !st.ready {
		t.Errorf("two replicas at a minimum of 2: %+v", st)
	}
	if st := atMinimum(evaluate(deploy(1)), deploy(1), 0); !st.ready {
		t.Errorf("no autoscaler: %+v", st)
	}
}

func TestOptionError(t *testing.T) {
	t.Parallel()
	err := optionErrorf("%w after %s (%v) applying the project", ErrTimeout, "3s", OptionTimeout)
	if want := "timed out after 3s (the Timeout option) applying the project"; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
	flag := func(o Option) string { return "--" + strings.ToLower(string(o)) }
	if want := "timed out after 3s (--timeout) applying the project"; err.Text(flag) != want {
		t.Errorf("Text() = %q, want %q", err.Text(flag), want)
	}
	if !errors.Is(err, ErrTimeout) {
		t.Error("an OptionError must unwrap to what it wraps")
	}
}
