package apply

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
)

// WaitOptions tune Wait.
type WaitOptions struct {
	Timeout time.Duration
	// Budget, when set, is the whole timeout this wait is the rest of
	// (apply and wait share one --timeout): the timeout error names it,
	// not the few seconds left to the wait.
	Budget time.Duration
	// Progress receives per-workload ready counts; nil prints nothing.
	Progress io.Writer
	// TTY redraws one progress line instead of printing each change.
	TTY bool
}

// Wait watches the workloads among objs until all are ready (see the
// readiness rules in ready.go), one fails for good (ProgressDeadlineExceeded,
// a failed Job), or the timeout (0 means 5 minutes) passes; then it names
// what is not ready and why, in an error that wraps ErrTimeout. A list or
// watch the server refuses for good (RBAC) ends it at once with that error;
// Ctrl-C (ctx cancelled) at once with ctx's error.
func (c *Client) Wait(ctx context.Context, objs []*unstructured.Unstructured, o WaitOptions) error {
	targets := map[Ref]*unstructured.Unstructured{}
	byResource := map[schema.GroupVersionResource]*meta.RESTMapping{}
	for _, u := range objs {
		gk := u.GroupVersionKind().GroupKind()
		if !workloadKinds[gk] {
			continue
		}
		m, err := c.mapping(u.GroupVersionKind())
		if err != nil {
			return err
		}
		u = u.DeepCopy()
		if u.GetNamespace() == "" {
			u.SetNamespace(c.Namespace)
		}
		targets[refOf(u)] = u
		byResource[m.Resource] = m
	}
	if len(targets) == 0 {
		return nil
	}
	minimums := autoscalerMinimums(objs, c.Namespace)
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Minute
	}
	wctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()

	events := make(chan *unstructured.Unstructured)
	send := func(obj any) {
		if u, ok := obj.(*unstructured.Unstructured); ok {
			select {
			case events <- u:
			case <-wctx.Done():
			}
		}
	}
	handler := cache.ResourceEventHandlerFuncs{AddFunc: send, UpdateFunc: func(_, obj any) { send(obj) }}
	errc := make(chan error, len(byResource))
	for _, m := range byResource {
		ns := c.Namespace
		if m.Scope.Name() == meta.RESTScopeNameRoot {
			ns = ""
		}
		op := "watching " + m.Resource.GroupResource().String() + where(ns)
		if _, err := c.inform(wctx, op, m, ns, "", handler, errc); err != nil {
			return err
		}
	}
	states := map[Ref]state{}
	p := &progress{w: o.Progress, tty: o.TTY, last: map[Ref]string{}}
	defer p.done()
	for {
		select {
		case u := <-events:
			ref := refOf(u)
			if _, ok := targets[ref]; !ok {
				continue
			}
			st := atMinimum(evaluate(u), u, minimums[ref])
			states[ref] = st
			p.show(ref, st, states, len(targets))
			if st.failed != nil {
				return fmt.Errorf("%s: %w", ref, st.failed)
			}
			if allReady(states, targets) {
				return nil
			}
		case err := <-errc:
			// A request the deadline cut short is the timeout, below.
			if wctx.Err() == nil {
				return err
			}
		case <-wctx.Done():
			if ctx.Err() != nil {
				return ctx.Err()
			}
			timeout := o.Timeout
			if o.Budget > 0 {
				timeout = o.Budget
			}
			return c.timeoutError(ctx, targets, states, timeout)
		}
	}
}

