package convert

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	corev1 "k8s.io/api/core/v1"
)

// sidecars converts the services that join s's network
// (network_mode: service:<s>) and adds them to its pod: their containers,
// init containers and volumes, and their ports to its Service. They get no
// workload and no Service of their own, as in compose, where they have no
// address of their own either.
func (c *converter) sidecars(s *svcCtx, pod *corev1.PodTemplateSpec) error {
	for _, name := range c.plan.sidecars[s.svc.Name] {
		svc := c.project.Services[name]
		c.sidecarDrops(&svc, s)
		ys, ypod, _, err := c.pod(&svc, s)
		if err != nil {
			return fmt.Errorf("service %q, which joins this pod: %w", name, err)
		}
		if err := c.mergePod(s, ys, pod, ypod); err != nil {
			return err
		}
	}
	return nil
}

// samePodDeps returns svc without its dependencies on services of its own
// pod: compose-go adds one for network_mode, pid and ipc service:X, and
// inside one pod a wait for it would wait for itself.
func (c *converter) samePodDeps(svc *types.ServiceConfig) *types.ServiceConfig {
	var drop []string
	for dep := range svc.DependsOn {
		if _, ok := c.project.Services[dep]; ok && c.plan.podOf(svc.Name) == c.plan.podOf(dep) {
			drop = append(drop, dep)
		}
	}
	if len(drop) == 0 {
		return svc
	}
	cp := *svc
	cp.DependsOn = maps.Clone(svc.DependsOn)
	for _, dep := range drop {
		delete(cp.DependsOn, dep)
	}
	if len(cp.DependsOn) == 0 {
		cp.DependsOn = nil
	}
	return &cp
}

// sidecarDrops warns about what a service that joins another's pod cannot
// have of its own.
func (c *converter) sidecarDrops(svc *types.ServiceConfig, owner *svcCtx) {
	why := fmt.Sprintf("the service runs in the pod of %q, dropped", owner.svc.Name)
	if svc.Deploy != nil && (svc.Deploy.Replicas != nil || svc.Deploy.Mode != "" || svc.Deploy.UpdateConfig != nil || svc.Deploy.RestartPolicy != nil) {
		c.dropPart(svc.Name, "deploy", "replicas, mode, update_config and restart_policy: %s", why)
	}
	if svc.Scale != nil {
		c.drop(svc.Name, "scale", "%s", why)
	}
	if r := svc.Restart; r != "" && r != "always" && r != "unless-stopped" {
		c.drop(svc.Name, "restart", "%s", why)
	}
	ext, err := c.serviceExtension(svc)
	if err != nil {
		return // reported by pod
	}
	if ext.Workload != "" || ext.Schedule != "" || ext.Autoscale != nil || ext.Service != nil {
		c.drop(svc.Name, ExtensionKey, "workload, schedule, autoscale and service: %s", why)
	}
	if ext.Ingress != nil {
		c.drop(svc.Name, ExtensionKey+".ingress", "%s (its ports are on the Service of %q: put the ingress there)", why, owner.svc.Name)
	}
	for _, k := range slices.Sorted(maps.Keys(svc.Labels)) {
		if strings.HasPrefix(k, komposeControllerType) || strings.HasPrefix(k, komposeCronJobLabelPrefix) || strings.HasPrefix(k, komposeHPAPrefix) ||
			(strings.HasPrefix(k, "kompose.service.") && !strings.HasPrefix(k, komposeHealthcheck)) {
			c.drop(svc.Name, "labels."+k, "%s", why)
		}
	}
}

