package convert

import (
	"cmp"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/compose-spec/compose-go/v2/types"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/hoist-dev/hoist/load"
)

// Config and secrets: configs, secrets, and environment variables with
// secret-looking names. This file holds configs and secrets (ConfigMaps,
// Secrets and their mounts); environment variables are in env_secrets.go.

var configKeys = map[string]keyRule{
	"configs": {keyMapped, "ConfigMap `<name>` (from `file`, `content` or `environment`) mounted at `target` (default `/<name>`) with `subPath`; `mode` -> item `mode`; `external: true` uses an existing ConfigMap"},
	"secrets": {keyMapped, "Secret `<name>` (from `file` or `environment`) mounted at `target` (default `/run/secrets/<name>`) with `subPath`; `mode` -> item `mode`; `external: true` uses an existing Secret"},
}

// fileObject is the ConfigMap or Secret of one top-level config or secret.
type fileObject struct {
	kind     string // "config" or "secret"
	key      string // compose name
	name     string // object name
	external bool
	data     *fileData
	dir      bool // file: is a directory, mounted whole
	users    []string
}

// prepareConfigs names and reads the configs and secrets services use.
// Content comes from Options.HostPaths: convert does no I/O.
func (c *converter) prepareConfigs() error {
	st := c.store
	p := c.project
	used := func(kind, name string) []string {
		var users []string
		for _, sn := range c.podSources() {
			svc, _ := c.podSource(sn)
			refs := []types.FileReferenceConfig{}
			if kind == "config" {
				for _, r := range svc.Configs {
					refs = append(refs, types.FileReferenceConfig(r))
				}
			} else {
				for _, r := range svc.Secrets {
					refs = append(refs, types.FileReferenceConfig(r))
				}
			}
			if slices.ContainsFunc(refs, func(r types.FileReferenceConfig) bool { return r.Source == name }) {
				users = append(users, sn)
			}
		}
		return users
	}
	for _, kind := range []string{"config", "secret"} {
		objs, names, all := c.plan.configs, st.mapNames, map[string]types.FileObjectConfig{}
		for k, v := range p.Configs {
			all[k] = types.FileObjectConfig(v)
		}
		if kind == "secret" {
			objs, names, all = c.plan.secrets, st.secretNames, map[string]types.FileObjectConfig{}
			for k, v := range p.Secrets {
				all[k] = types.FileObjectConfig(v)
			}
		}
		for _, key := range slices.Sorted(maps.Keys(all)) {
			users := used(kind, key)
			if len(users) == 0 {
				continue
			}
			cfg := all[key]
			o := &fileObject{kind: kind, key: key, users: users}
			objs[key] = o
			where := kind + "s." + key
			if cfg.External {
				o.external = true
				var err error
				if o.name, err = c.externalName(where, kind, objKind(kind), cmp.Or(cfg.Name, key)); err != nil {
					return err
				}
				continue
			}
			n, err := ObjectName(key)
			if err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
			if other, ok := names[n]; ok {
				return invalidf("%ss %q and %q: both become the name %q; rename one", kind, other.id, key, n)
			}
			names[n] = nameOwner{ownerFileObject, key}
			o.name = n
			if cfg.Name != "" && cfg.Name != p.Name+"_"+key {
				c.warn("", where+".name", "approximated: %q: the %s is named after the %s key, %q", cfg.Name, objKind(kind), kind, n)
			}
			def := safeKey(key)
			switch {
			case cfg.File != "":
				hp := c.hostPath(cfg.File)
				shown := c.displayPath(cfg.File)
				switch {
				case !hp.Exists:
					return invalidf("%s %q: file %s does not exist", kind, key, cfg.File)
				case !hp.InProject:
					return invalidf("%s %q: file %s is outside the project directory; hoist reads no files outside it (copy it into the project, or create the %s yourself and mark it external: true)", kind, key, cfg.File, objKind(kind))
				case hp.Size > load.MaxContent:
					return invalidf("%s %q: file %s holds more than %d bytes, too much for a %s", kind, key, cfg.File, load.MaxContent, objKind(kind))
				case !hp.Dir && len(hp.Files) != 1:
					return invalidf("%s %q: %s is not a regular file", kind, key, cfg.File)
				}
				if len(hp.Skipped) > 0 {
					c.drop("", where+".file", "%q: symlinks %s leave the project and are not followed, dropped", shown, quoteAll(hp.Skipped))
				}
				o.dir = hp.Dir
				if hp.Dir {
					o.data = newFileData(hp.Files, def)
				} else {
					o.data = newFileData([]load.HostFile{{Data: hp.Files[0].Data, Mode: hp.Files[0].Mode}}, def)
				}
			case cfg.Environment != "":
				v, ok := p.Environment[cfg.Environment]
				if !ok {
					return invalidf("%s %q: environment variable %q is not set", kind, key, cfg.Environment)
				}
				if len(v) > load.MaxContent {
					return invalidf("%s %q: environment variable %q holds %d bytes, more than %d, too much for a %s", kind, key, cfg.Environment, len(v), load.MaxContent, objKind(kind))
				}
				o.data = newFileData([]load.HostFile{{Data: []byte(v)}}, def)
			case cfg.Content != "" || kind == "config":
				if len(cfg.Content) > load.MaxContent {
					return invalidf("%s %q: content holds %d bytes, more than %d, too much for a %s", kind, key, len(cfg.Content), load.MaxContent, objKind(kind))
				}
				o.data = newFileData([]load.HostFile{{Data: []byte(cfg.Content)}}, def)
			default:
				return invalidf("%s %q: no file or environment", kind, key)
			}
			if cfg.Driver != "" {
				c.drop("", where+".driver", "%q: hoist creates the %s itself, dropped", cfg.Driver, objKind(kind))
			}
			if len(cfg.DriverOpts) > 0 {
				c.drop("", where+".driver_opts", "driver options have no Kubernetes equivalent, dropped")
			}
			if cfg.TemplateDriver != "" {
				c.drop("", where+".template_driver", "%q: templates are not rendered, the content is used as is, dropped", cfg.TemplateDriver)
			}
		}
	}
	return nil
}

