package convert

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Workloads: which kind a service becomes, its pod-level workload fields,
// and top-level jobs.

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

// planWorkload decides a service's workload without converting it or
// warning: the plan keeps its warnings, or the error that fails the
// service's conversion.
func (c *converter) planWorkload(svc *types.ServiceConfig) *workloadPlan {
	ext, err := c.serviceExtension(svc)
	if err != nil {
		// The service's conversion reports this before it asks for
		// the kind.
		return &workloadPlan{err: err}
	}
	plan := &workloadPlan{}
	if err := c.decideWorkload(svc, ext, plan); err != nil {
		return &workloadPlan{err: err}
	}
	return plan
}

// decideWorkload decides the kind the service becomes, and for Jobs how
// they retry. In order: x-kubernetes.workload and .schedule, top-level
// jobs, kompose.controller.type and kompose.cronjob.schedule, deploy.mode,
// then the restart policy of a service without ports.
func (c *converter) decideWorkload(svc *types.ServiceConfig, ext Extension, plan *workloadPlan) error {
	w := &plan.warnings
	restart, maxAttempts, restartKey := restartPolicy(svc, w)

	from := ""
	job := c.plan.jobs[svc.Name]
	switch strings.ToLower(ext.Workload) {
	case "":
	case "deployment":
		plan.kind = kindDeployment
	case "statefulset":
		plan.kind = kindStatefulSet
	case "daemonset":
		plan.kind = kindDaemonSet
	case "job":
		plan.kind = kindJob
	case "cronjob":
		plan.kind = kindCronJob
	default:
		return invalidf("%s.workload: %q: want deployment, statefulset, daemonset, job or cronjob", ExtensionKey, ext.Workload)
	}
	if plan.kind != "" {
		from = ExtensionKey + ".workload"
	}
	if sched := ext.Schedule; sched != "" {
		switch plan.kind {
		case "", kindCronJob:
			plan.kind, from = kindCronJob, ExtensionKey+".schedule"
			plan.crons = []cronSpec{{key: ExtensionKey + ".schedule", schedule: sched}}
		default:
			return invalidf("%s.schedule: a schedule makes a CronJob, but %s.workload is %q", ExtensionKey, ExtensionKey, ext.Workload)
		}
	}
	if job != nil {
		if plan.kind != "" && !isJobKind(plan.kind) {
			w.drop(svc.Name, from, "ignored: a top-level job is a Job or CronJob")
			plan.kind = ""
		}
		k, err := jobTriggers(svc.Name, job, plan)
		if err != nil {
			return err
		}
		if plan.kind == "" {
			plan.kind, from = k, "jobs"
		}
		// A compose job is not restarted: it runs once per trigger.
		restart = types.RestartPolicyNo
	}
	komposeKind, err := komposeWorkload(svc, plan)
	if err != nil {
		return err
	}
	komposeFrom := "labels." + komposeControllerType
	if komposeKind == kindCronJob {
		komposeFrom = "labels." + komposeCronSchedule
	}
	switch {
	case komposeKind == "":
	case plan.kind == "":
		plan.kind, from = komposeKind, komposeFrom
	default:
		w.drop(svc.Name, komposeFrom, "ignored: %s decides the workload", from)
	}

	switch modeKind := deployModeKind(svc, w); {
	case modeKind == "":
	case plan.kind == "":
		plan.kind, from = modeKind, "deploy.mode"
	case plan.kind != modeKind:
		w.drop(svc.Name, "deploy.mode", "ignored: %s makes a %s", from, plan.kind)
	}

	runsToEnd := restart == types.RestartPolicyNo || restart == types.RestartPolicyOnFailure
	use := c.plan.usage[svc.Name]
	switch {
	case plan.kind == "" && runsToEnd && hasPorts(svc):
		w.warn(svc.Name, restartKey, "approximated: a service with ports stays a Deployment, whose pods always restart; restart %q would make a Job", restart)
		plan.kind = kindDeployment
	case plan.kind == "" && use.completedBy != "" && !hasPorts(svc):
		// Waited for to complete: one-shot, whatever its restart
		// policy; unset is compose's default "no".
		plan.kind, from = kindJob, "depends_on"
		if restartKey == "" {
			restart = types.RestartPolicyNo
		}
	case plan.kind == "" && runsToEnd:
		if why := c.longRunning(svc, use); why != "" {
			w.warn(svc.Name, restartKey, "approximated: a long-running service (%s) stays a Deployment, whose pods always restart; restart %q would make a Job", why, restart)
			plan.kind = kindDeployment
			break
		}
		plan.kind = kindJob
	case plan.kind == "":
		plan.kind = kindDeployment
	case !isJobKind(plan.kind) && runsToEnd:
		w.warn(svc.Name, restartKey, "approximated: a %s's pods always restart (%s decides the workload)", plan.kind, from)
	}

	if isJobKind(plan.kind) {
		if err := jobRetries(svc, plan, job != nil, from, restart, maxAttempts, restartKey); err != nil {
			return err
		}
	}
	if plan.komposeBackoff != nil && plan.kind == kindCronJob {
		plan.backoffLimit = plan.komposeBackoff
	}
	if maxAttempts != nil && plan.backoffLimit == nil {
		w.drop(svc.Name, "deploy.restart_policy.max_attempts", "a %s's pods restart with Kubernetes' back-off without limit, dropped", plan.kind)
	}
	c.replicaWarnings(svc, plan)
	return nil
}

