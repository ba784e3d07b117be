package convert

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Workloads: which kind a service becomes, its pod-level workload fields,
// and top-level jobs. This file holds the keys, prepareWorkloads (which pod
// runs each service, every workload kind) and the workload objects; the
// kind decision is in workload_kind.go, update strategies in
// workload_update.go, pod fields in workload_pod.go, hooks in
// workload_hooks.go, sidecars in workload_sidecar.go, jobs in
// workload_jobs.go.

var workloadKeys = map[string]keyRule{
	"ipc":          {keyMapped, "`host` -> `hostIPC`; `shareable`, `service:X` approximated (containers of one pod share IPC)"},
	"network_mode": {keyMapped, "`service:X` -> a container in X's pod; `host` -> `hostNetwork` + `dnsPolicy: ClusterFirstWithHostNet`; `none` dropped"},
	"pid":          {keyMapped, "`host` -> `hostPID`; `service:X` of a container in X's pod -> `shareProcessNamespace`"},
	"platform":     {keyMapped, "nodeSelector `kubernetes.io/os`, `kubernetes.io/arch`"},
	"post_start":   {keyMapped, "container `lifecycle.postStart` exec"},
	"pre_start":    {keyMapped, "initContainers (image inherited from the service)"},
	"pre_stop":     {keyMapped, "container `lifecycle.preStop` exec"},
}

// The workload kinds a service becomes.
const (
	kindDeployment  = "Deployment"
	kindStatefulSet = "StatefulSet"
	kindDaemonSet   = "DaemonSet"
	kindJob         = "Job"
	kindCronJob     = "CronJob"
)

// kompose labels this area reads.
const (
	komposeControllerType     = "kompose.controller.type"
	komposeCronSchedule       = "kompose.cronjob.schedule"
	komposeCronConcurrency    = "kompose.cronjob.concurrency_policy"
	komposeCronBackoffLimit   = "kompose.cronjob.backoff_limit"
	komposeCronJobLabelPrefix = "kompose.cronjob."
)

// workloadKompose are the kompose label prefixes this area reads.
var workloadKompose = []string{komposeControllerType, komposeCronJobLabelPrefix}

// workloadPlan is what planWorkload decided for one service or job.
type workloadPlan struct {
	kind string
	// err is why the kind cannot be decided; it fails the service's
	// conversion.
	err error
	// warnings are what the decision approximated or dropped; they are
	// recorded when the service is converted.
	warnings warningList
	// restart is the pod restartPolicy of a Job or CronJob.
	restart corev1.RestartPolicy
	// backoffLimit is the Job's retry count; nil is Kubernetes' default.
	backoffLimit *int32
	// completions, when set, runs that many pods to completion.
	completions *int32
	// crons are the CronJob schedules, one CronJob each.
	crons []cronSpec
	// komposeBackoff is kompose.cronjob.backoff_limit, which wins over the
	// restart policy's limit.
	komposeBackoff *int32
}

// cronSpec is one CronJob schedule.
type cronSpec struct {
	key              string // the compose key it comes from
	schedule         string
	timeZone         string
	concurrency      batchv1.ConcurrencyPolicy
	startingDeadline *int64
}

