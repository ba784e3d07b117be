package convert

import (
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/hoist-dev/hoist/load"
)

// Bind mounts: what a host path becomes by what it holds, and the keys of
// the ConfigMaps that carry file content.

// pathName is an object name for a host path in the project: its path
// relative to the project directory.
func (c *converter) pathName(src string) string {
	rel := strings.TrimPrefix(c.displayPath(src), "./")
	return objectNameOr(strings.ReplaceAll(rel, "/", "-"), objectNameOr(filepath.Base(src), "data"))
}

// displayPath shows a host path relative to the project directory when it
// is inside it: warnings must not depend on where the project lives.
func (c *converter) displayPath(src string) string {
	if rel, err := filepath.Rel(c.project.WorkingDir, src); err == nil && !upward(rel) {
		if rel == "." {
			return "."
		}
		return "./" + filepath.ToSlash(rel)
	}
	return src
}

// bindKindT is what a bind mount becomes.
type bindKindT int

const (
	bindRefused   bindKindT = iota // outside the project: dropped
	bindHostPath                   // outside the project, --allow-host-paths
	bindConfigMap                  // read-only content
	bindSeeded                     // writable content: emptyDir seeded from a ConfigMap
	bindClaim                      // empty, missing or too large: a claim
	bindEmptyDir                   // kompose.volume.type: emptyDir
)

// komposeEmptyDir reports whether kompose.volume.type makes the service's
// volumes emptyDirs.
func komposeEmptyDir(svc *types.ServiceConfig) bool {
	return strings.EqualFold(strings.TrimSpace(svc.Labels[komposeVolumeType]), "emptyDir")
}

func isDockerSocket(p string) bool { return slices.Contains(dockerSockets, filepath.Clean(p)) }

// hostPath is what load found at a host path; a path it did not read is
// missing.
func (c *converter) hostPath(src string) *load.HostPath {
	if hp := c.opts.HostPaths[filepath.Clean(src)]; hp != nil {
		return hp
	}
	rel, err := filepath.Rel(c.project.WorkingDir, src)
	return &load.HostPath{InProject: err == nil && !upward(rel)}
}

// upward reports whether a relative path leaves its base directory.
func upward(rel string) bool {
	return rel == ".." || strings.HasPrefix(rel, "../") || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel)
}

func (c *converter) bindKind(svc *types.ServiceConfig, v types.ServiceVolumeConfig) (bindKindT, *load.HostPath) {
	hp := c.hostPath(v.Source)
	// A named pipe, socket or device has no content to carry: like a path
	// outside the project, only hostPath can mount it.
	if isDockerSocket(v.Source) || !hp.InProject || hp.Special != "" {
		if c.opts.AllowHostPaths {
			return bindHostPath, hp
		}
		return bindRefused, hp
	}
	switch strings.ToLower(strings.TrimSpace(svc.Labels[komposeVolumeType])) {
	case "emptydir":
		return bindEmptyDir, hp
	case "hostpath":
		if c.opts.AllowHostPaths {
			return bindHostPath, hp
		}
	}
	switch {
	case !hp.Exists, hp.Dir && hp.Size == 0, hp.Files == nil:
		// Missing, empty (a data directory; empty marker files such as
		// .gitkeep count as empty) or too large for a ConfigMap.
		return bindClaim, hp
	case v.ReadOnly:
		return bindConfigMap, hp
	}
	return bindSeeded, hp
}

