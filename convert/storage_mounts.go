package convert

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Storage: one service's pod volumes: volumes, volumes_from, tmpfs,
// shm_size, named volume mounts and the Docker socket.

// mountOf is one mount of a service, its own or taken from volumes_from.
type mountOf struct {
	vol types.ServiceVolumeConfig
	// from is the service whose volume it is, for volumes_from.
	from string
}

// mountsOf is a service's own mounts followed by those of its
// volumes_from services (recursively; `:ro` makes them read-only).
func (c *converter) mountsOf(name string, seen []string) []mountOf {
	svc, ok := c.podSource(name)
	if !ok || slices.Contains(seen, name) {
		return nil
	}
	seen = append(seen, name)
	var out []mountOf
	for _, v := range svc.Volumes {
		out = append(out, mountOf{vol: v})
	}
	for _, vf := range svc.VolumesFrom {
		from, ro, ok := parseVolumesFrom(vf)
		if !ok {
			continue
		}
		for _, m := range c.mountsOf(from, seen) {
			if ro {
				m.vol.ReadOnly = true
			}
			if m.from == "" {
				m.from = from
			}
			out = append(out, m)
		}
	}
	return out
}

// parseVolumesFrom parses "service[:ro|:rw]"; ok is false for
// "container:name".
func parseVolumesFrom(s string) (service string, readOnly, ok bool) {
	if strings.HasPrefix(s, "container:") {
		return "", false, false
	}
	service, mode, _ := strings.Cut(s, ":")
	return service, mode == "ro", true
}

// storage adds the service's volumes and mounts to the pod.
func (c *converter) storage(s *svcCtx, pod *corev1.PodSpec) error {
	svc := s.svc
	pv := &podVolumes{c: c, pod: pod, s: s}
	for _, vf := range svc.VolumesFrom {
		if _, _, ok := parseVolumesFrom(vf); !ok {
			c.dropPart(svc.Name, "volumes_from", "%q: containers outside the project cannot share volumes with a pod, dropped", vf)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(svc.Labels)) {
		switch {
		case !strings.HasPrefix(k, komposeVolumePrefix), k == komposeVolumeSize, k == komposeVolumeStorageClass, k == komposeVolumeType:
		case k == komposeVolumeSelector:
			c.drop(svc.Name, "labels."+k, "kompose reads it on top-level volumes only, dropped")
		default:
			c.drop(svc.Name, "labels."+k, "kompose label not supported by hoist, dropped")
		}
	}
	if t, ok := svc.Labels[komposeVolumeType]; ok {
		switch strings.ToLower(strings.TrimSpace(t)) {
		case "persistentvolumeclaim", "configmap", "emptydir":
		case "hostpath":
			if !c.opts.AllowHostPaths {
				c.drop(svc.Name, "labels."+komposeVolumeType, "%q needs --allow-host-paths; bind mounts are converted by their content, dropped", t)
			}
		default:
			c.drop(svc.Name, "labels."+komposeVolumeType, "%q is not persistentVolumeClaim, emptyDir, hostPath or configMap, dropped", t)
		}
	}
	for _, m := range c.mountsOf(svc.Name, nil) {
		if err := c.mount(s, pv, m); err != nil {
			return err
		}
	}
	for _, t := range svc.Tmpfs {
		target, opts, _ := strings.Cut(t, ":")
		var size *resource.Quantity
		var unsupported []string
		for _, o := range strings.Split(opts, ",") {
			k, val, _ := strings.Cut(strings.TrimSpace(o), "=")
			switch k {
			case "":
			case "size":
				n, err := parseBytes(val)
				if err != nil {
					return invalidf("tmpfs: %q: size %q is not a size", t, val)
				}
				size = bytesQuantity(n)
			default:
				unsupported = append(unsupported, o)
			}
		}
		if len(unsupported) > 0 {
			c.dropPart(svc.Name, "tmpfs", "%q: options %s are not supported by emptyDir, dropped", t, quoteAll(unsupported))
		}
		pv.mount(corev1.VolumeMount{MountPath: target}, volumeName(target), corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory, SizeLimit: size}}, "tmpfs")
	}
	if svc.ShmSize > 0 {
		size := bytesQuantity(int64(svc.ShmSize))
		pv.mount(corev1.VolumeMount{MountPath: "/dev/shm"}, "dshm", corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory, SizeLimit: size}}, "shm_size")
	}
	return nil
}

// parseBytes parses a docker size: a number with an optional b, k, m or g
// suffix (binary units).
func parseBytes(s string) (int64, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	mult := int64(1)
	s = strings.TrimSuffix(s, "b")
	switch {
	case strings.HasSuffix(s, "k"):
		mult, s = 1<<10, strings.TrimSuffix(s, "k")
	case strings.HasSuffix(s, "m"):
		mult, s = 1<<20, strings.TrimSuffix(s, "m")
	case strings.HasSuffix(s, "g"):
		mult, s = 1<<30, strings.TrimSuffix(s, "g")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("invalid size %q", s)
	}
	return n * mult, nil
}

