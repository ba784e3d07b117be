package convert

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Well-known node labels.
const (
	nodeLabelHostname     = "kubernetes.io/hostname"
	nodeLabelOS           = "kubernetes.io/os"
	nodeLabelArch         = "kubernetes.io/arch"
	nodeLabelControlPlane = "node-role.kubernetes.io/control-plane"
)

// podWorkload sets lifecycle hooks, placement, platform and host namespaces.
func (c *converter) podWorkload(s *svcCtx, pod *corev1.PodSpec) error {
	if err := c.preStart(s, pod); err != nil {
		return err
	}
	if err := c.lifecycle(s, &pod.Containers[0]); err != nil {
		return err
	}
	if err := c.placement(s, pod); err != nil {
		return err
	}
	c.platform(s, pod)
	c.namespaces(s, pod)
	return nil
}

// nodeSelector sets one nodeSelector entry; an entry already set to another
// value (by x-kubernetes.nodeSelector or an earlier key) wins.
func (c *converter) nodeSelector(s *svcCtx, pod *corev1.PodSpec, key, label, value string) {
	if old, ok := pod.NodeSelector[label]; ok {
		if old != value {
			c.drop(s.svc.Name, key, "ignored: nodeSelector %s is already %q", label, old)
		}
		return
	}
	m := maps.Clone(pod.NodeSelector) // never write into the extension's map
	if m == nil {
		m = map[string]string{}
	}
	m[label] = value
	pod.NodeSelector = m
}

// nodeRequirement adds a required node affinity expression. All
// expressions are ANDed in one term.
func nodeRequirement(pod *corev1.PodSpec, req corev1.NodeSelectorRequirement) {
	if pod.Affinity == nil {
		pod.Affinity = &corev1.Affinity{}
	}
	if pod.Affinity.NodeAffinity == nil {
		pod.Affinity.NodeAffinity = &corev1.NodeAffinity{}
	}
	na := pod.Affinity.NodeAffinity
	if na.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		na.RequiredDuringSchedulingIgnoredDuringExecution = &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{}}}
	}
	t := &na.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms[0]
	if !slices.ContainsFunc(t.MatchExpressions, func(e corev1.NodeSelectorRequirement) bool { return reflect.DeepEqual(e, req) }) {
		t.MatchExpressions = append(t.MatchExpressions, req)
	}
}

// normArch maps the architecture names Docker reports to Kubernetes'.
func normArch(a string) string {
	switch strings.ToLower(a) {
	case "x86_64", "x86-64":
		return "amd64"
	case "aarch64":
		return "arm64"
	case "i386", "i686":
		return "386"
	}
	return strings.ToLower(a)
}

