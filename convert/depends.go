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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// depends_on: init containers that wait for dependencies.
//
// Each service_started or service_healthy dependency becomes an init
// container wait-for-<dependency> running the pinned wait image
// (--wait-image, default DefaultWaitImage). It waits for what compose
// waits for:
//
//   - service_healthy: a ready pod. The healthcheck is the readiness
//     probe, and the dependency's headless Service publishes only ready
//     pods, so the wait loops until its fully qualified name
//     (<svc>.<namespace>.svc.<cluster domain>) resolves. With a virtual IP
//     (endpoint_mode vip) the name always resolves, so the wait connects
//     to its first TCP port instead, which answers only through ready pods.
//   - service_started: a started pod, whatever its health. When the pod
//     has no readiness probe, ready is started, and the wait is as above.
//     Else the wait resolves <dependency>-started, a headless Service with
//     publishNotReadyAddresses, which lists the pod once it has an address.
//
// Names are looked up fully qualified: busybox's nslookup of a short name
// tries every search domain and exits 1 on any NXDOMAIN, even when it
// printed the answer, so a wait on a short name would never end under a
// cluster's resolv.conf. The namespace comes from the downward API. This
// needs no API access, so no RBAC.
//
// `required: false` bounds the wait: after requiredFalseWait seconds the
// container gives up and the pod starts anyway, as compose starts a
// service whose optional dependency failed.
// `service_completed_successfully` would need the Job's status from the
// API; the pod starts without waiting, with a warning. Its dependency,
// when it has no ports, is one-shot and becomes a Job (decideWorkload). A dependency that
// joins another service's pod (network_mode: service:X) is waited for
// through X's Service; one in this very pod is not waited for.

var dependsKeys = map[string]keyRule{
	"depends_on": {keyMapped, "init container `wait-for-<dependency>` (`--wait-image`) per `service_started`/`service_healthy` dependency: healthy waits until the fully qualified name of its headless Service resolves (a ready pod), started until `<dependency>-started` (publishing not-ready pods) does; `required: false` gives up after 5 minutes; `service_completed_successfully` and `restart` warn"},
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
	me := c.plan.podOf(svc.Name)
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
		owner := c.plan.podOf(dep)
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
		readiness := c.podHasReadiness(owner)
		if cond == types.ServiceConditionHealthy && !c.hasReadiness(&depSvc) {
			c.warn(svc.Name, key+".condition", "approximated: %q has no healthcheck, so the wait ends when its pod is ready (started)", dep)
		}
		if cond != types.ServiceConditionHealthy && (readiness || t.port != 0 || t.udpOnly) {
			// Started, not ready: a name that lists not-ready pods.
			name, err := c.startedService(owner)
			if err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
			t = waitTarget{host: name, kind: t.kind}
		}
		if t.port != 0 && !c.canReach(me, owner, t) {
			c.warn(svc.Name, key, "approximated: this service shares no network with %q, so the NetworkPolicies block a TCP check on its virtual IP; the wait ends when its name resolves", dep)
			t.port = 0
		}
		if t.udpOnly {
			c.warn(svc.Name, key, "approximated: %q has a virtual IP and only UDP ports, which a wait cannot check; it ends when the name resolves", dep)
		}

		if waited[t.host] {
			continue // through another dependency in the same pod
		}
		waited[t.host] = true
		base, err := ObjectName("wait-for-" + c.plan.names[dep])
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
			Command:         []string{"sh", "-c", waitScript(t, c.clusterDomain(), d.Required)},
			Env:             []corev1.EnvVar{namespaceEnv()},
			Resources:       *waitResources.DeepCopy(),
			SecurityContext: waitSecurityContext(),
		})
	}
	return nil
}

// waitTarget is what a wait checks: that a headless Service's name
// resolves, or, with a port, a TCP port of a Service with a virtual IP.
type waitTarget struct {
	host string
	port int32
	// udpOnly: the Service has a virtual IP and ports, but no TCP one.
	udpOnly bool
	// kind is the dependency's workload kind.
	kind string
}