// externalName is the name of the existing object an external volume,
// config or secret at key refers to: name itself when valid, else made
// valid, with a warning that the object must have that name.
func (c *converter) externalName(key, what, kind, name string) (string, error) {
	if errs := validation.IsDNS1123Subdomain(name); len(errs) == 0 {
		return name, nil
	}
	n, err := ObjectName(name)
	if err != nil {
		return "", fmt.Errorf("%s: external %s: %w", key, what, err)
	}
	c.warn("", key+".name", "approximated: %q is not a valid Kubernetes name; the existing %s must be named %q", name, kind, n)
	return n, nil
}

// objKind is the Kubernetes kind of a compose config or secret.
func objKind(kind string) string {
	if kind == "secret" {
		return "Secret"
	}
	return "ConfigMap"
}

// configsSecrets mounts the service's configs and secrets and moves
// secret-looking environment variables into a Secret.
func (c *converter) configsSecrets(s *svcCtx, pod *corev1.PodSpec) error {
	pv := &podVolumes{c: c, pod: pod, s: s}
	for _, r := range s.svc.Configs {
		if err := c.mountFile(pv, "config", types.FileReferenceConfig(r)); err != nil {
			return err
		}
	}
	for _, r := range s.svc.Secrets {
		if err := c.mountFile(pv, "secret", types.FileReferenceConfig(r)); err != nil {
			return err
		}
	}
	return c.envSecrets(s, &pod.Containers[0])
}

