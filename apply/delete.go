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
	// The claims a StatefulSet made from its volumeClaimTemplates are not
	// members: like kubectl and helm, delete leaves them, and their data,
	// unless the namespace goes.
	claims, err := c.templateClaims(ctx, set.namespace, members)
	if err != nil {
		return results, err
	}
	nsDeleted := false
	for _, u := range members {
		if u.GroupVersionKind().GroupKind() != nsGK {
			continue
		}
		// A namespace holding objects hoist did not apply stays, with them.
		foreign, err := c.foreignObjects(ctx, u.GetName(), members, claims)
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
		if u.GetName() == set.namespace {
			nsDeleted = true
		}
	}
	if !nsDeleted {
		warnClaims(o.Warnings, claims)
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

// warnClaims names the StatefulSet claims left in place.
func warnClaims(w io.Writer, claims map[Ref]string) {
	if w == nil {
		return
	}
	var refs []Ref
	for ref := range claims {
		refs = append(refs, ref)
	}
	slices.SortFunc(refs, func(a, b Ref) int { return strings.Compare(a.String(), b.String()) })
	for _, ref := range refs {
		fmt.Fprintf(w, "Warning: %s kept: statefulset.apps/%s made it from a volumeClaimTemplate; delete it to drop its data\n", ref, claims[ref])
	}
}

// templateClaims finds the claims in namespace ns that the member
// StatefulSets made from their volumeClaimTemplates (named
// <template>-<statefulset>-<ordinal>, with the StatefulSet's selector
// labels), each with its StatefulSet's name.
func (c *Client) templateClaims(ctx context.Context, ns string, members []*unstructured.Unstructured) (map[Ref]string, error) {
	type owner struct {
		name     string
		prefixes []string
		selector map[string]string
	}
	var owners []owner
	for _, u := range members {
		if u.GroupVersionKind().GroupKind() != (schema.GroupKind{Group: "apps", Kind: "StatefulSet"}) || u.GetNamespace() != ns {
			continue
		}
		templates, _, _ := unstructured.NestedSlice(u.Object, "spec", "volumeClaimTemplates")
		sel, _, _ := unstructured.NestedStringMap(u.Object, "spec", "selector", "matchLabels")
		o := owner{name: u.GetName(), selector: sel}
		for _, t := range templates {
			m, _ := t.(map[string]any)
			if name, _, _ := unstructured.NestedString(m, "metadata", "name"); name != "" {
				o.prefixes = append(o.prefixes, name+"-"+u.GetName()+"-")
			}
		}
		if len(o.prefixes) > 0 {
			owners = append(owners, o)
		}
	}
	if len(owners) == 0 {
		return nil, nil
	}
	l, err := c.dyn.Resource(claimsGVR).Namespace(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing persistentvolumeclaims in namespace %s: %w", ns, err)
	}
	out := map[Ref]string{}
	for i := range l.Items {
		pvc := &l.Items[i]
		pvc.SetGroupVersionKind(schema.GroupVersionKind{Version: "v1", Kind: "PersistentVolumeClaim"})
		for _, o := range owners {
			if madeFrom(pvc, o.prefixes, o.selector) {
				out[refOf(pvc)] = o.name
			}
		}
	}
	return out, nil
}

func madeFrom(pvc *unstructured.Unstructured, prefixes []string, selector map[string]string) bool {
	labels := pvc.GetLabels()
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	for _, p := range prefixes {
		ordinal, ok := strings.CutPrefix(pvc.GetName(), p)
		if ok && ordinal != "" && strings.Trim(ordinal, "0123456789") == "" {
			return true
		}
	}
	return false
}

// foreignObjects lists (at most five) objects in namespace ns that are not
// members of the set and not made by Kubernetes itself: objects with an
// owner, events, endpoints, the default ServiceAccount and the root CA
// ConfigMap do not count.
func (c *Client) foreignObjects(ctx context.Context, ns string, members []*unstructured.Unstructured, claims map[Ref]string) ([]string, error) {
	isMember := map[Ref]bool{}
	for _, u := range members {
		isMember[refOf(u)] = true
	}
	for ref := range claims {
		isMember[ref] = true
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
