package convert

import corev1 "k8s.io/api/core/v1"

// Network: aliases, links, NetworkPolicies, extra_hosts, DNS, hostname,
// Ingress.

var networkKeys = map[string]keyRule{
	"dns":         {keyNotYet, ""},
	"dns_opt":     {keyNotYet, ""},
	"dns_search":  {keyNotYet, ""},
	"domainname":  {keyNotYet, ""},
	"extra_hosts": {keyNotYet, ""},
	"hostname":    {keyNotYet, ""},
	"links":       {keyNotYet, ""},
	"networks":    {keyNotYet, ""},
}

// podNetwork sets hostAliases, dnsConfig, hostname and subdomain.
func (c *converter) podNetwork(s *svcCtx, pod *corev1.PodSpec) error { return nil }

// serviceNetwork emits the service's alias Services and Ingress.
func (c *converter) serviceNetwork(s *svcCtx) error { return nil }

// networkPolicies emits one NetworkPolicy per compose network.
func (c *converter) networkPolicies() error { return nil }

// networkKompose are the kompose label prefixes this area reads.
var networkKompose = []string{}