// inform runs a client-go informer on resource m in namespace ns (all
// namespaces for a cluster-scoped resource), limited to fieldSelector,
// until ctx ends, gives its events to h and returns it. Its reflector
// lists, watches from the list's resource version (with bookmarks, and the
// streaming list where the server has it) and lists again when the watch
// expires. Each list and watch request is retried by c.retry, so a server
// that stays unreachable ends in an *UnreachableError. The informer would
// retry every failure forever: the first one that retrying cannot heal
// (see lasting) goes to errc, once, prefixed with op, what hoist was doing.
func (c *Client) inform(ctx context.Context, op string, m *meta.RESTMapping, ns, fieldSelector string, h cache.ResourceEventHandler, errc chan<- error) (cache.SharedIndexInformer, error) {
	if m.Scope.Name() == meta.RESTScopeNameRoot {
		ns = ""
	}
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
			opts.FieldSelector = fieldSelector
			var l *unstructured.UnstructuredList
			err := c.retry(ctx, op, func(ctx context.Context) (err error) {
				l, err = c.resource(m, ns).List(ctx, opts)
				return err
			})
			if err != nil {
				return nil, err
			}
			return l, nil
		},
		WatchFuncWithContext: func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
			opts.FieldSelector = fieldSelector
			if opts.SendInitialEvents != nil {
				// A streaming list: when it fails, the reflector lists,
				// and that list is retried.
				return c.watcher(m, ns).Watch(ctx, opts)
			}
			var w watch.Interface
			err := c.retry(ctx, op, func(ctx context.Context) (err error) {
				w, err = c.watcher(m, ns).Watch(ctx, opts)
				return err
			})
			return w, err
		},
	}
	example := &unstructured.Unstructured{}
	example.SetGroupVersionKind(m.GroupVersionKind)
	inf := cache.NewSharedIndexInformer(lw, example, 0, cache.Indexers{})
	reported := false
	err := inf.SetWatchErrorHandlerWithContext(func(ctx context.Context, _ *cache.Reflector, err error) {
		if reported || ctx.Err() != nil || !lasting(err) {
			return
		}
		reported = true
		errc <- withOp(op, err)
	})
	if err == nil {
		_, err = inf.AddEventHandler(h)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	go inf.RunWithContext(ctx)
	return inf, nil
}

// lasting reports whether a list or watch error will come back however
// often the informer retries: the server stayed unreachable through
// c.retry's window, or refused the request (forbidden, unauthorized, no
// such resource, a bad request). An expired resource version, a closed
// watch or a transient failure is not: the reflector lists again.
func lasting(err error) bool {
	return errors.Is(err, ErrUnreachable) || apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err) ||
		apierrors.IsNotFound(err) || apierrors.IsMethodNotSupported(err) || apierrors.IsBadRequest(err)
}

// progress prints ready counts: one redrawn line on a TTY, else a line
// per workload whenever its count changes.
type progress struct {
	w    io.Writer
	tty  bool
	last map[Ref]string
	drew bool
}

func (p *progress) show(ref Ref, st state, states map[Ref]state, total int) {
	if p.w == nil {
		return
	}
	text := st.progress
	if st.ready {
		text += " ready"
	}
	if p.last[ref] == text {
		return
	}
	p.last[ref] = text
	if !p.tty {
		fmt.Fprintf(p.w, "waiting: %s %s\n", ref, text)
		return
	}
	ready := 0
	for _, s := range states {
		if s.ready {
			ready++
		}
	}
	fmt.Fprintf(p.w, "\r\033[Kwaiting: %d/%d workloads ready; %s %s", ready, total, ref, text)
	p.drew = true
}