// volumeName is a pod volume name for a mount target: /var/cache/nginx
// becomes var-cache-nginx.
func volumeName(target string) string {
	return objectNameOr(strings.ReplaceAll(strings.Trim(target, "/"), "/", "-"), "volume")
}

// podVolumes adds volumes and mounts to a pod, reusing a volume when the
// same source is mounted twice and keeping volume names and mount paths
// unique.
type podVolumes struct {
	c   *converter
	pod *corev1.PodSpec
	s   *svcCtx
}

// volume adds a pod volume, or finds the one with the same source, and
// returns its name.
func (pv *podVolumes) volume(name string, src corev1.VolumeSource) string {
	for _, v := range pv.pod.Volumes {
		if volumeSourceEqual(v.VolumeSource, src) && src.EmptyDir == nil {
			return v.Name
		}
	}
	n := freeName(objectNameOr(name, "volume"), pv.taken)
	pv.pod.Volumes = append(pv.pod.Volumes, corev1.Volume{Name: n, VolumeSource: src})
	return n
}

// taken reports whether a volume or claim template of the pod has the name.
func (pv *podVolumes) taken(name string) bool {
	return slices.ContainsFunc(pv.pod.Volumes, func(v corev1.Volume) bool { return v.Name == name }) ||
		slices.ContainsFunc(pv.s.claimTemplates, func(t corev1.PersistentVolumeClaim) bool { return t.Name == name })
}

func volumeSourceEqual(a, b corev1.VolumeSource) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

// free renames the pod volume called name, if any, so that a claim
// template can take the name.
func (pv *podVolumes) free(name string) {
	i := slices.IndexFunc(pv.pod.Volumes, func(v corev1.Volume) bool { return v.Name == name })
	if i < 0 {
		return
	}
	n := freeName(name, func(n string) bool { return n == name || pv.taken(n) })
	pv.pod.Volumes[i].Name = n
	for _, ctrs := range [][]corev1.Container{pv.pod.InitContainers, pv.pod.Containers} {
		for j := range ctrs {
			for k := range ctrs[j].VolumeMounts {
				if ctrs[j].VolumeMounts[k].Name == name {
					ctrs[j].VolumeMounts[k].Name = n
				}
			}
		}
	}
}

// mounted reports whether the main container mounts something at target.
func (pv *podVolumes) mounted(target string) bool {
	return slices.ContainsFunc(pv.pod.Containers[0].VolumeMounts, func(e corev1.VolumeMount) bool { return e.MountPath == target })
}

// mount adds a volume and mounts it in the main container; key names the
// compose key for a clash warning. It reports whether it mounted.
func (pv *podVolumes) mount(m corev1.VolumeMount, name string, src corev1.VolumeSource, key string) bool {
	ctr := &pv.pod.Containers[0]
	if pv.mounted(m.MountPath) {
		pv.c.dropPart(pv.s.svc.Name, key, "%s is already mounted by another volume, config or secret, dropped", m.MountPath)
		return false
	}
	m.Name = pv.volume(name, src)
	ctr.VolumeMounts = append(ctr.VolumeMounts, m)
	return true
}

// mountTemplate mounts a StatefulSet claim template.
func (pv *podVolumes) mountTemplate(m corev1.VolumeMount, key string) {
	ctr := &pv.pod.Containers[0]
	if pv.mounted(m.MountPath) {
		pv.c.dropPart(pv.s.svc.Name, key, "%s is already mounted by another volume, config or secret, dropped", m.MountPath)
		return
	}
	ctr.VolumeMounts = append(ctr.VolumeMounts, m)
}

