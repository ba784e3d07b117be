package convert

import (
	"maps"
	"math"
	"slices"

	"github.com/compose-spec/compose-go/v2/types"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// resources maps CPU and memory limits and reservations, and GPU requests.
// Requests default to limits, which is what Kubernetes would do anyway,
// so autoscalers see them.
func (c *converter) resources(svc *types.ServiceConfig) corev1.ResourceRequirements {
	var limits, reservations types.Resource
	if d := svc.Deploy; d != nil {
		if d.Resources.Limits != nil {
			limits = *d.Resources.Limits
		}
		if d.Resources.Reservations != nil {
			reservations = *d.Resources.Reservations
		}
	}
	cpuLimit := pick(float64(svc.CPUS), float64(limits.NanoCPUs))
	memLimit := pick(float64(svc.MemLimit), float64(limits.MemoryBytes))
	cpuReq := float64(reservations.NanoCPUs)
	memReq := pick(float64(svc.MemReservation), float64(reservations.MemoryBytes))

	var rr corev1.ResourceRequirements
	set := func(name corev1.ResourceName, limit, request float64, q func(float64) resource.Quantity, reqKey string) {
		if request > 0 && limit > 0 && request > limit {
			rq, lq := q(request), q(limit)
			c.warn(svc.Name, reqKey, "approximated: reservation %s is above the limit %s; the request is lowered to the limit", rq.String(), lq.String())
			request = limit
		}
		if request == 0 {
			request = limit
		}
		if limit > 0 {
			if rr.Limits == nil {
				rr.Limits = corev1.ResourceList{}
			}
			rr.Limits[name] = q(limit)
		}
		if request > 0 {
			if rr.Requests == nil {
				rr.Requests = corev1.ResourceList{}
			}
			rr.Requests[name] = q(request)
		}
	}
	set(corev1.ResourceCPU, cpuLimit, cpuReq, cpuQuantity, "deploy.resources.reservations.cpus")
	set(corev1.ResourceMemory, memLimit, memReq, func(v float64) resource.Quantity {
		return *bytesQuantity(int64(v))
	}, "deploy.resources.reservations.memory")

	for _, r := range []struct {
		key string
		res types.Resource
	}{{"deploy.resources.limits", limits}, {"deploy.resources.reservations", reservations}} {
		if r.res.Pids != 0 {
			c.drop(svc.Name, r.key+".pids", "PID limits are set per node by the kubelet, dropped")
		}
		if len(r.res.GenericResources) > 0 {
			c.drop(svc.Name, r.key+".generic_resources", "not supported by Kubernetes, dropped")
		}
	}
	if len(limits.Devices) > 0 {
		c.drop(svc.Name, "deploy.resources.limits.devices", "devices are requested under reservations, dropped")
	}
	gpus := map[corev1.ResourceName]int64{}
	c.gpus(svc.Name, "gpus", svc.Gpus, gpus)
	c.gpus(svc.Name, "deploy.resources.reservations.devices", reservations.Devices, gpus)
	for name, n := range gpus {
		if rr.Limits == nil {
			rr.Limits = corev1.ResourceList{}
		}
		rr.Limits[name] = *resource.NewQuantity(n, resource.DecimalSI)
	}
	return rr
}

// pick returns the deploy value when set, else the service-level one.
// compose-go already rejects the two when they differ.
func pick(svcValue, deployValue float64) float64 {
	if deployValue > 0 {
		return deployValue
	}
	return svcValue
}

// bytesQuantity is n bytes the way the API server writes it back: in
// binary units when n is a multiple of 1024 ("64Mi"), else in decimal ones
// ("100M"), so a re-apply finds the very string it applied on the live
// object and sends nothing.
func bytesQuantity(n int64) *resource.Quantity {
	q := resource.MustParse(resource.NewQuantity(n, resource.BinarySI).String())
	return &q
}

func cpuQuantity(cpus float64) resource.Quantity {
	return *resource.NewMilliQuantity(max(1, int64(math.Round(cpus*1000))), resource.DecimalSI)
}

// gpus adds the GPUs that device requests ask for to out, by resource name.
func (c *converter) gpus(service, key string, reqs []types.DeviceRequest, out map[corev1.ResourceName]int64) {
	for _, d := range reqs {
		if key == "deploy.resources.reservations.devices" && !slices.Contains(d.Capabilities, "gpu") {
			c.dropPart(service, key, "device request %v needs a device plugin, dropped", d.Capabilities)
			continue
		}
		var name corev1.ResourceName
		switch d.Driver {
		case "", "nvidia":
			name = "nvidia.com/gpu"
		case "amd":
			name = "amd.com/gpu"
		default:
			c.dropPart(service, key, "GPU driver %q has no known Kubernetes resource, dropped", d.Driver)
			continue
		}
		if extra := slices.DeleteFunc(slices.Clone(d.Capabilities), func(s string) bool { return s == "gpu" }); len(extra) > 0 {
			c.dropPart(service, key, "device capabilities %s besides \"gpu\" have no Kubernetes equivalent, dropped", quoteAll(slices.Sorted(slices.Values(extra))))
		}
		if len(d.Options) > 0 {
			c.dropPart(service, key, "device options %s are set by the device plugin, dropped", quoteAll(slices.Sorted(maps.Keys(d.Options))))
		}
		n := int64(d.Count)
		switch {
		case len(d.IDs) > 0:
			n = int64(len(d.IDs))
			c.warn(service, key, "approximated: device_ids %v become a request for %d %s; Kubernetes picks the devices", d.IDs, n, name)
		case n <= 0:
			n = 1
			c.warn(service, key, "approximated: all GPUs becomes 1 %s; set count for more", name)
		}
		out[name] += n
	}
}

// autoscaler builds the HorizontalPodAutoscaler --autoscale or
// x-kubernetes.autoscale asks for, or returns nil.
func (c *converter) autoscaler(s *svcCtx, replicas int32, rr *corev1.ResourceRequirements) (*autoscalingv2.HorizontalPodAutoscaler, error) {
	svc := s.svc
	a, key := s.ext.Autoscale, ExtensionKey+".autoscale"
	if s.autoscaleKey != "" {
		key = s.autoscaleKey
	}
	if opt, ok := c.opts.Autoscale[svc.Name]; ok {
		a, key = &opt, "--autoscale"
	}
	if a == nil {
		return nil, nil
	}
	if !scalable(s.kind) {
		c.drop(svc.Name, key, "a %s cannot be autoscaled, dropped", s.kind)
		return nil, nil
	}
	minReplicas := max(replicas, 1)
	if a.MinReplicas != nil {
		minReplicas = *a.MinReplicas
	}
	switch {
	case minReplicas < 1:
		return nil, invalidf("%s: min %d must be at least 1", key, minReplicas)
	case a.MaxReplicas < 1:
		return nil, invalidf("%s: max must be set and at least 1", key)
	case minReplicas > a.MaxReplicas:
		from := ""
		if a.MinReplicas == nil {
			from = " (the service's replicas)"
		}
		return nil, invalidf("%s: min %d%s is above max %d", key, minReplicas, from, a.MaxReplicas)
	}
	cpu, mem := a.CPU, a.Memory
	if cpu == nil && mem == nil {
		def := int32(DefaultCPUUtilization)
		cpu = &def
	}
	hpa := &autoscalingv2.HorizontalPodAutoscaler{
		TypeMeta:   metav1.TypeMeta{APIVersion: "autoscaling/v2", Kind: "HorizontalPodAutoscaler"},
		ObjectMeta: c.objectMeta(s, s.name),
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: s.kind, Name: s.name},
			MinReplicas:    &minReplicas,
			MaxReplicas:    a.MaxReplicas,
		},
	}
	for _, m := range []struct {
		name   corev1.ResourceName
		target *int32
		set    string
	}{
		{corev1.ResourceCPU, cpu, "deploy.resources.reservations.cpus (or cpus)"},
		{corev1.ResourceMemory, mem, "deploy.resources.reservations.memory (or mem_limit)"},
	} {
		if m.target == nil {
			continue
		}
		if *m.target < 1 {
			return nil, invalidf("%s.%s: utilization %d%% must be at least 1", key, m.name, *m.target)
		}
		if _, ok := rr.Requests[m.name]; !ok {
			c.warn(svc.Name, key, "a %s utilization target needs a %s request, which is not set: the autoscaler cannot scale on it until you set %s", m.name, m.name, m.set)
		}
		hpa.Spec.Metrics = append(hpa.Spec.Metrics, autoscalingv2.MetricSpec{
			Type: autoscalingv2.ResourceMetricSourceType,
			Resource: &autoscalingv2.ResourceMetricSource{
				Name:   m.name,
				Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: m.target},
			},
		})
	}
	return hpa, nil
}
