package convert

import (
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
