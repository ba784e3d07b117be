package convert

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Network: names as the pod resolves them: extra_hosts, dns, dns_search,
// dns_opt, hostname and domainname.

// extraHosts maps extra_hosts to hostAliases, one per IP, sorted.
func (c *converter) extraHosts(s *svcCtx, pod *corev1.PodSpec) error {
	svc := s.svc
	byIP := map[string][]string{}
	var gateway []string
	for _, host := range slices.Sorted(maps.Keys(svc.ExtraHosts)) {
		for _, ip := range svc.ExtraHosts[host] {
			ip = strings.TrimSpace(ip)
			if ip == hostGateway {
				gateway = append(gateway, host)
				continue
			}
			addr, err := netip.ParseAddr(ip)
			if err != nil {
				return invalidf("extra_hosts: %s: %q is not an IP address", host, ip)
			}
			h := strings.ToLower(host)
			if len(validation.IsDNS1123Subdomain(h)) > 0 {
				c.dropPart(svc.Name, "extra_hosts", "%q is not a DNS name, which a Kubernetes host alias must be, dropped", host)
				continue
			}
			ip = addr.String()
			if !slices.Contains(byIP[ip], h) {
				byIP[ip] = append(byIP[ip], h)
			}
		}
	}
	if len(gateway) > 0 {
		c.dropPart(svc.Name, "extra_hosts", "%s: host-gateway (the Docker host) has no fixed address in a cluster; point the name at a Service or give an IP, dropped", strings.Join(gateway, ", "))
	}
	ips := slices.SortedFunc(maps.Keys(byIP), func(a, b string) int {
		return netip.MustParseAddr(a).Compare(netip.MustParseAddr(b))
	})
	for _, ip := range ips {
		hosts := byIP[ip]
		slices.Sort(hosts)
		pod.HostAliases = append(pod.HostAliases, corev1.HostAlias{IP: ip, Hostnames: hosts})
	}
	return nil
}

// dnsConfig maps dns, dns_search and dns_opt to the pod's dnsConfig.
func (c *converter) dnsConfig(s *svcCtx, pod *corev1.PodSpec) error {
	svc := s.svc
	if len(svc.DNS) == 0 && len(svc.DNSSearch) == 0 && len(svc.DNSOpts) == 0 {
		return nil
	}
	cfg := &corev1.PodDNSConfig{}
	for _, ip := range svc.DNS {
		addr, err := netip.ParseAddr(strings.TrimSpace(ip))
		if err != nil {
			return invalidf("dns: %q is not an IP address", ip)
		}
		if where := c.composeAddress(addr); where != "" {
			c.dropPart(svc.Name, "dns", "%s is %s, an address that exists only on the compose network; the pod keeps the cluster DNS, dropped", addr, where)
			continue
		}
		if !slices.Contains(cfg.Nameservers, addr.String()) {
			cfg.Nameservers = append(cfg.Nameservers, addr.String())
		}
	}
	// The cluster DNS comes first and counts towards the kubelet's limit.
	if limit := maxDNSNameservers - 1; len(cfg.Nameservers) > limit {
		c.dropPart(svc.Name, "dns", "Kubernetes allows %d nameservers besides the cluster DNS: %s, dropped", limit, strings.Join(cfg.Nameservers[limit:], ", "))
		cfg.Nameservers = cfg.Nameservers[:limit]
	}
	for _, d := range svc.DNSSearch {
		d = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".")
		if d == "" {
			continue
		}
		if errs := validation.IsDNS1123Subdomain(d); len(errs) > 0 {
			return invalidf("dns_search: %q: %s", d, strings.Join(errs, "; "))
		}
		if !slices.Contains(cfg.Searches, d) {
			cfg.Searches = append(cfg.Searches, d)
		}
	}
	if len(cfg.Searches) > maxDNSSearchDomains {
		return invalidf("dns_search: %d domains; Kubernetes allows %d", len(cfg.Searches), maxDNSSearchDomains)
	}
	for _, o := range svc.DNSOpts {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		name, value, hasValue := strings.Cut(o, ":")
		opt := corev1.PodDNSConfigOption{Name: name}
		if hasValue {
			opt.Value = &value
		}
		cfg.Options = append(cfg.Options, opt)
	}
	if len(cfg.Nameservers) > 0 {
		// Compose's embedded resolver answers service names and forwards
		// the rest to these servers; dnsPolicy None would lose the
		// service names. The kubelet appends dnsConfig servers after the
		// cluster DNS, which forwards other names upstream.
		c.warn(svc.Name, "dns", "approximated: the cluster DNS stays the pod's first nameserver, so service names keep resolving; %s are asked only when it does not answer", strings.Join(cfg.Nameservers, ", "))
	}
	if len(cfg.Nameservers) == 0 && len(cfg.Searches) == 0 && len(cfg.Options) == 0 {
		return nil
	}
	pod.DNSConfig = cfg
	return nil
}

// composeAddress says what an address is when it exists only on a compose
// network: a service's ipv4_address/ipv6_address (which hoist drops), or
// an address in a subnet the project's networks declare. Else "".
func (c *converter) composeAddress(addr netip.Addr) string {
	p := c.project
	for _, name := range p.ServiceNames() {
		svc := p.Services[name]
		for _, net := range slices.Sorted(maps.Keys(svc.Networks)) {
			cfg := svc.Networks[net]
			if cfg == nil {
				continue
			}
			for _, a := range []string{cfg.Ipv4Address, cfg.Ipv6Address} {
				if b, err := netip.ParseAddr(a); err == nil && b == addr {
					return fmt.Sprintf("the networks.%s address of service %q", net, name)
				}
			}
		}
	}
	for _, net := range slices.Sorted(maps.Keys(p.Networks)) {
		for _, pool := range p.Networks[net].Ipam.Config {
			if pool == nil {
				continue
			}
			if pfx, err := netip.ParsePrefix(pool.Subnet); err == nil && pfx.Contains(addr) {
				return fmt.Sprintf("in the subnet %s of network %q", pfx, net)
			}
		}
	}
	return ""
}

