package convert

import corev1 "k8s.io/api/core/v1"

// Config and secrets: configs, secrets, and environment variables with
// secret-looking names.

var configKeys = map[string]keyRule{
	"configs": {keyNotYet, ""},
	"secrets": {keyNotYet, ""},
}

// configsSecrets mounts the service's configs and secrets and moves
// secret-looking environment variables into a Secret.
func (c *converter) configsSecrets(s *svcCtx, pod *corev1.PodSpec) error { return nil }

// projectConfigs emits the ConfigMaps and Secrets of top-level configs and
// secrets.
func (c *converter) projectConfigs() error { return nil }
