package apply

import (
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Readiness rules. A workload is ready by kubectl's rollout status rules
// (kubectl pkg/polymorphichelpers/rollout_status.go), with their messages,
// plus two rules of compose's: a Job is ready when it completed (a Job is
// a one-shot service, whose end is its completion), and a workload an
// autoscaler scales is ready only at the autoscaler's minimum (atMinimum).
//
// sigs.k8s.io/cli-utils kstatus (v0.37.2, what Flux, kpt and timoni use)
// was measured against these rules and not adopted. It is cheap: one
// package, no change to the other modules in go.mod, 9 KB more binary,
// builds with go 1.26. But it is wrong for compose here: a Job is Current
// as soon as it started (status.startTime), not when it completed; a
// StatefulSet with the OnDelete strategy is Current with no pod ready; it
// knows no autoscaler minimum; and its messages ("Updated: 0/1") are not
// kubectl's ("0 out of 1 new replicas have been updated"), which the
// timeout error and `hoist ps` print. Where it agrees (Deployments,
// DaemonSets, rolling StatefulSets) it would replace the verdict but not
// the messages, so these rules would stay beside it.

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

// evaluate applies the readiness rules (see above) to a workload but the
// autoscaler minimum.
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
