package convert

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	metavalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// API server limits hoist checks every object against at convert time, so
// that what it prints is what the API server accepts.
const (
	// MaxObjectSize is the largest object, as JSON, in bytes: etcd's
	// default request limit (1.5 MiB).
	MaxObjectSize = 3 << 19
	// MaxDataSize is the most a ConfigMap or Secret may hold (1 MiB,
	// the API server's limit on data plus binaryData).
	MaxDataSize = 1 << 20
	// maxStatefulSetName is the longest StatefulSet name: its pods carry
	// a controller-revision-hash label "<name>-<hash>" (hash up to 10
	// characters) that must stay within 63.
	maxStatefulSetName = 52
)

// checkObjects fails, naming the service (or object) and what is wrong,
// when an object would be refused by the API server: a name that is not a
// valid name of its kind (a Service's must be a DNS-1035 label, a Job's
// and a StatefulSet's must leave room for the labels their controllers
// derive from it), an invalid label or annotation, a ConfigMap or Secret
// over MaxDataSize, an object over MaxObjectSize.
//
// Two objects of one kind and namespace with the same name are an error
// naming the services they come from: names derived from a service's
// (`<service>-published`, `-started`, a schedule's `<job>-<n>`, names cut
// to 63 characters) can meet, and applying both would keep only one.
// jobs are the names of the project's top-level jobs, which label their
// objects as services do.
func checkObjects(objs []*unstructured.Unstructured, jobs map[string]bool) error {
	type objKey struct{ group, kind, namespace, name string }
	seen := make(map[objKey]*unstructured.Unstructured, len(objs))
	for _, o := range objs {
		if err := checkObject(o); err != nil {
			who := objectOwner(o, jobs)
			if obj := kindAndName(o); who != obj {
				who += ": " + obj
			}
			return invalidf("%s: %s", who, err)
		}
		gvk := o.GroupVersionKind()
		k := objKey{gvk.Group, gvk.Kind, o.GetNamespace(), o.GetName()}
		if prev, ok := seen[k]; ok {
			return invalidf("%s and %s: both become %s %q; rename one", objectOwner(prev, jobs), objectOwner(o, jobs), k.kind, k.name)
		}
		seen[k] = o
	}
	return nil
}

// objectOwner names the service or job an object comes from (its
// LabelName), or the object itself when neither made it.
func objectOwner(o *unstructured.Unstructured, jobs map[string]bool) string {
	s := o.GetLabels()[LabelName]
	switch {
	case s == "" || o.GetKind() == "Namespace":
		return kindAndName(o)
	case jobs[s]:
		return fmt.Sprintf("job %q", s)
	}
	return fmt.Sprintf("service %q", s)
}

// kindAndName is an object as messages name it: Kind "name".
func kindAndName(o *unstructured.Unstructured) string {
	return fmt.Sprintf("%s %q", o.GetKind(), o.GetName())
}

func checkObject(o *unstructured.Unstructured) error {
	name := o.GetName()
	var errs []string
	switch o.GetKind() {
	case "Service":
		errs = validation.IsDNS1035Label(name)
	case "Namespace", "Job":
		// A Job's name is the value of its pods' job-name label.
		errs = validation.IsDNS1123Label(name)
	case "StatefulSet":
		errs = validation.IsDNS1123Label(name)
		if len(name) > maxStatefulSetName {
			errs = append(errs, fmt.Sprintf("must be no more than %d characters: its pods' controller-revision-hash label is the name plus an 11-character suffix", maxStatefulSetName))
		}
	case "CronJob":
		errs = validation.IsDNS1123Label(name)
		if len(name) > maxCronJobName {
			errs = append(errs, fmt.Sprintf("must be no more than %d characters: its Jobs are named after it with an 11-character suffix", maxCronJobName))
		}
	default:
		errs = validation.IsDNS1123Subdomain(name)
	}
	if len(errs) > 0 {
		return fmt.Errorf("invalid name: %s", strings.Join(errs, "; "))
	}
	if err := checkMeta(field.NewPath("metadata"), o.Object["metadata"]); err != nil {
		return err
	}
	// Pod templates carry labels and annotations too.
	for _, p := range [][]string{{"spec", "template", "metadata"}, {"spec", "jobTemplate", "spec", "template", "metadata"}, {"spec", "jobTemplate", "metadata"}} {
		if m, ok, _ := unstructured.NestedFieldNoCopy(o.Object, p...); ok {
			if err := checkMeta(field.NewPath(p[0], p[1:]...), m); err != nil {
				return err
			}
		}
	}
	// Claim templates become claims named <template>-<name>-<ordinal>.
	if o.GetKind() == "StatefulSet" {
		vcts, _, _ := unstructured.NestedSlice(o.Object, "spec", "volumeClaimTemplates")
		replicas, ok, _ := unstructured.NestedInt64(o.Object, "spec", "replicas")
		if !ok {
			replicas = 1
		}
		for _, v := range vcts {
			t, _ := v.(map[string]any)
			m, _ := t["metadata"].(map[string]any)
			tn, _ := m["name"].(string)
			claim := fmt.Sprintf("%s-%s-%d", tn, name, max(0, replicas-1))
			if errs := validation.IsDNS1123Subdomain(claim); len(errs) > 0 {
				return fmt.Errorf("volume claim template %q: claim %q: %s", tn, claim, strings.Join(errs, "; "))
			}
		}
	}
	switch o.GetKind() {
	case "ConfigMap", "Secret":
		size := 0
		for _, k := range []string{"data", "binaryData", "stringData"} {
			m, _, _ := unstructured.NestedMap(o.Object, k)
			for key, v := range m {
				s, _ := v.(string)
				if o.GetKind() == "Secret" && k == "data" || k == "binaryData" {
					// Base64 in the object, bytes on the server.
					size += len(key) + len(s)*3/4
				} else {
					size += len(key) + len(s)
				}
			}
		}
		if size > MaxDataSize {
			return fmt.Errorf("holds %d bytes of data, over the API server's limit of %d for a %s", size, MaxDataSize, o.GetKind())
		}
	}
	if path, r, ok := unprintable(o.Object, ""); ok {
		return fmt.Errorf("%s: holds the control character %U, which YAML cannot carry", path, r)
	}
	b, err := json.Marshal(o.Object)
	if err != nil {
		return fmt.Errorf("cannot be written as JSON: %w", err)
	}
	if len(b) > MaxObjectSize {
		return fmt.Errorf("is %d bytes as JSON, over the limit of %d for an object (largest field: %s)", len(b), MaxObjectSize, largestField(o.Object, ""))
	}
	return nil
}

