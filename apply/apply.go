package apply

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// DefaultFieldManager owns the fields hoist applies.
const DefaultFieldManager = "hoist"

// AnnotationAppliedHash records the hash of what hoist last applied, so a
// re-apply can skip objects that already hold it.
const AnnotationAppliedHash = "hoist.dev/applied-hash"

// DryRun is --dry-run.
type DryRun string

// Dry-run strategies, as kubectl names them.
const (
	DryRunNone   DryRun = "none"
	DryRunClient DryRun = "client"
	DryRunServer DryRun = "server"
)

// ParseDryRun accepts none, client or server.
func ParseDryRun(s string) (DryRun, error) {
	switch d := DryRun(s); d {
	case DryRunNone, DryRunClient, DryRunServer:
		return d, nil
	case "":
		return DryRunNone, nil
	}
	return "", fmt.Errorf("--dry-run %q: want none, client or server", s)
}

// Action is what happened to an object.
type Action string

// Actions.
const (
	Created    Action = "created"
	Configured Action = "configured"
	Unchanged  Action = "unchanged"
	Pruned     Action = "pruned"
	Deleted    Action = "deleted"
)

// Result is one object's outcome.
type Result struct {
	Ref    Ref
	Action Action
	DryRun DryRun
}

// String is kubectl's result line: "deployment.apps/web created".
func (r Result) String() string {
	s := r.Ref.String() + " " + string(r.Action)
	switch r.DryRun {
	case DryRunClient:
		s += " (dry run)"
	case DryRunServer:
		s += " (server dry run)"
	}
	return s
}

// Options tune Apply.
type Options struct {
	// Project names the ApplySet parent Secret.
	Project string
	// Tooling is the ApplySet tooling annotation, "hoist/<semver>".
	Tooling      string
	FieldManager string
	Force        bool
	DryRun       DryRun
	// Prune deletes the set's objects that are no longer in objs.
	Prune bool
	// Concurrency bounds parallel requests; 0 means 16.
	Concurrency int
	// Warnings receives what prune leaves in place and why.
	Warnings io.Writer
	// Timeout bounds the whole apply, retries and prune included; 0
	// means no bound but the caller's context. When it passes while the
	// server does not answer, the error is an *UnreachableError.
	Timeout time.Duration
	// Origin is where the project is applied from; the ApplySet parent
	// records it. A zero Origin is unknown: nothing is checked.
	Origin Origin
	// Takeover (--force) lets prune delete objects of a project of the
	// same name that was last applied from another Origin; without it,
	// such a prune is refused before anything is applied.
	Takeover bool
}

// ObjectError is a failure of one object: Verb is what hoist was doing
// ("applying", "pruning", "deleting"); "applying" when empty.
type ObjectError struct {
	Ref  Ref
	Verb string
	Err  error
}

// Error names the verb, the object and its namespace (or that it is
// cluster-scoped): "applying deployment.apps/web in namespace shop: ...".
func (e *ObjectError) Error() string {
	verb := e.Verb
	if verb == "" {
		verb = "applying"
	}
	return fmt.Sprintf("%s %s%s: %v", verb, e.Ref, where(e.Ref.Namespace), e.Err)
}
func (e *ObjectError) Unwrap() error { return e.Err }

// conflictHint is kubectl's advice on a field manager conflict.
const conflictHint = `Please review the fields above--they currently have other managers. Here
are the ways you can resolve this warning:
* If you intend to manage all of these fields, please re-run the apply
  command with the ` + "`--force-conflicts`" + ` flag.
* If you do not intend to manage all of the fields, please edit your
  manifest to remove references to the fields that should keep their
  current managers.
* You may co-own fields by updating your manifest to match the existing
  value; in this case, you'll become the manager if the other manager(s)
  stop managing the field (remove it from their configuration).
See https://kubernetes.io/docs/reference/using-api/server-side-apply/#conflicts`

