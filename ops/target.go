package ops

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/hoist-dev/hoist/convert"
)

// ErrUnknownService is what a service name that is not in the project is.
var ErrUnknownService = errors.New("no such service")

// Target is where one compose service runs on the cluster: a container of
// the pods of one workload.
type Target struct {
	// Service is the compose service's name.
	Service string
	// Workload is the object that owns the pods: a Deployment,
	// StatefulSet, DaemonSet, Job or CronJob; for a service that joins
	// another's pod (network_mode: service:X), X's workload.
	Workload *unstructured.Unstructured
	// Container is the name of the service's container in the pod.
	Container string
	// Selector selects the workload's pods: app.kubernetes.io/name and
	// app.kubernetes.io/part-of, as convert writes them.
	Selector map[string]string
	// Template is the workload's pod template, as converted.
	Template corev1.PodTemplateSpec
}

// Kind is the workload's kind, "Deployment".
func (t Target) Kind() string { return t.Workload.GetKind() }

// Ref is the workload as kubectl names it: "deployment.apps/web".
func (t Target) Ref() string {
	gk := t.Workload.GroupVersionKind().GroupKind()
	kind := strings.ToLower(gk.Kind)
	if gk.Group != "" {
		kind += "." + gk.Group
	}
	return kind + "/" + t.Workload.GetName()
}

// GroupVersionKind is the workload's.
func (t Target) GroupVersionKind() schema.GroupVersionKind { return t.Workload.GroupVersionKind() }

var workloadKinds = map[string]bool{"Deployment": true, "StatefulSet": true, "DaemonSet": true, "Job": true, "CronJob": true}

// Targets finds, for every service of the project, its workload and
// container among the converted objects. A service with no workload of its
// own or of its pod's owner (a top-level job's, none today) is left out.
func Targets(project *types.Project, res *convert.Result) (map[string]Target, error) {
	workloads := map[string]*unstructured.Unstructured{}
	for _, u := range res.Objects {
		if workloadKinds[u.GetKind()] {
			workloads[u.GetName()] = u
		}
	}
	out := map[string]Target{}
	for _, name := range project.ServiceNames() {
		owner := podOwner(project, name)
		ownerName, err := convert.ObjectName(owner)
		if err != nil {
			return nil, fmt.Errorf("service %q: %w", name, err)
		}
		own, err := convert.ObjectName(name)
		if err != nil {
			return nil, fmt.Errorf("service %q: %w", name, err)
		}
		w := workloads[ownerName]
		if w == nil {
			continue
		}
		tmpl, err := podTemplate(w)
		if err != nil {
			return nil, fmt.Errorf("service %q: reading the pod template of %s: %w", name, w.GetName(), err)
		}
		if len(tmpl.Spec.Containers) == 0 {
			continue
		}
		container := tmpl.Spec.Containers[0].Name
		for _, c := range tmpl.Spec.Containers {
			if c.Name == own {
				container = c.Name
			}
		}
		sel := map[string]string{}
		for _, k := range []string{convert.LabelName, convert.LabelPartOf} {
			if v, ok := tmpl.Labels[k]; ok {
				sel[k] = v
			}
		}
		out[name] = Target{Service: name, Workload: w, Container: container, Selector: sel, Template: tmpl}
	}
	return out, nil
}

// podOwner follows network_mode: service:X to the service whose pod the
// service's container joins.
func podOwner(project *types.Project, name string) string {
	seen := map[string]bool{}
	for !seen[name] {
		seen[name] = true
		svc, ok := project.Services[name]
		if !ok {
			return name
		}
		next, ok := strings.CutPrefix(svc.NetworkMode, types.ServicePrefix)
		if !ok {
			return name
		}
		name = next
	}
	return name
}

func podTemplate(w *unstructured.Unstructured) (corev1.PodTemplateSpec, error) {
	path := []string{"spec", "template"}
	if w.GetKind() == "CronJob" {
		path = []string{"spec", "jobTemplate", "spec", "template"}
	}
	var tmpl corev1.PodTemplateSpec
	m, found, err := unstructured.NestedMap(w.Object, path...)
	if err != nil || !found {
		return tmpl, fmt.Errorf("no %s", strings.Join(path, "."))
	}
	err = runtime.DefaultUnstructuredConverter.FromUnstructured(m, &tmpl)
	return tmpl, err
}

// Select returns the targets of the named services in the order given, or
// of every service (sorted by name) when names is empty. A name that is not
// a service of the project is an ErrUnknownService error that lists the
// project's services; a service that runs no pod hoist made is an error
// too.
func Select(project *types.Project, targets map[string]Target, names []string) ([]Target, error) {
	if len(names) == 0 {
		var out []Target
		for _, name := range project.ServiceNames() {
			if t, ok := targets[name]; ok {
				out = append(out, t)
			}
		}
		return out, nil
	}
	var out []Target
	seen := map[string]bool{}
	for _, name := range names {
		if seen[name] {
			continue
		}
		seen[name] = true
		if _, ok := project.Services[name]; !ok {
			return nil, UnknownService(project, name)
		}
		t, ok := targets[name]
		if !ok {
			return nil, fmt.Errorf("service %q: has no workload on the cluster", name)
		}
		out = append(out, t)
	}
	return out, nil
}

// UnknownService is the one-line error for a service name the project
// lacks: `no such service "x" in project "shop" (services: db, web)`.
func UnknownService(project *types.Project, name string) error {
	names := project.ServiceNames()
	sort.Strings(names)
	return fmt.Errorf("%w %q in project %q (services: %s)", ErrUnknownService, name, project.Name, strings.Join(names, ", "))
}
