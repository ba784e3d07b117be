package convert

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Network: aliases, links, NetworkPolicies, extra_hosts, DNS, hostname,
// Ingress. This file holds the keys, prepareNetwork (aliases, links,
// dotted container names, network labels) and the alias Services;
// extra_hosts, DNS and hostname are in network_dns.go, NetworkPolicies in
// network_policy.go, Ingress in ingress.go.

var networkKeys = map[string]keyRule{
	"dns":         {keyMapped, "pod `dnsConfig.nameservers` after the cluster DNS (`dnsPolicy` stays ClusterFirst, so service names resolve); addresses that exist only on the compose network dropped with a warning"},
	"dns_opt":     {keyMapped, "pod `dnsConfig.options`"},
	"dns_search":  {keyMapped, "pod `dnsConfig.searches`"},
	"domainname":  {keyMapped, "approximated: pod `subdomain` (a DNS-1123 label)"},
	"extra_hosts": {keyMapped, "pod `hostAliases`, grouped by IP; `host-gateway` dropped with a warning"},
	"hostname":    {keyMapped, "pod `hostname` (first label); unset, the pod's hostname is the service name when the workload runs one pod, so the kubelet's /etc/hosts resolves the service's own name in its pod (several pods keep their own hostnames)"},
	"links":       {keyMapped, "resolve through the target's Service; `service:alias` -> a Service named `alias` (namespace-wide)"},
	"networks":    {keyMapped, "`aliases` -> extra Services; membership -> pod label `network.hoist.dev/<network>` and one NetworkPolicy per network (`--network-policies=false` turns them off); addresses and driver options dropped"},
}

// networkKompose are the kompose label prefixes this area reads.
var networkKompose = []string{komposeServiceType, komposeNodePort, komposeExpose}

// kompose Service and Ingress labels.
const (
	komposeServiceType  = "kompose.service.type"
	komposeNodePort     = "kompose.service.nodeport.port"
	komposeExpose       = "kompose.service.expose"
	komposeExposeTLS    = "kompose.service.expose.tls-secret"
	komposeExposeClass  = "kompose.service.expose.ingress-class-name"
	networkLabelPrefix  = "network.hoist.dev/"
	defaultNetwork      = "default"
	hostGateway         = "host-gateway"
	maxDNSNameservers   = 3
	maxDNSSearchDomains = 32
)

// networkState is what the network area collects while services are
// converted; its project-wide decisions (aliases, dotted container names,
// network labels) are in the plan.
type networkState struct {
	// kompose holds each service's kompose Service labels.
	kompose map[string]komposeService
	// open are the pods that accept traffic from anywhere on some ports:
	// published ports, NodePort/LoadBalancer Services, Ingress backends.
	open []openPorts
	// started maps a service to its <name>-started Service, emitted for
	// service_started waits.
	started map[string]string
}

// aliasRef is one alias Service of a compose service.
type aliasRef struct {
	name  string // object name
	alias string // as written
	key   string // where it was written
}

