package convert

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // time zones are checked the same on every host

	"github.com/compose-spec/compose-go/v2/types"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// maxCronJobName is the longest CronJob name: the controller appends an
// 11-character suffix to name its Jobs, which must stay within 63.
const maxCronJobName = 52

// missedFiresDeadline is how late a CronJob run may start when compose asks
// to skip missed fires.
const missedFiresDeadline = int64(60)

// jobs converts the top-level jobs: section. A job is a container like a
// service's, so it goes through the same steps; it becomes a Job, or a
// CronJob per schedule.
func (c *converter) jobs() error {
	for _, name := range slices.Sorted(maps.Keys(c.plan.jobs)) {
		svc := jobService(name, c.plan.jobs[name])
		start := len(c.warnings)
		if err := c.service(&svc); err != nil {
			return fmt.Errorf("job %q: %w", name, err)
		}
		// Warnings name the job by its key path, not as a service.
		for i := start; i < len(c.warnings); i++ {
			if w := &c.warnings[i]; w.Service == name {
				w.Service, w.Key = "", "jobs."+name+"."+w.Key
			}
		}
	}
	return nil
}

// jobService is a top-level job as the service its pod is built from.
func jobService(name string, job *types.JobConfig) types.ServiceConfig {
	return types.ServiceConfig{
		Name:          name,
		Profiles:      job.Profiles,
		ContainerSpec: job.ContainerSpec,
		WorkloadSpec:  job.WorkloadSpec,
		Extensions:    job.Extensions,
	}
}

// podSource returns the service, or the top-level job as a service, named
// name: both get pods that mount volumes, configs and secrets.
func (c *converter) podSource(name string) (types.ServiceConfig, bool) {
	if svc, ok := c.project.Services[name]; ok {
		return svc, true
	}
	if job, ok := c.plan.jobs[name]; ok {
		return jobService(name, job), true
	}
	return types.ServiceConfig{}, false
}

// podSources lists the services, then the top-level jobs, each sorted.
func (c *converter) podSources() []string {
	return append(c.project.ServiceNames(), slices.Sorted(maps.Keys(c.plan.jobs))...)
}

// jobTriggers reads a top-level job's triggers: each schedule is a
// CronJob; without one the job is a Job.
func jobTriggers(name string, job *types.JobConfig, plan *workloadPlan) (string, error) {
	t := job.Triggers
	if t == nil {
		t = &types.TriggerConfig{}
	}
	var crons []cronSpec
	for i, sc := range t.Schedule {
		key := fmt.Sprintf("triggers.schedule[%d]", i)
		if strings.TrimSpace(sc.Cron) == "" {
			return "", invalidf("%s: cron is empty", key)
		}
		cs := cronSpec{key: key, schedule: strings.TrimSpace(sc.Cron), timeZone: sc.Timezone, concurrency: batchv1.ForbidConcurrent}
		if err := checkTimeZone(key+".timezone", sc.Timezone); err != nil {
			return "", err
		}
		switch sc.Concurrency {
		case "", "forbid":
		case "queue":
			plan.warnings.warn(name, key+".concurrency", "approximated: Kubernetes cannot queue a run; a run that fires while the previous one is still running is skipped (Forbid)")
		default:
			return "", invalidf("%s.concurrency: %q: want forbid or queue", key, sc.Concurrency)
		}
		switch sc.MissedFires {
		case "", "one":
			// The CronJob controller starts one catch-up run.
		case "skip":
			d := missedFiresDeadline
			cs.startingDeadline = &d
			plan.warnings.warn(name, key+".missed_fires", "approximated: a run that cannot start within %ds of its time is skipped (startingDeadlineSeconds)", d)
		default:
			return "", invalidf("%s.missed_fires: %q: want one or skip", key, sc.MissedFires)
		}
		crons = append(crons, cs)
	}
	if t.Manual != nil && !*t.Manual && len(crons) > 0 {
		plan.warnings.drop(name, "triggers.manual", "anyone who can create Jobs can run a CronJob by hand (kubectl create job --from), dropped")
	}
	switch {
	case len(crons) > 0 && len(plan.crons) > 0:
		plan.warnings.drop(name, "triggers.schedule", "ignored: %s.schedule is set", ExtensionKey)
	case len(crons) > 0:
		plan.crons = crons
	}
	if len(plan.crons) == 0 {
		plan.warnings.warn(name, "triggers", "approximated: the Job runs once when applied; compose runs the job only when asked")
		return kindJob, nil
	}
	return kindCronJob, nil
}

// checkTimeZone rejects what the CronJob API would: a time zone that is
// not in the IANA database (embedded, so the answer does not depend on the
// host), and Local.
func checkTimeZone(key, tz string) error {
	if tz == "" {
		return nil
	}
	if _, err := time.LoadLocation(tz); err != nil || strings.EqualFold(tz, "Local") || strings.TrimSpace(tz) != tz {
		return invalidf("%s: %q is not an IANA time zone such as Europe/Paris", key, tz)
	}
	return nil
}

// checkCron rejects what the CronJob API would: a schedule needs five
// fields or one of the @ macros, and a time zone goes in timeZone.
func checkCron(key, cron string) error {
	switch {
	case strings.HasPrefix(cron, "TZ=") || strings.HasPrefix(cron, "CRON_TZ="):
		return invalidf("%s: %q: a time zone in the schedule is not accepted by Kubernetes; use the job's timezone", key, cron)
	case strings.HasPrefix(cron, "@"):
		switch cron {
		case "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly":
			return nil
		}
		return invalidf("%s: %q: want @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly", key, cron)
	case len(strings.Fields(cron)) != 5:
		return invalidf("%s: %q: want five fields (minute hour day-of-month month day-of-week)", key, cron)
	}
	return nil
}

// cronJobs emits one CronJob per schedule.
func (c *converter) cronJobs(s *svcCtx, plan *workloadPlan, meta metav1.ObjectMeta, pod corev1.PodTemplateSpec) error {
	if len(plan.crons) > 1 {
		c.warn(s.svc.Name, "triggers.schedule", "approximated: Kubernetes CronJobs have one schedule; each schedule becomes its own CronJob %s-1 .. %s-%d", s.name, s.name, len(plan.crons))
	}
	for i, cs := range plan.crons {
		if err := checkCron(cs.key, cs.schedule); err != nil {
			return err
		}
		name := s.name
		if len(plan.crons) > 1 {
			name = fmt.Sprintf("%s-%d", s.name, i+1)
		}
		if len(name) > maxCronJobName {
			return invalidf("CronJob name %q is longer than %d characters; shorten the name", name, maxCronJobName)
		}
		m := *meta.DeepCopy()
		m.Name = name
		cj := &batchv1.CronJob{
			TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: kindCronJob},
			ObjectMeta: m,
			Spec: batchv1.CronJobSpec{
				Schedule:                cs.schedule,
				ConcurrencyPolicy:       cs.concurrency,
				StartingDeadlineSeconds: cs.startingDeadline,
				JobTemplate: batchv1.JobTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: meta.Labels, Annotations: meta.Annotations},
					Spec:       c.jobSpec(plan, pod),
				},
			},
		}
		if cs.timeZone != "" {
			tz := cs.timeZone
			cj.Spec.TimeZone = &tz
		}
		c.add(cj)
	}
	return nil
}
