package convert

import (
	"math"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	corev1 "k8s.io/api/core/v1"
)

// Compose's healthcheck defaults, used when a field is unset.
const (
	defaultInterval      = 30 * time.Second
	defaultTimeout       = 30 * time.Second
	defaultRetries       = 3
	defaultStartInterval = 5 * time.Second
)

// probes maps a compose healthcheck to a readiness and a liveness probe
// with the same check, plus a startup probe when start_period is set.
// x-kubernetes.probes may turn either off or replace the check with an
// httpGet, tcpSocket or grpc handler. It records in w what it approximates.
func probes(svc *types.ServiceConfig, ext *ProbesExtension, w *warningList) (readiness, liveness, startup *corev1.Probe, err error) {
	handler, err := probeHandler(ext)
	if err != nil {
		return nil, nil, nil, err
	}
	hc := svc.HealthCheck
	switch {
	case hc != nil && (hc.Disable || (len(hc.Test) > 0 && hc.Test[0] == "NONE")):
		if handler != nil {
			w.drop(svc.Name, ExtensionKey+".probes", "ignored: the healthcheck is disabled")
		}
		return nil, nil, nil, nil
	case handler != nil:
		// The native check replaces the test; timing still comes from
		// the healthcheck.
	case hc == nil:
		if ext != nil {
			w.drop(svc.Name, ExtensionKey+".probes", "ignored: no healthcheck and no httpGet, tcpSocket or grpc check")
		}
		return nil, nil, nil, nil
	case len(hc.Test) == 0:
		w.warn(svc.Name, "healthcheck.test", "not set: the image's own HEALTHCHECK is invisible to Kubernetes, so no probes are emitted")
		return nil, nil, nil, nil
	case hc.Test[0] == "CMD" && len(hc.Test) > 1:
		handler = &corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: hc.Test[1:]}}
	case hc.Test[0] == "CMD-SHELL" && len(hc.Test) == 2:
		handler = &corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"/bin/sh", "-c", hc.Test[1]}}}
	default:
		w.warn(svc.Name, "healthcheck.test", "%q is not a CMD, CMD-SHELL or NONE test, so no probes are emitted", []string(hc.Test))
		return nil, nil, nil, nil
	}
	if hc == nil {
		hc = &types.HealthCheckConfig{}
	}

	period := seconds(hc.Interval, defaultInterval)
	timeout := seconds(hc.Timeout, defaultTimeout)
	failures := int32(defaultRetries)
	if hc.Retries != nil && *hc.Retries > 0 {
		// Docker reads retries: 0 as its default, 3.
		failures = int32(*hc.Retries)
	}
	probe := func() *corev1.Probe {
		return &corev1.Probe{
			ProbeHandler:     *handler.DeepCopy(),
			PeriodSeconds:    period,
			TimeoutSeconds:   timeout,
			FailureThreshold: failures,
		}
	}
	if ext == nil || ext.Readiness == nil || *ext.Readiness {
		readiness = probe()
	}
	if ext == nil || ext.Liveness == nil || *ext.Liveness {
		liveness = probe()
	}
	if hc.StartPeriod != nil && *hc.StartPeriod > 0 {
		startup = probe()
		interval := defaultStartInterval
		if hc.StartInterval != nil && *hc.StartInterval > 0 {
			interval = time.Duration(*hc.StartInterval)
		}
		startup.PeriodSeconds = seconds(nil, interval)
		// Docker never kills for a failing check: it reports unhealthy
		// only after start_period plus retries failures interval apart.
		// The kubelet kills when the startup probe gives up, so its budget
		// is at least that. The period is whole seconds: divide by what
		// Kubernetes will use.
		startPeriod := time.Duration(startup.PeriodSeconds) * time.Second
		budget := time.Duration(*hc.StartPeriod) + time.Duration(failures)*time.Duration(period)*time.Second
		startup.FailureThreshold = int32(min(math.MaxInt32, max(1, math.Ceil(float64(budget)/float64(startPeriod)))))
	} else if hc.StartInterval != nil {
		w.drop(svc.Name, "healthcheck.start_interval", "has no effect without start_period, dropped")
	}
	return readiness, liveness, startup, nil
}

// probeHandler is the native check x-kubernetes.probes gives, if any.
func probeHandler(ext *ProbesExtension) (*corev1.ProbeHandler, error) {
	if ext == nil {
		return nil, nil
	}
	var h corev1.ProbeHandler
	n := 0
	if ext.HTTPGet != nil {
		h.HTTPGet, n = ext.HTTPGet, n+1
	}
	if ext.TCPSocket != nil {
		h.TCPSocket, n = ext.TCPSocket, n+1
	}
	if ext.GRPC != nil {
		h.GRPC, n = ext.GRPC, n+1
	}
	switch n {
	case 0:
		return nil, nil
	case 1:
		return &h, nil
	}
	return nil, invalidf("%s.probes: give at most one of httpGet, tcpSocket and grpc", ExtensionKey)
}

// seconds is d (or def when d is unset or zero) rounded up to whole
// seconds, at least 1: Kubernetes probes count in seconds.
func seconds(d *types.Duration, def time.Duration) int32 {
	v := def
	if d != nil && *d > 0 {
		v = time.Duration(*d)
	}
	return int32(max(1, math.Ceil(v.Seconds())))
}
