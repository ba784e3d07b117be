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
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
)

// WaitOptions tune Wait.
type WaitOptions struct {
	Timeout time.Duration
	// Progress receives per-workload ready counts; nil prints nothing.
	Progress io.Writer
	// TTY redraws one progress line instead of printing each change.
	TTY bool
}

// ErrTimeout is returned when workloads are not ready in time.
var ErrTimeout = errors.New("timed out")

// workloadKinds are the kinds Wait waits for. A CronJob has no rollout to
// wait for: it counts as ready once applied.
var workloadKinds = map[schema.GroupKind]bool{
	{Group: "apps", Kind: "Deployment"}:  true,
	{Group: "apps", Kind: "StatefulSet"}: true,
	{Group: "apps", Kind: "DaemonSet"}:   true,
	{Group: "batch", Kind: "Job"}:        true,
}

// state is a workload's readiness.
type state struct {
	ready  bool
	failed error
	// progress is "ready/desired" for the progress line.
	progress string
	// message says what is still missing.
	message string
	// selector finds the workload's pods, to explain a timeout.
	selector string
}

// Wait watches the workloads among objs until all are rolled out (Jobs:
// complete), one fails for good (ProgressDeadlineExceeded, a failed Job), or
// the timeout passes; then it names what is not ready and why.
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

	states := map[Ref]state{}
	events := make(chan *unstructured.Unstructured)
	errc := make(chan error, len(byResource))
	for _, m := range byResource {
		go func() { errc <- c.watchResource(wctx, m, c.Namespace, events) }()
	}
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
			if err != nil && wctx.Err() == nil && !errors.Is(err, context.DeadlineExceeded) {
				return err
			}
		case <-wctx.Done():
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return c.timeoutError(ctx, targets, states, o.Timeout)
		}
	}
}

// autoscalerMinimums maps each workload an autoscaler among objs scales
// to the autoscaler's minReplicas.
func autoscalerMinimums(objs []*unstructured.Unstructured, ns string) map[Ref]int64 {
	out := map[Ref]int64{}
	for _, u := range objs {
		if u.GroupVersionKind().GroupKind() != (schema.GroupKind{Group: "autoscaling", Kind: "HorizontalPodAutoscaler"}) {
			continue
		}
		target, _, _ := unstructured.NestedStringMap(u.Object, "spec", "scaleTargetRef")
		gv, err := schema.ParseGroupVersion(target["apiVersion"])
		if err != nil || target["kind"] == "" || target["name"] == "" {
			continue
		}
		lo, found, _ := unstructured.NestedInt64(u.Object, "spec", "minReplicas")
		if !found {
			lo = 1
		}
		if u.GetNamespace() != "" {
			ns = u.GetNamespace()
		}
		out[Ref{GroupKind: schema.GroupKind{Group: gv.Group, Kind: target["kind"]}, Namespace: ns, Name: target["name"]}] = lo
	}
	return out
}

// atMinimum keeps a rolled-out workload that an autoscaler scales not
// ready until the autoscaler raised it to its minimum: hoist leaves
// spec.replicas to the autoscaler, so the server starts it at one replica,
// and compose's replicas (the minimum) should run when up --wait returns.
func atMinimum(st state, u *unstructured.Unstructured, minimum int64) state {
	if !st.ready || minimum <= 1 {
		return st
	}
	replicas, found, _ := unstructured.NestedInt64(u.Object, "spec", "replicas")
	if !found {
		replicas = 1
	}
	if replicas >= minimum {
		return st
	}
	ready, _, _ := unstructured.NestedInt64(u.Object, "status", "readyReplicas")
	st.ready = false
	st.progress = fmt.Sprintf("%d/%d", ready, minimum)
	st.message = fmt.Sprintf("waiting for the autoscaler to scale it to its minimum of %d replicas (at %d)", minimum, replicas)
	return st
}

func allReady(states map[Ref]state, targets map[Ref]*unstructured.Unstructured) bool {
	for ref := range targets {
		if !states[ref].ready {
			return false
		}
	}
	return true
}

// watchResource lists then watches a resource in a namespace and sends
// every object it sees; when the watch ends it lists and watches again.
func (c *Client) watchResource(ctx context.Context, m *meta.RESTMapping, ns string, out chan<- *unstructured.Unstructured) error {
	r := c.resource(m, ns)
	if m.Scope.Name() == meta.RESTScopeNameRoot {
		ns = ""
	}
	op := "watching " + m.Resource.GroupResource().String() + where(ns)
	for ctx.Err() == nil {
		var l *unstructured.UnstructuredList
		err := c.retry(ctx, op, func(ctx context.Context) (err error) {
			l, err = r.List(ctx, metav1.ListOptions{})
			return err
		})
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return withOp(op, err)
		}
		for i := range l.Items {
			u := &l.Items[i]
			u.SetGroupVersionKind(m.GroupVersionKind)
			select {
			case out <- u:
			case <-ctx.Done():
				return nil
			}
		}
		var w watch.Interface
		err = c.retry(ctx, op, func(ctx context.Context) (err error) {
			w, err = c.watcher(m, ns).Watch(ctx, metav1.ListOptions{ResourceVersion: l.GetResourceVersion(), AllowWatchBookmarks: true})
			return err
		})
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return withOp(op, err)
		}
		for ev := range w.ResultChan() {
			if ev.Type != watch.Added && ev.Type != watch.Modified {
				continue
			}
			u, ok := ev.Object.(*unstructured.Unstructured)
			if !ok {
				continue
			}
			u.SetGroupVersionKind(m.GroupVersionKind)
			select {
			case out <- u:
			case <-ctx.Done():
				w.Stop()
				return nil
			}
		}
		w.Stop()
	}
	return nil
}