// prepareNetwork resolves aliases and links project-wide (rejecting names
// that collide) and decides the network labels of NetworkPolicies.
func (c *converter) prepareNetwork() error {
	p := c.project
	c.plan.aliases = map[string][]aliasRef{}
	c.net.kompose = map[string]komposeService{}
	owner := map[string]string{} // object name -> what owns it
	for name, obj := range c.plan.names {
		owner[obj] = c.unitName(name)
	}
	// add gives target an alias Service, unless the alias is the name of
	// the service it was written for (self), which has it already.
	add := func(target, self, alias, key, what string) error {
		obj, err := ObjectName(alias)
		if err != nil {
			return fmt.Errorf("service %q: %s: %w", target, key, err)
		}
		if obj == c.plan.names[self] || obj == c.plan.names[target] {
			return nil
		}
		if err := needLetter(what, "Service", obj); err != nil {
			return err
		}
		mine := fmt.Sprintf("alias of service %q", target)
		if o, ok := owner[obj]; ok {
			if o == mine {
				return nil
			}
			return invalidf("%s and %s both become the Kubernetes Service name %q; rename one", what, o, obj)
		}
		owner[obj] = mine
		c.plan.aliases[target] = append(c.plan.aliases[target], aliasRef{name: obj, alias: alias, key: key})
		return nil
	}
	for _, name := range p.ServiceNames() {
		svc := p.Services[name]
		for _, net := range slices.Sorted(maps.Keys(svc.Networks)) {
			cfg := svc.Networks[net]
			if cfg == nil {
				continue
			}
			key := "networks." + net + ".aliases"
			for _, a := range cfg.Aliases {
				if err := add(name, name, a, key, fmt.Sprintf("network alias %q of service %q", a, name)); err != nil {
					return err
				}
			}
		}
	}
	// container_name is a DNS name on a compose network too: an alias,
	// or, dotted, the pod's hostname.subdomain under a headless Service
	// named after the subdomain.
	c.plan.dotted = map[string]dottedName{}
	for _, name := range p.ServiceNames() {
		cn := p.Services[name].ContainerName
		if cn == "" || c.plan.podOf(name) != name {
			continue
		}
		if !strings.Contains(cn, ".") {
			if err := add(name, name, cn, "container_name", fmt.Sprintf("container_name %q of service %q", cn, name)); err != nil {
				return err
			}
			continue
		}
		d := c.dottedContainerName(name, cn)
		if d.why == "" {
			if o, ok := owner[d.sub]; ok {
				d.why = fmt.Sprintf("its subdomain needs a headless Service %q, which is the name of %s", d.sub, o)
			} else {
				owner[d.sub] = fmt.Sprintf("container_name %q of service %q", cn, name)
			}
		}
		c.plan.dotted[name] = d
	}
	for _, name := range p.ServiceNames() {
		for _, l := range p.Services[name].Links {
			target, alias, ok := strings.Cut(l, ":")
			if !ok {
				alias = target
			}
			if _, ok := p.Services[target]; !ok {
				continue // reported by the linking service
			}
			key := fmt.Sprintf("links (of service %q)", name)
			// A link to a service in another's pod reaches that pod.
			if err := add(c.plan.podOf(target), target, alias, key, fmt.Sprintf("link alias %q of service %q (in service %q)", alias, target, name)); err != nil {
				return err
			}
		}
	}

	if c.opts.NoNetworkPolicies || !declaresNetworks(p) {
		return nil
	}
	c.plan.netLabels = map[string]string{}
	labelOwner := map[string]string{}
	var used [][]string
	for _, name := range p.ServiceNames() {
		used = append(used, slices.Sorted(maps.Keys(p.Services[name].Networks)))
	}
	for _, name := range slices.Sorted(maps.Keys(p.Jobs)) {
		// Top-level jobs' pods join networks too.
		used = append(used, slices.Sorted(maps.Keys(p.Jobs[name].Networks)))
	}
	for _, nets := range used {
		for _, net := range nets {
			if _, done := c.plan.netLabels[net]; done {
				continue
			}
			n, err := ObjectName(net)
			if err != nil {
				return fmt.Errorf("networks.%s: %w", net, err)
			}
			if other, ok := labelOwner[n]; ok {
				return invalidf("networks %q and %q both become the label %q; rename one", other, net, networkLabelPrefix+n)
			}
			labelOwner[n] = net
			c.plan.netLabels[net] = networkLabelPrefix + n
		}
	}
	return nil
}

// dottedName is a dotted container_name made the pod's hostname and
// subdomain, or why it cannot be.
type dottedName struct {
	host, sub string
	why       string
}