// deployModeKind is the kind deploy.mode asks for, "" for replicated.
func deployModeKind(svc *types.ServiceConfig, w *warningList) string {
	mode := ""
	if svc.Deploy != nil {
		mode = svc.Deploy.Mode
	}
	switch mode {
	case "", "replicated":
	case "global":
		return kindDaemonSet
	case "replicated-job":
		return kindJob
	case "global-job":
		w.warn(svc.Name, "deploy.mode", "approximated: global-job becomes a Job of one pod; Kubernetes has no run-once-per-node Job")
		return kindJob
	default:
		w.warn(svc.Name, "deploy.mode", "approximated: unknown mode %q, treated as replicated", mode)
	}
	return ""
}

// jobRetries sets how a Job's or CronJob's pods restart and retry, and
// drops what a run-to-completion workload cannot have. topLevel is set for
// a top-level job; from is the key that decided the kind.
func jobRetries(svc *types.ServiceConfig, plan *workloadPlan, topLevel bool, from, restart string, maxAttempts *uint64, restartKey string) error {
	w := &plan.warnings
	plan.restart = corev1.RestartPolicyOnFailure
	switch restart {
	case types.RestartPolicyNo:
		plan.restart = corev1.RestartPolicyNever
		zero := int32(0)
		plan.backoffLimit = &zero
	case types.RestartPolicyOnFailure:
		if maxAttempts != nil {
			n := int32(*maxAttempts)
			plan.backoffLimit = &n
		} else if !topLevel && plan.komposeBackoff == nil {
			w.warn(svc.Name, restartKey, "approximated: on-failure retries without limit; the %s gives up after Kubernetes' default of 6 retries (backoffLimit)", plan.kind)
		}
	case types.RestartPolicyAlways:
		if restartKey != "" {
			w.warn(svc.Name, restartKey, "approximated: a %s's pods cannot always restart; they restart on failure", plan.kind)
		}
	}
	if len(svc.Ports) > 0 {
		w.drop(svc.Name, "ports", "a %s gets no Service, dropped", plan.kind)
	}
	if len(svc.Expose) > 0 {
		w.drop(svc.Name, "expose", "a %s gets no Service, dropped", plan.kind)
	}
	if updateConfig(svc) != nil {
		w.drop(svc.Name, "deploy.update_config", "a %s is not updated in place, dropped", plan.kind)
	}
	if plan.kind == kindJob && len(plan.crons) > 0 {
		w.drop(svc.Name, plan.crons[0].key, "ignored: %s makes a Job", from)
		plan.crons = nil
	}
	if plan.kind == kindCronJob && len(plan.crons) == 0 {
		return invalidf("%s.workload: cronjob needs %s.schedule", ExtensionKey, ExtensionKey)
	}
	return nil
}

