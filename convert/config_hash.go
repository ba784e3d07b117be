package convert

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// AnnotationConfigHash is the pod-template annotation that holds the hash
// of the content of the ConfigMaps and Secrets hoist emits that the pod
// references. Files mounted with subPath and environment variables never
// follow a change of their ConfigMap or Secret; a changed hash changes the
// pod template, so the workload rolls its pods (Helm's "automatically roll
// deployments" checksum annotation pattern,
// https://helm.sh/docs/howto/charts_tips_and_tricks/).
const AnnotationConfigHash = "hoist.dev/config-hash"

// configHashes sets AnnotationConfigHash on the pod template of every
// workload that references (volumes, projected volume sources, env
// valueFrom, envFrom) a ConfigMap or Secret among objs. The value is the
// hex SHA-256 of the kind, name, data, binaryData and stringData of each
// referenced object, in kind and name order; a pod referencing none gets
// no annotation. References to objects hoist does not emit (external
// secrets) are left out: hoist cannot see their content.
func configHashes(objs []*unstructured.Unstructured) error {
	type key struct{ kind, name string }
	content := map[key]*unstructured.Unstructured{}
	for _, o := range objs {
		if k := o.GetKind(); (k == "ConfigMap" || k == "Secret") && o.GetAPIVersion() == "v1" {
			content[key{k, o.GetName()}] = o
		}
	}
	if len(content) == 0 {
		return nil
	}
	for _, o := range objs {
		path, ok := workloadPodSpecPath[o.GetKind()]
		if !ok {
			continue
		}
		raw, found, err := unstructured.NestedMap(o.Object, path...)
		if err != nil || !found {
			continue
		}
		var spec corev1.PodSpec
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(raw, &spec); err != nil {
			return fmt.Errorf("%s %q: pod spec: %w", o.GetKind(), o.GetName(), err)
		}
		var refs []key
		for _, r := range podConfigRefs(&spec) {
			k := key{r[0], r[1]}
			if content[k] != nil && !slices.Contains(refs, k) {
				refs = append(refs, k)
			}
		}
		if len(refs) == 0 {
			continue
		}
		slices.SortFunc(refs, func(a, b key) int {
			if a.kind != b.kind {
				return cmp.Compare(a.kind, b.kind)
			}
			return cmp.Compare(a.name, b.name)
		})
		h := sha256.New()
		for _, k := range refs {
			obj := content[k]
			// json.Marshal writes map keys sorted: deterministic.
			b, err := json.Marshal([]any{k.kind, k.name, obj.Object["data"], obj.Object["binaryData"], obj.Object["stringData"]})
			if err != nil {
				return fmt.Errorf("%s %q: %w", k.kind, k.name, err)
			}
			h.Write(b)
			h.Write([]byte{'\n'})
		}
		annPath := append(slices.Clone(path[:len(path)-1]), "metadata", "annotations")
		ann, _, _ := unstructured.NestedStringMap(o.Object, annPath...)
		if ann == nil {
			ann = map[string]string{}
		}
		ann[AnnotationConfigHash] = hex.EncodeToString(h.Sum(nil))
		if err := unstructured.SetNestedStringMap(o.Object, ann, annPath...); err != nil {
			return fmt.Errorf("%s %q: %w", o.GetKind(), o.GetName(), err)
		}
	}
	return nil
}

// podConfigRefs lists the ConfigMaps and Secrets a pod spec references, as
// {kind, name} pairs, with repeats.
func podConfigRefs(spec *corev1.PodSpec) [][2]string {
	var out [][2]string
	cm := func(n string) { out = append(out, [2]string{"ConfigMap", n}) }
	sec := func(n string) { out = append(out, [2]string{"Secret", n}) }
	for _, v := range spec.Volumes {
		if v.ConfigMap != nil {
			cm(v.ConfigMap.Name)
		}
		if v.Secret != nil {
			sec(v.Secret.SecretName)
		}
		if v.Projected != nil {
			for _, s := range v.Projected.Sources {
				if s.ConfigMap != nil {
					cm(s.ConfigMap.Name)
				}
				if s.Secret != nil {
					sec(s.Secret.Name)
				}
			}
		}
	}
	for _, ctr := range slices.Concat(spec.InitContainers, spec.Containers) {
		for _, e := range ctr.EnvFrom {
			if e.ConfigMapRef != nil {
				cm(e.ConfigMapRef.Name)
			}
			if e.SecretRef != nil {
				sec(e.SecretRef.Name)
			}
		}
		for _, e := range ctr.Env {
			if e.ValueFrom == nil {
				continue
			}
			if r := e.ValueFrom.ConfigMapKeyRef; r != nil {
				cm(r.Name)
			}
			if r := e.ValueFrom.SecretKeyRef; r != nil {
				sec(r.Name)
			}
		}
	}
	return out
}