// placement maps deploy.placement: constraints to nodeSelector and node
// affinity, preferences and max_replicas_per_node to topology spread.
func (c *converter) placement(s *svcCtx, pod *corev1.PodSpec) error {
	svc := s.svc
	if svc.Deploy == nil {
		return nil
	}
	p := svc.Deploy.Placement
	for i, con := range p.Constraints {
		key := fmt.Sprintf("deploy.placement.constraints[%d]", i)
		op, lhs, rhs := "", "", ""
		for _, o := range []string{"==", "!="} {
			if l, r, ok := strings.Cut(con, o); ok {
				op, lhs, rhs = o, strings.TrimSpace(l), strings.TrimSpace(r)
				break
			}
		}
		if op == "" || lhs == "" {
			return invalidf("%s: %q: want <attribute>==<value> or <attribute>!=<value>", key, con)
		}
		label, value := "", rhs
		switch {
		case strings.HasPrefix(lhs, "node.labels."):
			label = strings.TrimPrefix(lhs, "node.labels.")
		case lhs == "node.hostname":
			label = nodeLabelHostname
		case lhs == "node.platform.os":
			label, value = nodeLabelOS, strings.ToLower(rhs)
		case lhs == "node.platform.arch":
			label, value = nodeLabelArch, normArch(rhs)
		case lhs == "node.role":
			manager := (rhs == "manager") == (op == "==")
			if rhs != "manager" && rhs != "worker" {
				return invalidf("%s: %q: node.role is manager or worker", key, con)
			}
			if manager {
				c.warn(svc.Name, key, "approximated: %q runs on control-plane nodes (label %s), tolerating their taint", con, nodeLabelControlPlane)
				nodeRequirement(pod, corev1.NodeSelectorRequirement{Key: nodeLabelControlPlane, Operator: corev1.NodeSelectorOpExists})
				tol := corev1.Toleration{Key: nodeLabelControlPlane, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}
				if !slices.Contains(pod.Tolerations, tol) {
					pod.Tolerations = append(slices.Clip(pod.Tolerations), tol)
				}
			} else {
				c.warn(svc.Name, key, "approximated: %q runs on nodes without the label %s", con, nodeLabelControlPlane)
				nodeRequirement(pod, corev1.NodeSelectorRequirement{Key: nodeLabelControlPlane, Operator: corev1.NodeSelectorOpDoesNotExist})
			}
			continue
		default:
			c.drop(svc.Name, key, "%q: only node.labels.*, node.hostname, node.role and node.platform.* have a Kubernetes equivalent, dropped", con)
			continue
		}
		if errs := validation.IsQualifiedName(label); len(errs) > 0 {
			return invalidf("%s: %q: %q is not a valid Kubernetes label key: %s", key, con, label, strings.Join(errs, "; "))
		}
		if errs := validation.IsValidLabelValue(value); len(errs) > 0 {
			return invalidf("%s: %q: %q is not a valid Kubernetes label value: %s", key, con, value, strings.Join(errs, "; "))
		}
		if op == "==" {
			c.nodeSelector(s, pod, key, label, value)
		} else {
			nodeRequirement(pod, corev1.NodeSelectorRequirement{Key: label, Operator: corev1.NodeSelectorOpNotIn, Values: []string{value}})
		}
	}

	spread := func(key, topologyKey string, skew int32, when corev1.UnsatisfiableConstraintAction) {
		if s.kind == kindDaemonSet {
			c.drop(svc.Name, key, "a DaemonSet runs one pod on every node, dropped")
			return
		}
		honor := corev1.NodeInclusionPolicyHonor
		tsc := corev1.TopologySpreadConstraint{
			MaxSkew:           skew,
			TopologyKey:       topologyKey,
			WhenUnsatisfiable: when,
			LabelSelector:     &metav1.LabelSelector{MatchLabels: s.selector},
			NodeTaintsPolicy:  &honor,
		}
		if s.kind == kindDeployment {
			// Count only the pods of the current revision during a rollout.
			tsc.MatchLabelKeys = []string{"pod-template-hash"}
		}
		pod.TopologySpreadConstraints = append(pod.TopologySpreadConstraints, tsc)
	}
	for i, pref := range p.Preferences {
		key := fmt.Sprintf("deploy.placement.preferences[%d].spread", i)
		label, ok := strings.CutPrefix(pref.Spread, "node.labels.")
		if !ok || len(validation.IsQualifiedName(label)) > 0 {
			c.drop(svc.Name, key, "%q: only node.labels.<label> can be spread over, dropped", pref.Spread)
			continue
		}
		spread(key, label, 1, corev1.ScheduleAnyway)
	}
	if n := p.MaxReplicas; n > 0 {
		key := "deploy.placement.max_replicas_per_node"
		if s.kind != kindDaemonSet {
			c.warn(svc.Name, key, "approximated: pods are spread over nodes (kubernetes.io/hostname) with a skew of at most %d, which limits the difference between nodes, not the count per node", n)
		}
		spread(key, nodeLabelHostname, int32(n), corev1.DoNotSchedule)
	}
	return nil
}

// platform maps platform os/arch[/variant] to nodeSelector.
func (c *converter) platform(s *svcCtx, pod *corev1.PodSpec) {
	p := s.svc.Platform
	if p == "" {
		return
	}
	parts := strings.Split(strings.ToLower(p), "/")
	c.nodeSelector(s, pod, "platform", nodeLabelOS, parts[0])
	if len(parts) > 1 && parts[1] != "" {
		c.nodeSelector(s, pod, "platform", nodeLabelArch, normArch(parts[1]))
	}
	if len(parts) > 2 {
		c.warn(s.svc.Name, "platform", "approximated: the variant %q is not a node label; any %s node is picked", strings.Join(parts[2:], "/"), normArch(parts[1]))
	}
}

