package convert

import (
	"maps"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Security context.

var securityKeys = map[string]keyRule{
	"cap_add":      {keyMapped, "container `capabilities.add` (`CAP_` prefix removed, sorted)"},
	"cap_drop":     {keyMapped, "container `capabilities.drop` (`CAP_` prefix removed, sorted)"},
	"group_add":    {keyMapped, "pod `supplementalGroups` (numeric GIDs; names warn)"},
	"privileged":   {keyMapped, "container `privileged`"},
	"read_only":    {keyMapped, "container `readOnlyRootFilesystem`"},
	"security_opt": {keyMapped, "`no-new-privileges` -> `allowPrivilegeEscalation: false`; `seccomp`, `apparmor`, `label` -> `seccompProfile`, `appArmorProfile`, `seLinuxOptions`; others warn"},
	"sysctls":      {keyMapped, "pod `securityContext.sysctls`, sorted; unsafe ones (outside the kubelet's default safe set) dropped with a warning unless `--allow-unsafe-sysctls`"},
	"user":         {keyMapped, "container `runAsUser`/`runAsGroup` (numeric `UID[:GID]`; names warn)"},
}

// kompose labels read by this area.
const (
	komposeImagePullSecret = "kompose.image-pull-secret"
	komposeImagePullPolicy = "kompose.image-pull-policy"
	komposeServiceAccount  = "kompose.serviceaccount-name"
)

// securityKompose are the kompose label prefixes this area reads.
var securityKompose = []string{komposeImagePullSecret, komposeImagePullPolicy, komposeServiceAccount}

// security sets the pod's and the main container's securityContext, and
// applies kompose's image pull and service account labels.
func (c *converter) security(s *svcCtx, pod *corev1.PodSpec) error {
	svc := s.svc
	ctr := &pod.Containers[0]
	sc := &corev1.SecurityContext{}
	psc := &corev1.PodSecurityContext{}
	if pod.SecurityContext != nil {
		psc = pod.SecurityContext
	}

	if err := c.user(svc.Name, svc.User, sc); err != nil {
		return err
	}
	for _, g := range svc.GroupAdd {
		gid, ok, err := parseID(g)
		if err != nil {
			return invalidf("group_add: %q: %v", g, err)
		}
		if !ok {
			c.warn(svc.Name, "group_add", "approximated: group %q is a name, which only the image can resolve; supplementalGroups takes numeric GIDs, so it is not set", g)
			continue
		}
		if !slices.Contains(psc.SupplementalGroups, gid) {
			psc.SupplementalGroups = append(psc.SupplementalGroups, gid)
		}
	}
	if svc.Privileged {
		sc.Privileged = new(true)
	}
	if add := capabilities(svc.CapAdd); len(add) > 0 || len(svc.CapDrop) > 0 {
		sc.Capabilities = &corev1.Capabilities{Add: add, Drop: capabilities(svc.CapDrop)}
	}
	if svc.ReadOnly {
		sc.ReadOnlyRootFilesystem = new(true)
	}
	if err := c.securityOpts(svc.Name, svc.SecurityOpt, sc); err != nil {
		return err
	}
	if err := c.sysctls(s, psc); err != nil {
		return err
	}

	if *sc != (corev1.SecurityContext{}) {
		ctr.SecurityContext = sc
	}
	if !reflect.ValueOf(*psc).IsZero() {
		pod.SecurityContext = psc
	}
	return c.komposePodLabels(s, pod)
}

// maxID is the largest UID or GID the API server accepts.
const maxID = math.MaxInt32

// parseID parses a numeric UID or GID, or root, which is 0 in every
// image. ok is false for any other name.
func parseID(s string) (id int64, ok bool, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false, errEmptyID
	}
	if s == "root" {
		return 0, true, nil
	}
	if s[0] < '0' || s[0] > '9' {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		// Digits first but not a number, such as "1000x": a name.
		if strings.Trim(s, "0123456789") != "" {
			return 0, false, nil
		}
		return 0, false, errIDRange
	}
	if n > maxID {
		return 0, false, errIDRange
	}
	return n, true, nil
}

var (
	errEmptyID = invalidf("empty user or group")
	errIDRange = invalidf("out of range 0-%d", maxID)
)

// user maps user: UID[:GID] to runAsUser and runAsGroup.
func (c *converter) user(service, user string, sc *corev1.SecurityContext) error {
	if user == "" {
		return nil
	}
	u, g, hasGroup := strings.Cut(user, ":")
	uid, ok, err := parseID(u)
	if err != nil {
		return invalidf("user: %q: %v", user, err)
	}
	if ok {
		sc.RunAsUser = &uid
	} else {
		c.warn(service, "user", "approximated: user %q is a name, which only the image can resolve; runAsUser takes a numeric UID, so it is not set and the image's user applies", u)
	}
	if !hasGroup {
		return nil
	}
	gid, ok, err := parseID(g)
	if err != nil {
		return invalidf("user: %q: %v", user, err)
	}
	if ok {
		sc.RunAsGroup = &gid
	} else {
		c.warn(service, "user", "approximated: group %q is a name, which only the image can resolve; runAsGroup takes a numeric GID, so it is not set", g)
	}
	return nil
}

