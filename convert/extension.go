package convert

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
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
		b, err := validateExtension(schemaExtension, raw)
		if err != nil {
			return ext, err
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ext); err != nil {
			// A number the schema lets through that the field's Go type
			// cannot hold: name the key and the range, not Go's types.
			if te := (*json.UnmarshalTypeError)(nil); errors.As(err, &te) && te.Field != "" && strings.HasPrefix(te.Value, "number") {
				return ext, invalidf("%s.%s: %s is out of range for %s", ExtensionKey, te.Field, strings.TrimPrefix(te.Value, "number "), rangeOf(te.Type))
			}
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
	return ext, checkExtensionNames(ext)
}

// rangeOf says which numbers a Go integer type of the extension holds.
func rangeOf(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int32:
		return fmt.Sprintf("a 32-bit integer (at most %d)", math.MaxInt32)
	case reflect.Int64, reflect.Int:
		return "a 64-bit integer"
	}
	return "the key (" + t.Kind().String() + ")"
}

// checkExtensionNames rejects, naming the key, the names and labels the
// API server would reject: the schema only knows they are strings.
func checkExtensionNames(ext Extension) error {
	for _, k := range slices.Sorted(maps.Keys(ext.NodeSelector)) {
		if errs := validation.IsQualifiedName(k); len(errs) > 0 {
			return invalidf("%s.nodeSelector: %q is not a valid label key: %s", ExtensionKey, k, strings.Join(errs, "; "))
		}
		if errs := validation.IsValidLabelValue(ext.NodeSelector[k]); len(errs) > 0 {
			return invalidf("%s.nodeSelector.%s: %q is not a valid label value: %s", ExtensionKey, k, ext.NodeSelector[k], strings.Join(errs, "; "))
		}
	}
	if n := ext.ServiceAccount; n != "" {
		if errs := validation.IsDNS1123Subdomain(n); len(errs) > 0 {
			return invalidf("%s.serviceAccount: %q is not a valid ServiceAccount name: %s", ExtensionKey, n, strings.Join(errs, "; "))
		}
	}
	for i, n := range ext.ImagePullSecrets {
		if errs := validation.IsDNS1123Subdomain(n); len(errs) > 0 {
			return invalidf("%s.imagePullSecrets[%d]: %q is not a valid Secret name: %s", ExtensionKey, i, n, strings.Join(errs, "; "))
		}
	}
	for i, t := range ext.Tolerations {
		if err := checkToleration(t); err != "" {
			return invalidf("%s.tolerations[%d]: %s", ExtensionKey, i, err)
		}
	}
	return nil
}

// checkToleration applies the API server's rules for a pod toleration
// (the schema knows only the operator and effect values): a valid label
// key and value; an empty key only with operator Exists; no value with
// Exists; tolerationSeconds only with effect NoExecute. It returns what is
// wrong, or "".
func checkToleration(t corev1.Toleration) string {
	if t.Key != "" {
		if errs := validation.IsQualifiedName(t.Key); len(errs) > 0 {
			return fmt.Sprintf("key %q is not a valid label key: %s", t.Key, strings.Join(errs, "; "))
		}
	}
	exists := t.Operator == corev1.TolerationOpExists
	switch {
	case t.Key == "" && !exists:
		return "a toleration without a key must have operator Exists (it tolerates every taint)"
	case exists && t.Value != "":
		return fmt.Sprintf("value %q: a toleration with operator Exists has no value", t.Value)
	case t.TolerationSeconds != nil && t.Effect != corev1.TaintEffectNoExecute:
		return "tolerationSeconds needs effect NoExecute"
	}
	if errs := validation.IsValidLabelValue(t.Value); len(errs) > 0 {
		return fmt.Sprintf("value %q is not a valid label value: %s", t.Value, strings.Join(errs, "; "))
	}
	return ""
}

// serviceExtension is a service's (or top-level job's) x-kubernetes block
// over the project's defaults.
func (c *converter) serviceExtension(svc *types.ServiceConfig) (Extension, error) {
	return decodeExtension(c.projExt, svc.Extensions[ExtensionKey])
}

// SchemaFile is the JSON Schema of the x-kubernetes blocks, shipped in the
// repository as convert/x-kubernetes.schema.json. Its root describes a
// service's (or the project's) block, $defs/volume a top-level volume's.
//
//go:embed x-kubernetes.schema.json
var SchemaFile []byte

// The schemas hoist validates x-kubernetes blocks with.
const (
	schemaURL       = "x-kubernetes.schema.json"
	schemaExtension = schemaURL + "#/$defs/extension"
	schemaVolume    = schemaURL + "#/$defs/volume"
)

