package convert

import (
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	corev1 "k8s.io/api/core/v1"
)

func (c *converter) container(s *svcCtx) (corev1.Container, error) {
	svc := s.svc
	ctr := corev1.Container{
		Name:            s.name,
		Image:           c.image(svc),
		ImagePullPolicy: c.pullPolicy(svc),
		WorkingDir:      svc.WorkingDir,
		TTY:             svc.Tty,
		Stdin:           svc.StdinOpen,
		Env:             c.env(svc),
	}
	ctr.Command, ctr.Args = c.commands(svc)
	ports, err := collectPorts(s.svc)
	if err != nil {
		return ctr, err
	}
	for _, p := range ports {
		cp := corev1.ContainerPort{ContainerPort: p.target, Protocol: p.protocol}
		if !slices.ContainsFunc(ctr.Ports, func(e corev1.ContainerPort) bool {
			return e.ContainerPort == cp.ContainerPort && e.Protocol == cp.Protocol
		}) {
			ctr.Ports = append(ctr.Ports, cp)
		}
	}
	s.ports = ports
	s.published, s.hostOnly = publishedPorts(s.svc, &s.publishWarnings)
	c.deploy(svc)
	ctr.Resources = c.resources(svc)
	ctr.ReadinessProbe, ctr.LivenessProbe, ctr.StartupProbe, err = containerProbes(svc, s.ext, &c.warnings)
	return ctr, err
}

// containerProbes are the main container's probes: from the healthcheck
// and x-kubernetes.probes, else from the healthcheck and kompose's probe
// labels.
func containerProbes(svc *types.ServiceConfig, ext Extension, w *warningList) (readiness, liveness, startup *corev1.Probe, err error) {
	readiness, liveness, startup, err = probes(svc, ext.Probes, w)
	switch {
	case err != nil:
	case ext.Probes == nil:
		err = komposeProbes(svc, &readiness, &liveness, w)
	default:
		komposeProbesOverridden(svc, w)
	}
	return readiness, liveness, startup, err
}

// image is the service's image: the one hoist built and pushed for it
// (Options.Images), else its image key, else the name docker compose gives
// a build-only service's image.
func (c *converter) image(svc *types.ServiceConfig) string {
	if img, ok := c.opts.Images[svc.Name]; ok {
		return img
	}
	built := svc.Build != nil || svc.Dockerfile != ""
	if svc.Image != "" {
		if built {
			c.warn(svc.Name, "build", "%q is not built by this command: use --build (or hoist build and hoist push) to build, push and pin it", svc.Image)
		}
		return svc.Image
	}
	img := c.project.Name + "-" + svc.Name
	if c.opts.Registry != "" {
		img = strings.TrimSuffix(c.opts.Registry, "/") + "/" + img
	}
	if c.opts.Tag != "" {
		img += ":" + c.opts.Tag
	}
	if built {
		c.warn(svc.Name, "build", "%q is not built by this command: use --build --registry to build, push and pin it (or hoist build and hoist push)", img)
	} else {
		c.warn(svc.Name, "image", "no image and no build; using %q", img)
	}
	return img
}

// pullPolicy is the container's imagePullPolicy. For a service with a
// build section, pull_policy build, never and missing all mean "use the
// image the project builds": on Kubernetes that image reaches the node
// only through the registry hoist pushes it to, so they become
// IfNotPresent, which pulls it once; an image hoist built and pinned by
// digest (--build) is exactly the one built, so that is no approximation.
// Without a build section, never stays Never (an image already on the
// node). Source: the compose spec's pull_policy values.
func (c *converter) pullPolicy(svc *types.ServiceConfig) corev1.PullPolicy {
	_, pinned := c.opts.Images[svc.Name]
	built := svc.Build != nil || svc.Dockerfile != ""
	switch p := svc.PullPolicy; p {
	case "":
		return ""
	case types.PullPolicyAlways:
		return corev1.PullAlways
	case types.PullPolicyNever:
		if !built {
			return corev1.PullNever
		}
		if !pinned {
			c.warn(svc.Name, "pull_policy", "approximated: %q with build becomes IfNotPresent: the node pulls the image once from the registry hoist pushes it to (use --build)", p)
		}
		return corev1.PullIfNotPresent
	case types.PullPolicyMissing, types.PullPolicyIfNotPresent:
		return corev1.PullIfNotPresent
	case types.PullPolicyBuild:
		if !pinned {
			c.warn(svc.Name, "pull_policy", "approximated: %q becomes IfNotPresent; use --build to build, push and pin the image", p)
		}
		return corev1.PullIfNotPresent
	default:
		// daily, weekly, every_<duration> and refresh schedules.
		c.warn(svc.Name, "pull_policy", "approximated: %q becomes Always", p)
		return corev1.PullAlways
	}
}