// namespaceTarget is the service a service:X or container:X value names.
func (c *converter) namespaceTarget(v string) (string, bool) {
	if t, ok := strings.CutPrefix(v, types.ServicePrefix); ok {
		return t, true
	}
	if cn, ok := strings.CutPrefix(v, types.ContainerPrefix); ok {
		for _, name := range c.project.ServiceNames() {
			if c.project.Services[name].ContainerName == cn {
				return name, true
			}
		}
		return cn, true
	}
	return "", false
}

// namespaces maps network_mode, pid and ipc.
func (c *converter) namespaces(s *svcCtx, pod *corev1.PodSpec) {
	svc := s.svc
	switch nm := svc.NetworkMode; {
	case nm == "", nm == "default", nm == "bridge":
	case nm == "host":
		pod.HostNetwork = true
		if pod.DNSPolicy == "" {
			pod.DNSPolicy = corev1.DNSClusterFirstWithHostNet
		}
	case nm == "none":
		c.drop(svc.Name, "network_mode", "a pod always has a network, dropped")
	case strings.HasPrefix(nm, types.NetworkModeServicePrefix), strings.HasPrefix(nm, types.NetworkModeContainerPrefix):
		switch owner := c.plan.owner[svc.Name]; {
		case owner == "":
			// A top-level job cannot join a long-running pod.
			c.drop(svc.Name, "network_mode", "a %s runs in its own pod and reaches other services through their Services, dropped", s.kind)
		case strings.HasPrefix(nm, types.NetworkModeContainerPrefix):
			c.warn(svc.Name, "network_mode", "approximated: %q is the container of service %q; this service becomes a container of its pod", nm, owner)
		}
	default:
		c.warn(svc.Name, "network_mode", "approximated: %q; the pod is on the cluster network", nm)
	}

	switch v := svc.Pid; {
	case v == "":
	case v == "host":
		pod.HostPID = true
	default:
		if t, ok := c.namespaceTarget(v); ok && c.plan.podOf(svc.Name) == c.plan.podOf(t) {
			yes := true
			pod.ShareProcessNamespace = &yes
			break
		}
		c.drop(svc.Name, "pid", "%q: only containers of one pod can share a PID namespace, dropped", v)
	}

	switch v := svc.Ipc; {
	case v == "", v == "private":
	case v == "host":
		pod.HostIPC = true
	case v == "shareable":
		c.warn(svc.Name, "ipc", "approximated: only the containers of this pod share its IPC namespace")
	case v == "none":
		c.drop(svc.Name, "ipc", "a pod always has an IPC namespace, dropped")
	default:
		if t, ok := c.namespaceTarget(v); ok && c.plan.podOf(svc.Name) == c.plan.podOf(t) {
			// The containers of a pod share its IPC namespace.
			break
		}
		c.drop(svc.Name, "ipc", "%q: only containers of one pod can share an IPC namespace, dropped", v)
	}
}

// shellQuote quotes a word for /bin/sh.
func shellQuote(w string) string {
	if w != "" && strings.IndexFunc(w, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,+@%", r))
	}) < 0 {
		return w
	}
	return "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
}

