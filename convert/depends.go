package convert

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// depends_on: init containers that wait for dependencies.
//
// Each service_started or service_healthy dependency becomes an init
// container wait-for-<dependency> running the pinned wait image
// (--wait-image, default DefaultWaitImage). It loops until the
// dependency's Service accepts a TCP connection on its first TCP port
// (`nc -z`), or, for a dependency without ports, until its headless
// Service's name resolves (`nslookup`). A Service forwards only to ready
// pods, and a healthcheck becomes the readiness probe, so both conditions
// wait for what compose waits for, or a little more (the dependency must
// also accept connections). This needs no API access, so no RBAC.
//
// `required: false` bounds the wait: after requiredFalseWait seconds the
// container gives up and the pod starts anyway, as compose starts a
// service whose optional dependency failed.
// `service_completed_successfully` would need the Job's status from the
// API; the pod starts without waiting, with a warning. A dependency that
// joins another service's pod (network_mode: service:X) is waited for
// through X's Service; one in this very pod is not waited for.

var dependsKeys = map[string]keyRule{
	"depends_on": {keyMapped, "init container `wait-for-<dependency>` (`--wait-image`) per `service_started`/`service_healthy` dependency: TCP to its Service's first port, or DNS when it has none; `required: false` gives up after 5 minutes; `service_completed_successfully` and `restart` warn"},
}

// requiredFalseWait is how long, in seconds, the wait for a dependency with
// required: false lasts before the pod starts anyway.
const requiredFalseWait = 300

// waitResources keep the wait containers small; they matter to the pod's
// scheduling only through the largest init container.
var waitResources = corev1.ResourceRequirements{
	Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("16Mi")},
	Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("32Mi")},
}