// IsConflict reports whether err is a field manager conflict.
func IsConflict(err error) bool { return apierrors.IsConflict(err) }

// ConflictHint returns kubectl's remediation text for conflicts.
func ConflictHint() string { return conflictHint }

// prepared is one object ready to apply.
type prepared struct {
	obj     *unstructured.Unstructured
	mapping *meta.RESTMapping
	ref     Ref
}

// Apply server-side applies objs: Namespaces first, then the rest, with
// bounded concurrency, and returns one result per object in input order,
// then the pruned objects. Objects without a namespace get the client's.
func (c *Client) Apply(ctx context.Context, objs []*unstructured.Unstructured, o Options) ([]Result, error) {
	results, err := c.apply(ctx, objs, o)
	if err == nil || ctx.Err() != nil {
		return results, err
	}
	if ue := firstUnreachable([]error{err}); ue != nil {
		return results, ue
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return results, fmt.Errorf("%w after %s (--timeout) applying the project: %d of %d objects applied", ErrTimeout, o.Timeout, len(done(results)), len(objs))
	}
	return results, err
}

func (c *Client) apply(ctx context.Context, objs []*unstructured.Unstructured, o Options) ([]Result, error) {
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Timeout)
		defer cancel()
	}
	set, objects, err := c.start(ctx, objs, &o)
	if err != nil {
		return nil, err
	}
	var dryRun []string
	if o.DryRun == DryRunServer {
		dryRun = []string{metav1.DryRunAll}
	}

	newGKs := map[schema.GroupKind]bool{}
	for _, p := range objects {
		newGKs[p.ref.GroupKind] = true
	}
	var stages [2][]int
	for i, p := range objects {
		if p.ref.GroupKind == (schema.GroupKind{Kind: "Namespace"}) || p.ref.GroupKind.Kind == "CustomResourceDefinition" {
			stages[0] = append(stages[0], i)
		} else {
			stages[1] = append(stages[1], i)
		}
	}
	// Read the parent before anything is written: prune must not delete
	// what another project of the same name applied (a missing namespace
	// holds no parent).
	parent, err := set.current(ctx, c)
	if err != nil {
		return nil, err
	}
	if err := c.checkOrigin(ctx, set, parent, objects, o); err != nil {
		return nil, err
	}
	oldGKs := parent.gks
	results := make([]Result, len(objects))
	var errs []error
	for s, stage := range stages {
		if s == 1 && o.DryRun == DryRunNone && (!parent.exists || !covers(oldGKs, newGKs) || set.originChanged(parent)) {
			// The parent lives in the namespace, which stage 0 created.
			// Widen it to old and new kinds before anything new exists.
			if err := set.write(ctx, c, union(oldGKs, newGKs), nil); err != nil {
				return done(results), err
			}
		}
		live, err := c.liveObjects(ctx, objects, stage)
		if err != nil {
			return done(results), err
		}
		errs = append(errs, c.applyStage(ctx, objects, stage, live, o, dryRun, results)...)
		if ctx.Err() != nil {
			if ue := firstUnreachable(errs); ue != nil {
				return done(results), ue
			}
			return done(results), ctx.Err()
		}
		if len(errs) > 0 && s == 0 {
			break
		}
	}
	if len(errs) > 0 {
		return done(results), joinObjectErrors(errs)
	}
	if o.Prune {
		pruned, kept, err := c.prune(ctx, set, union(oldGKs, newGKs), objects, o.DryRun, dryRun, o.Warnings)
		results = append(results, pruned...)
		if err != nil {
			return results, err
		}
		if final := union(newGKs, kept); o.DryRun == DryRunNone && !sameGKs(oldGKs, final) {
			if err := set.write(ctx, c, final, nil); err != nil {
				return results, err
			}
		}
	}
	return results, nil
}

