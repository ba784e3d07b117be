package convert

import (
	"bytes"
	"cmp"
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

// Storage: volumes, tmpfs, shm_size, volumes_from, and the claims of the
// project's named volumes and data directories.

var storageKeys = map[string]keyRule{
	"shm_size":     {keyMapped, "memory `emptyDir` at `/dev/shm` with `sizeLimit`"},
	"tmpfs":        {keyMapped, "`emptyDir` with `medium: Memory` and `sizeLimit`"},
	"volumes":      {keyMapped, "named volume: PersistentVolumeClaim (StatefulSet: `volumeClaimTemplates`); anonymous: `emptyDir`; bind mount in the project: ConfigMap (read-only), `emptyDir` seeded from a ConfigMap (writable) or claim (empty, missing or over 1 MiB); outside the project: refused unless `--allow-host-paths` (`hostPath`); `read_only`, `volume.subpath`, `type: tmpfs`, `type: image`"},
	"volumes_from": {keyMapped, "the other service's volumes mounted again (`:ro` honoured)"},
}

// storageKompose are the kompose label prefixes this area reads.
var storageKompose = []string{komposeVolumePrefix}

// kompose volume labels, on services (size, storage class, type) and on
// top-level volumes (size, selector).
const (
	komposeVolumePrefix       = "kompose.volume."
	komposeVolumeSize         = "kompose.volume.size"
	komposeVolumeStorageClass = "kompose.volume.storage-class-name"
	komposeVolumeType         = "kompose.volume.type"
	komposeVolumeSelector     = "kompose.volume.selector"
)

// DefaultVolumeSize is the size of a claim that names none.
const DefaultVolumeSize = "1Gi"

// The Docker socket is never mounted from the node unless asked.
var dockerSockets = []string{"/var/run/docker.sock", "/run/docker.sock"}

// VolumeExtension is x-kubernetes on a top-level volume: what the
// PersistentVolumeClaim asks for.
type VolumeExtension struct {
	// Size is a quantity such as 10Gi; default 1Gi.
	Size string `json:"size,omitempty"`
	// StorageClass is the claim's storageClassName; default the cluster's.
	StorageClass string `json:"storageClass,omitempty"`
	// AccessMode is ReadWriteOnce, ReadWriteMany, ReadOnlyMany or
	// ReadWriteOncePod; default ReadWriteOnce, or ReadWriteMany when
	// several pods mount the volume.
	AccessMode string `json:"accessMode,omitempty"`
}

// decodeVolumeExtension decodes a top-level volume's x-kubernetes block,
// which validate has already checked against the schema's $defs/volume
// (keys, types, size pattern, accessMode values).
func decodeVolumeExtension(volume string, raw any) (VolumeExtension, error) {
	var ext VolumeExtension
	if raw == nil {
		return ext, nil
	}
	key := "volumes." + volume + "." + ExtensionKey
	b, err := json.Marshal(raw)
	if err != nil {
		return ext, fmt.Errorf("%s: %w", key, err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ext); err != nil {
		return ext, invalidf("%s: %s", key, strings.TrimPrefix(err.Error(), "json: "))
	}
	return ext, nil
}

// storeState is what the storage, config and secret steps share across
// services: the claims and ConfigMaps of the project and their names.
type storeState struct {
	claims map[claimID]*claim
	// bindMaps are the ConfigMaps that carry bind mount content, by host path.
	bindMaps map[string]*bindMap
	configs  map[string]*fileObject // compose config name -> ConfigMap
	secrets  map[string]*fileObject // compose secret name -> Secret
	// Object names taken, per kind.
	claimNames            map[string]claimID
	mapNames, secretNames map[string]nameOwner
}

// claim is one PersistentVolumeClaim: a named volume, or a bind-mounted
// data directory.
type claim struct {
	id claimID
	// what names the claim in warnings: `volume "data"` or `"./data"`.
	what     string
	key      string // warning key
	name     string
	external bool
	users    []string // compose services mounting it, sorted
	multi    bool     // several pods mount it
	size     resource.Quantity
	class    *string
	mode     corev1.PersistentVolumeAccessMode
	explicit bool // mode set by x-kubernetes.accessMode
	// sizeFixed is set when the volume itself sets the size, so service
	// labels do not override it.
	sizeFixed bool
	// sized is set when any key sets the size; else it is the default,
	// with a warning.
	sized bool
	// sizeWarned is set when the warning that made the claim already
	// said it has the default size (a bind mount's claim).
	sizeWarned bool
	labels     map[string]string
	ann        map[string]string
	selector   *metav1.LabelSelector
	// template is set when a StatefulSet took it as a claim template.
	template bool
}

// bindMap is the ConfigMap holding a bind mount's content.
type bindMap struct {
	// writable: some service mounts it writable (seeded).
	writable bool
	name     string
	users    []string
	data     *fileData
	// left are the .git directories and .env files of a directory that
	// the ConfigMap leaves out (bindData).
	left leftOut
}

// claimID is what a claim comes from. Claims are named and emitted in
// claimID order: data directories, shared seeded binds, named volumes.
type claimID struct {
	from   claimSource
	source string // the volume key or the bind's host path
}

// claimSource is the kind of thing a claim is made for.
type claimSource uint8

const (
	// fromBind is a bind-mounted data directory.
	fromBind claimSource = iota
	// fromSeed is a writable bind with content that several services
	// mount, seeded once from its ConfigMap.
	fromSeed
	// fromVolume is a top-level named volume.
	fromVolume
)

func volumeClaimID(volume string) claimID { return claimID{fromVolume, volume} }
func bindClaimID(hostPath string) claimID { return claimID{fromBind, hostPath} }
func seedClaimID(hostPath string) claimID { return claimID{fromSeed, hostPath} }

// isBind reports whether the claim is for a bind mount's host path.
func (id claimID) isBind() bool { return id.from == fromBind || id.from == fromSeed }

func compareClaimIDs(a, b claimID) int {
	return cmp.Or(cmp.Compare(a.from, b.from), strings.Compare(a.source, b.source))
}

// sortedClaims are the ids of claims in claimID order.
func sortedClaims(claims map[claimID]*claim) []claimID {
	return slices.SortedFunc(maps.Keys(claims), compareClaimIDs)
}

// prepareStorage runs before any service is converted: it finds every
// claim and ConfigMap the services share and names them.
func (c *converter) prepareStorage() error {
	c.store = &storeState{
		claims: map[claimID]*claim{}, bindMaps: map[string]*bindMap{},
		configs: map[string]*fileObject{}, secrets: map[string]*fileObject{},
		claimNames: map[string]claimID{}, mapNames: map[string]nameOwner{}, secretNames: map[string]nameOwner{},
	}
	st := c.store
	p := c.project
	// Named volumes: claims named after the compose key.
	for _, key := range slices.Sorted(maps.Keys(p.Volumes)) {
		v := p.Volumes[key]
		ext, err := decodeVolumeExtension(key, v.Extensions[ExtensionKey])
		if err != nil {
			return err
		}
		cl := &claim{what: fmt.Sprintf("volume %q", key), key: "volumes." + key}
		if v.External {
			cl.external = true
			if cl.name, err = c.externalName(cl.key, "volume", "PersistentVolumeClaim", cmp.Or(v.Name, key)); err != nil {
				return err
			}
			if other, ok := st.claimNames[cl.name]; ok && !st.claims[other].external {
				return invalidf("volumes %q and %q: both become the claim name %q; rename one", other.source, key, cl.name)
			}
			// Several external volumes may name one existing claim.
			st.claimNames[cl.name] = volumeClaimID(key)
			if ext.Size != "" || ext.StorageClass != "" {
				c.drop("", cl.key+"."+ExtensionKey, "an external volume uses an existing claim, whose size and storage class are its own, dropped")
			}
			// accessMode declares the existing claim's mode.
			if ext.AccessMode != "" {
				cl.mode, cl.explicit = corev1.PersistentVolumeAccessMode(ext.AccessMode), true
			}
		} else {
			n, err := ObjectName(key)
			if err != nil {
				return fmt.Errorf("volumes.%s: %w", key, err)
			}
			if other, ok := st.claimNames[n]; ok {
				return invalidf("volumes %q and %q: both become the claim name %q; rename one", other.source, key, n)
			}
			st.claimNames[n] = volumeClaimID(key)
			cl.name = n
			if v.Name != "" && v.Name != p.Name+"_"+key {
				c.warn("", cl.key+".name", "approximated: %q: the claim is named after the volume key, %q", v.Name, n)
			}
			if err := c.claimSpec(cl, ext, v); err != nil {
				return err
			}
		}
		cl.id = volumeClaimID(key)
		st.claims[cl.id] = cl
	}
	// Who mounts what.
	for _, name := range c.podSources() {
		svc, _ := c.podSource(name)
		for _, m := range c.mountsOf(name, nil) {
			v := m.vol
			switch v.Type {
			case types.VolumeTypeVolume:
				if cl, ok := st.claims[volumeClaimID(v.Source)]; ok && v.Source != "" && !komposeEmptyDir(&svc) {
					c.addUser(cl, &svc)
				}
			case types.VolumeTypeBind:
				switch kind, hp := c.bindKind(&svc, v); kind {
				case bindClaim:
					id := bindClaimID(v.Source)
					cl, ok := st.claims[id]
					if !ok {
						cl = &claim{id: id, what: fmt.Sprintf("%q", c.displayPath(v.Source)), key: "volumes"}
						if err := c.claimSpec(cl, VolumeExtension{}, types.VolumeConfig{}); err != nil {
							return err
						}
						st.claims[id] = cl
					}
					c.addUser(cl, &svc)
				case bindConfigMap, bindSeeded:
					bm, ok := st.bindMaps[v.Source]
					if !ok {
						bm = &bindMap{}
						bm.data, bm.left = bindData(hp, v.Source)
						st.bindMaps[v.Source] = bm
					}
					if !slices.Contains(bm.users, name) {
						bm.users = append(bm.users, name)
					}
					if kind == bindSeeded {
						bm.writable = true
					}
				}
			}
		}
	}
	// A writable bind with content that several services mount is shared
	// on the compose host: one claim, seeded once from the ConfigMap.
	for _, src := range slices.Sorted(maps.Keys(st.bindMaps)) {
		bm := st.bindMaps[src]
		if !bm.writable || len(bm.users) < 2 {
			continue
		}
		cl := &claim{id: seedClaimID(src), what: fmt.Sprintf("%q", c.displayPath(src)), key: "volumes"}
		if err := c.claimSpec(cl, VolumeExtension{}, types.VolumeConfig{}); err != nil {
			return err
		}
		for _, u := range bm.users {
			svc, _ := c.podSource(u)
			c.addUser(cl, &svc)
		}
		st.claims[cl.id] = cl
	}
	// Claims of data directories, named after their project path.
	used := map[string]bool{}    // service + "/" + label: a claim took it
	claimed := map[string]bool{} // services with a claim kompose labels may set
	for _, id := range sortedClaims(st.claims) {
		cl := st.claims[id]
		if id.isBind() {
			cl.name = uniqueName(st.claimNames, c.pathName(id.source), id)
			// Service-level kompose labels may size data directories too.
			if err := c.komposeClaim(cl, used); err != nil {
				return err
			}
		} else if !cl.external && len(cl.users) > 0 {
			if err := c.komposeClaim(cl, used); err != nil {
				return err
			}
		}
		if !cl.external {
			for _, u := range cl.users {
				claimed[u] = true
			}
		}
		if !cl.explicit && cl.multi {
			cl.mode = corev1.ReadWriteMany
		}
	}
	for _, name := range p.ServiceNames() {
		for _, l := range []string{komposeVolumeSize, komposeVolumeStorageClass} {
			if _, ok := p.Services[name].Labels[l]; !ok || used[name+"/"+l] {
				continue
			}
			if !claimed[name] {
				c.drop(name, "labels."+l, "the service mounts no named volume or data directory that becomes a claim, dropped")
			} else {
				c.drop(name, "labels."+l, "its claims take the setting from the volume itself or from another service's label, dropped")
			}
		}
	}
	if err := c.prepareConfigs(); err != nil {
		return err
	}
	for _, src := range slices.Sorted(maps.Keys(st.bindMaps)) {
		st.bindMaps[src].name = uniqueName(st.mapNames, c.pathName(src), nameOwner{ownerBind, src})
	}
	return nil
}

// claimSpec fills a claim's size, class, mode and metadata from the
// volume's x-kubernetes block and its labels.
func (c *converter) claimSpec(cl *claim, ext VolumeExtension, v types.VolumeConfig) error {
	size := DefaultVolumeSize
	sizeKey := ""
	if s, ok := v.Labels[komposeVolumeSize]; ok {
		size, sizeKey = s, cl.key+".labels."+komposeVolumeSize
	}
	if ext.Size != "" {
		size, sizeKey = ext.Size, cl.key+"."+ExtensionKey+".size"
	}
	q, err := parseSize(sizeKey, size)
	if err != nil {
		return err
	}
	cl.size = q
	// A size set on the volume wins over service labels.
	cl.sizeFixed = sizeKey != ""
	cl.sized = cl.sizeFixed
	if ext.StorageClass != "" {
		sc := ext.StorageClass
		cl.class = &sc
	}
	cl.mode = corev1.ReadWriteOnce
	if m := ext.AccessMode; m != "" {
		// The schema allows only the four access modes, spelt exactly.
		cl.mode, cl.explicit = corev1.PersistentVolumeAccessMode(m), true
	}
	if sel, ok := v.Labels[komposeVolumeSelector]; ok {
		cl.selector = &metav1.LabelSelector{MatchLabels: map[string]string{"io.kompose.service": sel}}
	}
	for _, k := range slices.Sorted(maps.Keys(v.Labels)) {
		if k != komposeVolumeSize && k != komposeVolumeSelector && isKomposeLabel(k) {
			c.drop("", cl.key+".labels."+k, "kompose label not supported by hoist, dropped")
		}
		if isKomposeLabel(k) {
			continue
		}
		if cl.labels == nil {
			cl.labels, cl.ann = map[string]string{}, map[string]string{}
		}
		if !putLabel(cl.labels, cl.ann, k, v.Labels[k]) {
			c.drop("", cl.key+".labels."+k, "not a valid Kubernetes label or annotation key, dropped")
		}
	}
	if v.Driver != "" && v.Driver != "local" {
		c.drop("", cl.key+".driver", "%q is replaced by the claim's storage class (set %s.storageClass), dropped", v.Driver, ExtensionKey)
	}
	if len(v.DriverOpts) > 0 {
		c.drop("", cl.key+".driver_opts", "driver options are replaced by the claim's storage class (set %s.storageClass), dropped", ExtensionKey)
	}
	return nil
}

// komposeClaim applies the service labels kompose.volume.size and
// kompose.volume.storage-class-name of the claim's first user that sets
// them, unless the volume itself says.
// used records, as service + "/" + label, the labels a claim took.
func (c *converter) komposeClaim(cl *claim, used map[string]bool) error {
	fixedSize := cl.sizeFixed
	for _, u := range cl.users {
		src, _ := c.podSource(u)
		labels := src.Labels
		if s, ok := labels[komposeVolumeSize]; ok && !fixedSize {
			q, err := parseSize("services."+u+".labels."+komposeVolumeSize, s)
			if err != nil {
				return err
			}
			cl.size, fixedSize, cl.sized = q, true, true
			used[u+"/"+komposeVolumeSize] = true
		}
		if sc, ok := labels[komposeVolumeStorageClass]; ok && cl.class == nil {
			sc = strings.TrimSpace(sc)
			cl.class = &sc
			used[u+"/"+komposeVolumeStorageClass] = true
		}
	}
	return nil
}

func parseSize(key, s string) (resource.Quantity, error) {
	q, err := resource.ParseQuantity(strings.TrimSpace(s))
	if err != nil || q.Sign() <= 0 {
		return q, invalidf("%s: %q is not a positive quantity such as 10Gi", key, s)
	}
	return q, nil
}

// addUser records that a service's pods mount the claim.
func (c *converter) addUser(cl *claim, svc *types.ServiceConfig) {
	if !slices.Contains(cl.users, svc.Name) {
		cl.users = append(cl.users, svc.Name)
	}
	if len(cl.users) > 1 || c.replicas(svc) > 1 || c.autoscaled(svc) {
		cl.multi = true
	}
}

// autoscaled reports whether an autoscaler may run more than one pod of
// the service.
func (c *converter) autoscaled(svc *types.ServiceConfig) bool {
	if _, ok := c.opts.Autoscale[svc.Name]; ok {
		return true
	}
	for k := range svc.Labels {
		if strings.HasPrefix(k, komposeHPAPrefix) {
			return true
		}
	}
	ext, err := c.serviceExtension(svc)
	return err == nil && ext.Autoscale != nil
}

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
			c.drop(svc.Name, "volumes_from", "%q: containers outside the project cannot share volumes with a pod, dropped", vf)
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
			c.drop(svc.Name, "tmpfs", "%q: options %s are not supported by emptyDir, dropped", t, quoteAll(unsupported))
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
		pv.c.drop(pv.s.svc.Name, key, "%s is already mounted by another volume, config or secret, dropped", m.MountPath)
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
		pv.c.drop(pv.s.svc.Name, key, "%s is already mounted by another volume, config or secret, dropped", m.MountPath)
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
		c.drop(svc.Name, key, "%s: consistency %q has no Kubernetes equivalent, dropped", desc, v.Consistency)
	}
	if vv := v.Volume; vv != nil {
		if vv.NoCopy {
			c.drop(svc.Name, key, "%s: nocopy: Kubernetes never copies image content into a volume, dropped", desc)
		}
		if len(vv.Labels) > 0 {
			c.drop(svc.Name, key, "%s: volume labels are not supported on a mount, dropped", desc)
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
		cl := c.store.claims[volumeClaimID(v.Source)]
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
				c.drop(svc.Name, key, "%s: tmpfs mode %#o: an emptyDir is always world-writable, dropped", desc, t.Mode)
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
		c.drop(svc.Name, key, "%s: volume type %q has no Kubernetes equivalent, dropped", desc, v.Type)
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

// claimSubPath is the directory of a claim hoist creates that pods mount.
const claimSubPath = "data"

// mountClaim mounts a claim: as a StatefulSet's claim template when the
// service alone uses it, else as a standalone claim.
func (c *converter) mountClaim(s *svcCtx, pv *podVolumes, cl *claim, vm corev1.VolumeMount, key string) {
	if cl.external {
		if pv.mount(vm, cl.name, corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: cl.name}}, key) &&
			!slices.ContainsFunc(s.claims, func(u claimUse) bool { return u.name == cl.name }) {
			// Its access mode is unknown unless declared: do not roll a
			// second pod onto it while the first runs.
			shared := cl.explicit && (cl.mode == corev1.ReadWriteMany || cl.mode == corev1.ReadOnlyMany)
			s.claims = append(s.claims, claimUse{name: cl.name, readWriteOnce: !shared, unknownMode: !cl.explicit})
		}
		return
	}
	// A new block volume's root holds lost+found, and database images
	// (postgres initdb, mysqld --initialize) refuse a non-empty data
	// directory: mount a sub-directory of the claims hoist creates. The
	// kubelet creates it on first mount.
	vm.SubPath = path.Join(claimSubPath, vm.SubPath)
	if s.kind == "StatefulSet" {
		if len(cl.users) == 1 {
			cl.template = true
			if !slices.ContainsFunc(s.claimTemplates, func(t corev1.PersistentVolumeClaim) bool { return t.Name == cl.name }) {
				c.warnDefaultSize(cl)
				mode := cl.mode
				if !cl.explicit {
					// Each pod has its own claim.
					mode = corev1.ReadWriteOnce
				}
				s.claimTemplates = append(s.claimTemplates, corev1.PersistentVolumeClaim{
					ObjectMeta: metav1.ObjectMeta{Name: cl.name, Labels: mergeLabels(s.labels, cl.labels), Annotations: nilIfEmpty(cl.ann)},
					Spec:       c.claimSpecOf(cl, mode),
				})
			}
			pv.free(cl.name)
			vm.Name = cl.name
			pv.mountTemplate(vm, key)
			return
		}
		c.warn(s.svc.Name, key, "approximated: %s is shared with %s, so the StatefulSet's pods share one claim %q instead of one claim each", cl.what, strings.Join(others(cl.users, s.svc.Name), ", "), cl.name)
	}
	if pv.mount(vm, cl.name, corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: cl.name}}, key) {
		rwo := cl.mode == corev1.ReadWriteOnce || cl.mode == corev1.ReadWriteOncePod
		if !slices.ContainsFunc(s.claims, func(u claimUse) bool { return u.name == cl.name }) {
			s.claims = append(s.claims, claimUse{name: cl.name, readWriteOnce: rwo})
		}
	}
}