// restartPolicy reads deploy.restart_policy.condition, else restart, as
// "always", "no" or "on-failure", with the retry limit and the key it came
// from ("" when neither is set).
func restartPolicy(svc *types.ServiceConfig, w *warningList) (policy string, maxAttempts *uint64, key string) {
	policy = types.RestartPolicyAlways
	switch r := svc.Restart; {
	case r == "":
	case r == types.RestartPolicyAlways, r == types.RestartPolicyUnlessStopped:
		key = "restart"
	case r == types.RestartPolicyNo:
		policy, key = r, "restart"
	case r == types.RestartPolicyOnFailure:
		policy, key = r, "restart"
	case strings.HasPrefix(r, types.RestartPolicyOnFailure+":"):
		policy, key = types.RestartPolicyOnFailure, "restart"
		n, err := strconv.ParseUint(strings.TrimPrefix(r, types.RestartPolicyOnFailure+":"), 10, 31)
		if err != nil {
			w.warn(svc.Name, "restart", "approximated: %q has no valid retry count; retries use Kubernetes' default", r)
		} else {
			maxAttempts = &n
		}
	default:
		w.warn(svc.Name, "restart", "approximated: unknown policy %q, treated as always", r)
		key = "restart"
	}
	if svc.Deploy == nil || svc.Deploy.RestartPolicy == nil {
		return policy, maxAttempts, key
	}
	rp := svc.Deploy.RestartPolicy
	if rp.Delay != nil {
		w.drop(svc.Name, "deploy.restart_policy.delay", "Kubernetes restarts with its own exponential back-off, dropped")
	}
	if rp.Window != nil {
		w.drop(svc.Name, "deploy.restart_policy.window", "Kubernetes restarts with its own exponential back-off, dropped")
	}
	cond := ""
	switch rp.Condition {
	case "":
		if rp.MaxAttempts != nil && policy == types.RestartPolicyOnFailure {
			maxAttempts = rp.MaxAttempts
		} else if rp.MaxAttempts != nil {
			w.drop(svc.Name, "deploy.restart_policy.max_attempts", "no condition on-failure or restart on-failure to apply it to, dropped")
		}
		return policy, maxAttempts, key
	case "any":
		cond = types.RestartPolicyAlways
	case "none":
		cond = types.RestartPolicyNo
	case types.RestartPolicyOnFailure:
		cond = types.RestartPolicyOnFailure
	default:
		w.warn(svc.Name, "deploy.restart_policy.condition", "approximated: unknown condition %q, treated as any", rp.Condition)
		cond = types.RestartPolicyAlways
	}
	if key == "restart" && cond != policy {
		w.drop(svc.Name, "restart", "ignored: deploy.restart_policy.condition %q wins, as in docker compose", rp.Condition)
	}
	maxAttempts = nil
	if cond == types.RestartPolicyOnFailure {
		maxAttempts = rp.MaxAttempts
	} else if rp.MaxAttempts != nil {
		w.drop(svc.Name, "deploy.restart_policy.max_attempts", "only applies to condition on-failure, dropped")
	}
	return cond, maxAttempts, "deploy.restart_policy.condition"
}

// replicaWarnings warns about replica counts a kind cannot honour and sets
// a Job's completions.
func (c *converter) replicaWarnings(svc *types.ServiceConfig, plan *workloadPlan) {
	key := ""
	switch {
	case c.opts.Replicas != nil && !isJobKind(plan.kind):
		// --replicas scales long-running services, not run counts.
		key = "--replicas"
	case svc.Scale != nil:
		// compose-go copies scale into deploy.replicas: name the key the
		// file sets.
		key = "scale"
	case svc.Deploy != nil && svc.Deploy.Replicas != nil:
		key = "deploy.replicas"
	}
	if c.opts.Replicas != nil && isJobKind(plan.kind) {
		plan.warnings.drop(svc.Name, "--replicas", "scales long-running services; a %s runs its pods to completion (set deploy.replicas for parallel runs), dropped", plan.kind)
	}
	if key == "" {
		return
	}
	n := int32(1)
	switch key {
	case "--replicas":
		n = *c.opts.Replicas
	case "deploy.replicas":
		n = int32(*svc.Deploy.Replicas)
	case "scale":
		n = int32(*svc.Scale)
	}
	switch plan.kind {
	case kindDaemonSet:
		plan.warnings.drop(svc.Name, key, "a DaemonSet runs one pod on every node, dropped")
	case kindJob, kindCronJob:
		if n > 1 {
			plan.completions = &n
		} else if n < 1 {
			plan.warnings.drop(svc.Name, key, "%d replicas: a %s runs at least one pod, dropped", n, plan.kind)
		}
	}
}