// checkMeta validates labels and annotations with the API server's rules.
func checkMeta(path *field.Path, meta any) error {
	m, _ := meta.(map[string]any)
	labels := map[string]string{}
	ann := map[string]string{}
	if l, ok := m["labels"].(map[string]any); ok {
		for k, v := range l {
			labels[k], _ = v.(string)
		}
	}
	if a, ok := m["annotations"].(map[string]any); ok {
		for k, v := range a {
			ann[k], _ = v.(string)
		}
	}
	errs := metavalidation.ValidateLabels(labels, path.Child("labels"))
	errs = append(errs, apivalidation.ValidateAnnotations(ann, path.Child("annotations"))...)
	if len(errs) > 0 {
		msgs := make([]string, 0, len(errs))
		for _, e := range errs {
			msg := e.Error()
			if len(msg) > 300 {
				msg = msg[:300] + "..."
			}
			msgs = append(msgs, msg)
		}
		sort.Strings(msgs)
		return fmt.Errorf("%s", strings.Join(msgs, "; "))
	}
	return nil
}

// largestField is the path of the biggest string in v.
func largestField(v any, path string) string {
	best, bestLen := path, -1
	var walk func(v any, p string)
	walk = func(v any, p string) {
		switch t := v.(type) {
		case map[string]any:
			for k, e := range t {
				q := k
				if p != "" {
					q = p + "." + k
				}
				walk(e, q)
			}
		case []any:
			for i, e := range t {
				walk(e, p+"["+strconv.Itoa(i)+"]")
			}
		case string:
			if len(t) > bestLen || len(t) == bestLen && p < best {
				best, bestLen = p, len(t)
			}
		}
	}
	walk(v, path)
	return best
}

// unprintable finds a string (or map key) in v holding a character YAML
// streams may not contain (YAML 1.1's printable set, as yaml.v2, which
// sigs.k8s.io/yaml and kubectl use, enforces it).
func unprintable(v any, path string) (string, rune, bool) {
	switch t := v.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(t)) {
			q := k
			if path != "" {
				q = path + "." + k
			}
			if r, ok := badRune(k); ok {
				return q, r, true
			}
			if p, r, ok := unprintable(t[k], q); ok {
				return p, r, true
			}
		}
	case []any:
		for i, e := range t {
			if p, r, ok := unprintable(e, path+"["+strconv.Itoa(i)+"]"); ok {
				return p, r, true
			}
		}
	case string:
		if r, ok := badRune(t); ok {
			return path, r, true
		}
	}
	return "", 0, false
}

func badRune(s string) (rune, bool) {
	for _, r := range s {
		switch {
		case r == '\t' || r == '\n' || r == '\r',
			r >= 0x20 && r <= 0x7e,
			r == 0x85,
			r >= 0xa0 && r <= 0xd7ff,
			r >= 0xe000 && r <= 0xfffd && r != 0xfeff,
			r >= 0x10000 && r <= 0x10ffff:
			continue
		}
		return r, true
	}
	return 0, false
}