// waitTarget learns about another service what a wait needs: its Service
// name, whether that is headless (else its first TCP port) and its
// workload kind. It converts nothing and warns about nothing; the
// service's own conversion does that.
func (c *converter) waitTarget(name string) waitTarget {
	svc := c.project.Services[name]
	t := waitTarget{host: c.plan.names[name], kind: c.plan.kindOf(name)}
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
	ports, err := collectPorts(&svc)
	if err != nil || !serviceVIP(&svc, kl, len(ports) > 0) {
		return t // headless: its name resolves to ready pods only
	}
	for _, p := range ports {
		if p.protocol == corev1.ProtocolTCP {
			t.port = p.port
			return t
		}
	}
	t.udpOnly = true
	return t
}

// podHasReadiness reports whether the pod of owner has a readiness probe:
// its own, or that of a service in its pod.
func (c *converter) podHasReadiness(owner string) bool {
	for _, name := range c.project.ServiceNames() {
		if c.plan.podOf(name) != owner {
			continue
		}
		if svc := c.project.Services[name]; c.hasReadiness(&svc) {
			return true
		}
	}
	return false
}

// startedService emits, once, the headless Service <owner>-started that
// lists owner's pods whether ready or not (publishNotReadyAddresses), for
// waits on service_started, and returns its name.
func (c *converter) startedService(owner string) (string, error) {
	if c.net.started == nil {
		c.net.started = map[string]string{}
	}
	if n, ok := c.net.started[owner]; ok {
		return n, nil
	}
	name := truncName(c.plan.names[owner], "-started")
	for _, o := range c.objectNames() {
		if o.name == name {
			return "", invalidf("the Service %q that service_started waits resolve has the name of %s; rename one", name, o.what)
		}
	}
	c.net.started[owner] = name
	objName := c.plan.names[owner]
	labels := map[string]string{LabelName: objName, LabelPartOf: c.partOf, LabelManagedBy: ManagedBy}
	c.add(&corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: c.opts.Namespace, Labels: labels},
		Spec: corev1.ServiceSpec{
			Selector:                 map[string]string{LabelName: objName, LabelPartOf: c.partOf},
			ClusterIP:                corev1.ClusterIPNone,
			PublishNotReadyAddresses: true,
		},
	})
	return name, nil
}

// namespaceEnvName is the variable through which wait containers learn
// their namespace (downward API), to look names up fully qualified.
const namespaceEnvName = "HOIST_NAMESPACE"

func namespaceEnv() corev1.EnvVar {
	return corev1.EnvVar{Name: namespaceEnvName, ValueFrom: &corev1.EnvVarSource{
		FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.namespace"},
	}}
}

func (c *converter) clusterDomain() string {
	if d := c.opts.ClusterDomain; d != "" {
		return d
	}
	return DefaultClusterDomain
}

// canReach reports whether the NetworkPolicies let pods of service from
// connect to the wait target's port on service to.
func (c *converter) canReach(from, to string, t waitTarget) bool {
	if len(c.plan.netLabels) == 0 {
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

// waitScript is the shell loop of a wait container. Its checks end as
// soon as the condition holds on a real cluster: nslookup of the fully
// qualified name (a short name makes busybox exit 1 under the search
// domains), and `echo | nc -w 2` for TCP (busybox's nc has no -z).
func waitScript(t waitTarget, domain string, required bool) string {
	fqdn := t.host + ".$" + namespaceEnvName + ".svc." + domain
	check, what := "nslookup "+fqdn+" >/dev/null 2>&1", t.host
	if t.port != 0 {
		what = t.host + ":" + strconv.Itoa(int(t.port))
		check = "echo | nc -w 2 " + fqdn + " " + strconv.Itoa(int(t.port)) + " >/dev/null 2>&1"
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
