package convert

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
)

// maxPorts bounds the ports of one service once ranges are expanded.
const maxPorts = 100

// svcPort is one port of a service's Kubernetes Service.
type svcPort struct {
	name        string
	port        int32
	target      int32
	protocol    corev1.Protocol
	appProtocol string
}

// collectPorts collects the container ports of a service from ports and
// expose, in that order, without duplicates. They are the ports of the
// Service that carries the service's name, with port == targetPort:
// clients on a compose network reach a service by its name on the
// container's ports, whatever it publishes on the host.
func collectPorts(svc *types.ServiceConfig) ([]svcPort, error) {
	if len(svc.Ports) > maxPorts {
		return nil, unsupportedf("ports: %d ports once ranges are expanded; at most %d are supported", len(svc.Ports), maxPorts)
	}
	var out []svcPort
	names := map[string]bool{}
	type portKey struct {
		port  int32
		proto corev1.Protocol
	}
	seen := map[portKey]bool{}
	add := func(composeName string, target int32, proto corev1.Protocol, appProto string) {
		if seen[portKey{target, proto}] {
			return
		}
		seen[portKey{target, proto}] = true
		out = append(out, svcPort{name: uniquePortName(names, composeName, proto, target), port: target, target: target, protocol: proto, appProtocol: appProto})
	}
	for _, p := range svc.Ports {
		proto, err := protocol(p.Protocol)
		if err != nil {
			return nil, fmt.Errorf("ports: %w", err)
		}
		if p.Target < 1 || p.Target > 65535 {
			return nil, invalidf("ports: target port %d is out of range", p.Target)
		}
		if p.Published != "" {
			if _, _, err := portRange(p.Published); err != nil {
				return nil, fmt.Errorf("ports: published %w", err)
			}
		}
		add(p.Name, int32(p.Target), proto, p.AppProtocol)
	}
	for _, e := range svc.Expose {
		spec, protoName, _ := strings.Cut(e, "/")
		proto, err := protocol(protoName)
		if err != nil {
			return nil, fmt.Errorf("expose: %w", err)
		}
		first, last, err := portRange(spec)
		if err != nil {
			return nil, fmt.Errorf("expose: %w", err)
		}
		if last-first >= maxPorts || len(out)+int(last-first) >= maxPorts {
			return nil, unsupportedf("expose: range %s has %d ports; at most %d are supported in all", spec, last-first+1, maxPorts)
		}
		for p := first; p <= last; p++ {
			add("", p, proto, "")
		}
	}
	if len(out) > maxPorts {
		return nil, unsupportedf("ports: %d ports once ranges are expanded; at most %d are supported", len(out), maxPorts)
	}
	return out, nil
}

// uniquePortName is the port's IANA-style name, numbered when taken; it
// records the name in names.
func uniquePortName(names map[string]bool, composeName string, proto corev1.Protocol, port int32) string {
	name := portName(composeName, string(proto), port)
	if names[name] {
		name = portName("", string(proto), port)
	}
	for i := 2; names[name]; i++ {
		name = fmt.Sprintf("%s-%d", portName("", string(proto), port), i)
	}
	names[name] = true
	return name
}

// publishedPort is one port compose publishes on the host.
type publishedPort struct {
	svcPort
	hostIP string
	// hostMode: mode host, published on the node running the container.
	hostMode bool
	// explicit: the published port is given, not picked by Docker.
	explicit bool
}

// publishedPorts are the ports a service publishes on the host (`ports`,
// not `expose`): port = published (the first of a range; the target when
// Docker picks one), targetPort = target, without duplicates. It records
// in w what it approximates; the caller keeps w only when the ports are
// published by a NodePort or LoadBalancer Service. Ports bound to a
// loopback host_ip (127.0.0.1:8080:80, [::1]:8080:80) are for the host
// only; they come back apart, in hostOnly, and are not published.
func publishedPorts(svc *types.ServiceConfig, w *warningList) (out, hostOnly []publishedPort) {
	names := map[string]bool{}
	type portKey struct {
		port  int32
		proto corev1.Protocol
	}
	seen := map[portKey]int32{} // -> target
	for _, p := range svc.Ports {
		proto, err := protocol(p.Protocol)
		if err != nil || p.Target < 1 || p.Target > 65535 {
			continue // collectPorts fails on it
		}
		target := int32(p.Target)
		port := target
		if p.Published != "" {
			first, last, err := portRange(p.Published)
			if err != nil {
				continue
			}
			port = first
			if last != first {
				w.warn(svc.Name, "ports", "approximated: published range %s for target %d becomes the published port %d", p.Published, target, first)
			}
		}
		if t, ok := seen[portKey{port, proto}]; ok {
			if t != target {
				w.warn(svc.Name, "ports", "approximated: port %d/%s is published twice (targets %d and %d); keeping target %d", port, proto, t, target, t)
			}
			continue
		}
		pp := publishedPort{
			svcPort:  svcPort{port: port, target: target, protocol: proto, appProtocol: p.AppProtocol},
			hostIP:   p.HostIP,
			hostMode: p.Mode == "host",
			explicit: p.Published != "",
		}
		if isLoopback(p.HostIP) {
			hostOnly = append(hostOnly, pp)
			continue
		}
		seen[portKey{port, proto}] = target
		pp.name = uniquePortName(names, p.Name, proto, port)
		out = append(out, pp)
	}
	return out, hostOnly
}

