package convert

import (
	"cmp"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Storage: the PersistentVolumeClaims of named volumes and data
// directories: their ids, sizes, access modes and kompose labels, how a pod
// mounts one (a claim template in a StatefulSet), and the claims and bind
// ConfigMaps the project emits.

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
	sized    bool
	labels   map[string]string
	ann      map[string]string
	selector *metav1.LabelSelector
}

// claimID is what a claim comes from. Claims are named and emitted in
// claimID order: data directories, shared seeded binds, named volumes.
type claimID struct {
	from   claimSource
	source string // the volume key or the bind's host path
}

// claimSource is the kind of thing a claim is made for.
type claimSource uint8

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
			continue
		}
		c.warnPlainValue("", cl.key+".labels."+k, "a label or annotation", v.Labels[k])
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
			c.store.templated[cl.id] = true
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
	for _, id := range sortedClaims(c.plan.claims) {
		cl := c.plan.claims[id]
		if cl.external && len(cl.users) > 0 {
			c.warnExternal(cl)
			continue
		}
		if cl.external || c.store.templated[cl.id] || len(cl.users) == 0 {
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
	for _, src := range slices.Sorted(maps.Keys(c.plan.bindMaps)) {
		bm := c.plan.bindMaps[src]
		cm := &corev1.ConfigMap{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
			ObjectMeta: c.sharedMeta(bm.name, bm.users),
		}
		bm.data.fill(&cm.Data, &cm.BinaryData)
		for _, u := range bm.users {
			c.warnPlainData(u, "volumes", bm.name, bm.data)
		}
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
	if cl.sized || c.store.sizeWarned[cl.id] {
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
