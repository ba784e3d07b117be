package apply

import "k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

// Comparing what hoist applies with the live object: whether applying it
// again would change anything (holds), and whether the change needs the
// object deleted and created again (mustReplace).

// mustReplace says why an object that holds() found different must be
// deleted and created again, because the API server refuses the change as
// an update; "" when an apply will do:
//   - a Service going from headless to having a cluster IP or back
//     (spec.clusterIP is immutable);
//   - a Job whose content changed (its pod template is immutable). A Job
//     runs once: the new one runs the new template, as `docker compose up`
//     runs a changed one-shot service again.
func mustReplace(live, want *unstructured.Unstructured) string {
	if live == nil {
		return ""
	}
	switch gvk := want.GroupVersionKind(); {
	case gvk.Group == "" && gvk.Kind == "Service":
		liveIP, _, _ := unstructured.NestedString(live.Object, "spec", "clusterIP")
		wantIP, _, _ := unstructured.NestedString(want.Object, "spec", "clusterIP")
		if liveIP != "" && (liveIP == "None") != (wantIP == "None") {
			return "a Service's cluster IP cannot change"
		}
	case gvk.Group == "batch" && gvk.Kind == "Job":
		if live.GetAnnotations()[AnnotationAppliedHash] != want.GetAnnotations()[AnnotationAppliedHash] {
			return "a Job's pod template cannot change"
		}
	}
	return ""
}

// holds reports whether live already has every field of want with the same
// value, including the applied-hash annotation: then applying want again
// would change nothing, and hoist skips the request. Anything that differs
// (drift, a field hoist no longer applies, a new field) fails the check and
// the object is applied.
func holds(live, want *unstructured.Unstructured) bool {
	return contains(live.Object, want.Object)
}

func contains(live, want any) bool {
	switch w := want.(type) {
	case map[string]any:
		l, ok := live.(map[string]any)
		if !ok {
			return false
		}
		for k, wv := range w {
			lv, ok := l[k]
			if !ok || !contains(lv, wv) {
				return false
			}
		}
		return true
	case []any:
		l, ok := live.([]any)
		if !ok || len(l) != len(w) {
			return false
		}
		for i := range w {
			if !contains(l[i], w[i]) {
				return false
			}
		}
		return true
	case int64:
		return numEqual(live, float64(w))
	case float64:
		return numEqual(live, w)
	case int:
		return numEqual(live, float64(w))
	case int32:
		return numEqual(live, float64(w))
	}
	return live == want
}

func numEqual(v any, f float64) bool {
	switch n := v.(type) {
	case int64:
		return float64(n) == f
	case float64:
		return n == f
	case int:
		return float64(n) == f
	case int32:
		return float64(n) == f
	}
	return false
}
