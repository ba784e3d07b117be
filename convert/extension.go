package convert

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// ExtensionKey is the compose extension hoist reads, at project and service
// level.
const ExtensionKey = "x-kubernetes"

// Extension is the x-kubernetes block: what compose cannot say. The project
// level block gives defaults that a service's own block overrides.
type Extension struct {
	Workload         string              `json:"workload,omitempty"`
	Schedule         string              `json:"schedule,omitempty"`
	Service          *ServiceExtension   `json:"service,omitempty"`
	Ingress          *IngressExtension   `json:"ingress,omitempty"`
	Autoscale        *Autoscale          `json:"autoscale,omitempty"`
	Probes           *ProbesExtension    `json:"probes,omitempty"`
	ServiceAccount   string              `json:"serviceAccount,omitempty"`
	ImagePullSecrets []string            `json:"imagePullSecrets,omitempty"`
	NodeSelector     map[string]string   `json:"nodeSelector,omitempty"`
	Tolerations      []corev1.Toleration `json:"tolerations,omitempty"`
	Labels           map[string]string   `json:"labels,omitempty"`
	Annotations      map[string]string   `json:"annotations,omitempty"`
}

// ServiceExtension is x-kubernetes.service: how the Service is exposed.
type ServiceExtension struct {
	Type        corev1.ServiceType `json:"type,omitempty"`
	Annotations map[string]string  `json:"annotations,omitempty"`
	NodePort    int32              `json:"nodePort,omitempty"`
}

// IngressExtension is x-kubernetes.ingress: an Ingress (networking.k8s.io/v1)
// that routes Host and Path (prefix) to one port of the service's Service.
type IngressExtension struct {
	// Host is required: the rule's host name.
	Host string `json:"host"`
	// Path is the path prefix routed; "/" when empty.
	Path string `json:"path,omitempty"`
	// ClassName is spec.ingressClassName; empty for the cluster's default.
	ClassName string `json:"className,omitempty"`
	// TLS names the Secret holding the certificate for Host; empty for no
	// TLS.
	TLS string `json:"tls,omitempty"`
	// Port is the Service port the Ingress routes to; the first TCP port
	// when 0.
	Port int32 `json:"port,omitempty"`
}

// ProbesExtension is x-kubernetes.probes: which probes the healthcheck
// becomes, and optionally a Kubernetes-native check that replaces its test.
// Timing still comes from the healthcheck (or compose's defaults).
type ProbesExtension struct {
	// Readiness and Liveness turn either probe off; both default to true.
	Readiness *bool `json:"readiness,omitempty"`
	Liveness  *bool `json:"liveness,omitempty"`
	// At most one handler replaces the healthcheck's test.
	HTTPGet   *corev1.HTTPGetAction   `json:"httpGet,omitempty"`
	TCPSocket *corev1.TCPSocketAction `json:"tcpSocket,omitempty"`
	GRPC      *corev1.GRPCAction      `json:"grpc,omitempty"`
}

// decodeExtension decodes raw values (project defaults first, then the
// service's own) into one Extension, rejecting unknown keys and wrong types.
func decodeExtension(raws ...any) (Extension, error) {
	var ext Extension
	for _, raw := range raws {
		if raw == nil {
			continue
		}
		b, err := json.Marshal(raw)
		if err != nil {
			return ext, fmt.Errorf("%s: %w", ExtensionKey, err)
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ext); err != nil {
			return ext, invalidf("%s: %s", ExtensionKey, strings.TrimPrefix(err.Error(), "json: "))
		}
	}
	if ext.Service != nil && ext.Service.Type != "" {
		t, err := ParseServiceType(string(ext.Service.Type))
		if err != nil {
			return ext, fmt.Errorf("%s.service.type: %w", ExtensionKey, err)
		}
		ext.Service.Type = t
	}
	return ext, nil
}