// lifecycle maps post_start and pre_stop to the container's lifecycle exec
// handlers. Kubernetes allows one handler each: several hooks, or a hook's
// working_dir and environment, become one /bin/sh script.
func (c *converter) lifecycle(s *svcCtx, ctr *corev1.Container) error {
	for _, h := range []struct {
		key   string
		hooks []types.ServiceHook
		set   func(*corev1.LifecycleHandler)
	}{
		{"post_start", s.svc.PostStart, func(l *corev1.LifecycleHandler) { ensureLifecycle(ctr).PostStart = l }},
		{"pre_stop", s.svc.PreStop, func(l *corev1.LifecycleHandler) { ensureLifecycle(ctr).PreStop = l }},
	} {
		if len(h.hooks) == 0 {
			continue
		}
		var scripts []string
		plain := len(h.hooks) == 1
		for i, hook := range h.hooks {
			key := fmt.Sprintf("%s[%d]", h.key, i)
			if len(hook.Command) == 0 {
				return invalidf("%s.command: empty", key)
			}
			if hook.User != "" && hook.User != s.svc.User {
				c.drop(s.svc.Name, key+".user", "a lifecycle hook runs as the container's user, dropped")
			}
			if hook.Privileged && !s.svc.Privileged {
				c.drop(s.svc.Name, key+".privileged", "a lifecycle hook has the container's privileges, dropped")
			}
			var words []string
			for _, k := range slices.Sorted(maps.Keys(hook.Environment)) {
				v := hook.Environment[k]
				if v == nil {
					c.drop(s.svc.Name, key+".environment."+k, "no value given, dropped")
					continue
				}
				words = append(words, k+"="+shellQuote(*v))
			}
			for _, w := range hook.Command {
				words = append(words, shellQuote(w))
			}
			script := strings.Join(words, " ")
			if hook.WorkingDir != "" {
				script = "(cd " + shellQuote(hook.WorkingDir) + " && " + script + ")"
			}
			if len(words) != len(hook.Command) || hook.WorkingDir != "" {
				plain = false
			}
			scripts = append(scripts, script)
		}
		if plain {
			h.set(&corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: slices.Clone(h.hooks[0].Command)}})
			continue
		}
		c.warn(s.svc.Name, h.key, "approximated: Kubernetes runs one %s handler; the hooks run in order as one /bin/sh -c script, which needs /bin/sh in the image", h.key)
		h.set(&corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"/bin/sh", "-c", strings.Join(scripts, " && ")}}})
	}
	return nil
}

func ensureLifecycle(ctr *corev1.Container) *corev1.Lifecycle {
	if ctr.Lifecycle == nil {
		ctr.Lifecycle = &corev1.Lifecycle{}
	}
	return ctr.Lifecycle
}

// preStart maps pre_start hooks to init containers that run after the
// dependency waits. compose-go has already completed each hook with the
// service's container attributes, except volumes.
func (c *converter) preStart(s *svcCtx, pod *corev1.PodSpec) error {
	svc := s.svc
	main := pod.Containers[0]
	for i, h := range svc.PreStart {
		key := fmt.Sprintf("pre_start[%d]", i)
		hs := &types.ServiceConfig{Name: svc.Name, ContainerSpec: h.ContainerSpec}
		suffix := fmt.Sprintf("-pre-start-%d", i+1)
		ic := corev1.Container{
			Name:            truncName(s.name, suffix),
			Image:           h.Image,
			ImagePullPolicy: main.ImagePullPolicy,
			WorkingDir:      h.WorkingDir,
			Resources:       main.Resources,
			VolumeMounts:    main.VolumeMounts,
			EnvFrom:         main.EnvFrom,
			SecurityContext: main.SecurityContext.DeepCopy(),
		}
		if ic.Image == "" || ic.Image == svc.Image {
			ic.Image = main.Image
		}
		if h.PullPolicy != svc.PullPolicy {
			ic.ImagePullPolicy = c.pullPolicy(hs)
		}
		ic.Command, ic.Args = c.commands(hs)
		if len(ic.Command) == 0 && len(ic.Args) == 0 {
			return invalidf("%s: no command and no entrypoint; the init container would run the service itself", key)
		}
		ic.Env = c.hookEnv(s, key, h.Environment, main)
		if h.User != svc.User {
			ic.SecurityContext = c.hookUser(svc.Name, key, h.User, ic.SecurityContext)
		}
		if h.Privileged != svc.Privileged {
			if ic.SecurityContext == nil {
				ic.SecurityContext = &corev1.SecurityContext{}
			}
			p := h.Privileged
			ic.SecurityContext.Privileged = &p
			if !p {
				ic.SecurityContext.Privileged = nil
			}
		}
		if !h.PerReplica && (s.kind == kindDaemonSet || c.replicas(svc) > 1) {
			c.warn(svc.Name, key+".per_replica", "approximated: an init container runs in every pod, not once per service")
		}
		mounted := map[string]bool{}
		for _, m := range main.VolumeMounts {
			mounted[m.MountPath] = true
		}
		for _, v := range h.Volumes {
			if !mounted[v.Target] {
				c.drop(svc.Name, key+".volumes", "the init container mounts the service's volumes; %s is not among them, dropped", v.Target)
			}
		}
		if len(h.VolumesFrom) > 0 {
			c.warn(svc.Name, key+".volumes_from", "approximated: the init container mounts the service's volumes")
		}
		c.hookDiffs(svc, key, h.ContainerSpec)
		pod.InitContainers = append(pod.InitContainers, ic)
	}
	return nil
}

