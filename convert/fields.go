package convert

import (
	"maps"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/distribution/reference"
	"k8s.io/apimachinery/pkg/util/validation"
)

// checkFields checks the values of a service (or top-level job) that the
// API server or the kubelet validates and compose does not, before any
// object is made, so that what hoist prints is what a cluster runs:
//   - image: no surrounding whitespace (the API server refuses it);
//   - environment: names without "=" and control characters (the API
//     server's relaxed environment variable names);
//
// and warns about what will not run as written or must change:
//   - image: not a valid image reference (the kubelet refuses it with
//     InvalidImageName, as docker refuses to pull it);
//   - ports[].app_protocol: dropped unless a qualified name (the Service
//     field's rule), as "HTTP/1.1" is not;
//   - ports[].name: replaced by <protocol>-<port> when it is not a valid
//     port name (at most 15 characters, a letter among them) or another
//     port of the service has it.
func (c *converter) checkFields(svc *types.ServiceConfig) error {
	if img := svc.Image; img != "" {
		if strings.TrimSpace(img) != img {
			return invalidf("image %q: has leading or trailing whitespace, which the API server refuses", img)
		}
		if _, err := reference.ParseNormalizedNamed(img); err != nil {
			c.warn(svc.Name, "image", "approximated: %q is not a valid image reference (%v): the kubelet refuses it, and the pods fail with InvalidImageName", img, err)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(svc.Environment)) {
		if errs := validation.IsRelaxedEnvVarName(k); len(errs) > 0 {
			return invalidf("environment: %q is not a valid environment variable name: %s", k, strings.Join(errs, "; "))
		}
	}
	named := map[string]bool{}
	for _, p := range svc.Ports {
		if p.AppProtocol != "" && !validAppProtocol(p.AppProtocol) {
			c.dropPart(svc.Name, "ports", "app_protocol %q: not a valid Kubernetes appProtocol (a qualified name such as http, kubernetes.io/h2c or example.com/proto), dropped", p.AppProtocol)
		}
		if p.Name == "" {
			continue
		}
		n, ok := kubePortName(p.Name)
		switch {
		case !ok:
			c.warn(svc.Name, "ports", "approximated: name %q is not a valid Kubernetes port name (at most 15 lower-case letters, digits and '-', a letter among them); the port is named after its protocol and number", p.Name)
		case named[n]:
			c.warn(svc.Name, "ports", "approximated: name %q is given to more than one port; the others are named after their protocol and number", p.Name)
		}
		named[n] = true
	}
	return nil
}

// validAppProtocol reports whether s may be a Service port's appProtocol.
func validAppProtocol(s string) bool { return len(validation.IsQualifiedName(s)) == 0 }