// hostOnlyWarning warns that the ports compose binds to a loopback address
// are not published: compose means "this host only", and a Kubernetes
// host is any node. They are reachable in the cluster through the named
// Service on the container port, and from the user's machine through a
// port-forward.
func (c *converter) hostOnlyWarning(s *svcCtx) {
	if len(s.hostOnly) == 0 {
		return
	}
	var list []string
	for _, p := range s.hostOnly {
		host := p.hostIP
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
		list = append(list, fmt.Sprintf("%s:%d:%d", host, p.port, p.target))
	}
	p := s.hostOnly[0]
	c.warn(s.svc.Name, "ports", "approximated: %s bound to a loopback address (this host only), not published outside the cluster; in it %q answers on its container ports; from this machine use `hoist port-forward` or `kubectl port-forward service/%s %d:%d`", strings.Join(list, ", "), s.name, s.name, p.port, p.target)
}

func protocol(s string) (corev1.Protocol, error) {
	switch strings.ToLower(s) {
	case "", "tcp":
		return corev1.ProtocolTCP, nil
	case "udp":
		return corev1.ProtocolUDP, nil
	case "sctp":
		return corev1.ProtocolSCTP, nil
	}
	return "", invalidf("protocol %q: want tcp, udp or sctp", s)
}

// portRange parses "80" or "8000-8010".
func portRange(s string) (first, last int32, err error) {
	lo, hi, isRange := strings.Cut(s, "-")
	parse := func(v string) (int32, error) {
		n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 16)
		if err != nil || n == 0 {
			return 0, invalidf("port %q: want a number from 1 to 65535", s)
		}
		return int32(n), nil
	}
	if first, err = parse(lo); err != nil {
		return 0, 0, err
	}
	last = first
	if isRange {
		if last, err = parse(hi); err != nil {
			return 0, 0, err
		}
		if last < first {
			return 0, 0, invalidf("port range %q ends before it starts", s)
		}
	}
	return first, last, nil
}

