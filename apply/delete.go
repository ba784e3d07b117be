package apply

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
)

// DeleteOptions tune Delete.
type DeleteOptions struct {
	Project      string
	Tooling      string
	FieldManager string
	DryRun       DryRun
	// Wait returns only once every deleted object is gone.
	Wait    bool
	Timeout time.Duration
	// Warnings receives what delete leaves in place and why.
	Warnings io.Writer
}

// Delete deletes every object in the project's ApplySet, and only those,
// then the ApplySet parent. Namespaces in the set go last. It returns one
// result per deleted object; a project with no ApplySet deletes nothing.
func (c *Client) Delete(ctx context.Context, o DeleteOptions) ([]Result, error) {
	if o.FieldManager == "" {
		o.FieldManager = DefaultFieldManager
	}
	set := newApplySet(o.Project, c.Namespace, o.Tooling, o.FieldManager)
	gks, exists, err := set.current(ctx, c)
	if err != nil || !exists {
		return nil, err
	}
	members, err := set.members(ctx, c, gks)
	if err != nil {
		return nil, err
	}
	var dryRun []string
	if o.DryRun == DryRunServer {
		dryRun = []string{metav1.DryRunAll}
	}
	nsGK := schema.GroupKind{Kind: "Namespace"}
	var results []Result
	var gone []*unstructured.Unstructured
	del := func(u *unstructured.Unstructured) error {
		ref := refOf(u)
		if o.DryRun != DryRunClient {
			m, err := c.mapping(u.GroupVersionKind())
			if err != nil {
				return err
			}
			policy := metav1.DeletePropagationBackground
			err = c.resource(m, u.GetNamespace()).Delete(ctx, u.GetName(), metav1.DeleteOptions{DryRun: dryRun, PropagationPolicy: &policy})
			if apierrors.IsNotFound(err) {
				return nil
			}
			if err != nil {
				return &ObjectError{Ref: ref, Err: fmt.Errorf("deleting: %w", err)}
			}
		}
		results = append(results, Result{Ref: ref, Action: Deleted, DryRun: o.DryRun})
		gone = append(gone, u)
		return nil
	}
	for _, u := range members {
		if u.GroupVersionKind().GroupKind() != nsGK {
			if err := del(u); err != nil {
				return results, err
			}
		}
	}
	if o.DryRun != DryRunClient {
		err := c.dyn.Resource(secretGVR).Namespace(set.namespace).Delete(ctx, set.name, metav1.DeleteOptions{DryRun: dryRun})
		if err != nil && !apierrors.IsNotFound(err) {
			return results, fmt.Errorf("deleting ApplySet parent secret/%s in namespace %s: %w", set.name, set.namespace, err)
		}
	}
	for _, u := range members {
		if u.GroupVersionKind().GroupKind() != nsGK {
			continue
		}
		// A namespace holding objects hoist did not apply stays, with them.
		foreign, err := c.foreignObjects(ctx, u.GetName(), members)
		if err != nil {
			return results, err
		}
		if len(foreign) > 0 {
			if o.Warnings != nil {
				fmt.Fprintf(o.Warnings, "Warning: namespace/%s kept: it holds objects hoist did not apply (%s)\n", u.GetName(), strings.Join(foreign, ", "))
			}
			continue
		}
		if err := del(u); err != nil {
			return results, err
		}
	}
	if o.Wait && o.DryRun == DryRunNone {
		if err := c.waitGone(ctx, gone, o.Timeout); err != nil {
			return results, err
		}
	}
	return results, nil
}

// waitGone watches each object until it is deleted.
func (c *Client) waitGone(ctx context.Context, objs []*unstructured.Unstructured, timeout time.Duration) error {
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for _, u := range objs {
		m, err := c.mapping(u.GroupVersionKind())
		if err != nil {
			return err
		}
		r := c.resource(m, u.GetNamespace())
		for {
			l, err := r.List(ctx, metav1.ListOptions{FieldSelector: "metadata.name=" + u.GetName()})
			if err != nil {
				return waitErr(ctx, refOf(u), err)
			}
			if len(l.Items) == 0 {
				break
			}
			w, err := r.Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=" + u.GetName(), ResourceVersion: l.GetResourceVersion()})
			if err != nil {
				return waitErr(ctx, refOf(u), err)
			}
			deleted := false
			for ev := range w.ResultChan() {
				if ev.Type == watch.Deleted {
					deleted = true
					break
				}
			}
			w.Stop()
			if deleted {
				break
			}
			if ctx.Err() != nil {
				return waitErr(ctx, refOf(u), ctx.Err())
			}
		}
	}
	return nil
}

func waitErr(ctx context.Context, ref Ref, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w waiting for %s to be deleted", ErrTimeout, ref)
	}
	return fmt.Errorf("waiting for %s to be deleted: %w", ref, err)
}

// foreignObjects lists (at most five) objects in namespace ns that are not
// members of the set and not made by Kubernetes itself: objects with an
// owner, events, endpoints, the default ServiceAccount and the root CA
// ConfigMap do not count.
func (c *Client) foreignObjects(ctx context.Context, ns string, members []*unstructured.Unstructured) ([]string, error) {
	isMember := map[Ref]bool{}
	for _, u := range members {
		isMember[refOf(u)] = true
	}
	lists, err := c.discovery.ServerPreferredNamespacedResources()
	if err != nil && len(lists) == 0 {
		return nil, fmt.Errorf("discovering the resources in namespace %s: %w", ns, err)
	}
	var out []string
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			continue
		}
		for _, r := range l.APIResources {
			if strings.Contains(r.Name, "/") || !slices.Contains(r.Verbs, "list") || r.Name == "events" || r.Name == "endpoints" {
				continue
			}
			gvr := gv.WithResource(r.Name)
			items, err := c.dyn.Resource(gvr).Namespace(ns).List(ctx, metav1.ListOptions{Limit: 100})
			if apierrors.IsForbidden(err) || apierrors.IsNotFound(err) || apierrors.IsMethodNotSupported(err) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("listing %s in namespace %s: %w", gvr.GroupResource(), ns, err)
			}
			for _, u := range items.Items {
				u.SetGroupVersionKind(gv.WithKind(r.Kind))
				ref := refOf(&u)
				switch {
				case isMember[ref], len(u.GetOwnerReferences()) > 0,
					r.Kind == "ServiceAccount" && u.GetName() == "default",
					r.Kind == "ConfigMap" && u.GetName() == "kube-root-ca.crt",
					r.Kind == "Secret" && u.GetLabels()[LabelApplySetID] != "":
					continue
				}
				out = append(out, ref.String())
				if len(out) == 5 {
					return out, nil
				}
			}
		}
	}
	return out, nil
}