// bind converts a bind mount by what the host path holds.
func (c *converter) bind(s *svcCtx, pv *podVolumes, v types.ServiceVolumeConfig, vm corev1.VolumeMount, key, desc string) error {
	svc := s.svc
	src := v.Source
	shown := c.displayPath(src)
	kind, hp := c.bindKind(svc, v)
	if b := v.Bind; b != nil && kind != bindRefused {
		// A refused mount's own warning is enough.
		if b.SELinux != "" {
			c.dropPart(svc.Name, key, "%s: SELinux relabelling %q is done by the node, dropped", desc, b.SELinux)
		}
		if b.Recursive != "" {
			c.dropPart(svc.Name, key, "%s: recursive %q has no Kubernetes equivalent, dropped", desc, b.Recursive)
		}
		if b.Propagation != "" && kind != bindHostPath {
			c.dropPart(svc.Name, key, "%s: propagation %q applies to host paths only, dropped", desc, b.Propagation)
		}
	}
	if kind != bindRefused && kind != bindHostPath && len(hp.Skipped) > 0 {
		c.dropPart(svc.Name, key, "%q: symlinks %s leave the project and are not followed, dropped", shown, quoteAll(hp.Skipped))
	}
	switch kind {
	case bindRefused:
		what := "is outside the project"
		switch {
		case isDockerSocket(src):
			what = "is the Docker socket"
		case hp.Special != "":
			what = "is " + hp.Special + ", whose content cannot be carried into the cluster"
		case strings.HasPrefix(shown, "."):
			what = "is a symlink that resolves outside the project"
		}
		c.dropPart(svc.Name, key, "%q %s: refused, dropped (pass --allow-host-paths to mount it from the node with hostPath)", shown, what)
	case bindHostPath:
		t := corev1.HostPathDirectoryOrCreate
		switch {
		case isDockerSocket(src), hp.Special == "a socket":
			t = corev1.HostPathSocket
		case hp.Special == "a character device":
			t = corev1.HostPathCharDev
		case hp.Special != "":
			// A named pipe or another kind the kubelet has no check for.
			t = corev1.HostPathUnset
		case hp.Exists && hp.Dir:
			t = corev1.HostPathDirectory
		case hp.Exists:
			t = corev1.HostPathFile
		case v.Bind != nil && !bool(v.Bind.CreateHostPath):
			t = corev1.HostPathDirectory
		}
		if b := v.Bind; b != nil && b.Propagation != "" {
			var mp corev1.MountPropagationMode
			switch b.Propagation {
			case types.PropagationRShared, types.PropagationShared:
				mp = corev1.MountPropagationBidirectional
				c.warn(svc.Name, key, "approximated: %s: propagation %q becomes Bidirectional, which needs a privileged container", desc, b.Propagation)
			case types.PropagationRSlave, types.PropagationSlave:
				mp = corev1.MountPropagationHostToContainer
			default:
				mp = corev1.MountPropagationNone
			}
			vm.MountPropagation = &mp
		}
		c.warn(svc.Name, key, "approximated: %q is mounted from the node with hostPath (--allow-host-paths): the node must have it", shown)
		hps := &corev1.HostPathVolumeSource{Path: src}
		if t != corev1.HostPathUnset {
			hps.Type = &t
		}
		pv.mount(vm, volumeName(strings.TrimPrefix(shown, "./")), corev1.VolumeSource{HostPath: hps}, key)
	case bindEmptyDir:
		c.warn(svc.Name, "labels."+komposeVolumeType, "approximated: %q becomes an emptyDir: its content is not copied and writes are lost when the pod is replaced", shown)
		pv.mount(vm, volumeName(v.Target), corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}, key)
	case bindClaim:
		cl := c.plan.claims[bindClaimID(src)]
		// One warning says both what the claim is and, when no key
		// sizes it, its default size (warnDefaultSize then stays quiet).
		size := ""
		if !cl.sized && len(cl.users) > 0 && cl.users[0] == svc.Name && !c.store.sizeWarned[cl.id] {
			size = fmt.Sprintf(" of %s, hoist's default (set the service label %s to size it)", DefaultVolumeSize, komposeVolumeSize)
			c.store.sizeWarned[cl.id] = true
		}
		switch {
		case !hp.Exists:
			c.warn(svc.Name, key, "approximated: %q does not exist; it becomes the empty PersistentVolumeClaim %q%s", shown, cl.name, size)
		case hp.Files == nil && hp.Size > 0:
			c.warn(svc.Name, key, "approximated: %q holds more than %d bytes, too much for a ConfigMap; it becomes the empty PersistentVolumeClaim %q%s: copy the content into its %s/ directory", shown, load.MaxContent, cl.name, size, claimSubPath)
		default:
			c.warn(svc.Name, key, "approximated: %q is an empty directory (a data directory); it becomes the PersistentVolumeClaim %q%s", shown, cl.name, size)
		}
		c.mountClaim(s, pv, cl, vm, key)
	case bindConfigMap, bindSeeded:
		bm := c.plan.bindMaps[src]
		c.warnLeftOut(svc.Name, key, shown, bm.name, bm.left)
		d := bm.data
		vm.ReadOnly = kind == bindConfigMap
		if !hp.Dir {
			// A file: mount only it, so the target's directory keeps its
			// other files.
			vm.SubPath = d.files[0].path
		}
		shared := c.plan.claims[seedClaimID(src)]
		cm := corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: bm.name},
			Items:                d.items(kind == bindSeeded || shared != nil),
		}}
		if shared != nil {
			if pv.mounted(vm.MountPath) {
				pv.mount(vm, "", corev1.VolumeSource{}, key) // warns
				return nil
			}
			c.warn(svc.Name, key, "approximated: %q is written by one service and shared with %s: it becomes the claim %q, seeded once from the ConfigMap %q by an init container, so every pod sees the others' writes", shown, strings.Join(others(bm.users, svc.Name), ", "), shared.name, bm.name)
			c.mountClaim(s, pv, shared, vm, key)
			seedName := pv.volume(bm.name+"-seed", cm)
			pv.pod.InitContainers = append(pv.pod.InitContainers, c.seedContainer(shared.name, seedName, shared.name, d, svc, true))
			return nil
		}
		if kind == bindConfigMap {
			pv.mount(vm, bm.name, cm, key)
			return nil
		}
		if pv.mounted(vm.MountPath) {
			pv.mount(vm, "", corev1.VolumeSource{}, key) // warns
			return nil
		}
		c.warn(svc.Name, key, "approximated: %q is copied from the ConfigMap %q into an emptyDir by an init container: writes are not persisted and are lost when the pod is replaced", shown, bm.name)
		pv.mount(vm, bm.name, corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}, key)
		seedName := pv.volume(bm.name+"-seed", cm)
		ctr := pv.pod.Containers[0]
		rw := ctr.VolumeMounts[len(ctr.VolumeMounts)-1].Name
		pv.pod.InitContainers = append(pv.pod.InitContainers, c.seedContainer(rw, seedName, rw, d, svc, false))
	}
	return nil
}