// waitSecurityContext meets the restricted Pod Security Standard: the
// wait only connects and resolves names.
func waitSecurityContext() *corev1.SecurityContext {
	yes, no, nobody := true, false, int64(65534)
	return &corev1.SecurityContext{
		RunAsNonRoot:             &yes,
		RunAsUser:                &nobody,
		RunAsGroup:               &nobody,
		AllowPrivilegeEscalation: &no,
		ReadOnlyRootFilesystem:   &yes,
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
}

// dependsOn adds an init container per dependency that waits for it.
func (c *converter) dependsOn(s *svcCtx, pod *corev1.PodSpec) error {
	svc := s.svc
	if c.opts.IgnoreDependsOn || len(svc.DependsOn) == 0 {
		return nil
	}
	image := c.opts.WaitImage
	if image == "" {
		image = DefaultWaitImage
	}
	implicit := implicitDependencies(svc)
	me := c.podOwner(svc.Name)
	names, waited := map[string]bool{}, map[string]bool{}
	for _, ctr := range slices.Concat(pod.InitContainers, pod.Containers) {
		names[ctr.Name] = true
	}
	for _, dep := range slices.Sorted(maps.Keys(svc.DependsOn)) {
		d := svc.DependsOn[dep]
		key := "depends_on." + dep
		if d.Restart && !implicit[dep] {
			c.drop(svc.Name, key+".restart", "Kubernetes does not restart a pod when a dependency restarts, dropped")
		}
		depSvc, ok := c.project.Services[dep]
		if !ok {
			c.drop(svc.Name, key, "no service %q in the project, dropped", dep)
			continue
		}
		owner := c.podOwner(dep)
		if owner == me {
			if !implicit[dep] {
				c.warn(svc.Name, key, "approximated: %q runs in this pod; the containers of a pod start together, so nothing waits for it", dep)
			}
			continue
		}
		cond := d.Condition
		switch cond {
		case "", types.ServiceConditionStarted, types.ServiceConditionHealthy:
		case types.ServiceConditionCompletedSuccessfully:
			c.warn(svc.Name, key+".condition", "approximated: waiting until %q completes would need API access; the pod starts without waiting, so it must retry until %q has done its work", dep, dep)
			continue
		default:
			c.warn(svc.Name, key+".condition", "approximated: unknown condition %q, treated as service_started", cond)
		}
		t := c.waitTarget(owner)
		if isJobKind(t.kind) {
			c.warn(svc.Name, key, "approximated: %q runs as a %s, which has no Service to wait for; the pod starts without waiting", dep, t.kind)
			continue
		}
		if cond == types.ServiceConditionHealthy && !c.hasReadiness(&depSvc) {
			c.warn(svc.Name, key+".condition", "approximated: %q has no healthcheck, so the wait ends when its Service answers", dep)
		}
		if t.port != 0 && !c.canReach(me, owner, t) {
			c.warn(svc.Name, key, "approximated: this service shares no network with %q, so the NetworkPolicies block a TCP check; the wait only resolves its name", dep)
			t.port = 0
		}
		if t.udpOnly {
			c.warn(svc.Name, key, "approximated: %q has only UDP ports; the wait only resolves its name", dep)
		}

		if waited[t.host] {
			continue // through another dependency in the same pod
		}
		waited[t.host] = true
		base, err := ObjectName("wait-for-" + c.names[dep])
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		name := base
		for i := 2; names[name]; i++ {
			name = truncName(base, "-"+strconv.Itoa(i))
		}
		names[name] = true
		pod.InitContainers = append(pod.InitContainers, corev1.Container{
			Name:            name,
			Image:           image,
			Command:         []string{"sh", "-c", waitScript(t, d.Required)},
			Resources:       *waitResources.DeepCopy(),
			SecurityContext: waitSecurityContext(),
		})
	}
	return nil
}

// waitTarget is what a wait checks: a TCP port of a Service, or, with
// port 0, that the Service's name resolves.
type waitTarget struct {
	host string
	port int32
	// udpOnly: the Service has ports, but no TCP one.
	udpOnly bool
	// kind is the dependency's workload kind.
	kind string
}

// waitTarget learns about another service what a wait needs: its Service
// name, first TCP port and workload kind. It converts nothing and warns
// about nothing; the service's own conversion does that.
func (c *converter) waitTarget(name string) waitTarget {
	svc := c.project.Services[name]
	t := waitTarget{host: c.names[name]}
	if plan := c.wl.plans[name]; plan != nil {
		t.kind = plan.kind
	}
	ext, err := c.serviceExtension(&svc)
	if err != nil {
		return t
	}
	s := &svcCtx{svc: &svc, name: t.host, ext: ext}
	// The service's own conversion warns about its labels and ports.
	kl, err := komposeServiceLabels(s, new(warningList))
	if err != nil {
		return t
	}
	ports, err := collectPorts(&svc, new(warningList))
	if err != nil {
		return t
	}
	// As kubeService decides: dnsrr, kompose's headless and StatefulSets
	// make a ClusterIP Service headless.
	typ, _ := c.serviceType(s, kl)
	headless := typ == corev1.ServiceTypeClusterIP && (wantsHeadless(&svc, kl) || t.kind == kindStatefulSet)
	for _, p := range ports {
		if p.protocol != corev1.ProtocolTCP {
			continue
		}
		// A headless Service's name resolves to the pods themselves.
		t.port = p.port
		if headless {
			t.port = p.target
		}
		return t
	}
	t.udpOnly = len(ports) > 0
	return t
}

// canReach reports whether the NetworkPolicies let pods of service from
// connect to the wait target's port on service to.
func (c *converter) canReach(from, to string, t waitTarget) bool {
	if len(c.net.netLabels) == 0 {
		return true
	}
	dst := c.project.Services[to]
	if len(dst.Networks) == 0 {
		return true // not selected by any policy
	}
	for net := range c.project.Services[from].Networks {
		if _, ok := dst.Networks[net]; ok {
			return true
		}
	}
	for _, p := range dst.Ports {
		if !isLoopback(p.HostIP) && (int32(p.Target) == t.port || publishedAs(p, t.port)) {
			return true
		}
	}
	return false
}

func publishedAs(p types.ServicePortConfig, port int32) bool {
	first, _, err := portRange(p.Published)
	return err == nil && first == port
}

// waitScript is the shell loop of a wait container.
func waitScript(t waitTarget, required bool) string {
	check, what := "nslookup "+t.host+" >/dev/null 2>&1", t.host
	if t.port != 0 {
		what = t.host + ":" + strconv.Itoa(int(t.port))
		check = "nc -z -w 2 " + t.host + " " + strconv.Itoa(int(t.port))
	}
	loop := fmt.Sprintf("until %s; do echo waiting for %s; sleep 2; done", check, what)
	if required {
		return loop
	}
	return fmt.Sprintf("timeout %d sh -c '%s' || echo %s did not answer in %ds, starting anyway", requiredFalseWait, loop, what, requiredFalseWait)
}

// implicitDependencies are the dependencies compose adds for links and
// network_mode, ipc, pid, uts or cgroup "service:X"; it marks them
// restart: true, which is not the user's doing.
func implicitDependencies(svc *types.ServiceConfig) map[string]bool {
	m := map[string]bool{}
	for _, l := range svc.Links {
		target, _, _ := strings.Cut(l, ":")
		m[target] = true
	}
	for _, ref := range []string{svc.NetworkMode, svc.Ipc, svc.Pid, svc.Uts, svc.Cgroup} {
		if name, ok := strings.CutPrefix(ref, types.ServicePrefix); ok {
			m[name] = true
		}
	}
	return m
}

// hasReadiness reports whether a service's pods get a readiness probe, so
// that its Service answers only once the healthcheck passes. It decides as
// the service's own conversion does, which warns about the probes.
func (c *converter) hasReadiness(svc *types.ServiceConfig) bool {
	ext, err := c.serviceExtension(svc)
	if err != nil {
		return false
	}
	readiness, _, _, err := containerProbes(svc, ext, new(warningList))
	return err == nil && readiness != nil
}
