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

// workloadState is what the workload area knows about the whole project.
type workloadState struct {
	// owner maps a service that joins another's network
	// (network_mode: service:X) to X, whose pod it joins.
	owner map[string]string
	// sidecars lists, sorted, the services that join each service's pod.
	sidecars map[string][]string
	// jobs are the top-level jobs, by name.
	jobs map[string]*types.JobConfig
	// plans are the workload decisions of each converted service or job.
	plans map[string]*workloadPlan
}

// workloadPlan is what workloadKind decided for one service.
type workloadPlan struct {
	kind string
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

// sidecarOwner is the service whose pod the service joins, or "".
func (c *converter) sidecarOwner(name string) string { return c.wl.owner[name] }

// prepareWorkloads runs before any service is converted: it finds the
// services that join another's pod and names the top-level jobs.
func (c *converter) prepareWorkloads() error {
	c.wl = workloadState{owner: map[string]string{}, sidecars: map[string][]string{}, jobs: map[string]*types.JobConfig{}, plans: map[string]*workloadPlan{}}
	p := c.project
	for _, name := range p.ServiceNames() {
		svc := p.Services[name]
		target, err := c.joinTarget(name, svc.NetworkMode)
		if err != nil {
			return err
		}
		if target != "" {
			c.wl.owner[name] = target
			c.wl.sidecars[target] = append(c.wl.sidecars[target], name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(c.wl.owner)) {
		target := c.wl.owner[name]
		if next := c.wl.owner[target]; next != "" {
			if next == name {
				return invalidf("services %q and %q: network_mode: each joins the other's network; one of them must own it", name, target)
			}
			return invalidf("service %q: network_mode: joins %q, which itself joins %q; point network_mode at %q directly", name, target, next, next)
		}
	}
	owners := map[string]string{}
	for svc, n := range c.names {
		owners[n] = svc
	}
	for _, name := range slices.Sorted(maps.Keys(p.Jobs)) {
		n, err := ObjectName(name)
		if err != nil {
			return fmt.Errorf("job %q: %w", name, err)
		}
		if n[0] >= '0' && n[0] <= '9' {
			return invalidf("job %q: a Kubernetes Job name must start with a letter", name)
		}
		if other, ok := owners[n]; ok {
			return invalidf("%q and job %q: both become the Kubernetes name %q; rename one", other, name, n)
		}
		owners[n] = name
		c.names[name] = n
		job := p.Jobs[name]
		c.wl.jobs[name] = &job
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

// isJobKind reports whether the kind runs to completion.
func isJobKind(kind string) bool { return kind == kindJob || kind == kindCronJob }

// workloadKind decides the kind the service becomes, and for Jobs how they
// retry. In order: x-kubernetes.workload and .schedule, top-level jobs,
// kompose.controller.type and kompose.cronjob.schedule, deploy.mode, then
// the restart policy of a service without ports.
func (c *converter) workloadKind(s *svcCtx) (string, error) {
	svc := s.svc
	plan := &workloadPlan{}
	c.wl.plans[svc.Name] = plan
	restart, maxAttempts, restartKey := c.restartPolicy(svc)
	hasPorts := len(svc.Ports) > 0 || len(svc.Expose) > 0

	from := ""
	job := c.wl.jobs[svc.Name]
	switch w := strings.ToLower(s.ext.Workload); w {
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
		return "", invalidf("%s.workload: %q: want deployment, statefulset, daemonset, job or cronjob", ExtensionKey, s.ext.Workload)
	}
	if plan.kind != "" {
		from = ExtensionKey + ".workload"
	}
	if sched := s.ext.Schedule; sched != "" {
		switch plan.kind {
		case "", kindCronJob:
			plan.kind, from = kindCronJob, ExtensionKey+".schedule"
			plan.crons = []cronSpec{{key: ExtensionKey + ".schedule", schedule: sched}}
		default:
			return "", invalidf("%s.schedule: a schedule makes a CronJob, but %s.workload is %q", ExtensionKey, ExtensionKey, s.ext.Workload)
		}
	}
	if job != nil {
		if plan.kind != "" && !isJobKind(plan.kind) {
			c.drop(svc.Name, from, "ignored: a top-level job is a Job or CronJob")
			plan.kind = ""
		}
		k, err := c.jobTriggers(svc.Name, job, plan)
		if err != nil {
			return "", err
		}
		if plan.kind == "" {
			plan.kind, from = k, "jobs"
		}
		// A compose job is not restarted: it runs once per trigger.
		restart = types.RestartPolicyNo
	}
	komposeKind, err := c.komposeWorkload(svc, plan)
	if err != nil {
		return "", err
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
		c.drop(svc.Name, komposeFrom, "ignored: %s decides the workload", from)
	}

	mode := ""
	if svc.Deploy != nil {
		mode = svc.Deploy.Mode
	}
	modeKind := ""
	switch mode {
	case "", "replicated":
	case "global":
		modeKind = kindDaemonSet
	case "replicated-job":
		modeKind = kindJob
	case "global-job":
		modeKind = kindJob
		c.warn(svc.Name, "deploy.mode", "approximated: global-job becomes a Job of one pod; Kubernetes has no run-once-per-node Job")
	default:
		c.warn(svc.Name, "deploy.mode", "unknown mode %q, treated as replicated", mode)
	}
	switch {
	case modeKind == "":
	case plan.kind == "":
		plan.kind, from = modeKind, "deploy.mode"
	case plan.kind != modeKind:
		c.drop(svc.Name, "deploy.mode", "ignored: %s makes a %s", from, plan.kind)
	}

	runsToEnd := restart == types.RestartPolicyNo || restart == types.RestartPolicyOnFailure
	switch {
	case plan.kind == "" && runsToEnd && hasPorts:
		c.warn(svc.Name, restartKey, "approximated: a service with ports stays a Deployment, whose pods always restart; restart %q would make a Job", restart)
		plan.kind = kindDeployment
	case plan.kind == "" && runsToEnd:
		plan.kind = kindJob
	case plan.kind == "":
		plan.kind = kindDeployment
	case !isJobKind(plan.kind) && runsToEnd:
		c.warn(svc.Name, restartKey, "approximated: a %s's pods always restart (%s decides the workload)", plan.kind, from)
	}

	if isJobKind(plan.kind) {
		plan.restart = corev1.RestartPolicyOnFailure
		switch restart {
		case types.RestartPolicyNo:
			plan.restart = corev1.RestartPolicyNever
			zero := int32(0)
			plan.backoffLimit = &zero
		case types.RestartPolicyOnFailure:
			if maxAttempts != nil {
				n := int32(min(*maxAttempts, 1<<30))
				plan.backoffLimit = &n
			} else if job == nil && plan.komposeBackoff == nil {
				c.warn(svc.Name, restartKey, "approximated: on-failure retries without limit; the %s gives up after Kubernetes' default of 6 retries (backoffLimit)", plan.kind)
			}
		case types.RestartPolicyAlways:
			if restartKey != "" {
				c.warn(svc.Name, restartKey, "approximated: a %s's pods cannot always restart; they restart on failure", plan.kind)
			}
		}
		if hasPorts {
			c.drop(svc.Name, "ports", "a %s gets no Service, dropped", plan.kind)
		}
		if updateConfig(svc) != nil {
			c.drop(svc.Name, "deploy.update_config", "a %s is not updated in place, dropped", plan.kind)
		}
		if plan.kind == kindJob && len(plan.crons) > 0 {
			c.drop(svc.Name, plan.crons[0].key, "ignored: %s makes a Job", from)
			plan.crons = nil
		}
		if plan.kind == kindCronJob && len(plan.crons) == 0 {
			return "", invalidf("%s.workload: cronjob needs %s.schedule", ExtensionKey, ExtensionKey)
		}
	}
	if plan.komposeBackoff != nil && plan.kind == kindCronJob {
		plan.backoffLimit = plan.komposeBackoff
	}
	if maxAttempts != nil && plan.backoffLimit == nil {
		c.drop(svc.Name, "deploy.restart_policy.max_attempts", "a %s's pods restart with Kubernetes' back-off without limit, dropped", plan.kind)
	}
	c.replicaWarnings(s, plan)
	return plan.kind, nil
}

// restartPolicy reads deploy.restart_policy.condition, else restart, as
// "always", "no" or "on-failure", with the retry limit and the key it came
// from ("" when neither is set).
func (c *converter) restartPolicy(svc *types.ServiceConfig) (policy string, maxAttempts *uint64, key string) {
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
			c.warn(svc.Name, "restart", "approximated: %q has no valid retry count; retries use Kubernetes' default", r)
		} else {
			maxAttempts = &n
		}
	default:
		c.warn(svc.Name, "restart", "unknown policy %q, treated as always", r)
		key = "restart"
	}
	if svc.Deploy == nil || svc.Deploy.RestartPolicy == nil {
		return policy, maxAttempts, key
	}
	rp := svc.Deploy.RestartPolicy
	if rp.Delay != nil {
		c.drop(svc.Name, "deploy.restart_policy.delay", "Kubernetes restarts with its own exponential back-off, dropped")
	}
	if rp.Window != nil {
		c.drop(svc.Name, "deploy.restart_policy.window", "Kubernetes restarts with its own exponential back-off, dropped")
	}
	cond := ""
	switch rp.Condition {
	case "":
		if rp.MaxAttempts != nil && policy == types.RestartPolicyOnFailure {
			maxAttempts = rp.MaxAttempts
		} else if rp.MaxAttempts != nil {
			c.drop(svc.Name, "deploy.restart_policy.max_attempts", "no condition on-failure or restart on-failure to apply it to, dropped")
		}
		return policy, maxAttempts, key
	case "any":
		cond = types.RestartPolicyAlways
	case "none":
		cond = types.RestartPolicyNo
	case types.RestartPolicyOnFailure:
		cond = types.RestartPolicyOnFailure
	default:
		c.warn(svc.Name, "deploy.restart_policy.condition", "unknown condition %q, treated as any", rp.Condition)
		cond = types.RestartPolicyAlways
	}
	if key == "restart" && cond != policy {
		c.drop(svc.Name, "restart", "ignored: deploy.restart_policy.condition %q wins, as in docker compose", rp.Condition)
	}
	maxAttempts = nil
	if cond == types.RestartPolicyOnFailure {
		maxAttempts = rp.MaxAttempts
	} else if rp.MaxAttempts != nil {
		c.drop(svc.Name, "deploy.restart_policy.max_attempts", "only applies to condition on-failure, dropped")
	}
	return cond, maxAttempts, "deploy.restart_policy.condition"
}

// replicaWarnings warns about replica counts a kind cannot honour and sets
// a Job's completions.
func (c *converter) replicaWarnings(s *svcCtx, plan *workloadPlan) {
	svc := s.svc
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
		if key != "--replicas" {
			c.drop(svc.Name, key, "a DaemonSet runs one pod on every node, dropped")
		}
	case kindJob, kindCronJob:
		if n > 1 {
			plan.completions = &n
		} else if n < 1 {
			c.drop(svc.Name, key, "a %s runs at least one pod; %d replicas dropped", plan.kind, n)
		}
	}
}

// komposeWorkload reads kompose.controller.type and kompose.cronjob.*.
func (c *converter) komposeWorkload(svc *types.ServiceConfig, plan *workloadPlan) (string, error) {
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
			c.warn(svc.Name, "labels."+komposeControllerType, "approximated: replicationcontroller becomes a Deployment")
		default:
			return "", invalidf("labels.%s: %q: want deployment, statefulset, daemonset or replicationcontroller", komposeControllerType, v)
		}
	}
	sched, hasSched := svc.Labels[komposeCronSchedule]
	policy, hasPolicy := svc.Labels[komposeCronConcurrency]
	backoff, hasBackoff := svc.Labels[komposeCronBackoffLimit]
	for _, k := range slices.Sorted(maps.Keys(svc.Labels)) {
		if strings.HasPrefix(k, komposeCronJobLabelPrefix) && k != komposeCronSchedule && k != komposeCronConcurrency && k != komposeCronBackoffLimit {
			c.drop(svc.Name, "labels."+k, "unknown kompose cronjob label, dropped")
		}
	}
	if !hasSched {
		if hasPolicy || hasBackoff {
			c.drop(svc.Name, "labels."+komposeCronJobLabelPrefix+"*", "ignored: no %s", komposeCronSchedule)
		}
		return kind, nil
	}
	if kind != "" {
		c.drop(svc.Name, "labels."+komposeControllerType, "ignored: %s makes a CronJob", komposeCronSchedule)
	}
	if len(plan.crons) > 0 {
		c.drop(svc.Name, "labels."+komposeCronJobLabelPrefix+"*", "ignored: %s is set", plan.crons[0].key)
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
	plan := c.wl.plans[s.svc.Name]
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
			Spec:       c.jobSpec(s, plan, pod),
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
func (c *converter) jobSpec(s *svcCtx, plan *workloadPlan, pod corev1.PodTemplateSpec) batchv1.JobSpec {
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
// headless: it is, unless its type is NodePort or LoadBalancer.
func statefulSetHeadless(c *converter, s *svcCtx) bool {
	if len(s.ports) == 0 {
		return true
	}
	typ := c.opts.ServiceType
	if s.ext.Service != nil && s.ext.Service.Type != "" {
		typ = s.ext.Service.Type
	}
	return typ == "" || typ == corev1.ServiceTypeClusterIP
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
	return intstr.FromInt32(int32(min(*u.Parallelism, 1<<30)))
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
		c.warn(svc.Name, "deploy.update_config.order", "unknown order %q, treated as stop-first", u.Order)
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
			if u != nil {
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