// schemas compiles the embedded schema once.
var schemas = sync.OnceValues(func() (map[string]*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(SchemaFile))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", schemaURL, err)
	}
	comp := jsonschema.NewCompiler()
	if err := comp.AddResource(schemaURL, doc); err != nil {
		return nil, fmt.Errorf("compiling %s: %w", schemaURL, err)
	}
	out := map[string]*jsonschema.Schema{}
	for _, loc := range []string{schemaExtension, schemaVolume} {
		sch, err := comp.Compile(loc)
		if err != nil {
			return nil, fmt.Errorf("compiling %s: %w", loc, err)
		}
		out[loc] = sch
	}
	return out, nil
})

// validateExtension checks one raw x-kubernetes block (as compose-go loaded
// it) against the schema at loc and returns it as JSON. The error is one
// line naming every offending key path, such as
// "x-kubernetes.autoscale.max: want integer, got string".
func validateExtension(loc string, raw any) ([]byte, error) {
	b, err := json.Marshal(raw)
	if err != nil {
		return nil, invalidf("%s: %v", ExtensionKey, err)
	}
	all, err := schemas()
	if err != nil {
		return nil, err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return nil, invalidf("%s: %v", ExtensionKey, err)
	}
	err = all[loc].Validate(inst)
	var verr *jsonschema.ValidationError
	if errors.As(err, &verr) {
		var msgs []string
		for _, leaf := range schemaLeaves(verr) {
			msgs = append(msgs, schemaMessage(leaf)...)
		}
		slices.Sort(msgs)
		return nil, invalidf("%s", strings.Join(slices.Compact(msgs), "; "))
	}
	if err != nil {
		return nil, fmt.Errorf("validating %s: %w", ExtensionKey, err)
	}
	return b, nil
}

// validateVolumeExtensions checks the x-kubernetes block of every
// top-level volume against the schema.
func validateVolumeExtensions(p *types.Project) error {
	for _, name := range slices.Sorted(maps.Keys(p.Volumes)) {
		raw, ok := p.Volumes[name].Extensions[ExtensionKey]
		if !ok {
			continue
		}
		if _, err := validateExtension(schemaVolume, raw); err != nil {
			return fmt.Errorf("volume %q: %w", name, err)
		}
	}
	return nil
}

// schemaLeaves are the errors with no causes: the ones that name a key.
func schemaLeaves(e *jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(e.Causes) == 0 {
		return []*jsonschema.ValidationError{e}
	}
	var out []*jsonschema.ValidationError
	for _, c := range e.Causes {
		out = append(out, schemaLeaves(c)...)
	}
	return out
}

var schemaPrinter = message.NewPrinter(language.English)

// quantityPattern is the schema's pattern of a Kubernetes quantity.
const quantityPattern = `^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?$`

// schemaMessage words one schema error as "<key path>: <what is wrong>".
func schemaMessage(e *jsonschema.ValidationError) []string {
	path := keyPath(e.InstanceLocation)
	switch k := e.ErrorKind.(type) {
	case *kind.AdditionalProperties:
		var out []string
		for _, p := range k.Properties {
			out = append(out, keyPath(append(slices.Clone(e.InstanceLocation), p))+": unknown key")
		}
		return out
	case *kind.Required:
		var out []string
		for _, p := range k.Missing {
			out = append(out, keyPath(append(slices.Clone(e.InstanceLocation), p))+": required")
		}
		return out
	case *kind.Type:
		return []string{fmt.Sprintf("%s: want %s, got %s", path, strings.Join(k.Want, " or "), k.Got)}
	case *kind.Enum:
		var want []string
		for _, w := range k.Want {
			want = append(want, fmt.Sprint(w))
		}
		return []string{fmt.Sprintf("%s: want one of %s, got %s", path, strings.Join(want, ", "), jsonString(k.Got))}
	case *kind.Minimum:
		return []string{fmt.Sprintf("%s: want at least %s, got %s", path, k.Want.RatString(), k.Got.RatString())}
	case *kind.Maximum:
		return []string{fmt.Sprintf("%s: want at most %s, got %s", path, k.Want.RatString(), k.Got.RatString())}
	case *kind.Pattern:
		if k.Want == quantityPattern {
			return []string{fmt.Sprintf("%s: %q is not a Kubernetes quantity such as 512Mi or 10Gi", path, k.Got)}
		}
		return []string{fmt.Sprintf("%s: %q does not match %s", path, k.Got, k.Want)}
	}
	return []string{path + ": " + e.ErrorKind.LocalizedString(schemaPrinter)}
}

func jsonString(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// keyPath writes an instance location as x-kubernetes.a.b[0]["c.d/e"].
func keyPath(loc []string) string {
	var b strings.Builder
	b.WriteString(ExtensionKey)
	for _, p := range loc {
		switch {
		case p != "" && strings.Trim(p, "0123456789") == "":
			b.WriteString("[" + p + "]")
		case p != "" && strings.Trim(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == "":
			b.WriteString("." + p)
		default:
			b.WriteString("[" + strconv.Quote(p) + "]")
		}
	}
	return b.String()
}
