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

// collectPorts collects the Service ports of a service from ports and expose, in
// that order, without duplicates, and records in w what it approximates.
func collectPorts(svc *types.ServiceConfig, w *warningList) ([]svcPort, error) {
	if len(svc.Ports) > maxPorts {
		return nil, unsupportedf("ports: %d ports once ranges are expanded; at most %d are supported", len(svc.Ports), maxPorts)
	}
	var out []svcPort
	names := map[string]bool{}
	type portKey struct {
		port  int32
		proto corev1.Protocol
	}
	seen := map[portKey]int32{} // -> target
	add := func(key, composeName string, port, target int32, proto corev1.Protocol, appProto string) {
		if t, ok := seen[portKey{port, proto}]; ok {
			if t != target {
				w.warn(svc.Name, key, "approximated: port %d/%s is given twice (targets %d and %d); keeping target %d", port, proto, t, target, t)
			}
			return
		}
		seen[portKey{port, proto}] = target
		name := portName(composeName, string(proto), port)
		if names[name] {
			name = portName("", string(proto), port)
		}
		for i := 2; names[name]; i++ {
			name = fmt.Sprintf("%s-%d", portName("", string(proto), port), i)
		}
		names[name] = true
		out = append(out, svcPort{name: name, port: port, target: target, protocol: proto, appProtocol: appProto})
	}
	for _, p := range svc.Ports {
		proto, err := protocol(p.Protocol)
		if err != nil {
			return nil, fmt.Errorf("ports: %w", err)
		}
		if p.Target < 1 || p.Target > 65535 {
			return nil, invalidf("ports: target port %d is out of range", p.Target)
		}
		target := int32(p.Target)
		port := target
		if p.Published != "" {
			first, last, err := portRange(p.Published)
			if err != nil {
				return nil, fmt.Errorf("ports: published %w", err)
			}
			port = first
			if last != first {
				w.warn(svc.Name, "ports", "approximated: published range %s for target %d becomes Service port %d", p.Published, target, first)
			}
		}
		switch p.HostIP {
		case "", "0.0.0.0", "::":
		default:
			w.warn(svc.Name, "ports", "approximated: host_ip %s is not kept; the Service port %d listens on the Service's address", p.HostIP, port)
		}
		if p.Mode == "host" {
			w.warn(svc.Name, "ports", "approximated: mode host publishes port %d on the Service, not on the node", port)
		}
		add("ports", p.Name, port, target, proto, p.AppProtocol)
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
			add("expose", "", p, p, proto, "")
		}
	}
	if len(out) > maxPorts {
		return nil, unsupportedf("ports: %d ports once ranges are expanded; at most %d are supported", len(out), maxPorts)
	}
	return out, nil
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

// kubeService emits the Service that gives the service its in-cluster name:
// with its ports, or headless when it has none.
func (c *converter) kubeService(s *svcCtx) error {
	svc := s.svc
	typ, typKey := c.serviceType(s, c.net.kompose[svc.Name])
	var ext ServiceExtension
	if s.ext.Service != nil {
		ext = *s.ext.Service
	}
	nodePort, nodePortKey := ext.NodePort, ExtensionKey+".service.nodePort"
	if kl := c.net.kompose[svc.Name]; nodePort == 0 && kl.nodePort != 0 {
		nodePort, nodePortKey = kl.nodePort, "labels."+komposeNodePort
	}
	k := &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: c.objectMeta(s, s.name),
		Spec:       corev1.ServiceSpec{Selector: s.selector},
	}
	for _, key := range slices.Sorted(maps.Keys(ext.Annotations)) {
		if len(validation.IsQualifiedName(key)) > 0 {
			c.drop(svc.Name, ExtensionKey+".service.annotations", "%q is not a valid Kubernetes annotation key, dropped", key)
			continue
		}
		if k.Annotations == nil {
			k.Annotations = map[string]string{}
		}
		k.Annotations[key] = ext.Annotations[key]
	}
	k.Spec.Ports = servicePorts(s.ports)
	dnsrr := wantsHeadless(svc, c.net.kompose[svc.Name])
	switch {
	case len(k.Spec.Ports) == 0:
		// A headless Service still gives the pods a DNS name, as the compose
		// network does.
		k.Spec.ClusterIP = corev1.ClusterIPNone
		if typ != corev1.ServiceTypeClusterIP && typKey != "--service-type" {
			c.warn(svc.Name, typKey, "approximated: the service has no ports; a headless ClusterIP Service is emitted instead of %s", typ)
		}
		if nodePort != 0 {
			c.drop(svc.Name, nodePortKey, "the service has no ports, dropped")
		}
		c.add(k)
		return nil
	case (dnsrr || s.kind == kindStatefulSet) && typ == corev1.ServiceTypeClusterIP:
		// A StatefulSet's Service governs its pods' DNS names, which
		// needs it headless.
		k.Spec.ClusterIP = corev1.ClusterIPNone
	case dnsrr:
		c.drop(svc.Name, "deploy.endpoint_mode", "ignored: dnsrr needs a headless Service, which type %s cannot be", typ)
	}
	if typ != corev1.ServiceTypeClusterIP {
		k.Spec.Type = typ
	}
	if nodePort != 0 {
		if typ == corev1.ServiceTypeClusterIP {
			return invalidf("%s: needs type NodePort or LoadBalancer", nodePortKey)
		}
		if len(k.Spec.Ports) > 1 {
			c.warn(svc.Name, nodePortKey, "approximated: set on the first port (%s) only", k.Spec.Ports[0].Name)
		}
		k.Spec.Ports[0].NodePort = nodePort
	}
	c.add(k)
	if s.kind == kindStatefulSet && typ != corev1.ServiceTypeClusterIP {
		return c.governingHeadless(s, k)
	}
	return nil
}

// governingHeadless emits the headless Service that governs a StatefulSet
// whose own Service cannot be headless.
func (c *converter) governingHeadless(s *svcCtx, k *corev1.Service) error {
	name := c.governingService(s)
	for svc, n := range c.names {
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

// wantsHeadless reports whether deploy.endpoint_mode dnsrr or kompose's
// headless Service type (read into kl) ask for a headless Service.
func wantsHeadless(svc *types.ServiceConfig, kl komposeService) bool {
	return svc.Deploy != nil && svc.Deploy.EndpointMode == "dnsrr" || kl.headless
}

// servicePorts are the Service ports of a service's ports.
func servicePorts(ports []svcPort) []corev1.ServicePort {
	var out []corev1.ServicePort
	for _, p := range ports {
		sp := corev1.ServicePort{Name: p.name, Port: p.port, TargetPort: intstr.FromInt32(p.target), Protocol: p.protocol}
		if p.appProtocol != "" {
			ap := p.appProtocol
			sp.AppProtocol = &ap
		}
		out = append(out, sp)
	}
	return out
}
