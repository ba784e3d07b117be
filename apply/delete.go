package apply

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
)

// DeleteOptions tune Delete.
type DeleteOptions struct {
	Project      string
	Tooling      string
	FieldManager string
	DryRun       DryRun
	// Volumes also deletes the project's PersistentVolumeClaims, those of
	// named volumes and those a StatefulSet made from its templates, as
	// `docker compose down --volumes` removes volumes. Without it they
	// stay, with their data, and so does the namespace holding them; the
	// ApplySet keeps recording the claims, so a later delete with Volumes
	// still finds them.
	Volumes bool
	// Wait returns only once every deleted object is gone.
	Wait    bool
	Timeout time.Duration
	// Warnings receives what delete leaves in place and why.
	Warnings io.Writer
	// Origin is where the project is, when its files were loaded; a zero
	// Origin (a project named with -p only) is not checked.
	Origin Origin
	// Takeover (--force) deletes the set even when it was last applied
	// from another Origin; without it, Delete refuses.
	Takeover bool
}

// Delete deletes every object in the project's ApplySet, and only those,
// then the ApplySet parent. Namespaces in the set go last. It returns one
// result per deleted object; a project with no ApplySet deletes nothing.
func (c *Client) Delete(ctx context.Context, o DeleteOptions) ([]Result, error) {
	if o.FieldManager == "" {
		o.FieldManager = DefaultFieldManager
	}
	set := newApplySet(o.Project, c.Namespace, o.Tooling, o.FieldManager)
	set.origin = o.Origin
	st, err := set.current(ctx, c)
	if err != nil || !st.exists {
		return nil, err
	}
	gks := st.gks
	if set.foreign(st) && !o.Takeover {
		theirs, ours := describeOrigins(st.origin, set.origin)
		return nil, optionErrorf("refusing to delete project %q in namespace %s: ApplySet parent secret/%s was last applied from %s, not from this project's %s; run with %v to delete it anyway", set.name, set.namespace, set.name, theirs, ours, OptionTakeover)
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
			err = c.retry(ctx, "deleting "+ref.String()+where(ref.Namespace), func(ctx context.Context) error {
				return c.resource(m, u.GetNamespace()).Delete(ctx, u.GetName(), metav1.DeleteOptions{DryRun: dryRun, PropagationPolicy: &policy})
			})
			if apierrors.IsNotFound(err) {
				return nil
			}
			if errors.Is(err, ErrUnreachable) {
				return err
			}
			if err != nil {
				return &ObjectError{Ref: ref, Verb: "deleting", Err: err}
			}
		}
		results = append(results, Result{Ref: ref, Action: Deleted, DryRun: o.DryRun})
		gone = append(gone, u)
		return nil
	}
	// The claims a StatefulSet made from its volumeClaimTemplates are not
	// members; they hold data like the claims of named volumes.
	claims, err := c.templateClaims(ctx, set.namespace, members)
	if err != nil {
		return results, err
	}
	var keptVolumes []string
	for _, u := range members {
		switch gk := u.GroupVersionKind().GroupKind(); {
		case gk == nsGK:
		case gk == claimGK && !o.Volumes:
			keptVolumes = append(keptVolumes, refOf(u).String())
		default:
			if err := del(u); err != nil {
				return results, err
			}
		}
	}
	if o.Volumes {
		for _, ref := range sortedRefs(claims) {
			if err := del(claimObject(ref)); err != nil {
				return results, err
			}
		}
	} else {
		for _, ref := range sortedRefs(claims) {
			keptVolumes = append(keptVolumes, ref.String())
		}
		if o.DryRun != DryRunClient {
			if err := c.adoptClaims(ctx, set, claims, dryRun); err != nil {
				return results, err
			}
		}
	}
	if len(keptVolumes) > 0 && o.Warnings != nil {
		fmt.Fprintf(o.Warnings, "Warning: volumes kept, with their data: %s (delete them with --volumes)\n", strings.Join(keptVolumes, ", "))
	}
	if o.DryRun != DryRunClient {
		var err error
		if len(keptVolumes) > 0 {
			// The set goes on recording the claims it keeps (and its
			// namespace), so that delete --volumes finds them later.
			kept := map[schema.GroupKind]bool{claimGK: true}
			if gks[nsGK] {
				kept[nsGK] = true
			}
			err = set.write(ctx, c, kept, dryRun)
		} else {
			op := "deleting ApplySet parent secret/" + set.name + where(set.namespace)
			err = c.retry(ctx, op, func(ctx context.Context) error {
				return c.dyn.Resource(secretGVR).Namespace(set.namespace).Delete(ctx, set.name, metav1.DeleteOptions{DryRun: dryRun})
			})
			if apierrors.IsNotFound(err) {
				err = nil
			} else if err != nil {
				err = withOp(op, err)
			}
		}
		if err != nil {
			return results, err
		}
	}
	for _, u := range members {
		if u.GroupVersionKind().GroupKind() != nsGK {
			continue
		}
		if len(keptVolumes) > 0 && u.GetName() == set.namespace {
			if o.Warnings != nil {
				fmt.Fprintf(o.Warnings, "Warning: namespace/%s kept: it holds the kept volumes\n", u.GetName())
			}
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
	}
	if o.Wait && o.DryRun == DryRunNone {
		if err := c.waitGone(ctx, gone, o.Timeout); err != nil {
			return results, err
		}
	}
	return results, nil
}