// dottedContainerName decides whether container_name host.sub can resolve
// in the cluster as on a compose network: as the pod's hostname and
// subdomain, with a headless Service named sub (kubelet and cluster DNS
// then resolve host.sub in the namespace).
func (c *converter) dottedContainerName(name, cn string) dottedName {
	svc := c.project.Services[name]
	host, sub, _ := strings.Cut(cn, ".")
	d := dottedName{host: host, sub: sub}
	kind := c.plan.kindOf(name)
	switch {
	case strings.Contains(sub, "."):
		d.why = "a pod's name in a Service's domain has two labels, hostname.subdomain"
	case len(validation.IsDNS1123Label(host)) > 0 || len(validation.IsDNS1123Label(sub)) > 0 || len(validation.IsDNS1035Label(sub)) > 0:
		d.why = "its labels are not DNS labels a pod hostname and a Service name can have"
	case svc.Hostname != "" || svc.DomainName != "":
		d.why = "hostname/domainname set the pod's hostname and subdomain"
	case kind == kindStatefulSet:
		d.why = "a StatefulSet names its pods' hosts"
	case isJobKind(kind):
		d.why = "a " + kind + " has no Service"
	}
	return d
}

// declaresNetworks reports whether the project declares a network of its
// own, beyond compose's implicit default one: another network, or a
// default network made internal or external.
func declaresNetworks(p *types.Project) bool {
	for name, n := range p.Networks {
		if name != defaultNetwork || n.Internal || bool(n.External) {
			return true
		}
	}
	return false
}

// podNetwork sets hostAliases, dnsConfig, hostname and subdomain, the pod
// labels of network membership, and reads kompose's Service labels.
func (c *converter) podNetwork(s *svcCtx, pod *corev1.PodSpec) error {
	svc := s.svc
	kl, err := komposeServiceLabels(s, &c.warnings)
	if err != nil {
		return err
	}
	c.net.kompose[svc.Name] = kl

	c.serviceNetworks(s)
	if s.kind == "Job" || s.kind == "CronJob" {
		// A run-to-completion pod serves nothing: serviceNetwork emits no
		// alias Services and no Ingress for it.
		for _, a := range c.plan.aliases[svc.Name] {
			if a.key == "container_name" {
				c.drop(svc.Name, a.key, "%q no longer resolves: a %s has no Service, dropped", a.alias, s.kind)
			} else if !strings.HasPrefix(a.key, "links") {
				c.drop(svc.Name, a.key, "alias %q: a %s has no Service, dropped", a.alias, s.kind)
			}
		}
		if ingressOf(s) != nil {
			c.drop(svc.Name, ExtensionKey+".ingress", "a %s serves nothing, dropped", s.kind)
		} else if _, ok := svc.Labels[komposeExpose]; ok {
			c.drop(svc.Name, "labels."+komposeExpose, "a %s serves nothing, dropped", s.kind)
		}
		// Only the service's own block: project defaults apply where they can.
		if own, _ := svc.Extensions[ExtensionKey].(map[string]any); own["service"] != nil {
			c.drop(svc.Name, ExtensionKey+".service", "a %s has no Service, dropped", s.kind)
		}
		if _, key := c.serviceType(s, kl); key == "--service-type" && c.plan.podOf(svc.Name) == svc.Name {
			c.drop(svc.Name, key, "a %s has no Service, dropped", s.kind)
		}
		for _, k := range []string{komposeServiceType, komposeNodePort} {
			if _, ok := svc.Labels[k]; ok && (k != komposeServiceType || s.ext.Service == nil || s.ext.Service.Type == "") {
				c.drop(svc.Name, "labels."+k, "a %s has no Service, dropped", s.kind)
			}
		}
	}
	for _, l := range svc.Links {
		target, _, _ := strings.Cut(l, ":")
		if _, ok := c.project.Services[target]; !ok {
			c.dropPart(svc.Name, "links", "%q: no service %q in the project, dropped", l, target)
		}
	}
	if err := c.extraHosts(s, pod); err != nil {
		return err
	}
	if err := c.dnsConfig(s, pod); err != nil {
		return err
	}
	return c.hostname(s, pod)
}

