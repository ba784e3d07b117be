package convert

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/distribution/reference"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/hoist-dev/hoist/internal/option"
	"github.com/hoist-dev/hoist/load"
)

// Options tune a conversion. The zero value is valid: objects without a
// namespace, replicas from the compose file, ClusterIP Services.
type Options struct {
	// Namespace is set on every namespaced object when not empty.
	Namespace string `json:"namespace,omitempty"`
	// CreateNamespace also emits the Namespace object. It needs Namespace.
	CreateNamespace bool `json:"createNamespace,omitempty"`
	// Replicas, when set, overrides the replica count of every service.
	Replicas *int32 `json:"replicas,omitempty"`
	// Autoscale adds a HorizontalPodAutoscaler to the named services. It
	// overrides x-kubernetes.autoscale. Keys are compose service names.
	Autoscale map[string]Autoscale `json:"autoscale,omitempty"`
	// ServiceType is the Service type for services that do not set
	// x-kubernetes.service.type. Empty means ClusterIP.
	ServiceType corev1.ServiceType `json:"serviceType,omitempty"`
	// Registry prefixes the image name hoist derives for build-only services.
	Registry string `json:"registry,omitempty"`
	// Tag is the tag of the image name hoist derives for build-only services.
	Tag string `json:"tag,omitempty"`
	// Images are the images hoist built and pushed, by compose service
	// name, pinned by digest (registry/name@sha256:<hex>); they replace the
	// service's image name, and the service's build needs no warning.
	Images map[string]string `json:"images,omitempty"`
	// AllowHostPaths emits hostPath volumes for bind mounts outside the
	// project (and the Docker socket) instead of refusing them.
	AllowHostPaths bool `json:"allowHostPaths,omitempty"`
	// EnvSecrets is which environment variables go into a Secret: auto
	// (secret-looking names, the default when empty), all or none.
	EnvSecrets EnvSecrets `json:"envSecrets,omitempty"`
	// NoNetworkPolicies turns off the NetworkPolicy per compose network.
	NoNetworkPolicies bool `json:"noNetworkPolicies,omitempty"`
	// IgnoreDependsOn turns off the init containers that wait for
	// depends_on dependencies.
	IgnoreDependsOn bool `json:"ignoreDependsOn,omitempty"`
	// WaitImage is the image of those init containers; empty means
	// DefaultWaitImage.
	WaitImage string `json:"waitImage,omitempty"`
	// AllowUnsafeSysctls keeps sysctls outside the kubelet's default safe
	// set, which a default kubelet rejects the pod for; by default they are
	// dropped with a warning, so the pod runs.
	AllowUnsafeSysctls bool `json:"allowUnsafeSysctls,omitempty"`
	// ClusterDomain is the cluster's DNS domain, which the dependency waits
	// use to look names up fully qualified; empty means DefaultClusterDomain.
	ClusterDomain string `json:"clusterDomain,omitempty"`
	// HostPaths is what load.HostPaths found at the host paths the project
	// references (bind mount sources, config and secret files), keyed by
	// absolute path. convert does no I/O: a path missing here is treated
	// as missing on the host.
	HostPaths map[string]*load.HostPath `json:"-"`
}

// EnvSecrets selects the environment variables that go into a Secret.
type EnvSecrets string

// The --env-secrets values.
const (
	EnvSecretsAuto EnvSecrets = "auto"
	EnvSecretsAll  EnvSecrets = "all"
	EnvSecretsNone EnvSecrets = "none"
)

// Option names a field of Options that an *OptionError reports as
// invalid.
type Option = option.Name

// Options that errors name.
const (
	OptionNamespace       Option = "Namespace"
	OptionCreateNamespace Option = "CreateNamespace"
	OptionReplicas        Option = "Replicas"
	OptionServiceType     Option = "ServiceType"
	OptionEnvSecrets      Option = "EnvSecrets"
	OptionClusterDomain   Option = "ClusterDomain"
	OptionWaitImage       Option = "WaitImage"
	OptionRegistry        Option = "Registry"
	OptionTag             Option = "Tag"
)

// OptionError is an invalid option, in a text that names options: Error
// names them as Option.String does ("the Namespace option"); a command
// calls Text to name them as its own flags (cmd/hoist: Namespace is -n).
// It is an ErrInvalid.
type OptionError = option.Error

// optionErrorf is an *OptionError that is an ErrInvalid.
func optionErrorf(format string, args ...any) *OptionError {
	return option.Kindf(ErrInvalid, format, args...)
}