// mergePod adds the sidecar y's pod to s's.
func (c *converter) mergePod(s, y *svcCtx, dst *corev1.PodTemplateSpec, src corev1.PodTemplateSpec) error {
	ysvc := y.svc.Name
	// Pod template metadata, but for the sidecar's standard labels.
	for _, kv := range []struct {
		key      string
		dst, src *map[string]string
	}{{"labels", &dst.Labels, &src.Labels}, {"annotations", &dst.Annotations, &src.Annotations}} {
		for _, k := range slices.Sorted(maps.Keys(*kv.src)) {
			if _, std := y.labels[k]; std && kv.key == "labels" {
				continue
			}
			v := (*kv.src)[k]
			if old, ok := (*kv.dst)[k]; ok {
				if old != v {
					c.dropPart(ysvc, kv.key, "%q: the pod of %q has %q, dropped", k, s.svc.Name, old)
				}
				continue
			}
			if *kv.dst == nil {
				*kv.dst = map[string]string{}
			}
			(*kv.dst)[k] = v
		}
	}

	d, p := &dst.Spec, src.Spec
	// Volumes: the same name means the same volume; a different volume of
	// the same name is renamed in the sidecar's mounts.
	renames := map[string]string{}
	for _, v := range p.Volumes {
		i := slices.IndexFunc(d.Volumes, func(e corev1.Volume) bool { return e.Name == v.Name })
		switch {
		case i < 0:
			d.Volumes = append(d.Volumes, v)
		case reflect.DeepEqual(d.Volumes[i], v):
		default:
			n := uniqueSuffixed(v.Name, y.name, func(n string) bool {
				return slices.ContainsFunc(d.Volumes, func(e corev1.Volume) bool { return e.Name == n })
			})
			renames[v.Name] = n
			v.Name = n
			d.Volumes = append(d.Volumes, v)
		}
	}
	rename := func(ctrs []corev1.Container) []corev1.Container {
		for i := range ctrs {
			ctrs[i].VolumeMounts = slices.Clone(ctrs[i].VolumeMounts)
			for j, m := range ctrs[i].VolumeMounts {
				if n, ok := renames[m.Name]; ok {
					ctrs[i].VolumeMounts[j].Name = n
				}
			}
		}
		return ctrs
	}
	p.Containers, p.InitContainers = rename(slices.Clone(p.Containers)), rename(slices.Clone(p.InitContainers))

	addInit := func(ic corev1.Container) {
		taken := func(n string) bool {
			return slices.ContainsFunc(d.InitContainers, func(e corev1.Container) bool { return e.Name == n }) ||
				slices.ContainsFunc(d.Containers, func(e corev1.Container) bool { return e.Name == n })
		}
		for _, e := range d.InitContainers {
			if reflect.DeepEqual(e, ic) {
				return // the same wait or hook
			}
		}
		if taken(ic.Name) {
			ic.Name = uniqueSuffixed(ic.Name, y.name, taken)
		}
		d.InitContainers = append(d.InitContainers, ic)
	}
	for _, ic := range p.InitContainers {
		addInit(ic)
	}
	if isJobKind(s.kind) {
		// A regular container would keep the Job from completing; a
		// restartable init container (a native sidecar) stops with it.
		always := corev1.ContainerRestartPolicyAlways
		for _, ctr := range p.Containers {
			ctr.RestartPolicy = &always
			addInit(ctr)
		}
	} else {
		d.Containers = append(d.Containers, p.Containers...)
	}

	c.mergePodFields(s, y, d, &p)

	// The sidecar's ports are served by the pod, so by s's Service.
	for _, yp := range y.ports {
		if i := slices.IndexFunc(s.ports, func(e svcPort) bool { return e.port == yp.port && e.protocol == yp.protocol }); i >= 0 {
			return invalidf("services %q and %q share one network namespace (network_mode) and both publish port %d/%s", s.svc.Name, ysvc, yp.port, yp.protocol)
		}
		taken := func(n string) bool { return slices.ContainsFunc(s.ports, func(e svcPort) bool { return e.name == n }) }
		name := yp.name
		if taken(name) {
			name = portName("", string(yp.protocol), yp.port)
		}
		for i := 2; taken(name); i++ {
			name = fmt.Sprintf("%s-%d", portName("", string(yp.protocol), yp.port), i)
		}
		yp.name = name
		s.ports = append(s.ports, yp)
	}
	// And its published ports by s's published Service.
	for _, yp := range y.published {
		if slices.ContainsFunc(s.published, func(e publishedPort) bool { return e.port == yp.port && e.protocol == yp.protocol }) {
			return invalidf("services %q and %q share one network namespace (network_mode) and both publish port %d/%s", s.svc.Name, ysvc, yp.port, yp.protocol)
		}
		taken := func(n string) bool {
			return slices.ContainsFunc(s.published, func(e publishedPort) bool { return e.name == n })
		}
		for i := 2; taken(yp.name); i++ {
			yp.name = fmt.Sprintf("%s-%d", portName("", string(yp.protocol), yp.port), i)
		}
		s.published = append(s.published, yp)
	}
	s.publishWarnings = append(s.publishWarnings, y.publishWarnings...)
	s.hostOnly = append(s.hostOnly, y.hostOnly...)
	s.claims = append(s.claims, y.claims...)
	for _, t := range y.claimTemplates {
		if !slices.ContainsFunc(s.claimTemplates, func(e corev1.PersistentVolumeClaim) bool { return e.Name == t.Name }) {
			s.claimTemplates = append(s.claimTemplates, t)
		}
	}
	return nil
}

