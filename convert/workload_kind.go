package convert

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
)

// Workloads: which kind a service becomes (Deployment, StatefulSet,
// DaemonSet, Job, CronJob) from deploy.mode, restart, x-kubernetes and
// kompose labels, with its Job retries and CronJob schedules.

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
		// n parallel runs; none (replicas: 0) is a Job of 0 completions,
		// which completes at once without a pod, as compose starts no
		// container.
		if n != 1 {
			plan.completions = &n
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