// komposeWorkload reads kompose.controller.type and kompose.cronjob.*.
func komposeWorkload(svc *types.ServiceConfig, plan *workloadPlan) (string, error) {
	kind := ""
	if v, ok := svc.Labels[komposeControllerType]; ok {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "deployment":
			kind = kindDeployment
		case "statefulset":
			kind = kindStatefulSet
		case "daemonset":
			kind = kindDaemonSet
		case "replicationcontroller":
			kind = kindDeployment
			plan.warnings.warn(svc.Name, "labels."+komposeControllerType, "approximated: replicationcontroller becomes a Deployment")
		default:
			return "", invalidf("labels.%s: %q: want deployment, statefulset, daemonset or replicationcontroller", komposeControllerType, v)
		}
	}
	sched, hasSched := svc.Labels[komposeCronSchedule]
	policy, hasPolicy := svc.Labels[komposeCronConcurrency]
	backoff, hasBackoff := svc.Labels[komposeCronBackoffLimit]
	for _, k := range slices.Sorted(maps.Keys(svc.Labels)) {
		if strings.HasPrefix(k, komposeCronJobLabelPrefix) && k != komposeCronSchedule && k != komposeCronConcurrency && k != komposeCronBackoffLimit {
			plan.warnings.drop(svc.Name, "labels."+k, "unknown kompose cronjob label, dropped")
		}
	}
	if !hasSched {
		if hasPolicy || hasBackoff {
			plan.warnings.drop(svc.Name, "labels."+komposeCronJobLabelPrefix+"*", "ignored: no %s", komposeCronSchedule)
		}
		return kind, nil
	}
	if kind != "" {
		plan.warnings.drop(svc.Name, "labels."+komposeControllerType, "ignored: %s makes a CronJob", komposeCronSchedule)
	}
	if len(plan.crons) > 0 {
		plan.warnings.drop(svc.Name, "labels."+komposeCronJobLabelPrefix+"*", "ignored: %s is set", plan.crons[0].key)
		return "", nil
	}
	spec := cronSpec{key: "labels." + komposeCronSchedule, schedule: strings.TrimSpace(sched)}
	if hasPolicy {
		switch strings.ToLower(strings.TrimSpace(policy)) {
		case "allow":
			spec.concurrency = batchv1.AllowConcurrent
		case "forbid":
			spec.concurrency = batchv1.ForbidConcurrent
		case "replace":
			spec.concurrency = batchv1.ReplaceConcurrent
		default:
			return "", invalidf("labels.%s: %q: want Allow, Forbid or Replace", komposeCronConcurrency, policy)
		}
	}
	if hasBackoff {
		n, err := strconv.ParseInt(strings.TrimSpace(backoff), 10, 32)
		if err != nil || n < 0 {
			return "", invalidf("labels.%s: %q is not a non-negative integer", komposeCronBackoffLimit, backoff)
		}
		b := int32(n)
		plan.komposeBackoff = &b
	}
	plan.crons = []cronSpec{spec}
	return kindCronJob, nil
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

// updateParallelism is update_config.parallelism as a Kubernetes count:
// 0 means all at once.
func updateParallelism(u *types.UpdateConfig) intstr.IntOrString {
	if u.Parallelism == nil {
		return intstr.FromInt32(1)
	}
	if *u.Parallelism == 0 {
		return intstr.FromString("100%")
	}
	return intstr.FromInt32(int32(*u.Parallelism))
}

