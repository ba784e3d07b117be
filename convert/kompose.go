package convert

import (
	"maps"
	"slices"
	"strconv"
	"strings"
)

// komposePrefix marks kompose's configuration labels: hoist reads them
// instead of copying them onto the pods, so a kompose user can switch
// without editing the compose file.
const komposePrefix = "kompose."

// kompose HPA labels.
const (
	komposeHPAMin    = "kompose.hpa.replicas.min"
	komposeHPAMax    = "kompose.hpa.replicas.max"
	komposeHPACPU    = "kompose.hpa.cpu"
	komposeHPAMemory = "kompose.hpa.memory"
)

// komposeLabels reads the kompose labels this version maps (kompose.hpa.*,
// into an autoscaler unless x-kubernetes.autoscale is set) and warns about
// the others.
func (c *converter) komposeLabels(s *svcCtx) error {
	svc := s.svc
	var hpa Autoscale
	hasHPA := false
	for _, k := range slices.Sorted(maps.Keys(svc.Labels)) {
		if !strings.HasPrefix(k, komposePrefix) {
			continue
		}
		v := strings.TrimSpace(svc.Labels[k])
		key := "labels." + k
		switch k {
		case komposeHPAMin, komposeHPAMax, komposeHPACPU, komposeHPAMemory:
			n, err := strconv.ParseInt(strings.TrimSuffix(v, "%"), 10, 32)
			if err != nil || n < 1 {
				return invalidf("%s: %q is not a positive integer", key, v)
			}
			hasHPA = true
			v := int32(n)
			switch k {
			case komposeHPAMin:
				hpa.MinReplicas = &v
			case komposeHPAMax:
				hpa.MaxReplicas = v
			case komposeHPACPU:
				hpa.CPU = &v
			case komposeHPAMemory:
				hpa.Memory = &v
			}
		default:
			c.warn(svc.Name, key, "kompose label not converted yet, dropped")
		}
	}
	if !hasHPA {
		return nil
	}
	if s.ext.Autoscale != nil {
		c.warn(svc.Name, "labels."+komposePrefix+"hpa.*", "ignored: %s.autoscale is set", ExtensionKey)
		return nil
	}
	if hpa.MaxReplicas == 0 {
		// kompose's default maximum.
		hpa.MaxReplicas = 3
		if hpa.MinReplicas != nil && *hpa.MinReplicas > 3 {
			hpa.MaxReplicas = *hpa.MinReplicas
		}
	}
	s.ext.Autoscale = &hpa
	return nil
}

// isKomposeLabel reports whether a compose label configures kompose.
func isKomposeLabel(k string) bool { return strings.HasPrefix(k, komposePrefix) }