// escape doubles every "$": Kubernetes expands $(VAR) in env values,
// command and args and turns "$$" into "$", so doubling is the exact
// inverse and the container sees the compose value unchanged.
func escape(s string) string { return strings.ReplaceAll(s, "$", "$$") }

func escapeAll(l []string) []string {
	if l == nil {
		return nil
	}
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = escape(s)
	}
	return out
}

// commands maps entrypoint to command and command to args. An explicitly
// empty entrypoint clears the image's; Kubernetes can only say that by
// running the compose command as the container command.
func (c *converter) commands(svc *types.ServiceConfig) (command, args []string) {
	command, args = escapeAll(svc.Entrypoint), escapeAll(svc.Command)
	if svc.Entrypoint != nil && len(svc.Entrypoint) == 0 {
		if len(args) > 0 {
			return args, nil
		}
		c.warn(svc.Name, "entrypoint", "approximated: an empty entrypoint with no command cannot clear the image's entrypoint in Kubernetes; the image's entrypoint is kept")
		return nil, nil
	}
	if svc.Command != nil && len(svc.Command) == 0 && len(command) == 0 {
		c.warn(svc.Name, "command", "approximated: an empty command cannot clear the image's command in Kubernetes; the image's command is kept")
	}
	return command, args
}

func (c *converter) env(svc *types.ServiceConfig) []corev1.EnvVar {
	var env []corev1.EnvVar
	var unset []string
	for _, k := range slices.Sorted(maps.Keys(svc.Environment)) {
		v := svc.Environment[k]
		if v == nil {
			unset = append(unset, k)
			continue
		}
		env = append(env, corev1.EnvVar{Name: k, Value: escape(*v)})
	}
	c.dropUnset(svc.Name, "environment", unset)
	return env
}

// dropUnset warns once about the variables of one environment key that
// have no value (names sorted).
func (c *converter) dropUnset(service, key string, names []string) {
	switch len(names) {
	case 0:
	case 1:
		c.drop(service, key+"."+names[0], "no value given and none in the environment, dropped")
	default:
		c.dropPart(service, key, "%s: no value given and none in the environment, dropped", strings.Join(names, ", "))
	}
}

// deploy warns about the deploy keys handled elsewhere or not at all. The
// workload area reads mode, update_config, restart_policy and placement.
func (c *converter) deploy(svc *types.ServiceConfig) {
	d := svc.Deploy
	if d == nil {
		return
	}
	if d.RollbackConfig != nil {
		c.drop(svc.Name, "deploy.rollback_config", "roll back with kubectl rollout undo, dropped")
	}
	switch d.EndpointMode {
	case "", "dnsrr":
	case "vip":
		if len(svc.Ports) == 0 && len(svc.Expose) == 0 {
			c.drop(svc.Name, "deploy.endpoint_mode", "vip: the service has no ports, so its Service is headless, dropped")
		}
	default:
		c.warn(svc.Name, "deploy.endpoint_mode", "approximated: unknown mode %q, treated as dnsrr (a headless Service)", d.EndpointMode)
	}
}

// ceilSeconds rounds a compose duration up to whole seconds.
func ceilSeconds(d types.Duration) int64 {
	return int64(math.Ceil(time.Duration(d).Seconds()))
}