// evaluate applies kubectl's rollout status rules to a workload.
func evaluate(u *unstructured.Unstructured) state {
	gen := u.GetGeneration()
	observed, _, _ := unstructured.NestedInt64(u.Object, "status", "observedGeneration")
	st := state{selector: matchLabels(u)}
	num := func(path ...string) int64 {
		n, _, _ := unstructured.NestedInt64(u.Object, path...)
		return n
	}
	desired := int64(1)
	if n, found, _ := unstructured.NestedInt64(u.Object, "spec", "replicas"); found {
		desired = n
	}
	name := u.GetName()
	switch u.GetKind() {
	case "Deployment":
		st.progress = fmt.Sprintf("%d/%d", num("status", "readyReplicas"), desired)
		if observed < gen {
			st.message = "waiting for the deployment spec update to be observed"
			return st
		}
		if c := condition(u, "Progressing"); c != nil && c["reason"] == "ProgressDeadlineExceeded" {
			st.failed = fmt.Errorf("deployment %q exceeded its progress deadline", name)
			return st
		}
		updated, replicas, available := num("status", "updatedReplicas"), num("status", "replicas"), num("status", "availableReplicas")
		switch {
		case updated < desired:
			st.message = fmt.Sprintf("%d out of %d new replicas have been updated", updated, desired)
		case replicas > updated:
			st.message = fmt.Sprintf("%d old replicas are pending termination", replicas-updated)
		case available < updated:
			st.message = fmt.Sprintf("%d of %d updated replicas are available", available, updated)
		default:
			st.ready = true
		}
	case "StatefulSet":
		st.progress = fmt.Sprintf("%d/%d", num("status", "readyReplicas"), desired)
		strategy, _, _ := unstructured.NestedString(u.Object, "spec", "updateStrategy", "type")
		update, _, _ := unstructured.NestedString(u.Object, "status", "updateRevision")
		current, _, _ := unstructured.NestedString(u.Object, "status", "currentRevision")
		switch {
		case observed < gen:
			st.message = "waiting for the statefulset spec update to be observed"
		case num("status", "readyReplicas") < desired:
			st.message = fmt.Sprintf("%d of %d pods are ready", num("status", "readyReplicas"), desired)
		case (strategy == "" || strategy == "RollingUpdate") && update != current:
			st.message = fmt.Sprintf("waiting for the rolling update to complete: %d pods at revision %s", num("status", "updatedReplicas"), update)
		default:
			st.ready = true
		}
	case "DaemonSet":
		want := num("status", "desiredNumberScheduled")
		st.progress = fmt.Sprintf("%d/%d", num("status", "numberReady"), want)
		switch {
		case observed < gen:
			st.message = "waiting for the daemonset spec update to be observed"
		case num("status", "updatedNumberScheduled") < want:
			st.message = fmt.Sprintf("%d out of %d new pods have been updated", num("status", "updatedNumberScheduled"), want)
		case num("status", "numberAvailable") < want:
			st.message = fmt.Sprintf("%d of %d updated pods are available", num("status", "numberAvailable"), want)
		default:
			st.ready = true
		}
	case "Job":
		completions := int64(1)
		if n, found, _ := unstructured.NestedInt64(u.Object, "spec", "completions"); found {
			completions = n
		}
		st.progress = fmt.Sprintf("%d/%d", num("status", "succeeded"), completions)
		if c := condition(u, "Failed"); c != nil && c["status"] == "True" {
			st.failed = fmt.Errorf("job %q failed: %v", name, c["message"])
			return st
		}
		if c := condition(u, "Complete"); c != nil && c["status"] == "True" {
			st.ready = true
			return st
		}
		st.message = fmt.Sprintf("%d of %d completions", num("status", "succeeded"), completions)
	}
	return st
}

func condition(u *unstructured.Unstructured, typ string) map[string]any {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		if m, ok := c.(map[string]any); ok && m["type"] == typ {
			return m
		}
	}
	return nil
}

func matchLabels(u *unstructured.Unstructured) string {
	ml, _, _ := unstructured.NestedStringMap(u.Object, "spec", "selector", "matchLabels")
	keys := make([]string, 0, len(ml))
	for k := range ml {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, k+"="+ml[k])
	}
	return strings.Join(parts, ",")
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
			why = "not found"
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