// kubeService emits the Service that carries the service's name, and the
// Service that publishes its published ports.
//
// The named Service is headless (clusterIP: None) with the container
// ports, port == targetPort: a compose network's service-name DNS returns
// the containers' addresses, so clients reach every port the container
// listens on, listed or not, and a headless Service's name resolves to
// the ready pods' addresses the same way. deploy.endpoint_mode: vip asks
// for a virtual IP instead (then only the listed ports are reachable).
//
// Ports compose publishes on the host are published by a second Service,
// <name>-published, of the chosen type (x-kubernetes.service.type,
// kompose.service.type, --service-type): NodePort (node port = the
// published port when it is in the default node port range) or
// LoadBalancer (port = the published port). A ClusterIP type publishes
// nothing outside the cluster, with a warning.
func (c *converter) kubeService(s *svcCtx) error {
	svc := s.svc
	kl := c.net.kompose[svc.Name]
	typ, typKey := c.serviceType(s, kl)
	var ext ServiceExtension
	if s.ext.Service != nil {
		ext = *s.ext.Service
	}
	nodePort, nodePortKey := ext.NodePort, ExtensionKey+".service.nodePort"
	if nodePort == 0 && kl.nodePort != 0 {
		nodePort, nodePortKey = kl.nodePort, "labels."+komposeNodePort
	}
	var ann map[string]string
	for _, key := range slices.Sorted(maps.Keys(ext.Annotations)) {
		if len(validation.IsQualifiedName(key)) > 0 {
			c.drop(svc.Name, ExtensionKey+".service.annotations", "%q is not a valid Kubernetes annotation key, dropped", key)
			continue
		}
		if ann == nil {
			ann = map[string]string{}
		}
		ann[key] = ext.Annotations[key]
	}
	k := &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: c.objectMeta(s, s.name),
		Spec:       corev1.ServiceSpec{Selector: s.selector, Ports: servicePorts(s.ports)},
	}
	k.Annotations = maps.Clone(ann)
	vip := serviceVIP(s.svc, kl, len(s.ports) > 0)
	if vip {
		c.warn(svc.Name, "deploy.endpoint_mode", "approximated: vip: %q has a virtual IP that forwards only the listed ports (%s); other ports the container listens on are not reachable by the name", s.name, portList(s.ports))
	} else {
		k.Spec.ClusterIP = corev1.ClusterIPNone
	}
	c.add(k)
	if s.kind == kindStatefulSet && vip {
		if err := c.governingHeadless(s, k); err != nil {
			return err
		}
	}

	c.hostOnlyWarning(s)
	pw := s.publishWarnings
	published := s.published
	if typ == corev1.ServiceTypeClusterIP {
		if nodePort != 0 {
			return invalidf("%s: needs type NodePort or LoadBalancer", nodePortKey)
		}
		if len(published) > 0 {
			var list []string
			for _, p := range published {
				if p.explicit {
					list = append(list, fmt.Sprintf("%d:%d", p.port, p.target))
				} else {
					list = append(list, strconv.Itoa(int(p.target)))
				}
			}
			if svc.NetworkMode == "host" {
				// compose discards published ports on the host network;
				// the pod's hostNetwork puts its container ports on the node.
				c.warn(svc.Name, "ports", "approximated: network_mode host: ports %s are not published by a Service; the container's ports answer on the address of the node the pod runs on, as compose discards published ports on the host network", strings.Join(list, ", "))
			} else {
				c.warn(svc.Name, "ports", "approximated: ports %s are not published outside the cluster by type ClusterIP (in it, %q answers on its container ports); hoist port-forward serves them on 127.0.0.1 as compose does, or set --service-type or %s.service.type NodePort or LoadBalancer to publish", strings.Join(list, ", "), s.name, ExtensionKey)
			}
		}
		return nil
	}
	if len(published) == 0 && len(s.hostOnly) > 0 {
		// hostOnlyWarning said why nothing is published.
		if nodePort != 0 {
			c.drop(svc.Name, nodePortKey, "the service publishes no ports outside its host, dropped")
		}
		return nil
	}
	if len(published) == 0 {
		c.drop(svc.Name, typKey, "the service publishes no ports (ports:), so there is no %s Service; %q answers in the cluster only, dropped", typ, s.name)
		if nodePort != 0 {
			c.drop(svc.Name, nodePortKey, "the service publishes no ports, dropped")
		}
		return nil
	}
	pub := &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: c.objectMeta(s, c.publishedService(s)),
		Spec:       corev1.ServiceSpec{Selector: s.selector, Type: typ},
	}
	pub.Annotations = maps.Clone(ann)
	for _, o := range c.objectNames() {
		if o.name == pub.Name {
			return invalidf("the Service %q that publishes the ports has the name of %s; rename one", pub.Name, o.what)
		}
	}
	var outside []string
	for _, p := range published {
		switch p.hostIP {
		case "", "0.0.0.0", "::":
		default:
			pw.warn(svc.Name, "ports", "approximated: host_ip %s is not kept; port %d is published on every %s", p.hostIP, p.port, publishedWhere(typ))
		}
		if p.hostMode {
			pw.warn(svc.Name, "ports", "approximated: mode host: port %d is published by the %s Service, on every %s", p.port, typ, publishedWhere(typ))
		}
		sp := servicePorts([]svcPort{p.svcPort})[0]
		if nodePort != 0 && len(pub.Spec.Ports) == 0 {
			// The first port takes the node port the extension or label sets.
			sp.NodePort = nodePort
		} else if typ == corev1.ServiceTypeNodePort && p.explicit {
			if p.port >= minNodePort && p.port <= maxNodePort {
				sp.NodePort = p.port
			} else {
				outside = append(outside, strconv.Itoa(int(p.port)))
			}
		}
		pub.Spec.Ports = append(pub.Spec.Ports, sp)
	}
	c.warnings = append(c.warnings, pw...)
	if len(outside) > 0 {
		c.warn(svc.Name, "ports", "approximated: published ports %s are outside the default node port range %d-%d: the API server picks their node ports", strings.Join(outside, ", "), minNodePort, maxNodePort)
	}
	if nodePort != 0 {
		if len(pub.Spec.Ports) > 1 {
			c.warn(svc.Name, nodePortKey, "approximated: set on the first published port (%s) only", pub.Spec.Ports[0].Name)
		}
		if nodePort < minNodePort || nodePort > maxNodePort {
			c.warn(svc.Name, nodePortKey, "approximated: %d is outside the default node port range %d-%d: the API server refuses it unless its --service-node-port-range includes it", nodePort, minNodePort, maxNodePort)
		}
	}
	c.add(pub)
	return nil
}