// hookEnv is an init container's environment: the service's variables as
// the main container has them (so moved secrets stay in their Secret), and
// the hook's own as literals.
func (c *converter) hookEnv(s *svcCtx, key string, env types.MappingWithEquals, main corev1.Container) []corev1.EnvVar {
	var out []corev1.EnvVar
	var unset []string
	for _, k := range slices.Sorted(maps.Keys(env)) {
		v := env[k]
		inherited := false
		if sv, ok := s.svc.Environment[k]; ok && reflect.DeepEqual(sv, v) {
			inherited = true
		}
		if inherited {
			i := slices.IndexFunc(main.Env, func(e corev1.EnvVar) bool { return e.Name == k })
			if i >= 0 {
				out = append(out, main.Env[i])
			}
			// Else it was dropped or moved into envFrom, which the init
			// container shares.
			continue
		}
		if v == nil {
			unset = append(unset, k)
			continue
		}
		out = append(out, corev1.EnvVar{Name: k, Value: escape(*v)})
	}
	c.dropUnset(s.svc.Name, key+".environment", unset)
	return out
}

// hookUser sets runAsUser/runAsGroup for a hook's numeric user[:group]
// (parsed as the service's user is); a name or an invalid ID is dropped.
func (c *converter) hookUser(service, key, user string, sc *corev1.SecurityContext) *corev1.SecurityContext {
	if sc == nil {
		sc = &corev1.SecurityContext{}
	}
	if user == "" {
		c.warn(service, key+".user", "approximated: the hook sets no user; it runs as the image's user")
		sc.RunAsUser, sc.RunAsGroup = nil, nil
		return sc
	}
	u, g, hasGroup := strings.Cut(user, ":")
	uid, ok, err := parseID(u)
	if err != nil || !ok {
		c.drop(service, key+".user", "%q: Kubernetes needs a numeric user ID, dropped", user)
		return sc
	}
	sc.RunAsUser = &uid
	if uid == 0 && sc.RunAsNonRoot != nil && *sc.RunAsNonRoot {
		sc.RunAsNonRoot = nil
	}
	sc.RunAsGroup = nil
	if hasGroup {
		gid, ok, err := parseID(g)
		if err != nil || !ok {
			c.drop(service, key+".user", "group %q: Kubernetes needs a numeric group ID, dropped", g)
		} else {
			sc.RunAsGroup = &gid
		}
	}
	return sc
}

// hookHandled are the container attributes preStart maps for a hook.
var hookHandled = map[string]bool{
	"image": true, "command": true, "entrypoint": true, "environment": true, "env_file": true,
	"working_dir": true, "user": true, "privileged": true, "volumes": true, "volumes_from": true,
	"labels": true, "label_file": true, "annotations": true, "pull_policy": true,
}

// hookDiffs warns about the attributes a hook sets differently from its
// service that an init container cannot take: it shares the service's.
func (c *converter) hookDiffs(svc *types.ServiceConfig, key string, hook types.ContainerSpec) {
	hv, sv := reflect.ValueOf(hook), reflect.ValueOf(svc.ContainerSpec)
	t := hv.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" || hookHandled[name] {
			continue
		}
		if !reflect.DeepEqual(hv.Field(i).Interface(), sv.Field(i).Interface()) {
			c.drop(svc.Name, key+"."+name, "the init container shares the service's setting, dropped")
		}
	}
}

// truncName shortens a DNS-1123 label to n characters.
