package ops

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	appsv1ac "k8s.io/client-go/applyconfigurations/apps/v1"
	autoscalingv2ac "k8s.io/client-go/applyconfigurations/autoscaling/v2"

	"github.com/hoist-dev/hoist/convert"
)

// Restart restarts the targets' workloads the way kubectl rollout restart
// does: it sets the kubectl.kubernetes.io/restartedAt annotation of the pod
// template to now, so the controller replaces every pod by its rollout
// strategy. It returns kubectl's result lines ("deployment.apps/web
// restarted"). A Job or CronJob cannot be restarted: that is an error.
func (c *Client) Restart(ctx context.Context, targets []Target, now time.Time) ([]string, error) {
	var out []string
	done := map[string]bool{}
	for _, t := range targets {
		ref := t.Ref()
		if done[ref] {
			continue
		}
		done[ref] = true
		patch, _ := json.Marshal(map[string]any{"spec": map[string]any{"template": map[string]any{"metadata": map[string]any{
			"annotations": map[string]string{"kubectl.kubernetes.io/restartedAt": now.Format(time.RFC3339)}}}}})
		var err error
		apps := c.cs.AppsV1()
		switch t.Kind() {
		case "Deployment":
			_, err = apps.Deployments(c.Namespace).Patch(ctx, t.Workload.GetName(), types.StrategicMergePatchType, patch, metav1.PatchOptions{})
		case "StatefulSet":
			_, err = apps.StatefulSets(c.Namespace).Patch(ctx, t.Workload.GetName(), types.StrategicMergePatchType, patch, metav1.PatchOptions{})
		case "DaemonSet":
			_, err = apps.DaemonSets(c.Namespace).Patch(ctx, t.Workload.GetName(), types.StrategicMergePatchType, patch, metav1.PatchOptions{})
		default:
			return out, fmt.Errorf("service %q: a %s cannot be restarted; it runs to completion", t.Service, t.Kind())
		}
		if err != nil {
			return out, notApplied(t, ref, c.Namespace, err, "restarting")
		}
		out = append(out, ref+" restarted")
	}
	return out, nil
}

func notApplied(t Target, ref, ns string, err error, doing string) error {
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("service %q: %s is not in namespace %s; is the project up?", t.Service, ref, ns)
	}
	return fmt.Errorf("%s %s in namespace %s: %w", doing, ref, ns, err)
}

// ParseScale reads SERVICE=N arguments (scale and up --scale) into a map.
func ParseScale(args []string) (map[string]int32, error) {
	out := map[string]int32{}
	for _, a := range args {
		name, n, ok := strings.Cut(a, "=")
		r, err := strconv.ParseInt(n, 10, 32)
		if !ok || name == "" || err != nil || r < 0 {
			return nil, fmt.Errorf("scale %q: want SERVICE=REPLICAS, a number of replicas of 0 or more", a)
		}
		out[name] = int32(r)
	}
	return out, nil
}