// capabilities normalises capability names the way Kubernetes spells
// them: upper case, without the CAP_ prefix, sorted, once each.
func capabilities(caps []string) []corev1.Capability {
	var out []corev1.Capability
	for _, cp := range caps {
		cp = strings.ToUpper(strings.TrimSpace(cp))
		cp = strings.TrimPrefix(cp, "CAP_")
		if cp == "" || slices.Contains(out, corev1.Capability(cp)) {
			continue
		}
		out = append(out, corev1.Capability(cp))
	}
	slices.Sort(out)
	return out
}

// securityOpts maps security_opt entries: no-new-privileges, seccomp,
// apparmor and label. Docker accepts both "opt=value" and "opt:value".
func (c *converter) securityOpts(service string, opts []string, sc *corev1.SecurityContext) error {
	noNewPrivs := false
	for _, o := range opts {
		name, value := o, ""
		if i := strings.IndexAny(o, "=:"); i >= 0 {
			name, value = o[:i], o[i+1:]
		}
		// Each option is its own part of the key.
		key := "security_opt." + strings.ToLower(name)
		switch strings.ToLower(name) {
		case "no-new-privileges":
			on := true
			if value != "" {
				var err error
				if on, err = strconv.ParseBool(value); err != nil {
					return invalidf("security_opt: %q: want no-new-privileges[:true|false]", o)
				}
			}
			noNewPrivs = on
		case "seccomp":
			switch value {
			case "unconfined":
				sc.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}
			case "builtin", "default", "runtime/default":
				sc.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}
			default:
				c.drop(service, key, "%q: a seccomp profile file must be installed on every node and referenced as a Localhost profile, dropped", o)
			}
		case "apparmor":
			switch value {
			case "unconfined":
				sc.AppArmorProfile = &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeUnconfined}
			case "", "docker-default", "runtime/default":
				sc.AppArmorProfile = &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeRuntimeDefault}
			default:
				profile := value
				sc.AppArmorProfile = &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeLocalhost, LocalhostProfile: &profile}
				c.warn(service, key, "approximated: %q becomes a Localhost AppArmor profile, which must be loaded on every node", o)
			}
		case "label":
			c.seLinux(service, key, o, value, sc)
		default:
			c.drop(service, key, "%q has no Kubernetes equivalent, dropped", o)
		}
	}
	if !noNewPrivs {
		return nil
	}
	if sc.Privileged != nil && *sc.Privileged {
		c.drop(service, "security_opt.no-new-privileges", "a privileged container can always gain privileges (Kubernetes rejects allowPrivilegeEscalation: false with privileged: true), dropped")
		return nil
	}
	sc.AllowPrivilegeEscalation = new(false)
	return nil
}

// seLinux maps label=user:U, role:R, type:T, level:L and disable.
func (c *converter) seLinux(service, key, opt, value string, sc *corev1.SecurityContext) {
	if sc.SELinuxOptions == nil {
		sc.SELinuxOptions = &corev1.SELinuxOptions{}
	}
	o := sc.SELinuxOptions
	field, v, _ := strings.Cut(value, ":")
	switch field {
	case "user":
		o.User = v
	case "role":
		o.Role = v
	case "type":
		o.Type = v
	case "level":
		o.Level = v
	case "disable":
		o.Type = "spc_t"
		c.warn(service, key, "approximated: %q becomes the SELinux type spc_t (an unconfined container)", opt)
	default:
		c.drop(service, key, "%q has no Kubernetes equivalent, dropped", opt)
	}
	if *o == (corev1.SELinuxOptions{}) {
		sc.SELinuxOptions = nil
	}
}

// safeSysctls are the sysctls the kubelet allows by default (k8s.io/kubernetes
// pkg/kubelet/sysctl safe_sysctls.go, as of 1.37); others make a default
// kubelet reject the pod with SysctlForbidden.
var safeSysctls = map[string]bool{
	"kernel.shm_rmid_forced":              true,
	"net.ipv4.ip_local_port_range":        true,
	"net.ipv4.tcp_syncookies":             true,
	"net.ipv4.ping_group_range":           true,
	"net.ipv4.ip_unprivileged_port_start": true,
	"net.ipv4.ip_local_reserved_ports":    true,
	"net.ipv4.tcp_keepalive_time":         true,
	"net.ipv4.tcp_fin_timeout":            true,
	"net.ipv4.tcp_keepalive_intvl":        true,
	"net.ipv4.tcp_keepalive_probes":       true,
	"net.ipv4.tcp_rmem":                   true,
	"net.ipv4.tcp_wmem":                   true,
}

