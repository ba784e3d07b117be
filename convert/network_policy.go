package convert

import (
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// NetworkPolicies. A compose network isolates its members: a container
// reaches only the containers that share one of its networks, and
// anything else only through ports published on the host. So:
//
//   - every pod is labelled network.hoist.dev/<network>: "true" for each of
//     its networks, and one NetworkPolicy per network lets the pods on it
//     accept traffic from the pods on it (policies add up: a pod on two
//     networks accepts traffic from the members of both);
//   - a service's published ports (`ports:`, except those bound to a
//     loopback host_ip), the ports of a NodePort or LoadBalancer Service and
//     the port an Ingress routes to accept traffic from anywhere, through a
//     NetworkPolicy <service>-published: compose publishes them on the host,
//     and Ingress controllers and node ports come from outside the
//     namespace; `expose` ports stay network-internal;
//   - `internal: true` networks also restrict egress: their members reach
//     only pods on their networks and DNS; then every other network's policy
//     allows all egress, so a pod that is also on a normal network keeps its
//     way out, as in compose;
//   - an `external: true` network's other members are outside the project,
//     so its policy accepts traffic from every pod in the namespace.
//
// Pods without networks (network_mode: host or none, sidecars of another
// service's pod) get no label and are selected by no policy.

// openPorts are the ports of one service's pods that accept traffic from
// anywhere.
type openPorts struct {
	s     *svcCtx
	ports []networkingv1.NetworkPolicyPort
}

// noteOpenPorts records which of the service's ports are reachable from
// outside its networks: published ports, the ports of NodePort and
// LoadBalancer Services, and the Ingress backend.
func (c *converter) noteOpenPorts(s *svcCtx, backend *svcPort) {
	if len(c.plan.netLabels) == 0 || !onNetwork(s.podLabels) {
		return
	}
	type key struct {
		port  int32
		proto corev1.Protocol
	}
	seen := map[key]bool{}
	var ports []networkingv1.NetworkPolicyPort
	open := func(target int32, proto corev1.Protocol) {
		if seen[key{target, proto}] {
			return
		}
		seen[key{target, proto}] = true
		p := intstr.FromInt32(target)
		ports = append(ports, networkingv1.NetworkPolicyPort{Protocol: &proto, Port: &p})
	}
	for _, p := range s.svc.Ports {
		if isLoopback(p.HostIP) || p.Target < 1 || p.Target > 65535 {
			continue
		}
		proto, err := protocol(p.Protocol)
		if err != nil {
			continue
		}
		open(int32(p.Target), proto)
	}
	if typ, _ := c.serviceType(s, c.net.kompose[s.svc.Name]); typ == corev1.ServiceTypeNodePort || typ == corev1.ServiceTypeLoadBalancer {
		for _, p := range s.published {
			open(p.target, p.protocol)
		}
	}
	if backend != nil {
		open(backend.target, backend.protocol)
	}
	if len(ports) > 0 {
		c.net.open = append(c.net.open, openPorts{s: s, ports: ports})
	}
}

func onNetwork(podLabels map[string]string) bool {
	for k := range podLabels {
		if strings.HasPrefix(k, networkLabelPrefix) {
			return true
		}
	}
	return false
}

func isLoopback(hostIP string) bool {
	a, err := netip.ParseAddr(hostIP)
	return err == nil && a.IsLoopback()
}

// networkPolicies warns about the top-level network settings Kubernetes
// has no place for and emits one NetworkPolicy per compose network that
// services use, plus one per service with ports open to everyone.
func (c *converter) networkPolicies() error {
	p := c.project
	policies := len(c.plan.netLabels) > 0
	for _, name := range slices.Sorted(maps.Keys(p.Networks)) {
		c.networkKeys(name, p.Networks[name], policies)
	}
	if !policies {
		return nil
	}
	internal := false
	for net := range c.plan.netLabels {
		internal = internal || p.Networks[net].Internal
	}
	owner := map[string]string{}
	claim := func(name, what string) error {
		if other, ok := owner[name]; ok {
			return invalidf("%s and %s both become the NetworkPolicy %q; rename one", other, what, name)
		}
		owner[name] = what
		return nil
	}
	meta := func(name string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: name, Namespace: c.opts.Namespace, Labels: map[string]string{LabelPartOf: c.partOf, LabelManagedBy: ManagedBy}}
	}
	for _, net := range slices.Sorted(maps.Keys(c.plan.netLabels)) {
		cfg := p.Networks[net]
		members := &metav1.LabelSelector{MatchLabels: map[string]string{LabelPartOf: c.partOf, c.plan.netLabels[net]: "true"}}
		name, err := ObjectName("network-" + strings.TrimPrefix(c.plan.netLabels[net], networkLabelPrefix))
		if err != nil {
			return err
		}
		if err := claim(name, "network "+strconv.Quote(net)); err != nil {
			return err
		}
		pol := &networkingv1.NetworkPolicy{
			TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
			ObjectMeta: meta(name),
			Spec: networkingv1.NetworkPolicySpec{
				PodSelector: *members,
				PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
			},
		}
		from := networkingv1.NetworkPolicyPeer{PodSelector: members}
		if bool(cfg.External) {
			// The network's other members are outside the project.
			from = networkingv1.NetworkPolicyPeer{PodSelector: &metav1.LabelSelector{}}
		}
		pol.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{from}}}
		switch {
		case cfg.Internal:
			udp, tcp, dns := corev1.ProtocolUDP, corev1.ProtocolTCP, intstr.FromInt32(53)
			pol.Spec.PolicyTypes = append(pol.Spec.PolicyTypes, networkingv1.PolicyTypeEgress)
			pol.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{
				{To: []networkingv1.NetworkPolicyPeer{{PodSelector: members}}},
				{Ports: []networkingv1.NetworkPolicyPort{{Protocol: &udp, Port: &dns}, {Protocol: &tcp, Port: &dns}}},
			}
		case internal:
			// Policies add up: this one keeps the way out of pods that
			// are also on an internal network.
			pol.Spec.PolicyTypes = append(pol.Spec.PolicyTypes, networkingv1.PolicyTypeEgress)
			pol.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{{}}
		}
		c.add(pol)
	}
	for _, o := range c.net.open {
		name, err := ObjectName(o.s.name + "-published")
		if err != nil {
			return err
		}
		if err := claim(name, "the published ports of service "+strconv.Quote(o.s.svc.Name)); err != nil {
			return err
		}
		m := meta(name)
		m.Labels = o.s.labels
		c.add(&networkingv1.NetworkPolicy{
			TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
			ObjectMeta: m,
			Spec: networkingv1.NetworkPolicySpec{
				PodSelector: metav1.LabelSelector{MatchLabels: o.s.selector},
				PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
				Ingress:     []networkingv1.NetworkPolicyIngressRule{{Ports: o.ports}},
			},
		})
	}
	return nil
}

