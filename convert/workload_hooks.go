package convert

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	corev1 "k8s.io/api/core/v1"
)

// Workloads: lifecycle hooks: post_start and pre_stop as container
// lifecycle handlers, pre_start as init containers.

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