// updateDrops warns about the update_config settings Kubernetes has no
// field for.
func (c *converter) updateDrops(svc *types.ServiceConfig, u *types.UpdateConfig) {
	if u.Delay != 0 {
		c.drop(svc.Name, "deploy.update_config.delay", "Kubernetes rolls on as soon as new pods are ready, dropped")
	}
	if u.FailureAction != "" {
		c.drop(svc.Name, "deploy.update_config.failure_action", "a stalled rollout stops; roll back with kubectl rollout undo, dropped")
	}
	if u.Monitor != 0 {
		c.drop(svc.Name, "deploy.update_config.monitor", "set minReadySeconds on the workload instead, dropped")
	}
	if u.MaxFailureRatio != 0 {
		c.drop(svc.Name, "deploy.update_config.max_failure_ratio", "Kubernetes has no failure ratio for rollouts, dropped")
	}
	switch u.Order {
	case "", "stop-first", "start-first":
	default:
		c.warn(svc.Name, "deploy.update_config.order", "approximated: unknown order %q, treated as stop-first", u.Order)
	}
}

func updateConfig(svc *types.ServiceConfig) *types.UpdateConfig {
	if svc.Deploy == nil {
		return nil
	}
	return svc.Deploy.UpdateConfig
}

// deploymentStrategy is Recreate when the pod mounts a ReadWriteOnce claim
// (a new pod on another node could not attach it while the old one runs),
// else the rolling update update_config describes.
func (c *converter) deploymentStrategy(s *svcCtx) appsv1.DeploymentStrategy {
	svc := s.svc
	u := updateConfig(svc)
	for _, cl := range s.claims {
		if cl.readWriteOnce {
			switch {
			case cl.unknownMode:
				key := "volumes"
				if u != nil {
					key = "deploy.update_config"
				}
				c.warn(svc.Name, key, "approximated: the pod mounts the external claim %q, whose access mode is unknown, so updates stop the old pod before starting the new one (Recreate); declare x-kubernetes.accessMode: ReadWriteMany on the volume to roll", cl.name)
			case u != nil:
				c.warn(svc.Name, "deploy.update_config", "approximated: the pod mounts the ReadWriteOnce claim %q, so updates stop the old pod before starting the new one (Recreate)", cl.name)
			}
			return appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType}
		}
	}
	if u == nil {
		return appsv1.DeploymentStrategy{}
	}
	c.updateDrops(svc, u)
	n, zero := updateParallelism(u), intstr.FromInt32(0)
	ru := &appsv1.RollingUpdateDeployment{MaxSurge: &zero, MaxUnavailable: &n}
	if u.Order == "start-first" {
		ru = &appsv1.RollingUpdateDeployment{MaxSurge: &n, MaxUnavailable: &zero}
	}
	return appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType, RollingUpdate: ru}
}

func (c *converter) daemonSetStrategy(s *svcCtx) appsv1.DaemonSetUpdateStrategy {
	u := updateConfig(s.svc)
	if u == nil {
		return appsv1.DaemonSetUpdateStrategy{}
	}
	c.updateDrops(s.svc, u)
	n, zero := updateParallelism(u), intstr.FromInt32(0)
	ru := &appsv1.RollingUpdateDaemonSet{MaxUnavailable: &n}
	if u.Order == "start-first" {
		ru = &appsv1.RollingUpdateDaemonSet{MaxSurge: &n, MaxUnavailable: &zero}
	}
	return appsv1.DaemonSetUpdateStrategy{Type: appsv1.RollingUpdateDaemonSetStrategyType, RollingUpdate: ru}
}

func (c *converter) statefulSetStrategy(s *svcCtx) appsv1.StatefulSetUpdateStrategy {
	u := updateConfig(s.svc)
	if u == nil {
		return appsv1.StatefulSetUpdateStrategy{}
	}
	c.updateDrops(s.svc, u)
	if u.Order == "start-first" {
		c.warn(s.svc.Name, "deploy.update_config.order", "approximated: a StatefulSet stops each pod before starting its replacement (stop-first)")
	}
	n := updateParallelism(u)
	if n.Type == intstr.Int && n.IntVal == 1 {
		return appsv1.StatefulSetUpdateStrategy{Type: appsv1.RollingUpdateStatefulSetStrategyType}
	}
	return appsv1.StatefulSetUpdateStrategy{
		Type:          appsv1.RollingUpdateStatefulSetStrategyType,
		RollingUpdate: &appsv1.RollingUpdateStatefulSetStrategy{MaxUnavailable: &n},
	}
}
