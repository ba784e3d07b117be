package apply

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// StatusRow is one workload of a project on the cluster.
type StatusRow struct {
	Ref Ref
	// Ready is "ready/desired" pods (succeeded/completions for Jobs, the
	// number of running Jobs for CronJobs).
	Ready string
	// State is "running", "progressing", "complete" or "failed"; for
	// CronJobs "scheduled" or "suspended".
	State string
	// Ports are the Service's ports, "80/TCP", or "headless".
	Ports string
	// Autoscale is "MIN-MAX" when an HPA targets the workload.
	Autoscale string
}

// Status lists the project's workloads with their readiness, and the
// Services and autoscalers that go with them, like docker compose ps.
func (c *Client) Status(ctx context.Context, project, fieldManager string) ([]StatusRow, error) {
	if fieldManager == "" {
		fieldManager = DefaultFieldManager
	}
	set := newApplySet(project, c.Namespace, "", fieldManager)
	st, err := set.current(ctx, c)
	if err != nil || !st.exists {
		return nil, err
	}
	gks := st.gks
	// Always look at the kinds ps shows, even when the parent lacks them.
	for _, gk := range []schema.GroupKind{{Kind: "Service"}, {Group: "autoscaling", Kind: "HorizontalPodAutoscaler"}} {
		gks[gk] = true
	}
	members, err := set.members(ctx, c, gks)
	if err != nil {
		return nil, err
	}
	services := map[string]*unstructured.Unstructured{}
	hpas := map[string]*unstructured.Unstructured{}
	var rows []StatusRow
	for _, u := range members {
		switch gk := u.GroupVersionKind().GroupKind(); {
		case gk == schema.GroupKind{Kind: "Service"}:
			services[u.GetName()] = u
		case gk.Kind == "HorizontalPodAutoscaler":
			target, _, _ := unstructured.NestedString(u.Object, "spec", "scaleTargetRef", "name")
			hpas[target] = u
		case gk == schema.GroupKind{Group: "batch", Kind: "CronJob"}:
			// A CronJob has no rollout: it is scheduled once created.
			state := "scheduled"
			if suspend, _, _ := unstructured.NestedBool(u.Object, "spec", "suspend"); suspend {
				state = "suspended"
			}
			active, _, _ := unstructured.NestedSlice(u.Object, "status", "active")
			rows = append(rows, StatusRow{Ref: refOf(u), Ready: fmt.Sprintf("%d active", len(active)), State: state})
		case workloadKinds[gk]:
			st := evaluate(u)
			state := "progressing"
			switch {
			case st.failed != nil:
				state = "failed"
			case st.ready && gk.Kind == "Job":
				state = "complete"
			case st.ready:
				state = "running"
			}
			rows = append(rows, StatusRow{Ref: refOf(u), Ready: st.progress, State: state})
		}
	}
	for i := range rows {
		name := rows[i].Ref.Name
		if s := services[name]; s != nil {
			rows[i].Ports = servicePorts(s)
		}
		if h := hpas[name]; h != nil {
			lo, found, _ := unstructured.NestedInt64(h.Object, "spec", "minReplicas")
			if !found {
				lo = 1
			}
			hi, _, _ := unstructured.NestedInt64(h.Object, "spec", "maxReplicas")
			rows[i].Autoscale = fmt.Sprintf("%d-%d", lo, hi)
		}
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Ref.String() < rows[j].Ref.String() })
	return rows, nil
}

func servicePorts(s *unstructured.Unstructured) string {
	ports, _, _ := unstructured.NestedSlice(s.Object, "spec", "ports")
	typ, _, _ := unstructured.NestedString(s.Object, "spec", "type")
	var l []string
	for _, p := range ports {
		m, _ := p.(map[string]any)
		l = append(l, fmt.Sprintf("%v/%v", m["port"], m["protocol"]))
	}
	if len(l) == 0 {
		return "headless"
	}
	out := strings.Join(l, ",")
	if typ != "" && typ != "ClusterIP" {
		out = typ + " " + out
	}
	return out
}

// ProjectRow is one project hoist manages, read from its ApplySet parent.
type ProjectRow struct {
	// Name is the project's (the parent Secret's) name.
	Name      string
	Namespace string
	// Ready and Total count the project's workloads (Deployments,
	// StatefulSets, DaemonSets, Jobs) that are ready, and all of them.
	Ready, Total int
	// LastApplied is when the parent was last written (its newest
	// managedFields time); zero when unknown.
	LastApplied time.Time
	// Version is the hoist version that last applied it, from the
	// applyset.kubernetes.io/tooling annotation ("v0.3.0").
	Version string
}

// Projects lists the projects hoist manages in the client's namespace, or
// in every namespace when all is set: the Secrets labelled
// applyset.kubernetes.io/id whose tooling annotation is hoist's, sorted by
// namespace then name, with their workloads' readiness.
func (c *Client) Projects(ctx context.Context, all bool, fieldManager string) ([]ProjectRow, error) {
	ns := c.Namespace
	if all {
		ns = ""
	}
	op := "listing ApplySet parents" + where(ns)
	if all {
		op = "listing ApplySet parents in all namespaces"
	}
	var rows []ProjectRow
	err := c.retry(ctx, op, func(ctx context.Context) error {
		list, err := c.dyn.Resource(secretGVR).Namespace(ns).List(ctx, metav1.ListOptions{LabelSelector: LabelApplySetID})
		if err != nil {
			return err
		}
		rows = rows[:0]
		for _, u := range list.Items {
			tool, ok := strings.CutPrefix(u.GetAnnotations()[AnnotationTooling], ToolName+"/")
			if !ok {
				continue
			}
			set := newApplySet(u.GetName(), u.GetNamespace(), "", DefaultFieldManager)
			if u.GetLabels()[LabelApplySetID] != set.ID() {
				continue
			}
			r := ProjectRow{Name: u.GetName(), Namespace: u.GetNamespace(), Version: tool}
			for _, mf := range u.GetManagedFields() {
				if mf.Time != nil && mf.Time.After(r.LastApplied) {
					r.LastApplied = mf.Time.Time
				}
			}
			rows = append(rows, r)
		}
		return nil
	})
	if err != nil {
		return nil, withOp(op, err)
	}
	for i := range rows {
		cc := *c
		cc.Namespace = rows[i].Namespace
		st, err := cc.Status(ctx, rows[i].Name, fieldManager)
		if err != nil {
			return nil, err
		}
		for _, s := range st {
			if s.State == "scheduled" || s.State == "suspended" {
				continue
			}
			rows[i].Total++
			if s.State == "running" || s.State == "complete" {
				rows[i].Ready++
			}
		}
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Namespace != rows[j].Namespace {
			return rows[i].Namespace < rows[j].Namespace
		}
		return rows[i].Name < rows[j].Name
	})
	return rows, nil
}