// mountFile mounts one config or secret at its target, with subPath so
// the target's directory keeps its other files.
func (c *converter) mountFile(pv *podVolumes, kind string, r types.FileReferenceConfig) error {
	svc := pv.s.svc
	objs := c.plan.configs
	if kind == "secret" {
		objs = c.plan.secrets
	}
	o := objs[r.Source]
	if o == nil {
		return invalidf("%ss: %s %q is not declared under the top-level %ss", kind, kind, r.Source, kind)
	}
	target := r.Target
	switch {
	case target == "" && kind == "secret":
		target = "/run/secrets/" + r.Source
	case target == "":
		target = "/" + r.Source
	case !path.IsAbs(target) && kind == "secret":
		target = "/run/secrets/" + target
	case !path.IsAbs(target):
		target = "/" + target
	}
	if strings.HasSuffix(target, "/") {
		// A directory: the file goes inside it, named after the source,
		// as docker compose does.
		target = path.Join(target, r.Source)
	}
	key := kind + "s"
	var mode *int32
	if r.Mode != nil {
		m := int64(*r.Mode)
		if m < 0 || m > 0o777 {
			return invalidf("%s: %s %q: mode %#o is not between 0 and 0777", key, kind, r.Source, m)
		}
		m32 := int32(m)
		mode = &m32
	}
	if r.UID != "" || r.GID != "" {
		c.warn(svc.Name, key, "approximated: %s %q: uid/gid %s:%s are not set; the files are owned by root (set the pod's fsGroup to give a group access)", kind, r.Source, r.UID, r.GID)
	}
	vm := corev1.VolumeMount{MountPath: target, ReadOnly: true}
	var items []corev1.KeyToPath
	if o.external {
		k := safeKey(r.Source)
		c.warn(svc.Name, key, "approximated: %s %q is external: the existing %s %q must hold the key %q", kind, r.Source, objKind(kind), o.name, k)
		items = []corev1.KeyToPath{{Key: k, Path: k, Mode: mode}}
		vm.SubPath = k
	} else if o.dir {
		for _, f := range o.data.files {
			it := corev1.KeyToPath{Key: f.key, Path: f.path, Mode: mode}
			if mode == nil && f.mode&0o111 != 0 {
				m := int32(0o755)
				it.Mode = &m
			}
			items = append(items, it)
		}
	} else {
		f := o.data.files[0]
		it := corev1.KeyToPath{Key: f.key, Path: f.key, Mode: mode}
		if mode == nil && f.mode&0o111 != 0 {
			m := int32(0o755)
			it.Mode = &m
		}
		items = []corev1.KeyToPath{it}
		vm.SubPath = f.key
	}
	var src corev1.VolumeSource
	if kind == "secret" {
		src.Secret = &corev1.SecretVolumeSource{SecretName: o.name, Items: items}
	} else {
		src.ConfigMap = &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: o.name}, Items: items}
	}
	pv.mount(vm, o.name, src, key)
	return nil
}

// projectConfigs emits the ConfigMaps and Secrets of top-level configs and
// secrets that services use.
func (c *converter) projectConfigs() error {
	for _, key := range slices.Sorted(maps.Keys(c.plan.configs)) {
		o := c.plan.configs[key]
		if o.external {
			continue
		}
		cm := &corev1.ConfigMap{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
			ObjectMeta: c.sharedMeta(o.name, o.users),
		}
		o.data.fill(&cm.Data, &cm.BinaryData)
		c.warnPlainData("", "configs."+o.key, o.name, o.data)
		c.fileObjectLabels(o, &cm.ObjectMeta)
		c.add(cm)
	}
	for _, key := range slices.Sorted(maps.Keys(c.plan.secrets)) {
		o := c.plan.secrets[key]
		if o.external {
			continue
		}
		sec := &corev1.Secret{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
			ObjectMeta: c.sharedMeta(o.name, o.users),
			Type:       corev1.SecretTypeOpaque,
			Data:       map[string][]byte{},
		}
		for _, f := range o.data.files {
			sec.Data[f.key] = f.data
		}
		c.fileObjectLabels(o, &sec.ObjectMeta)
		c.add(sec)
	}
	return nil
}

// fileObjectLabels copies a config's or secret's compose labels: valid
// ones as labels, others as annotations.
func (c *converter) fileObjectLabels(o *fileObject, meta *metav1.ObjectMeta) {
	var labels types.Labels
	if o.kind == "secret" {
		labels = c.project.Secrets[o.key].Labels
	} else {
		labels = c.project.Configs[o.key].Labels
	}
	ann := map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		if _, reserved := meta.Labels[k]; reserved {
			c.drop("", o.kind+"s."+o.key+".labels."+k, "ignored: hoist sets this label")
			continue
		}
		if !putLabel(meta.Labels, ann, k, labels[k]) {
			c.drop("", o.kind+"s."+o.key+".labels."+k, "not a valid Kubernetes label or annotation key, dropped")
			continue
		}
		c.warnPlainValue("", o.kind+"s."+o.key+".labels."+k, "a label or annotation", labels[k])
	}
	if len(ann) > 0 {
		meta.Annotations = ann
	}
}

// isText reports whether data can be a ConfigMap's data value: UTF-8
// without a character YAML cannot carry (NUL and other control
// characters, as in small binary files such as a 1x1 GIF). Anything else
// goes to binaryData.
func isText(data []byte) bool {
	if !utf8.Valid(data) {
		return false
	}
	_, bad := badRune(string(data))
	return !bad
}
