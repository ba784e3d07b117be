package convert

import (
	"fmt"
	"maps"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Workloads: which kind a service becomes, its pod-level workload fields,
// and top-level jobs.

var workloadKeys = map[string]keyRule{
	"ipc":          {keyNotYet, ""},
	"network_mode": {keyNotYet, ""},
	"pid":          {keyNotYet, ""},
	"platform":     {keyNotYet, ""},
	"post_start":   {keyNotYet, ""},
	"pre_start":    {keyNotYet, ""},
	"pre_stop":     {keyNotYet, ""},
}

// prepareWorkloads runs before any service is converted.
func (c *converter) prepareWorkloads() error { return nil }

// workloadKind is the kind the service becomes.
func (c *converter) workloadKind(s *svcCtx) string { return "Deployment" }

// podWorkload sets lifecycle hooks, placement, platform and host namespaces.
func (c *converter) podWorkload(s *svcCtx, pod *corev1.PodSpec) error { return nil }

// workload emits the service's workload object.
func (c *converter) workload(s *svcCtx, meta metav1.ObjectMeta, pod corev1.PodTemplateSpec, replicas int32, hpa *autoscalingv2.HorizontalPodAutoscaler) error {
	d := &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: meta,
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: s.selector},
			Template: pod,
		},
	}
	if hpa == nil {
		// With an autoscaler the HPA owns the replica count; applying one
		// here would fight it on every apply.
		d.Spec.Replicas = &replicas
	}
	c.add(d)
	return nil
}

// jobs converts the top-level jobs: section.
func (c *converter) jobs() error {
	for _, name := range slices.Sorted(maps.Keys(c.project.Jobs)) {
		c.drop("", fmt.Sprintf("jobs.%s", name), "not converted yet, dropped")
	}
	return nil
}

// workloadKompose are the kompose label prefixes this area reads.
var workloadKompose = []string{}