// checkOrigin looks, before anything is written, for the set's objects
// that this project lacks when the set was last applied from another
// project of the same name (another Origin): prune would delete them, so
// it refuses, unless Takeover; a plain apply warns, as docker compose
// warns about orphan containers.
func (c *Client) checkOrigin(ctx context.Context, set *applySet, st parentState, objects []prepared, o Options) error {
	if !set.foreign(st) {
		return nil
	}
	members, err := set.members(ctx, c, st.gks)
	if err != nil {
		return err
	}
	keep := map[Ref]bool{}
	for _, p := range objects {
		keep[p.ref] = true
	}
	var orphans []string
	for _, u := range members {
		ref := refOf(u)
		// Prune never deletes Namespaces and claims.
		if keep[ref] || ref.GroupKind == (schema.GroupKind{Kind: "Namespace"}) || ref.GroupKind == claimGK {
			continue
		}
		orphans = append(orphans, ref.String())
	}
	if len(orphans) == 0 {
		return nil
	}
	names := strings.Join(orphans, ", ")
	if len(orphans) > 5 {
		names = fmt.Sprintf("%s and %d more", strings.Join(orphans[:5], ", "), len(orphans)-5)
	}
	theirs, ours := describeOrigins(st.origin, set.origin)
	if o.Prune && !o.Takeover {
		return fmt.Errorf("refusing to prune orphan objects (%s) of project %q: ApplySet parent secret/%s in namespace %s was last applied from %s, not from this project's %s; run with --force to prune them, or give this project another name with -p",
			names, set.name, set.name, set.namespace, theirs, ours)
	}
	if !o.Prune && o.Warnings != nil {
		fmt.Fprintf(o.Warnings, "Warning: found orphan objects (%s) for project %q, last applied from %s (ApplySet parent secret/%s in namespace %s). If you removed or renamed these services, run hoist up --force to clean them up; if they belong to another project, give this one another name with -p\n",
			names, set.name, theirs, set.name, set.namespace)
	}
	return nil
}

// start fills in o's defaults and prepares objs as members of o's set.
func (c *Client) start(ctx context.Context, objs []*unstructured.Unstructured, o *Options) (*applySet, []prepared, error) {
	if o.FieldManager == "" {
		o.FieldManager = DefaultFieldManager
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 16
	}
	set := newApplySet(o.Project, c.Namespace, o.Tooling, o.FieldManager)
	set.origin = o.Origin
	objects, err := c.prepare(ctx, objs, set.ID())
	return set, objects, err
}

// done keeps the results of objects that were handled, dropping those a
// failure or an interrupt left without an outcome.
func done(results []Result) []Result {
	out := results[:0:0]
	for _, r := range results {
		if r.Action != "" {
			out = append(out, r)
		}
	}
	return out
}

func union(a, b map[schema.GroupKind]bool) map[schema.GroupKind]bool {
	u := make(map[schema.GroupKind]bool, len(a)+len(b))
	for gk := range a {
		u[gk] = true
	}
	for gk := range b {
		u[gk] = true
	}
	return u
}

func covers(a, b map[schema.GroupKind]bool) bool {
	for gk := range b {
		if !a[gk] {
			return false
		}
	}
	return true
}

func sameGKs(a, b map[schema.GroupKind]bool) bool { return len(a) == len(b) && covers(a, b) }