// hostname maps hostname and domainname to the pod's hostname and
// subdomain.
func (c *converter) hostname(s *svcCtx, pod *corev1.PodSpec) error {
	svc := s.svc
	if err := c.setHostname(s, pod); err != nil {
		return err
	}
	if isJobKind(s.kind) || c.plan.podOf(svc.Name) != svc.Name || svc.NetworkMode == "host" {
		// No Service, another pod's name, or the node's hostname.
		return nil
	}
	d, dotted := c.plan.dotted[svc.Name]
	if dotted && d.why != "" {
		c.warn(svc.Name, "container_name", "approximated: %q no longer resolves: %s", svc.ContainerName, d.why)
		dotted = false
	}
	switch {
	case svc.Hostname != "":
	case dotted:
		pod.Hostname, pod.Subdomain = d.host, d.sub
		c.warn(svc.Name, "container_name", "approximated: %q resolves as the pod's hostname %q in the headless Service %q (namespace-wide), listing the pod whatever its readiness", svc.ContainerName, d.host, d.sub)
	case s.kind != kindStatefulSet:
		if why := c.manyPods(s); why != "" {
			// One hostname for several pods collides (Celery and
			// RabbitMQ node names): each pod keeps its own.
			if mentionsHost(serviceTexts(svc), svc.Name) {
				c.warn(svc.Name, why, "approximated: the service runs several pods, each with its own hostname, so the service's own name %q (which its healthcheck, command or environment uses) resolves inside a pod only once the pod is ready (its Service lists ready pods only)", s.name)
			}
			return nil
		}
		// The kubelet writes the pod's hostname into its /etc/hosts with
		// the pod's address: the service's own name resolves inside its
		// pod from the start, as on a compose network, although its
		// Service lists the pod only once ready.
		pod.Hostname = s.name
		return nil
	}
	key := "hostname"
	switch {
	case svc.Hostname == "" && svc.DomainName != "":
		key = "domainname"
	case dotted:
		key = "container_name"
	case svc.Hostname == "" && svc.DomainName == "":
		// A StatefulSet names its pods' hosts after the pods.
		key = "labels.kompose.controller.type"
		if s.ext.Workload != "" {
			key = ExtensionKey + ".workload"
		}
	}
	if pod.Hostname != s.name || pod.Subdomain != "" {
		c.warn(svc.Name, key, "approximated: the pod's hostname is not %q, so the service's own name resolves inside its pod only once the pod is ready (its Service lists ready pods only)", s.name)
	}
	return nil
}

// manyPods is the key that makes the workload run more than one pod at a
// time (a DaemonSet, replicas above 1, an autoscaler), or "".
func (c *converter) manyPods(s *svcCtx) string {
	svc := s.svc
	switch {
	case s.kind == kindDaemonSet:
		return "deploy.mode"
	case c.opts.Replicas != nil && *c.opts.Replicas > 1:
		return "--replicas"
	case c.opts.Replicas != nil:
	case svc.Deploy != nil && svc.Deploy.Replicas != nil && *svc.Deploy.Replicas > 1:
		return "deploy.replicas"
	case (svc.Deploy == nil || svc.Deploy.Replicas == nil) && svc.Scale != nil && *svc.Scale > 1:
		return "scale"
	}
	if !scalable(s.kind) {
		return ""
	}
	if _, ok := c.opts.Autoscale[svc.Name]; ok {
		return "--autoscale"
	}
	if s.ext.Autoscale != nil {
		return ExtensionKey + ".autoscale"
	}
	return ""
}

// setHostname maps hostname and domainname to the pod's hostname and
// subdomain.
func (c *converter) setHostname(s *svcCtx, pod *corev1.PodSpec) error {
	svc := s.svc
	if svc.Hostname == "" && svc.DomainName == "" {
		return nil
	}
	if s.kind == "StatefulSet" {
		if svc.Hostname != "" {
			c.drop(svc.Name, "hostname", "a StatefulSet names each pod's host after the pod, dropped")
		}
		if svc.DomainName != "" {
			c.drop(svc.Name, "domainname", "a StatefulSet sets each pod's subdomain to its governing Service, dropped")
		}
		return nil
	}
	if h := svc.Hostname; h != "" {
		first, rest, dotted := strings.Cut(h, ".")
		name, err := ObjectName(first)
		if err != nil {
			return fmt.Errorf("hostname: %w", err)
		}
		pod.Hostname = name
		switch {
		case dotted && svc.DomainName == "":
			c.warn(svc.Name, "hostname", "approximated: a pod hostname is one DNS label; %q becomes %q and the domain %q is dropped", h, name, rest)
		case dotted:
			c.warn(svc.Name, "hostname", "approximated: a pod hostname is one DNS label; %q becomes %q", h, name)
		case name != first:
			c.warn(svc.Name, "hostname", "approximated: %q becomes the pod hostname %q", h, name)
		}
	}
	if d := svc.DomainName; d != "" {
		sub, err := ObjectName(d)
		if err != nil {
			return fmt.Errorf("domainname: %w", err)
		}
		pod.Subdomain = sub
		c.warn(svc.Name, "domainname", "approximated: pod subdomain %q: the pod's fully qualified name becomes <hostname>.%s.<namespace>.svc.<cluster domain>, and it resolves only if a headless Service named %q exists", sub, sub, sub)
	}
	return nil
}