func quoteAll(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}

// Where the seeding init container mounts the ConfigMap and the emptyDir.
const (
	seedFrom = "/hoist/seed"
	seedTo   = "/hoist/target"
)

// seedContainer copies a ConfigMap's files, in their directory layout and
// with their modes, into an emptyDir, or, once, into the data/ directory
// of a shared claim (a marker at the claim's root records it). Files are
// made the service's numeric user's (and group's) as on the compose host
// the user's own files would be; nothing is made world-writable. It runs
// the --wait-image (busybox by default): a small pinned image with sh, cp
// and chown, already pulled for depends_on.
func (c *converter) seedContainer(name, from, to string, d *fileData, svc *types.ServiceConfig, once bool) corev1.Container {
	var tops []string
	for _, f := range d.files {
		top, _, _ := strings.Cut(f.path, "/")
		if !slices.Contains(tops, top) {
			tops = append(tops, top)
		}
	}
	var src []string
	for _, t := range tops {
		src = append(src, shellQuote(seedFrom+"/"+t))
	}
	dest := seedTo
	if once {
		dest = seedTo + "/" + claimSubPath
	}
	script := fmt.Sprintf("cp -RL %s %s/", strings.Join(src, " "), dest)
	if once {
		script = fmt.Sprintf("mkdir -p %s && %s", dest, script)
	}
	if owner := numericOwner(svc.User); owner != "" {
		script += fmt.Sprintf(" && chown -R %s %s", owner, dest)
	}
	if once {
		marker := seedTo + "/.hoist-seeded"
		script = fmt.Sprintf("[ -e %s ] || { %s && touch %s; }", marker, script, marker)
	}
	img := c.opts.WaitImage
	if img == "" {
		img = DefaultWaitImage
	}
	return corev1.Container{
		Name:    truncName("seed-"+name, ""),
		Image:   img,
		Command: []string{"sh", "-c", escape(script)},
		VolumeMounts: []corev1.VolumeMount{
			{Name: from, MountPath: seedFrom, ReadOnly: true},
			{Name: to, MountPath: seedTo},
		},
	}
}

// numericOwner is user as chown takes it, UID or UID:GID, when both parts
// are numeric; else "".
func numericOwner(user string) string {
	u, g, hasGroup := strings.Cut(strings.TrimSpace(user), ":")
	num := func(s string) bool {
		_, err := strconv.ParseUint(s, 10, 32)
		return err == nil
	}
	if !num(u) || hasGroup && !num(g) {
		return ""
	}
	if hasGroup {
		return u + ":" + g
	}
	return u
}

// fileData is the content of a ConfigMap or Secret: files with safe keys.
type fileData struct {
	files []dataFile
}

type dataFile struct {
	key  string // ConfigMap/Secret key
	path string // path under the mount
	data []byte
	mode uint32
}

// leftOut are the paths, relative to a bind-mounted directory, that its
// ConfigMap leaves out because they hold secrets in plain text.
type leftOut struct {
	// git are .git directories (or .git files of worktrees and
	// submodules): the repository's history and often credentials.
	git []string
	// env are files named .env or .env.*: compose's and most tools'
	// files of secrets.
	env []string
}