// prepareWorkloads runs before any service is converted: it finds the
// services that join another's pod, names the top-level jobs and decides
// every workload kind, which a dependent service needs before its
// dependency is converted (waitTarget).
func (c *converter) prepareWorkloads() error {
	pl := c.plan
	pl.owner, pl.sidecars, pl.jobs, pl.workloads = map[string]string{}, map[string][]string{}, map[string]*types.JobConfig{}, map[string]*workloadPlan{}
	p := c.project
	c.plan.usage = projectUsage(p)
	for _, name := range p.ServiceNames() {
		svc := p.Services[name]
		target, err := c.joinTarget(name, svc.NetworkMode)
		if err != nil {
			return err
		}
		if target != "" {
			c.plan.owner[name] = target
			c.plan.sidecars[target] = append(c.plan.sidecars[target], name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(c.plan.owner)) {
		target := c.plan.owner[name]
		if next := c.plan.owner[target]; next != "" {
			if next == name {
				return invalidf("services %q and %q: network_mode: each joins the other's network; one of them must own it", name, target)
			}
			return invalidf("service %q: network_mode: joins %q, which itself joins %q; point network_mode at %q directly", name, target, next, next)
		}
	}
	owners := map[string]string{}
	for svc, n := range c.plan.names {
		owners[n] = svc
	}
	for _, name := range slices.Sorted(maps.Keys(p.Jobs)) {
		n, err := ObjectName(name)
		if err != nil {
			return fmt.Errorf("job %q: %w", name, err)
		}
		if err := needLetter(fmt.Sprintf("job %q", name), "Job", n); err != nil {
			return err
		}
		if other, ok := owners[n]; ok {
			return invalidf("%s and job %q: both become the Kubernetes name %q; rename one", c.unitName(other), name, n)
		}
		owners[n] = name
		c.plan.names[name] = n
		job := p.Jobs[name]
		c.plan.jobs[name] = &job
		svc := jobService(name, &job)
		c.plan.workloads[name] = c.planWorkload(&svc)
	}
	for _, name := range p.ServiceNames() {
		if c.plan.owner[name] == "" {
			svc := p.Services[name]
			c.plan.workloads[name] = c.planWorkload(&svc)
		}
	}
	return nil
}

// joinTarget is the service whose network namespace network_mode joins.
func (c *converter) joinTarget(name, mode string) (string, error) {
	var target string
	switch {
	case strings.HasPrefix(mode, types.NetworkModeServicePrefix):
		target = strings.TrimPrefix(mode, types.NetworkModeServicePrefix)
	case strings.HasPrefix(mode, types.NetworkModeContainerPrefix):
		cname := strings.TrimPrefix(mode, types.NetworkModeContainerPrefix)
		for _, other := range c.project.ServiceNames() {
			if c.project.Services[other].ContainerName == cname {
				target = other
			}
		}
		if target == "" {
			return "", unsupportedf("service %q: network_mode %q: only containers of this project's services (by container_name) can be joined; use service:<name>", name, mode)
		}
	default:
		return "", nil
	}
	if _, ok := c.project.Services[target]; !ok {
		return "", invalidf("service %q: network_mode %q: no service %q in the project", name, mode, target)
	}
	if target == name {
		return "", invalidf("service %q: network_mode %q: a service cannot join its own network", name, mode)
	}
	return target, nil
}

// scalable reports whether the workload kind has a scale subresource that
// an autoscaler can drive.
func scalable(kind string) bool { return kind == kindDeployment || kind == kindStatefulSet }

// hasPorts reports whether the service has ports or expose, which make a
// Service.
func hasPorts(svc *types.ServiceConfig) bool { return len(svc.Ports) > 0 || len(svc.Expose) > 0 }

// isJobKind reports whether the kind runs to completion.
func isJobKind(kind string) bool { return kind == kindJob || kind == kindCronJob }

// workloadKind is the kind prepareWorkloads decided for the service, whose
// conversion it is part of: it records the decision's warnings.
func (c *converter) workloadKind(s *svcCtx) (string, error) {
	plan := c.plan.workloads[s.svc.Name]
	if plan.err != nil {
		return "", plan.err
	}
	c.warnings = append(c.warnings, plan.warnings...)
	return plan.kind, nil
}

// workload emits the service's workload object.
func (c *converter) workload(s *svcCtx, meta metav1.ObjectMeta, pod corev1.PodTemplateSpec, replicas int32, hpa *autoscalingv2.HorizontalPodAutoscaler) error {
	plan := c.plan.workloads[s.svc.Name]
	var r *int32
	if hpa == nil {
		// With an autoscaler the HPA owns the replica count; applying one
		// here would fight it on every apply.
		r = &replicas
	}
	selector := &metav1.LabelSelector{MatchLabels: s.selector}
	switch s.kind {
	case kindStatefulSet:
		st := &appsv1.StatefulSet{
			TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: kindStatefulSet},
			ObjectMeta: meta,
			Spec: appsv1.StatefulSetSpec{
				Replicas:             r,
				Selector:             selector,
				Template:             pod,
				ServiceName:          c.governingService(s),
				VolumeClaimTemplates: s.claimTemplates,
			},
		}
		st.Spec.UpdateStrategy = c.statefulSetStrategy(s)
		c.add(st)
	case kindDaemonSet:
		ds := &appsv1.DaemonSet{
			TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: kindDaemonSet},
			ObjectMeta: meta,
			Spec:       appsv1.DaemonSetSpec{Selector: selector, Template: pod},
		}
		ds.Spec.UpdateStrategy = c.daemonSetStrategy(s)
		c.add(ds)
	case kindJob:
		c.add(&batchv1.Job{
			TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: kindJob},
			ObjectMeta: meta,
			Spec:       c.jobSpec(plan, pod),
		})
	case kindCronJob:
		return c.cronJobs(s, plan, meta, pod)
	default:
		d := &appsv1.Deployment{
			TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: kindDeployment},
			ObjectMeta: meta,
			Spec: appsv1.DeploymentSpec{
				Replicas: r,
				Selector: selector,
				Template: pod,
				Strategy: c.deploymentStrategy(s),
			},
		}
		c.add(d)
	}
	return nil
}

// jobSpec is the spec of a Job, or of a CronJob's Jobs. The Job's selector
// is left to the API server, which generates a unique one.
func (c *converter) jobSpec(plan *workloadPlan, pod corev1.PodTemplateSpec) batchv1.JobSpec {
	pod.Spec.RestartPolicy = plan.restart
	spec := batchv1.JobSpec{Template: pod, BackoffLimit: plan.backoffLimit}
	if n := plan.completions; n != nil {
		spec.Completions, spec.Parallelism = n, n
	}
	return spec
}

// governingService is the headless Service that gives a StatefulSet's pods
// their DNS names: the service's own Service when it can be headless,
// else a "<name>-headless" one.
func (c *converter) governingService(s *svcCtx) string {
	if statefulSetHeadless(c, s) {
		return s.name
	}
	return s.name + "-headless"
}

// statefulSetHeadless reports whether a StatefulSet's own Service is
// headless: it is, unless deploy.endpoint_mode vip gives it a virtual IP.
func statefulSetHeadless(c *converter, s *svcCtx) bool {
	return !serviceVIP(s.svc, c.net.kompose[s.svc.Name], len(s.ports) > 0)
}
