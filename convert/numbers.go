package convert

import (
	"fmt"
	"math"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
)

// maxInt32 is the largest value of a Kubernetes int32 field (replicas,
// completions, parallelism, probe periods and thresholds, ports, counts).
const maxInt32 = math.MaxInt32

// checkNumbers fails, naming the key, when a number of the service would
// not fit the Kubernetes field it becomes: every count must lie between 0
// and 2147483647 (int32), every duration that becomes whole seconds of an
// int32 field must stay within 2147483647 s, ports within 1-65535, CPUs
// and sizes must be finite and non-negative. The error has no service
// prefix: the caller adds it. Nothing is clamped.
func checkNumbers(svc *types.ServiceConfig) error {
	count := func(key string, n int64) error {
		if n < 0 || n > maxInt32 {
			return invalidf("%s: %d is out of range: want 0 to %d", key, n, maxInt32)
		}
		return nil
	}
	ucount := func(key string, n uint64) error {
		if n > maxInt32 {
			return invalidf("%s: %d is out of range: want 0 to %d", key, n, maxInt32)
		}
		return nil
	}
	secs := func(key string, d *types.Duration) error {
		if d == nil {
			return nil
		}
		if *d < 0 {
			// docker refuses these too ("cannot be negative").
			return invalidf("%s: %s must not be negative", key, time.Duration(*d))
		}
		if s := math.Ceil(time.Duration(*d).Seconds()); s > maxInt32 {
			return invalidf("%s: %s is out of range: want at most %d s", key, time.Duration(*d), maxInt32)
		}
		return nil
	}
	if svc.Scale != nil {
		if err := count("scale", int64(*svc.Scale)); err != nil {
			return err
		}
	}
	if d := svc.Deploy; d != nil {
		if d.Replicas != nil {
			if err := count("deploy.replicas", int64(*d.Replicas)); err != nil {
				return err
			}
		}
		if rp := d.RestartPolicy; rp != nil && rp.MaxAttempts != nil {
			if err := ucount("deploy.restart_policy.max_attempts", *rp.MaxAttempts); err != nil {
				return err
			}
		}
		if u := d.UpdateConfig; u != nil && u.Parallelism != nil {
			if err := ucount("deploy.update_config.parallelism", *u.Parallelism); err != nil {
				return err
			}
		}
		if err := ucount("deploy.placement.max_replicas_per_node", d.Placement.MaxReplicas); err != nil {
			return err
		}
		for _, r := range []struct {
			key string
			res *types.Resource
		}{{"deploy.resources.limits", d.Resources.Limits}, {"deploy.resources.reservations", d.Resources.Reservations}} {
			if r.res == nil {
				continue
			}
			if err := cpus(r.key+".cpus", float64(r.res.NanoCPUs)); err != nil {
				return err
			}
			if r.res.MemoryBytes < 0 {
				return invalidf("%s.memory: %s", r.key, negativeSize(int64(r.res.MemoryBytes)))
			}
		}
	}
	if err := cpus("cpus", float64(svc.CPUS)); err != nil {
		return err
	}
	for _, b := range []struct {
		key string
		n   types.UnitBytes
	}{{"mem_limit", svc.MemLimit}, {"mem_reservation", svc.MemReservation}, {"shm_size", svc.ShmSize}} {
		if b.n < 0 {
			return invalidf("%s: %s", b.key, negativeSize(int64(b.n)))
		}
	}
	for i, v := range svc.Volumes {
		if v.Tmpfs != nil && v.Tmpfs.Size < 0 {
			return invalidf("volumes[%d].tmpfs.size: %s", i, negativeSize(int64(v.Tmpfs.Size)))
		}
	}
	if g := svc.StopGracePeriod; g != nil && *g < 0 {
		return invalidf("stop_grace_period: %s must not be negative", time.Duration(*g))
	}
	if hc := svc.HealthCheck; hc != nil {
		for _, d := range []struct {
			key string
			d   *types.Duration
		}{{"healthcheck.interval", hc.Interval}, {"healthcheck.timeout", hc.Timeout}, {"healthcheck.start_interval", hc.StartInterval}} {
			if err := secs(d.key, d.d); err != nil {
				return err
			}
		}
		if hc.Retries != nil {
			if err := ucount("healthcheck.retries", *hc.Retries); err != nil {
				return err
			}
		}
		if hc.StartPeriod != nil && *hc.StartPeriod < 0 {
			return invalidf("healthcheck.start_period: %s must not be negative", time.Duration(*hc.StartPeriod))
		}
		if hc.StartPeriod != nil && *hc.StartPeriod > 0 {
			// The startup probe's failureThreshold: start_period divided
			// by the whole-second start_interval (see probes).
			interval := defaultStartInterval
			if hc.StartInterval != nil && *hc.StartInterval > 0 {
				interval = time.Duration(*hc.StartInterval)
			}
			period := math.Max(1, math.Ceil(interval.Seconds()))
			if n := math.Ceil(time.Duration(*hc.StartPeriod).Seconds() / period); n > maxInt32 {
				return invalidf("healthcheck.start_period: %s over a start_interval of %gs needs a failureThreshold of %.0f, over the limit of %d", time.Duration(*hc.StartPeriod), period, n, maxInt32)
			}
		}
	}
	// The environment lands in the pod template or a Secret: either
	// way one object, whose data the API server limits.
	total, largest, largestLen := 0, "", -1
	for k, v := range svc.Environment {
		n := len(k)
		if v != nil {
			n += len(*v)
		}
		total += n
		if n > largestLen || n == largestLen && k < largest {
			largest, largestLen = k, n
		}
	}
	if total > MaxDataSize {
		return invalidf("environment: %d bytes (the largest, %s, holds %d), over the limit of %d for the environment of a service", total, largest, largestLen, MaxDataSize)
	}
	for _, p := range svc.Ports {
		if p.Target == 0 || p.Target > 65535 {
			return invalidf("ports: target port %d: want a number from 1 to 65535", p.Target)
		}
	}
	return nil
}

// cpus fails unless n is a finite, non-negative number of CPUs whose
// millicores fit an int64.
func cpus(key string, n float64) error {
	if math.IsNaN(n) || math.IsInf(n, 0) || n < 0 || n*1000 > math.MaxInt64/2 {
		return invalidf("%s: %g is not a number of CPUs: want a finite, non-negative number", key, n)
	}
	return nil
}

// negativeSize explains a negative byte count: a size given as negative,
// or one so large that it wrapped when loaded.
func negativeSize(n int64) string {
	return fmt.Sprintf("%d bytes: want a size from 0 to 8 EiB (a larger size wraps around when loaded)", n)
}