func others(users []string, self string) []string {
	var out []string
	for _, u := range users {
		if u != self {
			out = append(out, fmt.Sprintf("%q", u))
		}
	}
	return out
}

func mergeLabels(a, b map[string]string) map[string]string {
	out := maps.Clone(a)
	if out == nil {
		out = map[string]string{}
	}
	for k, v := range b {
		if _, ok := out[k]; !ok {
			out[k] = v
		}
	}
	return out
}

func (c *converter) claimSpecOf(cl *claim, mode corev1.PersistentVolumeAccessMode) corev1.PersistentVolumeClaimSpec {
	return corev1.PersistentVolumeClaimSpec{
		AccessModes:      []corev1.PersistentVolumeAccessMode{mode},
		Resources:        corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: cl.size}},
		StorageClassName: cl.class,
		Selector:         cl.selector,
	}
}

// projectStorage emits the PersistentVolumeClaims of named volumes and
// data directories, and the ConfigMaps of bind mount content.
func (c *converter) projectStorage() error {
	st := c.store
	for _, id := range sortedClaims(st.claims) {
		cl := st.claims[id]
		if cl.external && len(cl.users) > 0 {
			c.warnExternal(cl)
			continue
		}
		if cl.external || cl.template || len(cl.users) == 0 {
			continue
		}
		if cl.mode == corev1.ReadWriteMany && !cl.explicit {
			why := "its service runs several pods"
			if len(cl.users) > 1 {
				why = "services " + strings.Join(others(cl.users, ""), ", ") + " share it"
			}
			svc := ""
			if id.isBind() {
				svc = cl.users[0]
			}
			c.warn(svc, cl.key, "approximated: %s becomes the claim %q with access mode ReadWriteMany because %s; the storage class must support it", cl.what, cl.name, why)
		}
		c.warnDefaultSize(cl)
		meta := c.sharedMeta(cl.name, cl.users)
		for k, v := range cl.labels {
			if _, ok := meta.Labels[k]; !ok {
				meta.Labels[k] = v
			}
		}
		meta.Annotations = nilIfEmpty(cl.ann)
		c.add(&corev1.PersistentVolumeClaim{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"},
			ObjectMeta: meta,
			Spec:       c.claimSpecOf(cl, cl.mode),
		})
	}
	for _, src := range slices.Sorted(maps.Keys(st.bindMaps)) {
		bm := st.bindMaps[src]
		cm := &corev1.ConfigMap{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
			ObjectMeta: c.sharedMeta(bm.name, bm.users),
		}
		bm.data.fill(&cm.Data, &cm.BinaryData)
		c.add(cm)
	}
	return nil
}

