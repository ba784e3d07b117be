package apply

import (
	"context"
	"sort"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

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
