package convert

import corev1 "k8s.io/api/core/v1"

// depends_on: init containers that wait for dependencies.

var dependsKeys = map[string]keyRule{
	"depends_on": {keyNotYet, ""},
}

// dependsOn adds an init container per dependency that waits for it.
func (c *converter) dependsOn(s *svcCtx, pod *corev1.PodSpec) error { return nil }
