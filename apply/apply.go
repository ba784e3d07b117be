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
	"time"

	"golang.org/x/sync/errgroup"
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
	return "", optionErrorf("%v %q: want none, client or server", OptionDryRun, s)
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
	// Budget, when set, is the whole timeout Timeout is part of (one
	// --timeout for apply and wait): the timeout error names it.
	Budget time.Duration
	// Origin is where the project is applied from; the ApplySet parent
	// records it. A zero Origin is unknown: nothing is checked.
	Origin Origin
	// Takeover (--force) lets prune delete objects of a project of the
	// same name that was last applied from another Origin; without it,
	// such a prune is refused before anything is applied.
	Takeover bool
}

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
		timeout := o.Timeout
		if o.Budget > 0 {
			timeout = o.Budget
		}
		return results, optionErrorf("%w after %s (%v) applying the project: %d of %d objects applied", ErrTimeout, timeout, OptionTimeout, len(done(results)), len(objs))
	}
	return results, asConflict(err)
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
	// A server dry run cannot create objects in a namespace that does not
	// exist yet (a first deploy with --create-namespace): they would be
	// created, which is what it reports for them.
	nsMissing := false
	if o.DryRun == DryRunServer && len(stages[0]) > 0 {
		if nsMissing, err = c.namespaceMissing(ctx); err != nil {
			return nil, err
		}
	}
	results := make([]Result, len(objects))
	var errs []error
	for s, stage := range stages {
		live, err := c.liveObjects(ctx, objects, stage, o.Concurrency)
		if err != nil {
			return done(results), err
		}
		if !o.Takeover {
			if err := checkOwners(set, objects, stage, live); err != nil {
				return done(results), err
			}
		}
		if s == 1 && o.DryRun == DryRunNone && (!parent.exists || !covers(oldGKs, newGKs) || set.originChanged(parent)) {
			// The parent lives in the namespace, which stage 0 created.
			// Widen it to old and new kinds before anything new exists.
			if err := set.write(ctx, c, union(oldGKs, newGKs), nil); err != nil {
				return done(results), err
			}
		}
		if nsMissing && s == 1 {
			for _, i := range stage {
				results[i] = Result{Ref: objects[i].ref, DryRun: o.DryRun, Action: Created}
			}
			continue
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

// checkOwners refuses, before anything of the stage is written, to apply
// over live objects of the same names that are not members of set: objects
// of another project (another ApplySet, such as a project whose volume
// has the same name) or made by hand or another tool (no ApplySet).
// Applying would take them over (and replace those whose immutable fields
// differ), and delete or prune would then remove them with their data.
// Namespaces are exempt: one hoist did not create is used, never adopted
// (applyStage). Options.Takeover (--force) takes them over.
func checkOwners(set *applySet, objects []prepared, stage []int, live map[Ref]*unstructured.Unstructured) error {
	var refused []string
	for _, i := range stage {
		p := objects[i]
		existing := live[p.ref]
		if existing == nil || p.ref.GroupKind.Kind == "Namespace" {
			continue
		}
		if existing.GetLabels()[LabelApplySetPartOf] == set.ID() {
			continue
		}
		refused = append(refused, fmt.Sprintf("%s (%s)", p.ref, ownerOf(existing)))
	}
	if len(refused) == 0 {
		return nil
	}
	list := strings.Join(refused, ", ")
	if len(refused) > 5 {
		list = fmt.Sprintf("%s and %d more", strings.Join(refused[:5], ", "), len(refused)-5)
	}
	return optionErrorf("refusing to take over objects project %q did not apply in namespace %s: %s; rename the services or volumes, remove those objects, or run with %v to take them over", set.name, set.namespace, list, OptionTakeover)
}

// ownerOf says whose an object that is not a member of the set is.
func ownerOf(u *unstructured.Unstructured) string {
	labels := u.GetLabels()
	id := labels[LabelApplySetPartOf]
	switch {
	case id != "" && labels[labelPartOf] != "":
		return fmt.Sprintf("of project %q", labels[labelPartOf])
	case id != "":
		return "of ApplySet " + id
	}
	return "made outside hoist"
}

// labelPartOf is the standard label that names the application (the
// compose project) an object is part of.
const labelPartOf = "app.kubernetes.io/part-of"

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
func (c *Client) liveObjects(ctx context.Context, objects []prepared, stage []int, concurrency int) (map[Ref]*unstructured.Unstructured, error) {
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
	errs := inParallel(ctx, concurrency, len(targets), func(ctx context.Context, i int) error {
		items, err := c.list(ctx, targets[i].mapping, targets[i].ns, "")
		lists[i] = items
		if apierrors.IsNotFound(err) { // no namespace yet
			return nil
		}
		return err
	})
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

// applyStage applies a stage's objects, o.Concurrency at a time, and
// returns their errors in input order; once one finds the server
// unreachable, that one error says it all.
func (c *Client) applyStage(ctx context.Context, objects []prepared, stage []int, live map[Ref]*unstructured.Unstructured, o Options, dryRun []string, results []Result) []error {
	var todo []int
	for _, i := range stage {
		p := objects[i]
		existing := live[p.ref]
		results[i] = Result{Ref: p.ref, DryRun: o.DryRun}
		switch {
		case existing != nil && holds(existing, p.obj):
			results[i].Action = Unchanged
		case existing != nil && p.ref.GroupKind.Kind == "Namespace" && existing.GetLabels()[LabelApplySetPartOf] != p.obj.GetLabels()[LabelApplySetPartOf]:
			// A namespace hoist did not create is used, never adopted: it
			// must not become a member that delete would remove.
			results[i].Action = Unchanged
		case o.DryRun == DryRunClient && existing == nil:
			results[i].Action = Created
		case o.DryRun == DryRunClient:
			results[i].Action = Configured
		default:
			todo = append(todo, i)
		}
	}
	// Each call writes only its own index of results.
	errs := inParallel(ctx, o.Concurrency, len(todo), func(ctx context.Context, k int) error {
		i := todo[k]
		p := objects[i]
		action, err := c.applyOne(ctx, p, live[p.ref], o, dryRun)
		results[i].Action = action
		switch {
		case err == nil, errors.Is(err, ErrUnreachable):
			return err
		case ctx.Err() != nil:
			return ctx.Err()
		}
		return &ObjectError{Ref: p.ref, Err: err}
	})
	if ue := firstUnreachable(errs); ue != nil {
		return []error{ue}
	}
	var out []error
	for _, err := range errs {
		if err != nil {
			out = append(out, err)
		}
	}
	return out
}

// inParallel calls fn(ctx, i) for each i in [0, n), at most limit at once
// (errgroup.SetLimit; limit <= 0 means 16), and returns each call's error
// at its index. Once a call finds the server unreachable, the calls still
// to start do not start (their errors stay nil) and the running ones see
// their context cancelled: that one error says it all.
func inParallel(ctx context.Context, limit, n int, fn func(ctx context.Context, i int) error) []error {
	if limit <= 0 {
		limit = 16
	}
	errs := make([]error, n)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(limit)
	for i := range n {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			errs[i] = fn(gctx, i)
			if errors.Is(errs[i], ErrUnreachable) {
				return errs[i]
			}
			return nil
		})
	}
	_ = g.Wait() // the errors are in errs
	return errs
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

func ptr[T any](v T) *T { return &v }
