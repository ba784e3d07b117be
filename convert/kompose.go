package convert

import (
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// komposePrefix marks kompose's configuration labels: hoist reads them
// instead of copying them onto the pods, so a kompose user can switch
// without editing the compose file.
const komposePrefix = "kompose."

// kompose HPA labels.
const (
	komposeHPAPrefix = "kompose.hpa."
	komposeHPAMin    = "kompose.hpa.replicas.min"
	komposeHPAMax    = "kompose.hpa.replicas.max"
	komposeHPACPU    = "kompose.hpa.cpu"
	komposeHPAMemory = "kompose.hpa.memory"
)

// komposeLabels reads the kompose labels this version maps (kompose.hpa.*,
// into an autoscaler unless x-kubernetes.autoscale is set) and warns about
// the others.
func (c *converter) komposeLabels(s *svcCtx) error {
	svc := s.svc
	var hpa Autoscale
	hasHPA := false
	for _, k := range slices.Sorted(maps.Keys(svc.Labels)) {
		if !strings.HasPrefix(k, komposePrefix) {
			continue
		}
		v := strings.TrimSpace(svc.Labels[k])
		key := "labels." + k
		switch k {
		case komposeHPAMin, komposeHPAMax, komposeHPACPU, komposeHPAMemory:
			n, err := strconv.ParseInt(strings.TrimSuffix(v, "%"), 10, 32)
			if err != nil || n < 1 {
				return invalidf("%s: %q is not a positive integer", key, v)
			}
			hasHPA = true
			v := int32(n)
			switch k {
			case komposeHPAMin:
				hpa.MinReplicas = &v
			case komposeHPAMax:
				hpa.MaxReplicas = v
			case komposeHPACPU:
				hpa.CPU = &v
			case komposeHPAMemory:
				hpa.Memory = &v
			}
		default:
			if !strings.HasPrefix(k, komposeHealthcheck) && !komposeHandled(k) {
				c.drop(svc.Name, key, "kompose label not supported by hoist, dropped")
			}
		}
	}
	if !hasHPA {
		return nil
	}
	if s.ext.Autoscale != nil {
		c.drop(svc.Name, "labels."+komposePrefix+"hpa.*", "ignored: %s.autoscale is set", ExtensionKey)
		return nil
	}
	if hpa.MaxReplicas == 0 {
		// kompose's default maximum.
		hpa.MaxReplicas = 3
		if hpa.MinReplicas != nil && *hpa.MinReplicas > 3 {
			hpa.MaxReplicas = *hpa.MinReplicas
		}
	}
	s.ext.Autoscale = &hpa
	s.autoscaleKey = "labels." + komposePrefix + "hpa.replicas"
	return nil
}

// isKomposeLabel reports whether a compose label configures kompose.
func isKomposeLabel(k string) bool { return strings.HasPrefix(k, komposePrefix) }

// komposeHealthcheck prefixes kompose's probe labels:
// kompose.service.healthcheck.{liveness,readiness}.<setting>.
const komposeHealthcheck = "kompose.service.healthcheck."

// komposeProbes applies kompose's probe labels, as kompose does: liveness
// keeps the healthcheck's timing and may swap its check for http_get_path
// and http_get_port or tcp_port; readiness, when any readiness label is
// set, is its own probe from test, http_get_* or tcp_port (else the
// healthcheck's check), interval, timeout, retries, and start_period as
// initialDelaySeconds; readiness.disable drops it.
func komposeProbes(svc *types.ServiceConfig, readiness, liveness **corev1.Probe, w *warningList) error {
	get := func(probe, setting string) (string, bool) {
		v, ok := svc.Labels[komposeHealthcheck+probe+"."+setting]
		return strings.TrimSpace(v), ok
	}
	handler := func(probe string) (*corev1.ProbeHandler, error) {
		if path, ok := get(probe, "http_get_path"); ok {
			port, _ := get(probe, "http_get_port")
			n, err := strconv.ParseInt(port, 10, 32)
			if err != nil || n < 1 || n > 65535 {
				return nil, invalidf("labels.%s%s.http_get_port: %q is not a port number", komposeHealthcheck, probe, port)
			}
			return &corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: path, Port: intstr.FromInt32(int32(n))}}, nil
		}
		if port, ok := get(probe, "tcp_port"); ok {
			n, err := strconv.ParseInt(port, 10, 32)
			if err != nil || n < 1 || n > 65535 {
				return nil, invalidf("labels.%s%s.tcp_port: %q is not a port number", komposeHealthcheck, probe, port)
			}
			return &corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(int32(n))}}, nil
		}
		if test, ok := get(probe, "test"); ok && probe == "readiness" {
			return &corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"/bin/sh", "-c", test}}}, nil
		}
		return nil, nil
	}

	komposeProbeLabels(svc, w)
	h, err := handler("liveness")
	if err != nil {
		return err
	}
	if h != nil {
		if *liveness == nil {
			w.drop(svc.Name, "labels."+komposeHealthcheck+"liveness.*", "ignored: liveness takes its timing from a healthcheck, and there is none")
		} else {
			(*liveness).ProbeHandler = *h
		}
	}

	hasReadiness := false
	for k := range svc.Labels {
		if strings.HasPrefix(k, komposeHealthcheck+"readiness.") {
			hasReadiness = true
		}
	}
	if !hasReadiness {
		return nil
	}
	if v, ok := get("readiness", "disable"); ok {
		off, err := strconv.ParseBool(v)
		if err != nil {
			return invalidf("labels.%sreadiness.disable: %q is not true or false", komposeHealthcheck, v)
		}
		if off {
			*readiness = nil
			return nil
		}
	}
	h, err = handler("readiness")
	if err != nil {
		return err
	}
	probe := &corev1.Probe{PeriodSeconds: seconds(nil, defaultInterval), TimeoutSeconds: seconds(nil, defaultTimeout), FailureThreshold: defaultRetries}
	if base := *readiness; base != nil {
		probe = base.DeepCopy()
	}
	if h != nil {
		probe.ProbeHandler = *h
	}
	if probe.Exec == nil && probe.HTTPGet == nil && probe.TCPSocket == nil && probe.GRPC == nil {
		w.drop(svc.Name, "labels."+komposeHealthcheck+"readiness.*", "ignored: no test, http_get_path or tcp_port and no healthcheck to take the check from")
		return nil
	}
	for _, d := range []struct {
		setting string
		set     func(int32)
	}{
		{"interval", func(n int32) { probe.PeriodSeconds = n }},
		{"timeout", func(n int32) { probe.TimeoutSeconds = n }},
		{"start_period", func(n int32) { probe.InitialDelaySeconds = n }},
	} {
		if v, ok := get("readiness", d.setting); ok {
			dur, err := time.ParseDuration(v)
			if err != nil || dur < 0 {
				return invalidf("labels.%sreadiness.%s: %q is not a duration", komposeHealthcheck, d.setting, v)
			}
			if secs := math.Ceil(dur.Seconds()); secs > maxInt32 {
				return invalidf("labels.%sreadiness.%s: %s is out of range: want at most %d s", komposeHealthcheck, d.setting, v, maxInt32)
			}
			td := types.Duration(dur)
			d.set(seconds(&td, 0))
		}
	}
	if v, ok := get("readiness", "retries"); ok {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil || n < 1 {
			return invalidf("labels.%sreadiness.retries: %q is not a positive integer", komposeHealthcheck, v)
		}
		probe.FailureThreshold = int32(n)
	}
	*readiness = probe
	return nil
}