// warnExternal warns that an external volume's claim must exist before
// apply, and, when several pods mount it, that it must be ReadWriteMany.
func (c *converter) warnExternal(cl *claim) {
	msg := fmt.Sprintf("approximated: external: the PersistentVolumeClaim %q must exist in the namespace before apply, or the pods stay Pending", cl.name)
	switch {
	case !cl.multi:
	case cl.explicit && (cl.mode == corev1.ReadWriteMany || cl.mode == corev1.ReadOnlyMany):
		msg += fmt.Sprintf("; %s mount it, which its declared access mode %s allows", c.mounters(cl), cl.mode)
	case cl.explicit:
		msg += fmt.Sprintf("; %s mount it, which its declared access mode %s allows only on one node", c.mounters(cl), cl.mode)
	default:
		msg += fmt.Sprintf("; %s mount it, so it must be ReadWriteMany (declare it with %s.%s.accessMode: ReadWriteMany)", c.mounters(cl), cl.key, ExtensionKey)
	}
	c.warn("", cl.key, "%s", msg)
}

// mounters names the pods that mount a claim: "services "a", "b"" or
// "the pods of service "a"".
func (c *converter) mounters(cl *claim) string {
	if len(cl.users) > 1 {
		return "services " + strings.Join(others(cl.users, ""), ", ")
	}
	return fmt.Sprintf("the pods of service %q", cl.users[0])
}

// warnDefaultSize warns about a claim whose size no key sets, naming the
// key that would.
func (c *converter) warnDefaultSize(cl *claim) {
	if cl.sized || cl.sizeWarned {
		return
	}
	if cl.id.isBind() {
		c.warn(cl.users[0], cl.key, "approximated: the claim %q for %s requests %s, hoist's default; set the service label %s to size it", cl.name, cl.what, DefaultVolumeSize, komposeVolumeSize)
		return
	}
	c.warn("", cl.key, "approximated: the claim %q requests %s, hoist's default; set %s.%s.size (or the label %s) to size it", cl.name, DefaultVolumeSize, cl.key, ExtensionKey, komposeVolumeSize)
}

// sharedMeta is the metadata of an object that services may share: a
// single user's standard labels, else only the project's.
func (c *converter) sharedMeta(name string, users []string) metav1.ObjectMeta {
	labels := map[string]string{LabelPartOf: c.partOf, LabelManagedBy: ManagedBy}
	if len(users) == 1 {
		labels[LabelName] = c.plan.names[users[0]]
	}
	return metav1.ObjectMeta{Name: name, Namespace: c.opts.Namespace, Labels: labels}
}