// prepare maps every object to its resource, sets missing namespaces,
// labels it as a member of the set and records the applied hash.
func (c *Client) prepare(ctx context.Context, objs []*unstructured.Unstructured, setID string) ([]prepared, error) {
	out := make([]prepared, 0, len(objs))
	for _, o := range objs {
		u := o.DeepCopy()
		// The first mapping reads the server's discovery documents.
		var m *meta.RESTMapping
		op := "finding the resource of " + refOf(u).String()
		err := c.retry(ctx, op, func(context.Context) (err error) {
			m, err = c.mapping(u.GroupVersionKind())
			return err
		})
		if errors.Is(err, ErrUnreachable) {
			return nil, err
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", refOf(u), err)
		}
		if m.Scope.Name() == meta.RESTScopeNameNamespace {
			if u.GetNamespace() == "" {
				u.SetNamespace(c.Namespace)
			} else if u.GetNamespace() != c.Namespace {
				return nil, fmt.Errorf("%s: namespace %q differs from the target namespace %q", refOf(u), u.GetNamespace(), c.Namespace)
			}
		} else {
			u.SetNamespace("")
		}
		labels := u.GetLabels()
		if labels == nil {
			labels = map[string]string{}
		}
		labels[LabelApplySetPartOf] = setID
		u.SetLabels(labels)
		b, err := json.Marshal(u.Object)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", refOf(u), err)
		}
		sum := sha256.Sum256(b)
		ann := u.GetAnnotations()
		if ann == nil {
			ann = map[string]string{}
		}
		ann[AnnotationAppliedHash] = hex.EncodeToString(sum[:12])
		u.SetAnnotations(ann)
		out = append(out, prepared{obj: u, mapping: m, ref: refOf(u)})
	}
	return out, nil
}

// liveObjects lists, once per resource and all resources at once, the live
// objects of a stage's kinds, keyed by reference.
func (c *Client) liveObjects(ctx context.Context, objects []prepared, stage []int) (map[Ref]*unstructured.Unstructured, error) {
	type target struct {
		mapping *meta.RESTMapping
		ns      string
	}
	var targets []target
	listed := map[schema.GroupVersionResource]bool{}
	for _, i := range stage {
		p := objects[i]
		if !listed[p.mapping.Resource] {
			listed[p.mapping.Resource] = true
			targets = append(targets, target{p.mapping, p.obj.GetNamespace()})
		}
	}
	lists := make([][]*unstructured.Unstructured, len(targets))
	errs := make([]error, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			items, err := c.list(ctx, t.mapping, t.ns, "")
			if err != nil && !apierrors.IsNotFound(err) { // NotFound: no namespace yet
				errs[i] = err
			}
			lists[i] = items
		}()
	}
	wg.Wait()
	if ue := firstUnreachable(errs); ue != nil {
		return nil, ue
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	live := map[Ref]*unstructured.Unstructured{}
	for _, items := range lists {
		for _, u := range items {
			live[refOf(u)] = u
		}
	}
	return live, nil
}

// list pages through the objects of a resource in a namespace.
func (c *Client) list(ctx context.Context, m *meta.RESTMapping, ns, selector string) ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	if m.Scope.Name() == meta.RESTScopeNameRoot {
		ns = ""
	}
	op := "listing " + m.Resource.GroupResource().String() + where(ns)
	opts := metav1.ListOptions{LabelSelector: selector, Limit: 500}
	for {
		var l *unstructured.UnstructuredList
		err := c.retry(ctx, op, func(ctx context.Context) (err error) {
			l, err = c.resource(m, ns).List(ctx, opts)
			return err
		})
		if err != nil {
			return nil, withOp(op, err)
		}
		for i := range l.Items {
			u := l.Items[i]
			u.SetGroupVersionKind(m.GroupVersionKind)
			out = append(out, &u)
		}
		if opts.Continue = l.GetContinue(); opts.Continue == "" {
			return out, nil
		}
	}
}