// networkKeys warns about a top-level network's settings that have no
// Kubernetes equivalent.
func (c *converter) networkKeys(name string, n types.NetworkConfig, policies bool) {
	key := "networks." + name
	switch n.Driver {
	case "", "bridge", "overlay":
	default:
		c.drop("", key+".driver", "%q: pods use the cluster network, dropped", n.Driver)
	}
	if len(n.DriverOpts) > 0 {
		c.drop("", key+".driver_opts", "pods use the cluster network, dropped")
	}
	if n.Ipam.Driver != "" || len(n.Ipam.Config) > 0 || len(n.Ipam.Options) > 0 {
		c.drop("", key+".ipam", "pod addresses are assigned by the network plugin, dropped")
	}
	if n.EnableIPv4 != nil {
		c.drop("", key+".enable_ipv4", "IP families are set by the cluster, dropped")
	}
	if n.EnableIPv6 != nil {
		c.drop("", key+".enable_ipv6", "IP families are set by the cluster, dropped")
	}
	if n.Attachable {
		c.drop("", key+".attachable", "a swarm setting, dropped")
	}
	if len(n.Labels) > 0 {
		c.drop("", key+".labels", "networks become NetworkPolicies, which do not carry them, dropped")
	}
	if !bool(n.External) && n.Name != "" && n.Name != c.project.Name+"_"+name && n.Name != name {
		c.drop("", key+".name", "%q: a network has no name in a cluster (its NetworkPolicy and pod label use the key %q), dropped", n.Name, name)
	}
	switch {
	case bool(n.External) && policies:
		c.warn("", key+".external", "approximated: the network's other members are outside the project; its pods accept traffic from every pod in the namespace")
	case n.Internal && !policies:
		c.drop("", key+".internal", "isolation needs NetworkPolicies, which are turned off, dropped")
	}
}
