package convert

import corev1 "k8s.io/api/core/v1"

// Security context.

var securityKeys = map[string]keyRule{
	"cap_add":      {keyNotYet, ""},
	"cap_drop":     {keyNotYet, ""},
	"group_add":    {keyNotYet, ""},
	"privileged":   {keyNotYet, ""},
	"read_only":    {keyNotYet, ""},
	"security_opt": {keyNotYet, ""},
	"sysctls":      {keyNotYet, ""},
	"user":         {keyNotYet, ""},
}

// security sets the pod's and the container's securityContext.
func (c *converter) security(s *svcCtx, pod *corev1.PodSpec) error { return nil }

// securityKompose are the kompose label prefixes this area reads.
var securityKompose = []string{}