func (p *progress) done() {
	if p.w != nil && p.drew {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

var podsGVR = schema.GroupVersionResource{Version: "v1", Resource: "pods"}

// timeoutError names the workloads that are not ready, with what is
// missing, the deployment's condition messages and why their pods fail.
func (c *Client) timeoutError(ctx context.Context, targets map[Ref]*unstructured.Unstructured, states map[Ref]state, timeout time.Duration) error {
	var refs []Ref
	for ref := range targets {
		if !states[ref].ready {
			refs = append(refs, ref)
		}
	}
	sort.Slice(refs, func(i, j int) bool { return refs[i].String() < refs[j].String() })
	// The explanation gets 10 s in all (5 s per workload at most), even
	// when the wait's own context has ended, and whatever the number of
	// workloads: a server that no longer answers must not turn the timeout
	// into minutes of lookups.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	var parts []string
	for _, ref := range refs {
		st, seen := states[ref]
		why := st.message
		if !seen {
			// The watch had no time to see it: look it up.
			why = "not found"
			if c.exists(ctx, targets[ref]) {
				why = "no status seen before the timeout"
			}
		}
		reasons := c.podProblems(ctx, ref.Namespace, st.selector)
		if len(reasons) > 0 {
			why += " (" + strings.Join(reasons, "; ") + ")"
		}
		parts = append(parts, fmt.Sprintf("%s: %s", ref, why))
	}
	return fmt.Errorf("%w after %s waiting for %d workload(s): %s", ErrTimeout, timeout, len(refs), strings.Join(parts, "; "))
}

// podProblems says why a workload's pods are not ready, at most three.
func (c *Client) podProblems(ctx context.Context, ns, selector string) []string {
	if selector == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	l, err := c.dyn.Resource(podsGVR).Namespace(ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		if apierrors.IsForbidden(err) {
			return []string{"pods cannot be listed: forbidden"}
		}
		return nil
	}
	var out []string
	claims := map[string]string{} // claim name -> its problem, "" when bound
	for _, p := range l.Items {
		// A claim that is not bound keeps its pods from being scheduled:
		// name it, and why, once, rather than the scheduler's summary.
		if sc := condition(&p, "PodScheduled"); sc != nil && sc["status"] == "False" {
			unbound := false
			for _, name := range podClaims(&p) {
				r, seen := claims[name]
				if !seen {
					r = c.claimProblem(ctx, ns, name)
					claims[name] = r
					if r != "" {
						out = append(out, r)
					}
				}
				unbound = unbound || r != ""
			}
			if unbound {
				if len(out) >= 3 {
					break
				}
				continue
			}
		}
		if r := podProblem(&p); r != "" {
			out = append(out, "pod "+p.GetName()+": "+r)
		}
		if len(out) >= 3 {
			break
		}
	}
	return out[:min(len(out), 3)]
}

var (
	claimsGVR = schema.GroupVersionResource{Version: "v1", Resource: "persistentvolumeclaims"}
	eventsGVR = schema.GroupVersionResource{Version: "v1", Resource: "events"}
)

// podClaims lists the PersistentVolumeClaims a pod mounts.
func podClaims(p *unstructured.Unstructured) []string {
	vols, _, _ := unstructured.NestedSlice(p.Object, "spec", "volumes")
	var out []string
	for _, v := range vols {
		m, _ := v.(map[string]any)
		if name, ok, _ := unstructured.NestedString(m, "persistentVolumeClaim", "claimName"); ok && name != "" {
			out = append(out, name)
		}
	}
	return out
}

// claimProblem says why a claim is not bound: "persistentvolumeclaim/data
// is Pending: <the latest event's message>", or "" when it is bound.
func (c *Client) claimProblem(ctx context.Context, ns, name string) string {
	pvc, err := c.dyn.Resource(claimsGVR).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return "persistentvolumeclaim/" + name + " not found"
	}
	if err != nil {
		return ""
	}
	phase, _, _ := unstructured.NestedString(pvc.Object, "status", "phase")
	if phase == "Bound" {
		return ""
	}
	if phase == "" {
		phase = "Pending"
	}
	out := "persistentvolumeclaim/" + name + " is " + phase
	if msg := c.latestEvent(ctx, ns, "PersistentVolumeClaim", name, string(pvc.GetUID())); msg != "" {
		out += ": " + msg
	}
	return out
}

// latestEvent returns the message of the object's most recent event.
func (c *Client) latestEvent(ctx context.Context, ns, kind, name, uid string) string {
	l, err := c.dyn.Resource(eventsGVR).Namespace(ns).List(ctx, metav1.ListOptions{
		FieldSelector: "involvedObject.kind=" + kind + ",involvedObject.name=" + name + ",involvedObject.uid=" + uid,
	})
	if err != nil {
		return ""
	}
	var msg, last string
	for _, e := range l.Items {
		t, _, _ := unstructured.NestedString(e.Object, "lastTimestamp")
		if t == "" {
			t, _, _ = unstructured.NestedString(e.Object, "eventTime")
		}
		if m, _, _ := unstructured.NestedString(e.Object, "message"); m != "" && t >= last {
			msg, last = m, t
		}
	}
	return msg
}

func podProblem(p *unstructured.Unstructured) string {
	if c := condition(p, "PodScheduled"); c != nil && c["status"] == "False" {
		return fmt.Sprintf("%v: %v", c["reason"], c["message"])
	}
	statuses, _, _ := unstructured.NestedSlice(p.Object, "status", "containerStatuses")
	for _, s := range statuses {
		m, _ := s.(map[string]any)
		if waiting, ok, _ := unstructured.NestedMap(m, "state", "waiting"); ok {
			return fmt.Sprintf("container %v: %v: %v", m["name"], waiting["reason"], waiting["message"])
		}
		if term, ok, _ := unstructured.NestedMap(m, "state", "terminated"); ok {
			return fmt.Sprintf("container %v terminated: %v (exit code %v)", m["name"], term["reason"], term["exitCode"])
		}
	}
	if c := condition(p, "Ready"); c != nil && c["status"] == "False" {
		return fmt.Sprintf("not ready: %v", c["message"])
	}
	return ""
}

// exists reports whether u is on the server (false when that cannot be
// told).
func (c *Client) exists(ctx context.Context, u *unstructured.Unstructured) bool {
	m, err := c.mapping(u.GroupVersionKind())
	if err != nil {
		return false
	}
	_, err = c.resource(m, u.GetNamespace()).Get(ctx, u.GetName(), metav1.GetOptions{})
	return err == nil
}
