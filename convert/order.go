package convert

import (
	"slices"
	"sort"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// kindOrder is the order kinds are emitted and applied in: what others
// depend on comes first. Kinds not listed come last, alphabetically.
var kindOrder = []string{
	"Namespace",
	"NetworkPolicy",
	"ServiceAccount",
	"Secret",
	"ConfigMap",
	"PersistentVolumeClaim",
	"Service",
	"Deployment",
	"StatefulSet",
	"DaemonSet",
	"Job",
	"CronJob",
	"HorizontalPodAutoscaler",
	"Ingress",
}

var kindRank = func() map[string]int {
	m := make(map[string]int, len(kindOrder))
	for i, k := range kindOrder {
		m[k] = i
	}
	return m
}()

// KindRank is kind's place in the order objects are emitted and applied
// in, from 0; a kind hoist does not emit ranks after all it does. Output
// file names start with it, so that reading files by name keeps the order.
func KindRank(kind string) int {
	if r, ok := kindRank[kind]; ok {
		return r
	}
	return len(kindOrder)
}

// Less is the total order of objects: kind rank, then group, version,
// kind, namespace and name.
func Less(a, b *unstructured.Unstructured) bool {
	ra, oka := kindRank[a.GetKind()]
	rb, okb := kindRank[b.GetKind()]
	switch {
	case oka && !okb:
		return true
	case !oka && okb:
		return false
	case oka && ra != rb:
		return ra < rb
	}
	ga, gb := a.GroupVersionKind(), b.GroupVersionKind()
	if ga.Kind != gb.Kind {
		return ga.Kind < gb.Kind
	}
	if ga.Group != gb.Group {
		return ga.Group < gb.Group
	}
	if ga.Version != gb.Version {
		return ga.Version < gb.Version
	}
	if a.GetNamespace() != b.GetNamespace() {
		return a.GetNamespace() < b.GetNamespace()
	}
	return a.GetName() < b.GetName()
}

// Sort puts objects in the total order of Less.
func Sort(objs []*unstructured.Unstructured) {
	sort.SliceStable(objs, func(i, j int) bool { return Less(objs[i], objs[j]) })
}

// workloadPodSpecPath is where each workload kind keeps its pod spec.
var workloadPodSpecPath = map[string][]string{
	"Deployment":  {"spec", "template", "spec"},
	"StatefulSet": {"spec", "template", "spec"},
	"DaemonSet":   {"spec", "template", "spec"},
	"Job":         {"spec", "template", "spec"},
	"CronJob":     {"spec", "jobTemplate", "spec", "template", "spec"},
}

// PodSpecPath is where an object of kind keeps its pod spec, as fields
// for unstructured.NestedMap; nil for a kind without one.
func PodSpecPath(kind string) []string { return slices.Clone(workloadPodSpecPath[kind]) }