// The default node port range of the API server (--service-node-port-range).
const (
	minNodePort = 30000
	maxNodePort = 32767
)

func publishedWhere(typ corev1.ServiceType) string {
	if typ == corev1.ServiceTypeLoadBalancer {
		return "load balancer address"
	}
	return "node"
}

// publishedService is the name of the Service that publishes a service's
// published ports.
func (c *converter) publishedService(s *svcCtx) string {
	return truncName(s.name, "-published")
}

// objectName is a Service name hoist derives, and what owns it.
type objectName struct{ name, what string }

// objectNames are the Service names of services, jobs and aliases.
func (c *converter) objectNames() []objectName {
	var out []objectName
	for _, svc := range slices.Sorted(maps.Keys(c.plan.names)) {
		out = append(out, objectName{c.plan.names[svc], c.unitName(svc)})
	}
	for _, svc := range slices.Sorted(maps.Keys(c.plan.aliases)) {
		for _, a := range c.plan.aliases[svc] {
			out = append(out, objectName{a.name, fmt.Sprintf("alias %q of service %q", a.alias, svc)})
		}
	}
	return out
}

// portList is "80/TCP, 53/UDP".
func portList(ports []svcPort) string {
	var l []string
	for _, p := range ports {
		l = append(l, fmt.Sprintf("%d/%s", p.port, p.protocol))
	}
	return strings.Join(l, ", ")
}

// serviceVIP reports whether the service's named Service gets a virtual
// IP: only with ports and deploy.endpoint_mode vip, unless kompose's
// headless type says otherwise. Else it is headless, as compose's
// service-name DNS is.
func serviceVIP(svc *types.ServiceConfig, kl komposeService, hasPorts bool) bool {
	return hasPorts && svc.Deploy != nil && svc.Deploy.EndpointMode == "vip" && !kl.headless
}

// serviceType is the type of the service's Service and the key that chose
// it: x-kubernetes.service.type, else kompose.service.type (read into kl),
// else --service-type, else ClusterIP.
func (c *converter) serviceType(s *svcCtx, kl komposeService) (corev1.ServiceType, string) {
	typ, key := corev1.ServiceTypeClusterIP, ""
	if c.opts.ServiceType != "" {
		typ, key = c.opts.ServiceType, "--service-type"
	}
	if kl.typ != "" {
		typ, key = kl.typ, "labels."+komposeServiceType
	}
	if e := s.ext.Service; e != nil && e.Type != "" {
		typ, key = e.Type, ExtensionKey+".service.type"
	}
	return typ, key
}

// servicePorts are the Service ports of a service's ports.
func servicePorts(ports []svcPort) []corev1.ServicePort {
	var out []corev1.ServicePort
	for _, p := range ports {
		sp := corev1.ServicePort{Name: p.name, Port: p.port, TargetPort: intstr.FromInt32(p.target), Protocol: p.protocol}
		if p.appProtocol != "" && validAppProtocol(p.appProtocol) {
			ap := p.appProtocol
			sp.AppProtocol = &ap
		}
		out = append(out, sp)
	}
	return out
}

// governingHeadless emits the headless Service that governs a StatefulSet
// whose own Service cannot be headless.
func (c *converter) governingHeadless(s *svcCtx, k *corev1.Service) error {
	name := c.governingService(s)
	for svc, n := range c.plan.names {
		if n == name {
			return invalidf("the StatefulSet's headless Service %q has the name of %s; rename one", name, c.unitName(svc))
		}
	}
	h := &corev1.Service{
		TypeMeta:   k.TypeMeta,
		ObjectMeta: c.objectMeta(s, name),
		Spec:       corev1.ServiceSpec{Selector: s.selector, ClusterIP: corev1.ClusterIPNone},
	}
	for _, p := range k.Spec.Ports {
		p.NodePort = 0
		h.Spec.Ports = append(h.Spec.Ports, p)
	}
	c.add(h)
	return nil
}