// mergePodFields merges the pod-level fields other than containers and
// volumes into the owner's pod, field by field in PodSpec order (so
// warnings keep their order): lists are joined, maps merged, and a
// setting the owner lacks is taken for the whole pod, with a warning.
// TestMergePodFieldsCoverPodSpec fails when PodSpec gains a field this
// does not list.
func (c *converter) mergePodFields(s, y *svcCtx, d, p *corev1.PodSpec) {
	m := podMerge{c: c, s: s, y: y}
	mergeValue(m, "restartPolicy", &d.RestartPolicy, p.RestartPolicy)
	// The pod waits for the slowest container to stop.
	if t := p.TerminationGracePeriodSeconds; t != nil && (d.TerminationGracePeriodSeconds == nil || *d.TerminationGracePeriodSeconds < *t) {
		d.TerminationGracePeriodSeconds = t
	}
	mergePointer(m, "activeDeadlineSeconds", &d.ActiveDeadlineSeconds, p.ActiveDeadlineSeconds)
	mergeValue(m, "dnsPolicy", &d.DNSPolicy, p.DNSPolicy)
	mergeMap(m, "nodeSelector", &d.NodeSelector, p.NodeSelector)
	mergeValue(m, "serviceAccountName", &d.ServiceAccountName, p.ServiceAccountName)
	mergeValue(m, "serviceAccount", &d.DeprecatedServiceAccount, p.DeprecatedServiceAccount)
	mergePointer(m, "automountServiceAccountToken", &d.AutomountServiceAccountToken, p.AutomountServiceAccountToken)
	mergeValue(m, "nodeName", &d.NodeName, p.NodeName)
	mergeValue(m, "hostNetwork", &d.HostNetwork, p.HostNetwork)
	mergeValue(m, "hostPID", &d.HostPID, p.HostPID)
	mergeValue(m, "hostIPC", &d.HostIPC, p.HostIPC)
	// pid: service:<a container of this pod>, which is exact.
	if p.ShareProcessNamespace != nil {
		d.ShareProcessNamespace = p.ShareProcessNamespace
	}
	mergePointer(m, "securityContext", &d.SecurityContext, p.SecurityContext)
	mergeList(&d.ImagePullSecrets, p.ImagePullSecrets)
	mergeValue(m, "hostname", &d.Hostname, p.Hostname)
	mergeValue(m, "subdomain", &d.Subdomain, p.Subdomain)
	mergePointer(m, "affinity", &d.Affinity, p.Affinity)
	mergeValue(m, "schedulerName", &d.SchedulerName, p.SchedulerName)
	mergeList(&d.Tolerations, p.Tolerations)
	mergeList(&d.HostAliases, p.HostAliases)
	mergeValue(m, "priorityClassName", &d.PriorityClassName, p.PriorityClassName)
	mergePointer(m, "priority", &d.Priority, p.Priority)
	mergePointer(m, "dnsConfig", &d.DNSConfig, p.DNSConfig)
	mergeList(&d.ReadinessGates, p.ReadinessGates)
	mergePointer(m, "runtimeClassName", &d.RuntimeClassName, p.RuntimeClassName)
	mergePointer(m, "enableServiceLinks", &d.EnableServiceLinks, p.EnableServiceLinks)
	mergePointer(m, "preemptionPolicy", &d.PreemptionPolicy, p.PreemptionPolicy)
	mergeMap(m, "overhead", &d.Overhead, p.Overhead)
	mergeList(&d.TopologySpreadConstraints, p.TopologySpreadConstraints)
	mergePointer(m, "setHostnameAsFQDN", &d.SetHostnameAsFQDN, p.SetHostnameAsFQDN)
	mergePointer(m, "os", &d.OS, p.OS)
	mergePointer(m, "hostUsers", &d.HostUsers, p.HostUsers)
	mergeList(&d.SchedulingGates, p.SchedulingGates)
	mergeList(&d.ResourceClaims, p.ResourceClaims)
	mergePointer(m, "resources", &d.Resources, p.Resources)
	mergePointer(m, "hostnameOverride", &d.HostnameOverride, p.HostnameOverride)
	mergePointer(m, "schedulingGroup", &d.SchedulingGroup, p.SchedulingGroup)
	mergeList(&d.EvictionResponders, p.EvictionResponders)
}

// podMerge is the sidecar y joining the pod of s, for the warnings of
// mergePodFields.
type podMerge struct {
	c    *converter
	s, y *svcCtx
}