// applyStage applies a stage's objects with bounded concurrency.
func (c *Client) applyStage(ctx context.Context, objects []prepared, stage []int, live map[Ref]*unstructured.Unstructured, o Options, dryRun []string, results []Result) []error {
	// Each goroutine writes only its own index of results and errs. Once
	// one object finds the server unreachable, the others stop: that one
	// error says it all.
	var (
		errs = make([]error, len(objects))
		wg   sync.WaitGroup
		sem  = make(chan struct{}, o.Concurrency)
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for _, i := range stage {
		if ctx.Err() != nil {
			break
		}
		p := objects[i]
		existing := live[p.ref]
		results[i] = Result{Ref: p.ref, DryRun: o.DryRun}
		if existing != nil && holds(existing, p.obj) {
			results[i].Action = Unchanged
			continue
		}
		if existing != nil && p.ref.GroupKind.Kind == "Namespace" && existing.GetLabels()[LabelApplySetPartOf] != p.obj.GetLabels()[LabelApplySetPartOf] {
			// A namespace hoist did not create is used, never adopted: it
			// must not become a member that delete would remove.
			results[i].Action = Unchanged
			continue
		}
		if o.DryRun == DryRunClient {
			results[i].Action = Configured
			if existing == nil {
				results[i].Action = Created
			}
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			action, err := c.applyOne(ctx, p, existing, o, dryRun)
			results[i].Action = action
			switch {
			case err == nil:
			case errors.Is(err, ErrUnreachable):
				errs[i] = err
				cancel()
			case ctx.Err() != nil:
				errs[i] = ctx.Err()
			default:
				errs[i] = &ObjectError{Ref: p.ref, Err: err}
			}
		}()
	}
	wg.Wait()
	if ue := firstUnreachable(errs); ue != nil {
		return []error{ue}
	}
	var out []error
	for _, i := range stage {
		if errs[i] != nil {
			out = append(out, errs[i])
		}
	}
	return out
}

func (c *Client) applyOne(ctx context.Context, p prepared, existing *unstructured.Unstructured, o Options, dryRun []string) (Action, error) {
	r := c.resource(p.mapping, p.obj.GetNamespace())
	op := "applying " + p.ref.String() + where(p.ref.Namespace)
	ssa := func(dryRun []string) (got *unstructured.Unstructured, err error) {
		err = c.retry(ctx, op, func(ctx context.Context) (err error) {
			got, err = r.Apply(ctx, p.obj.GetName(), p.obj, metav1.ApplyOptions{FieldManager: o.FieldManager, Force: o.Force, DryRun: dryRun})
			return err
		})
		return got, err
	}
	if why := mustReplace(existing, p.obj); why != "" {
		if o.DryRun == DryRunServer {
			return Configured, nil
		}
		propagation := metav1.DeletePropagationBackground
		err := c.retry(ctx, "replacing "+p.ref.String()+where(p.ref.Namespace), func(ctx context.Context) error {
			return r.Delete(ctx, p.obj.GetName(), metav1.DeleteOptions{
				Preconditions:     &metav1.Preconditions{UID: ptr(existing.GetUID())},
				PropagationPolicy: &propagation,
			})
		})
		if err != nil && !apierrors.IsNotFound(err) {
			if errors.Is(err, ErrUnreachable) {
				return "", err
			}
			return "", fmt.Errorf("replacing it (%s): %w", why, err)
		}
		if _, err := ssa(nil); err != nil {
			return "", err
		}
		return Configured, nil
	}
	got, err := ssa(dryRun)
	if err != nil {
		return "", explainImmutable(p, err)
	}
	switch {
	case existing == nil:
		return Created, nil
	case o.DryRun == DryRunServer:
		// A dry run writes nothing, so the resourceVersion never moves:
		// holds() already found a difference.
		return Configured, nil
	case got.GetResourceVersion() == existing.GetResourceVersion():
		return Unchanged, nil
	}
	return Configured, nil
}

// mustReplace says why an object that holds() found different must be
// deleted and created again, because the API server refuses the change as
// an update; "" when an apply will do:
//   - a Service going from headless to having a cluster IP or back
//     (spec.clusterIP is immutable);
//   - a Job whose content changed (its pod template is immutable). A Job
//     runs once: the new one runs the new template, as `docker compose up`
//     runs a changed one-shot service again.
func mustReplace(live, want *unstructured.Unstructured) string {
	if live == nil {
		return ""
	}
	switch gvk := want.GroupVersionKind(); {
	case gvk.Group == "" && gvk.Kind == "Service":
		liveIP, _, _ := unstructured.NestedString(live.Object, "spec", "clusterIP")
		wantIP, _, _ := unstructured.NestedString(want.Object, "spec", "clusterIP")
		if liveIP != "" && (liveIP == "None") != (wantIP == "None") {
			return "a Service's cluster IP cannot change"
		}
	case gvk.Group == "batch" && gvk.Kind == "Job":
		if live.GetAnnotations()[AnnotationAppliedHash] != want.GetAnnotations()[AnnotationAppliedHash] {
			return "a Job's pod template cannot change"
		}
	}
	return ""
}

// holds reports whether live already has every field of want with the same
// value, including the applied-hash annotation: then applying want again
// would change nothing, and hoist skips the request. Anything that differs
// (drift, a field hoist no longer applies, a new field) fails the check and
// the object is applied.
func holds(live, want *unstructured.Unstructured) bool {
	return contains(live.Object, want.Object)
}

func contains(live, want any) bool {
	switch w := want.(type) {
	case map[string]any:
		l, ok := live.(map[string]any)
		if !ok {
			return false
		}
		for k, wv := range w {
			lv, ok := l[k]
			if !ok || !contains(lv, wv) {
				return false
			}
		}
		return true
	case []any:
		l, ok := live.([]any)
		if !ok || len(l) != len(w) {
			return false
		}
		for i := range w {
			if !contains(l[i], w[i]) {
				return false
			}
		}
		return true
	case int64:
		return numEqual(live, float64(w))
	case float64:
		return numEqual(live, w)
	case int:
		return numEqual(live, float64(w))
	case int32:
		return numEqual(live, float64(w))
	}
	return live == want
}

func numEqual(v any, f float64) bool {
	switch n := v.(type) {
	case int64:
		return float64(n) == f
	case float64:
		return n == f
	case int:
		return float64(n) == f
	case int32:
		return float64(n) == f
	}
	return false
}

// prune deletes the set's live members that are not in objects, except
// Namespaces.
func (c *Client) prune(ctx context.Context, set *applySet, gks map[schema.GroupKind]bool, objects []prepared, mode DryRun, dryRun []string, warnings io.Writer) ([]Result, map[schema.GroupKind]bool, error) {
	keep := map[Ref]bool{}
	for _, p := range objects {
		keep[p.ref] = true
	}
	members, err := set.members(ctx, c, gks)
	if err != nil {
		return nil, nil, err
	}
	var results []Result
	var statefulSets []*unstructured.Unstructured
	kept := map[schema.GroupKind]bool{}
	for _, u := range members {
		ref := refOf(u)
		if keep[ref] {
			continue
		}
		// Never prune a Namespace: leaving out --create-namespace must not
		// delete everything in it. It stays in the set for hoist delete.
		if ref.GroupKind == (schema.GroupKind{Kind: "Namespace"}) {
			kept[ref.GroupKind] = true
			continue
		}
		// Never prune a claim either: dropping a volume from the compose
		// file must not delete its data (docker compose keeps volumes too).
		// It stays in the set, so hoist delete --volumes removes it.
		if ref.GroupKind == claimGK {
			kept[ref.GroupKind] = true
			if warnings != nil {
				fmt.Fprintf(warnings, "Warning: %s kept, with its data: the project no longer uses it; hoist delete --volumes removes it\n", ref)
			}
			continue
		}
		if mode != DryRunClient {
			m, err := c.mapping(u.GroupVersionKind())
			if err != nil {
				return results, kept, err
			}
			policy := metav1.DeletePropagationBackground
			err = c.retry(ctx, "pruning "+ref.String()+where(ref.Namespace), func(ctx context.Context) error {
				return c.resource(m, u.GetNamespace()).Delete(ctx, u.GetName(), metav1.DeleteOptions{DryRun: dryRun, PropagationPolicy: &policy, Preconditions: &metav1.Preconditions{UID: ptr(u.GetUID())}})
			})
			if errors.Is(err, ErrUnreachable) {
				return results, kept, err
			}
			if err != nil && !apierrors.IsNotFound(err) {
				return results, kept, &ObjectError{Ref: ref, Verb: "pruning", Err: err}
			}
		}
		results = append(results, Result{Ref: ref, Action: Pruned, DryRun: mode})
		if ref.GroupKind == (schema.GroupKind{Group: "apps", Kind: "StatefulSet"}) {
			statefulSets = append(statefulSets, u)
		}
	}
	// Prune leaves the claims a pruned StatefulSet made, as it leaves the
	// claims of dropped named volumes, and records them in the set so that
	// delete --volumes finds them.
	claims, err := c.templateClaims(ctx, c.Namespace, statefulSets)
	if err != nil || len(claims) == 0 {
		return results, kept, err
	}
	if mode == DryRunNone {
		if err := c.adoptClaims(ctx, set, claims, nil); err != nil {
			return results, kept, err
		}
		kept[claimGK] = true
	}
	if warnings != nil {
		for _, ref := range sortedRefs(claims) {
			fmt.Fprintf(warnings, "Warning: %s kept, with its data: statefulset.apps/%s made it from a volumeClaimTemplate; hoist delete --volumes removes it\n", ref, claims[ref])
		}
	}
	return results, kept, nil
}

func ptr[T any](v T) *T { return &v }

// immutableError is the API server's refusal to change a field that
// cannot change, in one line, with what to do; it unwraps to the server's
// error.
type immutableError struct {
	msg string
	err error
}

func (e *immutableError) Error() string { return e.msg }
func (e *immutableError) Unwrap() error { return e.err }

// explainImmutable shortens the server's refusal of a change to an
// immutable field (whose message can carry a dump or a diff of the whole
// spec) to the fields it names, and says how to make the change: a
// StatefulSet's claim templates, service name and selector only change by
// deleting it but not its pods and claims; a claim can only grow.
func explainImmutable(p prepared, err error) error {
	var se *apierrors.StatusError
	if !apierrors.IsInvalid(err) || !errors.As(err, &se) || se.ErrStatus.Details == nil {
		return err
	}
	var causes []string
	immutable := false
	for _, c := range se.ErrStatus.Details.Causes {
		msg, _, _ := strings.Cut(c.Message, "\n")
		if strings.Contains(msg, "immutable") {
			immutable = true
			if strings.HasPrefix(msg, "Invalid value: ") && strings.HasSuffix(msg, ": field is immutable") {
				msg = "field is immutable"
			}
		}
		causes = append(causes, c.Field+": "+msg)
	}
	if !immutable {
		return err
	}
	out := fmt.Sprintf("%s %q is invalid: %s", p.obj.GetKind(), p.obj.GetName(), strings.Join(causes, "; "))
	switch p.ref.GroupKind {
	case schema.GroupKind{Group: "apps", Kind: "StatefulSet"}:
		out += fmt.Sprintf("; to change it, delete the StatefulSet but not its pods and claims (kubectl delete statefulset %s -n %s --cascade=orphan), then apply again", p.obj.GetName(), p.obj.GetNamespace())
	case schema.GroupKind{Kind: "PersistentVolumeClaim"}:
		out += "; a claim can only grow, once bound and when its storage class allows expansion; to change it otherwise, delete it, and its data, then apply again"
	}
	return &immutableError{msg: out, err: err}
}

// joinObjectErrors reports every failed object, one per line.
func joinObjectErrors(errs []error) error {
	if ue := firstUnreachable(errs); ue != nil {
		return ue
	}
	if len(errs) == 1 {
		return errs[0]
	}
	return errors.Join(errs...)
}