// Validate checks the options on their own (Convert checks the project)
// and puts ServiceType in its canonical case. Convert calls it; the first
// invalid option is returned as an *OptionError.
func (o *Options) Validate() error {
	if o.CreateNamespace && o.Namespace == "" {
		return optionErrorf("%s needs a namespace (%s)", OptionCreateNamespace, OptionNamespace)
	}
	if ns := o.Namespace; ns != "" {
		if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
			return optionErrorf("%s %q: %s", OptionNamespace, ns, strings.Join(errs, "; "))
		}
	}
	if d := o.ClusterDomain; d != "" {
		if errs := validation.IsDNS1123Subdomain(d); len(errs) > 0 {
			return optionErrorf("%s %q: %s", OptionClusterDomain, d, strings.Join(errs, "; "))
		}
	}
	if r := o.Replicas; r != nil && *r < 0 {
		return optionErrorf("%s %d: must not be negative", OptionReplicas, *r)
	}
	if t := o.ServiceType; t != "" {
		canonical, err := ParseServiceType(string(t))
		if err != nil {
			return optionErrorf("%s %q: want ClusterIP, NodePort or LoadBalancer", OptionServiceType, string(t))
		}
		o.ServiceType = canonical
	}
	switch o.EnvSecrets {
	case "", EnvSecretsAuto, EnvSecretsAll, EnvSecretsNone:
	default:
		return optionErrorf("%s %q: want auto, all or none", OptionEnvSecrets, string(o.EnvSecrets))
	}
	// Images hoist writes itself must be references a kubelet pulls
	// (distribution/reference's grammar, which docker and containerd use).
	if img := o.WaitImage; img != "" {
		if _, err := reference.ParseNormalizedNamed(img); err != nil {
			return optionErrorf("%s %q: not a valid image reference: %v", OptionWaitImage, img, err)
		}
	}
	if r := o.Registry; r != "" {
		if _, err := reference.ParseNormalizedNamed(strings.TrimSuffix(r, "/") + "/image"); err != nil {
			return optionErrorf("%s %q: not a valid registry and repository prefix: %v", OptionRegistry, r, err)
		}
	}
	if t := o.Tag; t != "" && !tagPattern.MatchString(t) {
		return optionErrorf("%s %q: not a valid image tag (letters, digits, '_', '.' and '-', at most 128, not starting with '.' or '-')", OptionTag, t)
	}
	return nil
}

// tagPattern is an image tag (distribution/reference's tag grammar).
var tagPattern = regexp.MustCompile(`^` + reference.TagRegexp.String() + `$`)

// DefaultWaitImage is the pinned image of the init containers that wait
// for dependencies.
const DefaultWaitImage = "busybox:1.37.0"

// DefaultClusterDomain is the cluster DNS domain a kubelet uses unless
// configured otherwise (its --cluster-domain).
const DefaultClusterDomain = "cluster.local"

// Autoscale is a HorizontalPodAutoscaler request. Nil fields take defaults:
// MinReplicas the service's replicas, and a 70% CPU target when neither
// metric is given.
type Autoscale struct {
	MinReplicas *int32 `json:"min,omitempty"`
	MaxReplicas int32  `json:"max"`
	// CPU is the target average CPU utilization in percent of requests.
	CPU *int32 `json:"cpu,omitempty"`
	// Memory is the target average memory utilization in percent of requests.
	Memory *int32 `json:"memory,omitempty"`
}

// DefaultCPUUtilization is the CPU target when an autoscaler names no metric.
const DefaultCPUUtilization = 70

// ParseAutoscale parses the --autoscale flag value SERVICE=MIN:MAX[:CPU%].
func ParseAutoscale(s string) (string, Autoscale, error) {
	name, spec, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return "", Autoscale{}, invalidf("autoscale %q: want SERVICE=MIN:MAX[:CPU%%]", s)
	}
	parts := strings.Split(spec, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return "", Autoscale{}, invalidf("autoscale %q: want SERVICE=MIN:MAX[:CPU%%]", s)
	}
	var nums []int32
	for i, p := range parts {
		if i == 2 {
			p = strings.TrimSuffix(p, "%")
		}
		n, err := strconv.ParseInt(p, 10, 32)
		if err != nil || n < 1 {
			return "", Autoscale{}, invalidf("autoscale %q: %q is not a positive integer", s, parts[i])
		}
		nums = append(nums, int32(n))
	}
	a := Autoscale{MinReplicas: &nums[0], MaxReplicas: nums[1]}
	if len(nums) == 3 {
		a.CPU = &nums[2]
	}
	return name, a, nil
}

// ParseServiceType accepts the Service types hoist emits, case-insensitively.
func ParseServiceType(s string) (corev1.ServiceType, error) {
	for _, t := range []corev1.ServiceType{corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort, corev1.ServiceTypeLoadBalancer} {
		if strings.EqualFold(s, string(t)) {
			return t, nil
		}
	}
	return "", invalidf("service type %q: want ClusterIP, NodePort or LoadBalancer", s)
}
