package convert

import corev1 "k8s.io/api/core/v1"

// Storage: volumes, tmpfs, shm_size, volumes_from, and the claims of the
// project's named volumes.

var storageKeys = map[string]keyRule{
	"shm_size":     {keyNotYet, ""},
	"tmpfs":        {keyNotYet, ""},
	"volumes":      {keyNotYet, ""},
	"volumes_from": {keyNotYet, ""},
}

// prepareStorage runs before any service is converted.
func (c *converter) prepareStorage() error { return nil }

// storage adds the service's volumes and mounts to the pod.
func (c *converter) storage(s *svcCtx, pod *corev1.PodSpec) error { return nil }

// projectStorage emits the PersistentVolumeClaims of named volumes.
func (c *converter) projectStorage() error { return nil }

// storageKompose are the kompose label prefixes this area reads.
var storageKompose = []string{}