// bindData turns what load read into keys: a file is keyed by its base
// name, a directory's files by their relative paths made safe. A
// directory's .git directories and .env/.env.* files are left out (a file
// mounted by itself is the user's explicit choice and is kept).
func bindData(hp *load.HostPath, src string) (*fileData, leftOut) {
	def := path.Base(filepath.ToSlash(src))
	if !hp.Dir {
		return newFileData(hp.Files, def), leftOut{}
	}
	var left leftOut
	var files []load.HostFile
	for _, f := range hp.Files {
		parts := strings.Split(f.Path, "/")
		if i := slices.Index(parts, ".git"); i >= 0 {
			if g := strings.Join(parts[:i+1], "/"); !slices.Contains(left.git, g) {
				left.git = append(left.git, g)
			}
			continue
		}
		if base := parts[len(parts)-1]; base == ".env" || strings.HasPrefix(base, ".env.") {
			left.env = append(left.env, f.Path)
			continue
		}
		files = append(files, f)
	}
	return newFileData(files, def), left
}

// warnLeftOut warns, for each service that mounts the directory, about
// what its ConfigMap leaves out.
func (c *converter) warnLeftOut(service, key, shown, cm string, left leftOut) {
	if len(left.git) > 0 {
		c.dropPart(service, key, "%q: %s left out of the ConfigMap %q (a repository's history and credentials do not belong in the cluster), dropped", shown, quoteAll(left.git), cm)
	}
	if len(left.env) > 0 {
		c.dropPart(service, key, "%q: %s left out of the ConfigMap %q: .env files hold secrets in plain text; pass them with env_file or secrets, dropped", shown, quoteAll(left.env), cm)
	}
}

// newFileData keys files: a single file (Path "") gets def, others their
// relative path with "/" as "_" and other invalid characters as "-"; a key
// that is taken gets a numeric suffix. Files are sorted, so keys are
// deterministic.
func newFileData(files []load.HostFile, def string) *fileData {
	d := &fileData{}
	taken := map[string]bool{}
	for _, f := range files {
		p := f.Path
		if p == "" {
			p = def
		}
		key := safeKey(strings.ReplaceAll(p, "/", "_"))
		key = uniqueKey(taken, key)
		d.files = append(d.files, dataFile{key: key, path: p, data: f.Data, mode: f.Mode})
	}
	return d
}

// safeKey makes s a valid ConfigMap key: [-._a-zA-Z0-9]+, not starting
// with "..", at most 253 characters.
func safeKey(s string) string {
	k := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '-'
	}, s)
	for strings.HasPrefix(k, "..") {
		k = "_" + strings.TrimPrefix(k, ".")
	}
	if k == "" || k == "." {
		k = "file"
	}
	return truncate(k, validation.DNS1123SubdomainMaxLength-8)
}

// uniqueKey is key, or key with a numeric suffix when taken has it; it
// adds the result to taken.
func uniqueKey(taken map[string]bool, key string) string {
	k := key
	for i := 2; taken[k]; i++ {
		k = key + "-" + strconv.Itoa(i)
	}
	taken[k] = true
	return k
}

// items lists the keys to project when paths differ from keys or a file
// is executable; all, when seeding, so the init container knows the
// layout. Nil projects every key under its own name.
func (d *fileData) items(all bool) []corev1.KeyToPath {
	need := all
	for _, f := range d.files {
		if f.key != f.path || f.mode&0o111 != 0 {
			need = true
		}
	}
	if !need {
		return nil
	}
	var items []corev1.KeyToPath
	for _, f := range d.files {
		it := corev1.KeyToPath{Key: f.key, Path: f.path}
		switch {
		case all && f.mode&0o777 != 0 && f.mode&0o777 != 0o644:
			// Seeding copies the modes: keep the source's.
			m := int32(f.mode & 0o777)
			it.Mode = &m
		case f.mode&0o111 != 0:
			m := int32(0o755)
			it.Mode = &m
		}
		items = append(items, it)
	}
	return items
}

// fill sets the data of a ConfigMap: text files (isText) as data, others
// as binaryData.
func (d *fileData) fill(data *map[string]string, binary *map[string][]byte) {
	for _, f := range d.files {
		if isText(f.data) {
			if *data == nil {
				*data = map[string]string{}
			}
			(*data)[f.key] = string(f.data)
		} else {
			if *binary == nil {
				*binary = map[string][]byte{}
			}
			(*binary)[f.key] = f.data
		}
	}
}