// taken warns that the sidecar's setting now applies to the whole pod.
func (m podMerge) taken(field string) {
	m.c.warn(m.y.svc.Name, sidecarPodKey(m.y, field), "approximated: %s set on the whole pod of %q, which this service joins", field, m.s.svc.Name)
}

// dropped says the owner's own setting wins.
func (m podMerge) dropped(field string) {
	m.c.drop(m.y.svc.Name, sidecarPodKey(m.y, field), "the pod of %q has its own %s, dropped", m.s.svc.Name, field)
}

// mergeValue merges a scalar pod setting: the sidecar's, when set, is
// taken if the owner has none and dropped if the owner has another.
func mergeValue[T comparable](m podMerge, field string, dst *T, src T) {
	var zero T
	switch {
	case src == zero || *dst == src:
	case *dst == zero:
		*dst = src
		m.taken(field)
	default:
		m.dropped(field)
	}
}

// mergePointer is mergeValue for an optional or structured setting,
// compared by value.
func mergePointer[T any](m podMerge, field string, dst **T, src *T) {
	switch {
	case src == nil || reflect.DeepEqual(*dst, src):
	case *dst == nil:
		*dst = src
		m.taken(field)
	default:
		m.dropped(field)
	}
}

// mergeList adds the sidecar's entries the owner's list lacks.
func mergeList[T any](dst *[]T, src []T) {
	for _, e := range src {
		if !slices.ContainsFunc(*dst, func(o T) bool { return reflect.DeepEqual(o, e) }) {
			*dst = append(*dst, e)
		}
	}
}

// mergeMap adds the sidecar's entries to a copy of the owner's map (which
// may be its x-kubernetes block's); the owner's value of a key wins.
func mergeMap[M ~map[K]V, K ~string, V any](m podMerge, field string, dst *M, src M) {
	if src == nil || reflect.DeepEqual(*dst, src) {
		return
	}
	merged := make(M, len(*dst)+len(src))
	maps.Copy(merged, *dst)
	*dst = merged
	ysvc := m.y.svc.Name
	for _, k := range slices.Sorted(maps.Keys(src)) {
		key := sidecarMapKey(m.y, field, string(k))
		if old, ok := merged[k]; ok {
			if !reflect.DeepEqual(old, src[k]) {
				m.c.drop(ysvc, key, "the pod of %q has %s=%v, dropped", m.s.svc.Name, k, old)
			}
			continue
		}
		merged[k] = src[k]
		if field == "nodeSelector" {
			// It constrains where the owner's pod runs too.
			m.c.warn(ysvc, key, "approximated: node selector %s=%v set on the whole pod of %q, which this service joins", k, src[k], m.s.svc.Name)
		}
	}
}

// sidecarMapKey is the compose key that set entry k of a pod map field of
// a service that joins another's pod: x-kubernetes.nodeSelector.<k> or
// deploy.placement.constraints for node selectors, pod.<field>.<k> else.
func sidecarMapKey(y *svcCtx, field, k string) string {
	if field == "nodeSelector" {
		if _, ok := y.ext.NodeSelector[k]; ok {
			return ExtensionKey + ".nodeSelector." + k
		}
		return "deploy.placement.constraints"
	}
	return "pod." + field + "." + k
}

// sidecarPodKey is the compose key that set a pod field of a service that
// joins another's pod, so that warnings and the report name it; pod.<field>
// when several keys may have.
func sidecarPodKey(y *svcCtx, field string) string {
	svc := y.svc
	switch field {
	case "dnsConfig", "dnsPolicy":
		switch {
		case len(svc.DNS) > 0:
			return "dns"
		case len(svc.DNSSearch) > 0:
			return "dns_search"
		case len(svc.DNSOpts) > 0:
			return "dns_opt"
		}
		return "network_mode"
	case "hostNetwork":
		return "network_mode"
	case "hostPID", "shareProcessNamespace":
		return "pid"
	case "hostIPC":
		return "ipc"
	case "hostname":
		return "hostname"
	case "subdomain":
		return "domainname"
	case "hostAliases":
		return "extra_hosts"
	case "serviceAccountName":
		if y.ext.ServiceAccount == "" {
			return "labels." + komposeServiceAccount
		}
		return ExtensionKey + ".serviceAccount"
	case "tolerations":
		return ExtensionKey + ".tolerations"
	case "affinity", "topologySpreadConstraints":
		return "deploy.placement"
	case "securityContext":
		switch {
		case len(svc.Sysctls) > 0 && len(svc.GroupAdd) == 0:
			return "sysctls"
		case len(svc.GroupAdd) > 0 && len(svc.Sysctls) == 0:
			return "group_add"
		}
	}
	return "pod." + field
}