// waitGone waits until each object is deleted: an informer on its name
// (see inform) ends when it sees the object deleted, or finds it gone once
// it has listed.
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
		if err := c.untilGone(ctx, m, u); err != nil {
			return err
		}
	}
	return nil
}

func (c *Client) untilGone(ctx context.Context, m *meta.RESTMapping, u *unstructured.Unstructured) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	deleted := make(chan struct{})
	var once sync.Once
	errc := make(chan error, 1)
	op := "waiting for " + refOf(u).String() + where(u.GetNamespace()) + " to be deleted"
	inf, err := c.inform(ctx, op, m, u.GetNamespace(), "metadata.name="+u.GetName(), cache.ResourceEventHandlerFuncs{
		DeleteFunc: func(any) { once.Do(func() { close(deleted) }) },
	}, errc)
	if err != nil {
		return err
	}
	synced := make(chan struct{})
	go func() {
		if cache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
			close(synced)
		}
	}()
	for {
		select {
		case <-deleted:
			return nil
		case <-synced:
			if len(inf.GetStore().List()) == 0 {
				return nil
			}
			synced = nil
		case err := <-errc:
			if ctx.Err() == nil {
				return err
			}
		case <-ctx.Done():
			return fmt.Errorf("%w waiting for %s to be deleted", ErrTimeout, refOf(u))
		}
	}
}

// adoptClaims makes the claims StatefulSets made from their templates
// members of the set, so that a later delete --volumes finds them once
// their StatefulSets are gone.
func (c *Client) adoptClaims(ctx context.Context, set *applySet, claims map[Ref]string, dryRun []string) error {
	patch := []byte(fmt.Sprintf(`{"metadata":{"labels":{%q:%q}}}`, LabelApplySetPartOf, set.ID()))
	for _, ref := range sortedRefs(claims) {
		err := c.retry(ctx, "recording "+ref.String()+where(ref.Namespace)+" in the ApplySet", func(ctx context.Context) error {
			_, err := c.dyn.Resource(claimsGVR).Namespace(ref.Namespace).Patch(ctx, ref.Name, types.MergePatchType, patch, metav1.PatchOptions{DryRun: dryRun})
			return err
		})
		if errors.Is(err, ErrUnreachable) {
			return err
		}
		if err != nil && !apierrors.IsNotFound(err) {
			return &ObjectError{Ref: ref, Verb: "recording the kept claim in the ApplySet", Err: err}
		}
	}
	return nil
}

// claimGK is the group kind of PersistentVolumeClaims.
var claimGK = schema.GroupKind{Kind: "PersistentVolumeClaim"}

func sortedRefs(claims map[Ref]string) []Ref {
	var refs []Ref
	for ref := range claims {
		refs = append(refs, ref)
	}
	slices.SortFunc(refs, func(a, b Ref) int { return strings.Compare(a.String(), b.String()) })
	return refs
}

// claimObject is a claim to delete, by reference.
func claimObject(ref Ref) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("v1")
	u.SetKind("PersistentVolumeClaim")
	u.SetNamespace(ref.Namespace)
	u.SetName(ref.Name)
	return u
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
	op := "listing persistentvolumeclaims" + where(ns)
	var l *unstructured.UnstructuredList
	err := c.retry(ctx, op, func(ctx context.Context) (err error) {
		l, err = c.dyn.Resource(claimsGVR).Namespace(ns).List(ctx, metav1.ListOptions{})
		return err
	})
	if err != nil {
		return nil, withOp(op, err)
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
			op := "listing " + gvr.GroupResource().String() + where(ns)
			var items *unstructured.UnstructuredList
			err = c.retry(ctx, op, func(ctx context.Context) (err error) {
				items, err = c.dyn.Resource(gvr).Namespace(ns).List(ctx, metav1.ListOptions{Limit: 100})
				return err
			})
			if apierrors.IsForbidden(err) || apierrors.IsNotFound(err) || apierrors.IsMethodNotSupported(err) {
				continue
			}
			if err != nil {
				return nil, withOp(op, err)
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