// mount converts one compose mount.
func (c *converter) mount(s *svcCtx, pv *podVolumes, m mountOf) error {
	svc := s.svc
	v := m.vol
	key := "volumes"
	desc := fmt.Sprintf("%q", v.Target)
	if m.from != "" {
		key = "volumes_from"
		desc = fmt.Sprintf("%q (from %s)", v.Target, m.from)
	}
	vm := corev1.VolumeMount{MountPath: v.Target, ReadOnly: v.ReadOnly}
	if v.Consistency != "" {
		c.dropPart(svc.Name, key, "%s: consistency %q has no Kubernetes equivalent, dropped", desc, v.Consistency)
	}
	if vv := v.Volume; vv != nil {
		if vv.NoCopy {
			c.dropPart(svc.Name, key, "%s: nocopy: Kubernetes never copies image content into a volume, dropped", desc)
		}
		if len(vv.Labels) > 0 {
			c.dropPart(svc.Name, key, "%s: volume labels are not supported on a mount, dropped", desc)
		}
		vm.SubPath = vv.Subpath
	}
	if m.from != "" && (v.Type == types.VolumeTypeTmpfs || v.Type == types.VolumeTypeVolume && v.Source == "") {
		c.warn(svc.Name, key, "approximated: %s: an anonymous or tmpfs volume cannot be shared across pods; this pod gets its own empty one", desc)
	}
	switch v.Type {
	case types.VolumeTypeVolume:
		if v.Source == "" {
			pv.mount(vm, volumeName(v.Target), corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}, key)
			return nil
		}
		if komposeEmptyDir(svc) {
			c.warn(svc.Name, "labels."+komposeVolumeType, "approximated: volume %q becomes an emptyDir: its data is lost when the pod is replaced", v.Source)
			pv.mount(vm, volumeName(v.Source), corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}, key)
			return nil
		}
		cl := c.plan.claims[volumeClaimID(v.Source)]
		if cl == nil {
			return invalidf("%s: %s: volume %q is not declared under the top-level volumes", key, desc, v.Source)
		}
		switch t := strings.TrimSpace(svc.Labels[komposeVolumeType]); strings.ToLower(t) {
		case "configmap", "hostpath":
			c.warn(svc.Name, "labels."+komposeVolumeType, "approximated: %q applies to bind mounts only; the named volume %q stays a PersistentVolumeClaim", t, v.Source)
		}
		c.mountClaim(s, pv, cl, vm, key)
		c.socketVolume(s, pv.pod, cl, v, key)
	case types.VolumeTypeBind:
		return c.bind(s, pv, v, vm, key, desc)
	case types.VolumeTypeTmpfs:
		var size *resource.Quantity
		if t := v.Tmpfs; t != nil {
			if t.Size > 0 {
				size = bytesQuantity(int64(t.Size))
			}
			if t.Mode != 0 {
				c.dropPart(svc.Name, key, "%s: tmpfs mode %#o: an emptyDir is always world-writable, dropped", desc, t.Mode)
			}
		}
		pv.mount(vm, volumeName(v.Target), corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory, SizeLimit: size}}, key)
	case types.VolumeTypeImage:
		if v.Image != nil && v.Image.SubPath != "" {
			vm.SubPath = v.Image.SubPath
		}
		vm.ReadOnly = true
		c.warn(svc.Name, key, "approximated: %s: an image volume needs Kubernetes 1.33 or later with image volumes enabled", desc)
		pv.mount(vm, volumeName(v.Target), corev1.VolumeSource{Image: &corev1.ImageVolumeSource{Reference: v.Source}}, key)
	default:
		c.dropPart(svc.Name, key, "%s: volume type %q has no Kubernetes equivalent, dropped", desc, v.Type)
	}
	return nil
}

// looksLikeSocketDir reports whether a mount target looks like where a
// Unix socket lives: under /run or /var/run, or named like a socket.
func looksLikeSocketDir(target string) bool {
	t := path.Clean(target)
	base := path.Base(t)
	return strings.HasPrefix(t, "/run/") || strings.HasPrefix(t, "/var/run/") || t == "/run" || t == "/var/run" ||
		strings.Contains(base, "sock") || strings.HasSuffix(base, ".sock")
}

// socketVolume co-locates the pods of services that share a named volume
// used for a Unix socket (/var/run/mysqld): a socket connects processes of
// one node only, while a ReadWriteMany claim may be mounted on several.
// Every other user's pods get a required podAffinity to the first user's
// pods (by service name order), with a warning.
func (c *converter) socketVolume(s *svcCtx, pod *corev1.PodSpec, cl *claim, v types.ServiceVolumeConfig, key string) {
	if len(cl.users) < 2 || !looksLikeSocketDir(v.Target) {
		return
	}
	first := c.plan.podOf(cl.users[0])
	me := c.plan.podOf(s.svc.Name)
	if first == me {
		c.warn(s.svc.Name, key, "approximated: %s at %q looks like a Unix socket directory shared with %s: a socket connects only pods on one node, so their pods are scheduled onto the node of this service's pods (podAffinity); to share it in one pod, use network_mode: service:%s", cl.what, v.Target, strings.Join(others(cl.users, s.svc.Name), ", "), s.svc.Name)
		return
	}
	c.warn(s.svc.Name, key, "approximated: %s at %q looks like a Unix socket directory shared with %s: a socket connects only pods on one node, so this service's pods require the node of %q's pods (podAffinity)", cl.what, v.Target, strings.Join(others(cl.users, s.svc.Name), ", "), first)
	if pod.Affinity == nil {
		pod.Affinity = &corev1.Affinity{}
	}
	if pod.Affinity.PodAffinity == nil {
		pod.Affinity.PodAffinity = &corev1.PodAffinity{}
	}
	pa := pod.Affinity.PodAffinity
	sel := map[string]string{LabelName: c.plan.names[first], LabelPartOf: c.partOf}
	for _, t := range pa.RequiredDuringSchedulingIgnoredDuringExecution {
		if t.LabelSelector != nil && maps.Equal(t.LabelSelector.MatchLabels, sel) {
			return
		}
	}
	pa.RequiredDuringSchedulingIgnoredDuringExecution = append(pa.RequiredDuringSchedulingIgnoredDuringExecution, corev1.PodAffinityTerm{
		LabelSelector: &metav1.LabelSelector{MatchLabels: sel},
		TopologyKey:   nodeLabelHostname,
	})
}