// Scale sets the replicas of the targets' workloads and returns kubectl's
// result lines ("deployment.apps/web scaled"). For a workload a
// HorizontalPodAutoscaler scales, it moves the autoscaler's minReplicas
// (and maxReplicas when it is below) instead, and returns a warning saying
// so: setting the replicas would be undone by the autoscaler. A DaemonSet,
// Job or CronJob has no replicas: an error.
//
// It changes the field as fieldManager, the manager hoist apply uses,
// with server-side apply: it extracts the fields that manager owns
// (client-go's Extract), sets the replicas and applies them again, taking
// the field back from whoever set it meanwhile. So the next hoist up
// applies the compose file's replicas again without a conflict, as the
// next docker compose up does; kubectl scale's way, an update through the
// scale subresource, would make that apply conflict on .spec.replicas.
func (c *Client) Scale(ctx context.Context, targets []Target, replicas map[string]int32, fieldManager string) (lines, warnings []string, err error) {
	apply := metav1.ApplyOptions{FieldManager: fieldManager, Force: true}
	for _, t := range targets {
		n := replicas[t.Service]
		ref := t.Ref()
		name := t.Workload.GetName()
		switch t.Kind() {
		case "Deployment", "StatefulSet":
		default:
			return lines, warnings, fmt.Errorf("service %q: a %s has no replicas to scale", t.Service, t.Kind())
		}
		if podOwnerName(t) != "" {
			return lines, warnings, fmt.Errorf("service %q: runs in the pod of %s; scale that service", t.Service, podOwnerName(t))
		}
		hpas := c.cs.AutoscalingV2().HorizontalPodAutoscalers(c.Namespace)
		hpa, err := hpas.Get(ctx, name, metav1.GetOptions{})
		switch {
		case err == nil && hpa.Spec.ScaleTargetRef.Name == name && hpa.Spec.ScaleTargetRef.Kind == t.Kind():
			if n < 1 {
				return lines, warnings, fmt.Errorf("service %q: autoscaled by horizontalpodautoscaler.autoscaling/%s, whose minimum is at least 1", t.Service, name)
			}
			ac, err := autoscalingv2ac.ExtractHorizontalPodAutoscaler(hpa, fieldManager)
			if err != nil {
				return lines, warnings, fmt.Errorf("reading horizontalpodautoscaler.autoscaling/%s in namespace %s: %w", name, c.Namespace, err)
			}
			if ac.Spec == nil {
				ac.WithSpec(autoscalingv2ac.HorizontalPodAutoscalerSpec())
			}
			ac.Spec.WithMinReplicas(n)
			w := fmt.Sprintf("service %q: autoscaled, so scale sets the minimum of horizontalpodautoscaler.autoscaling/%s to %d", t.Service, name, n)
			if hpa.Spec.MaxReplicas < n {
				ac.Spec.WithMaxReplicas(n)
				w += fmt.Sprintf(" and its maximum from %d to %d", hpa.Spec.MaxReplicas, n)
			}
			if _, err := hpas.Apply(ctx, ac, apply); err != nil {
				return lines, warnings, fmt.Errorf("scaling horizontalpodautoscaler.autoscaling/%s in namespace %s: %w", name, c.Namespace, err)
			}
			warnings = append(warnings, w)
			lines = append(lines, "horizontalpodautoscaler.autoscaling/"+name+" scaled")
			continue
		case err != nil && !apierrors.IsNotFound(err):
			return lines, warnings, fmt.Errorf("reading horizontalpodautoscaler.autoscaling/%s in namespace %s: %w", name, c.Namespace, err)
		}
		apps := c.cs.AppsV1()
		if t.Kind() == "Deployment" {
			var live *appsv1.Deployment
			if live, err = apps.Deployments(c.Namespace).Get(ctx, name, metav1.GetOptions{}); err == nil {
				var ac *appsv1ac.DeploymentApplyConfiguration
				if ac, err = appsv1ac.ExtractDeployment(live, fieldManager); err == nil {
					if ac.Spec == nil {
						ac.WithSpec(appsv1ac.DeploymentSpec())
					}
					ac.Spec.WithReplicas(n)
					_, err = apps.Deployments(c.Namespace).Apply(ctx, ac, apply)
				}
			}
		} else {
			var live *appsv1.StatefulSet
			if live, err = apps.StatefulSets(c.Namespace).Get(ctx, name, metav1.GetOptions{}); err == nil {
				var ac *appsv1ac.StatefulSetApplyConfiguration
				if ac, err = appsv1ac.ExtractStatefulSet(live, fieldManager); err == nil {
					if ac.Spec == nil {
						ac.WithSpec(appsv1ac.StatefulSetSpec())
					}
					ac.Spec.WithReplicas(n)
					_, err = apps.StatefulSets(c.Namespace).Apply(ctx, ac, apply)
				}
			}
		}
		if err != nil {
			return lines, warnings, notApplied(t, ref, c.Namespace, err, "scaling")
		}
		lines = append(lines, ref+" scaled")
	}
	return lines, warnings, nil
}

// podOwnerName is the service whose pod the target's container joins, or
// "" when the workload is the target's own.
func podOwnerName(t Target) string {
	if own, err := convert.ObjectName(t.Service); err == nil && own != t.Workload.GetName() {
		return t.Workload.GetName()
	}
	return ""
}

// ScaleObjects sets the replicas of the services' workloads among the
// converted objects before they are applied (up --scale). An autoscaled
// service gets its autoscaler's minReplicas moved instead (maxReplicas
// too when below), with a warning. Names must be validated first.
func ScaleObjects(targets map[string]Target, objects []*unstructured.Unstructured, replicas map[string]int32) ([]string, error) {
	var warnings []string
	names := make([]string, 0, len(replicas))
	for n := range replicas {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, svc := range names {
		n := replicas[svc]
		t, ok := targets[svc]
		if !ok {
			return nil, fmt.Errorf("--scale %s: the service has no workload", svc)
		}
		if k := t.Kind(); k != "Deployment" && k != "StatefulSet" {
			return nil, fmt.Errorf("--scale %s: a %s has no replicas to scale", svc, k)
		}
		if podOwnerName(t) != "" {
			return nil, fmt.Errorf("--scale %s: runs in the pod of %s; scale that service", svc, podOwnerName(t))
		}
		var hpa, wl *unstructured.Unstructured
		for _, u := range objects {
			if u.GetName() != t.Workload.GetName() {
				continue
			}
			switch u.GetKind() {
			case "HorizontalPodAutoscaler":
				hpa = u
			case t.Kind():
				wl = u
			}
		}
		if hpa != nil {
			if n < 1 {
				return nil, fmt.Errorf("--scale %s=%d: the service is autoscaled, and an autoscaler's minimum is at least 1", svc, n)
			}
			_ = unstructured.SetNestedField(hpa.Object, int64(n), "spec", "minReplicas")
			if hi, _, _ := unstructured.NestedInt64(hpa.Object, "spec", "maxReplicas"); hi < int64(n) {
				_ = unstructured.SetNestedField(hpa.Object, int64(n), "spec", "maxReplicas")
			}
			warnings = append(warnings, fmt.Sprintf("service %q: autoscaled, so --scale sets its autoscaler's minimum to %d", svc, n))
			continue
		}
		if wl != nil {
			_ = unstructured.SetNestedField(wl.Object, int64(n), "spec", "replicas")
		}
	}
	return warnings, nil
}