// komposeProbesOverridden drops kompose's probe labels on a service whose
// x-kubernetes.probes decides the probes.
func komposeProbesOverridden(svc *types.ServiceConfig, w *warningList) {
	for _, k := range slices.Sorted(maps.Keys(svc.Labels)) {
		if strings.HasPrefix(k, komposeHealthcheck) {
			w.drop(svc.Name, "labels."+k, "%s.probes is set and wins, dropped", ExtensionKey)
		}
	}
}

// komposeProbeSettings are the settings kompose reads for each probe.
var komposeProbeSettings = map[string][]string{
	"liveness":  {"http_get_path", "http_get_port", "tcp_port"},
	"readiness": {"disable", "http_get_path", "http_get_port", "interval", "retries", "start_period", "tcp_port", "test", "timeout"},
}

// komposeProbeLabels warns about the probe labels komposeProbes ignores:
// unknown settings, and the checks that lose to another one (http_get_path
// wins over tcp_port, which wins over test).
func komposeProbeLabels(svc *types.ServiceConfig, w *warningList) {
	for _, k := range slices.Sorted(maps.Keys(svc.Labels)) {
		rest, ok := strings.CutPrefix(k, komposeHealthcheck)
		if !ok {
			continue
		}
		probe, setting, _ := strings.Cut(rest, ".")
		switch settings, known := komposeProbeSettings[probe]; {
		case !known:
			w.drop(svc.Name, "labels."+k, "unknown kompose probe %q (liveness or readiness), dropped", probe)
		case !slices.Contains(settings, setting):
			w.drop(svc.Name, "labels."+k, "unknown kompose probe label (%s takes %s), dropped", probe, strings.Join(settings, ", "))
		}
	}
	for _, probe := range []string{"liveness", "readiness"} {
		has := func(setting string) bool {
			_, ok := svc.Labels[komposeHealthcheck+probe+"."+setting]
			return ok
		}
		switch {
		case has("http_get_path") && has("tcp_port"):
			w.drop(svc.Name, "labels."+komposeHealthcheck+probe+".tcp_port", "http_get_path is set and wins, dropped")
		case !has("http_get_path") && has("http_get_port"):
			w.drop(svc.Name, "labels."+komposeHealthcheck+probe+".http_get_port", "needs http_get_path, dropped")
		}
		if probe == "readiness" && has("test") && (has("http_get_path") || has("tcp_port")) {
			w.drop(svc.Name, "labels."+komposeHealthcheck+probe+".test", "http_get_path or tcp_port is set and wins, dropped")
		}
	}
}

// komposeHandled reports whether an area reads the kompose label k. Each
// area lists the label prefixes it reads in its own file and warns about
// their values itself.
func komposeHandled(k string) bool {
	for _, prefixes := range [][]string{workloadKompose, storageKompose, networkKompose, securityKompose} {
		for _, p := range prefixes {
			if strings.HasPrefix(k, p) {
				return true
			}
		}
	}
	return false
}