// sysctlName is the API server's sysctl name pattern (dots or slashes).
var sysctlName = regexp.MustCompile(`^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$`)

// sysctls maps sysctls to the pod's securityContext, sorted by name.
// Network sysctls with the host network, and IPC sysctls with the host
// IPC namespace, are rejected by the API server, and sysctls that are not
// namespaced by the kubelet: they are dropped.
func (c *converter) sysctls(s *svcCtx, psc *corev1.PodSecurityContext) error {
	svc := s.svc
	for _, name := range slices.Sorted(maps.Keys(svc.Sysctls)) {
		key := "sysctls." + name
		if len(name) > 253 || !sysctlName.MatchString(name) {
			return invalidf("%s: %q is not a valid sysctl name", key, name)
		}
		dotted := strings.ReplaceAll(name, "/", ".")
		if svc.NetworkMode == "host" && strings.HasPrefix(dotted, "net.") {
			c.drop(svc.Name, key, "a pod on the host network cannot set network sysctls, dropped")
			continue
		}
		if svc.Ipc == "host" && isIPCSysctl(dotted) {
			c.drop(svc.Name, key, "a pod in the host IPC namespace cannot set IPC sysctls, dropped")
			continue
		}
		if !strings.HasPrefix(dotted, "net.") && !isIPCSysctl(dotted) {
			c.drop(svc.Name, key, "not namespaced: a pod cannot set it (set it on the nodes instead), dropped")
			continue
		}
		if !safeSysctls[dotted] {
			if !c.opts.AllowUnsafeSysctls {
				c.drop(svc.Name, key, "an unsafe sysctl: a default kubelet rejects the pod, so it would never run (pass --allow-unsafe-sysctls to keep it when the nodes' kubelets allow it with --allowed-unsafe-sysctls), dropped")
				continue
			}
			c.warn(svc.Name, key, "approximated: an unsafe sysctl kept by --allow-unsafe-sysctls; the kubelet rejects the pod unless its --allowed-unsafe-sysctls lists it")
		}
		psc.Sysctls = append(psc.Sysctls, corev1.Sysctl{Name: name, Value: svc.Sysctls[name]})
	}
	return nil
}

func isIPCSysctl(name string) bool {
	switch name {
	case "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced", "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem":
		return true
	}
	return strings.HasPrefix(name, "fs.mqueue.")
}

// komposePodLabels applies kompose.image-pull-secret (added to the
// pod's imagePullSecrets), kompose.image-pull-policy (which wins over
// pull_policy) and kompose.serviceaccount-name (the pod's
// serviceAccountName unless x-kubernetes.serviceAccount is set).
func (c *converter) komposePodLabels(s *svcCtx, pod *corev1.PodSpec) error {
	svc := s.svc
	if v, ok := svc.Labels[komposeServiceAccount]; ok {
		name := strings.TrimSpace(v)
		if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
			return invalidf("labels.%s: %q is not a ServiceAccount name", komposeServiceAccount, v)
		}
		if s.ext.ServiceAccount != "" {
			c.drop(svc.Name, "labels."+komposeServiceAccount, "ignored: %s.serviceAccount is set", ExtensionKey)
		} else {
			pod.ServiceAccountName = name
		}
	}
	if v, ok := svc.Labels[komposeImagePullSecret]; ok {
		name := strings.TrimSpace(v)
		if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
			return invalidf("labels.%s: %q is not a Secret name", komposeImagePullSecret, v)
		}
		if !slices.ContainsFunc(pod.ImagePullSecrets, func(r corev1.LocalObjectReference) bool { return r.Name == name }) {
			pod.ImagePullSecrets = append(pod.ImagePullSecrets, corev1.LocalObjectReference{Name: name})
		}
	}
	if v, ok := svc.Labels[komposeImagePullPolicy]; ok {
		var policy corev1.PullPolicy
		for _, p := range []corev1.PullPolicy{corev1.PullAlways, corev1.PullNever, corev1.PullIfNotPresent} {
			if strings.EqualFold(strings.TrimSpace(v), string(p)) {
				policy = p
			}
		}
		if policy == "" {
			return invalidf("labels.%s: %q: want Always, Never or IfNotPresent", komposeImagePullPolicy, v)
		}
		ctr := &pod.Containers[0]
		if svc.PullPolicy != "" && ctr.ImagePullPolicy != policy {
			c.drop(svc.Name, "pull_policy", "overridden by label %s=%s, dropped", komposeImagePullPolicy, policy)
		}
		ctr.ImagePullPolicy = policy
	}
	return nil
}