// serviceNetworks labels the pod with its networks and warns about the
// per-network settings Kubernetes has no place for.
func (c *converter) serviceNetworks(s *svcCtx) {
	svc := s.svc
	for _, net := range slices.Sorted(maps.Keys(svc.Networks)) {
		if label, ok := c.plan.netLabels[net]; ok {
			if s.podLabels == nil {
				s.podLabels = map[string]string{}
			}
			s.podLabels[label] = "true"
		}
		cfg := svc.Networks[net]
		if cfg == nil {
			continue
		}
		key := "networks." + net
		for _, f := range []struct {
			name string
			set  bool
		}{
			{"ipv4_address", cfg.Ipv4Address != ""},
			{"ipv6_address", cfg.Ipv6Address != ""},
			{"link_local_ips", len(cfg.LinkLocalIPs) > 0},
			{"mac_address", cfg.MacAddress != ""},
		} {
			if f.set {
				c.drop(svc.Name, key+"."+f.name, "pod addresses are assigned by the network plugin, dropped")
			}
		}
		for _, f := range []struct {
			name string
			set  bool
		}{
			{"driver_opts", len(cfg.DriverOpts) > 0},
			{"gw_priority", cfg.GatewayPriority != 0},
			{"interface_name", cfg.InterfaceName != ""},
			{"priority", cfg.Priority != 0},
		} {
			if f.set {
				c.drop(svc.Name, key+"."+f.name, "a pod has one network interface, dropped")
			}
		}
		if !cfg.ServiceNameAliasEnabled() {
			c.warn(svc.Name, key+".use_service_name_alias", "approximated: the service's own name still resolves through its Service")
		}
		if len(cfg.Extensions) > 0 {
			c.drop(svc.Name, key, "extensions %s are not read, dropped", strings.Join(slices.Sorted(maps.Keys(cfg.Extensions)), ", "))
		}
	}
}

// serviceNetwork emits the service's alias Services and Ingress, and notes
// which of its ports accept traffic from anywhere.
func (c *converter) serviceNetwork(s *svcCtx) error {
	if s.kind == "Job" || s.kind == "CronJob" {
		return nil // podNetwork warned
	}
	for _, a := range c.plan.aliases[s.svc.Name] {
		c.aliasService(s, a)
	}
	if d, ok := c.plan.dotted[s.svc.Name]; ok && d.why == "" {
		// The pod's hostname.subdomain record: the pod whatever its
		// readiness, as compose resolves a container name.
		c.add(&corev1.Service{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
			ObjectMeta: c.objectMeta(s, d.sub),
			Spec: corev1.ServiceSpec{
				Selector:                 s.selector,
				ClusterIP:                corev1.ClusterIPNone,
				Ports:                    servicePorts(s.ports),
				PublishNotReadyAddresses: true,
			},
		})
	}
	ing, err := c.ingressSpec(s)
	if err != nil {
		return err
	}
	var backend *svcPort
	if ing != nil {
		if backend, err = c.ingress(s, ing); err != nil {
			return err
		}
	}
	c.noteOpenPorts(s, backend)
	return nil
}

// aliasService emits one alias Service: the same selector and ports as the
// service's own Service, always ClusterIP (headless without ports).
func (c *converter) aliasService(s *svcCtx, a aliasRef) {
	if a.name != a.alias {
		c.warn(s.svc.Name, a.key, "approximated: alias %q resolves in the cluster as %q", a.alias, a.name)
	}
	k := &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: c.objectMeta(s, a.name),
		Spec:       corev1.ServiceSpec{Selector: s.selector, Ports: servicePorts(s.ports)},
	}
	if !serviceVIP(s.svc, c.net.kompose[s.svc.Name], len(s.ports) > 0) {
		k.Spec.ClusterIP = corev1.ClusterIPNone
	}
	c.add(k)
}
