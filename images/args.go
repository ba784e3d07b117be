package images

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/hoist-dev/hoist/convert"
	hoistload "github.com/hoist-dev/hoist/load"
)

// Args returns the builder's command line (without the executable) that
// builds t the way docker compose would, and a warning, naming the service
// and the build key, for each key the builder cannot do. tmp is a private
// directory that must outlive the build: the image ID file (tmp/iid), a
// dockerfile_inline and secrets given as content are written there.
//
// The mapping (docker build, podman build, buildah bud): context (a
// directory or a URL the builder fetches) last; dockerfile -f, relative to
// a local context; dockerfile_inline -f tmp/Dockerfile.inline; args
// --build-arg (unset ones are left unset); target --target; labels
// --label; tags and the image name -t; platforms --platform (the first;
// more than one warns); secrets --secret id=<target or source>,src=<file>
// or env=<variable>; ssh --ssh; cache_from/cache_to --cache-from/--cache-to
// (podman and buildah take a registry repository only); additional_contexts
// --build-context; network --network; extra_hosts --add-host; shm_size
// --shm-size; ulimits --ulimit; no_cache --no-cache; pull --pull (always).
// docker also maps no_cache_filter, provenance and sbom. isolation
// (Windows), entitlements and privileged warn everywhere. buildah builds
// with --layers, so an unchanged rebuild reuses its cache and gets the same
// image ID, as docker and podman do by default.
//
// A secret whose file is missing is an error naming the service, the key
// and the file.
func (b *Builder) Args(project *types.Project, t Target, tmp string) ([]string, []convert.Warning, error) {
	bc := t.Build
	if err := b.checkPaths(project, t); err != nil {
		return nil, nil, err
	}
	var ws []convert.Warning
	warn := func(key, format string, a ...any) {
		ws = append(ws, convert.Warning{Service: t.Service, Key: "build." + key, Message: fmt.Sprintf(format, a...), Dropped: true})
	}
	args := []string{"build"}
	if b.Kind == "buildah" {
		args = []string{"bud", "--layers"}
	}
	args = append(args, "--iidfile", filepath.Join(tmp, "iid"), "-t", t.Name)
	for _, tag := range bc.Tags {
		args = append(args, "-t", tag)
	}
	local := isLocal(bc.Context)
	switch {
	case bc.DockerfileInline != "":
		f := filepath.Join(tmp, "Dockerfile.inline")
		if err := os.WriteFile(f, []byte(bc.DockerfileInline), 0o600); err != nil {
			return nil, nil, fmt.Errorf("service %q: build.dockerfile_inline: %w", t.Service, err)
		}
		args = append(args, "-f", f)
	case bc.Dockerfile != "":
		f := bc.Dockerfile
		if local && !filepath.IsAbs(f) {
			f = filepath.Join(bc.Context, f)
		}
		args = append(args, "-f", f)
	}
	for _, k := range slices.Sorted(maps.Keys(bc.Args)) {
		if v := bc.Args[k]; v != nil {
			args = append(args, "--build-arg", k+"="+*v)
		}
	}
	if bc.Target != "" {
		args = append(args, "--target", bc.Target)
	}
	for _, k := range slices.Sorted(maps.Keys(bc.Labels)) {
		args = append(args, "--label", k+"="+bc.Labels[k])
	}
	platforms := bc.Platforms
	if len(platforms) == 0 && t.Platform != "" {
		platforms = []string{t.Platform}
	}
	if len(platforms) > 0 {
		args = append(args, "--platform", platforms[0])
		if len(platforms) > 1 {
			warn("platforms", "hoist builds one image per service: building %s only, not %s", platforms[0], strings.Join(platforms[1:], ", "))
		}
	}
	for i, s := range bc.Secrets {
		arg, err := secretArg(project, t.Service, s, filepath.Join(tmp, "secret-"+strconv.Itoa(i)))
		if err != nil {
			return nil, nil, err
		}
		args = append(args, "--secret", arg)
	}
	for _, k := range bc.SSH {
		if k.Path == "" {
			args = append(args, "--ssh", k.ID)
		} else {
			args = append(args, "--ssh", k.ID+"="+k.Path)
		}
	}
	for _, c := range []struct {
		key, flag string
		values    []string
	}{{"cache_from", "--cache-from", bc.CacheFrom}, {"cache_to", "--cache-to", bc.CacheTo}} {
		for _, v := range c.values {
			if b.Kind == "docker" {
				args = append(args, c.flag, v)
			} else if repo, ok := registryCache(v); ok {
				args = append(args, c.flag, repo)
			} else {
				warn(c.key, "%s takes a registry repository as cache, not %q: dropped", b.Kind, v)
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(bc.AdditionalContexts)) {
		args = append(args, "--build-context", k+"="+bc.AdditionalContexts[k])
	}
	if bc.Network != "" {
		args = append(args, "--network", bc.Network)
	}
	for _, h := range slices.Sorted(maps.Keys(bc.ExtraHosts)) {
		for _, ip := range bc.ExtraHosts[h] {
			args = append(args, "--add-host", h+":"+ip)
		}
	}
	if bc.ShmSize > 0 {
		args = append(args, "--shm-size", strconv.FormatInt(int64(bc.ShmSize), 10))
	}
	for _, name := range slices.Sorted(maps.Keys(bc.Ulimits)) {
		u := bc.Ulimits[name]
		if u.Single != 0 {
			args = append(args, "--ulimit", fmt.Sprintf("%s=%d", name, u.Single))
		} else {
			args = append(args, "--ulimit", fmt.Sprintf("%s=%d:%d", name, u.Soft, u.Hard))
		}
	}
	if bc.NoCache {
		args = append(args, "--no-cache")
	}
	if bc.Pull {
		if b.Kind == "docker" {
			args = append(args, "--pull")
		} else {
			args = append(args, "--pull=always")
		}
	}
	if b.Kind == "docker" {
		for _, f := range bc.NoCacheFilter {
			args = append(args, "--no-cache-filter", f)
		}
		if bc.Provenance != "" {
			args = append(args, "--provenance="+bc.Provenance)
		}
		if bc.SBOM != "" {
			args = append(args, "--sbom="+bc.SBOM)
		}
	} else {
		if len(bc.NoCacheFilter) > 0 {
			warn("no_cache_filter", "%s has no per-stage cache filter: dropped", b.Kind)
		}
		if bc.Provenance != "" {
			warn("provenance", "%s makes no provenance attestation: dropped", b.Kind)
		}
		if bc.SBOM != "" {
			warn("sbom", "%s makes no SBOM attestation here: dropped", b.Kind)
		}
	}
	if bc.Isolation != "" {
		warn("isolation", "Windows container isolation: dropped")
	}
	if len(bc.Entitlements) > 0 {
		warn("entitlements", "hoist grants no build entitlements: dropped")
	}
	if bc.Privileged {
		warn("privileged", "hoist runs no privileged build steps: dropped")
	}
	ctx := bc.Context
	if ctx == "" {
		ctx = "."
	}
	return append(args, ctx), ws, nil
}

// isLocal reports whether a build context is a directory, not a Git or
// HTTP URL the builder fetches.
func isLocal(ctx string) bool {
	for _, p := range []string{"http://", "https://", "git://", "git@", "ssh://", "github.com/"} {
		if strings.HasPrefix(ctx, p) {
			return false
		}
	}
	return !strings.Contains(ctx, "://")
}

// registryCache returns the repository of a cache_from/cache_to value that
// names a registry cache: "repo" or "type=registry,ref=repo".
func registryCache(v string) (string, bool) {
	if !strings.Contains(v, "=") {
		return v, true
	}
	var typ, ref string
	for _, kv := range strings.Split(v, ",") {
		k, val, _ := strings.Cut(kv, "=")
		switch k {
		case "type":
			typ = val
		case "ref":
			ref = val
		}
	}
	return ref, typ == "registry" && ref != ""
}

// secretArg is the --secret value of one build secret: its id is the
// target, else the source (as docker compose does), its value the secret's
// file, or its content or environment variable (from the project's
// environment, .env included) written to the private file tmp.
func secretArg(project *types.Project, service string, s types.ServiceSecretConfig, tmp string) (string, error) {
	id := s.Source
	if s.Target != "" {
		id = s.Target
	}
	def, ok := project.Secrets[s.Source]
	var content string
	switch {
	case !ok:
		return "", fmt.Errorf("service %q: build.secrets: secret %q is not defined", service, s.Source)
	case bool(def.External):
		return "", fmt.Errorf("service %q: build.secrets: secret %q is external: a build needs a file, an environment variable or content", service, s.Source)
	case def.Environment != "":
		v, set := project.Environment[def.Environment]
		if !set {
			return "", fmt.Errorf("service %q: build.secrets: secret %q: environment variable %s is not set", service, s.Source, def.Environment)
		}
		content = v
	case def.Content != "":
		content = def.Content
	default:
		fi, err := os.Stat(def.File)
		if err != nil {
			if os.IsNotExist(err) {
				return "", fmt.Errorf("service %q: build.secrets: secret %q: file %s does not exist", service, s.Source, def.File)
			}
			return "", fmt.Errorf("service %q: build.secrets: secret %q: %w", service, s.Source, err)
		}
		if fi.IsDir() {
			return "", fmt.Errorf("service %q: build.secrets: secret %q: %s is a directory, want a file", service, s.Source, def.File)
		}
		return "id=" + id + ",src=" + def.File, nil
	}
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		return "", fmt.Errorf("service %q: build.secrets: secret %q: %w", service, s.Source, err)
	}
	return "id=" + id + ",src=" + tmp, nil
}

// checkPaths refuses, unless b.AllowHostPaths, a local path the build of t
// reads from outside the project directory (symlinks resolved): its
// context, Dockerfile, additional contexts, SSH keys and secret files.
// The builder would send them to the build, where a RUN step can copy them
// into the image.
func (b *Builder) checkPaths(project *types.Project, t Target) error {
	if b.AllowHostPaths {
		return nil
	}
	bc := t.Build
	root := hoistload.RealPath(project.WorkingDir)
	check := func(key, p string) error {
		if p == "" {
			return nil
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join(project.WorkingDir, p)
		}
		if !hoistload.Within(root, hoistload.RealPath(p)) {
			return fmt.Errorf("service %q: build.%s: %s: outside the project directory %s; pass --allow-host-paths to build from it", t.Service, key, p, project.WorkingDir)
		}
		return nil
	}
	if isLocal(bc.Context) {
		if err := check("context", bc.Context); err != nil {
			return err
		}
		if f := bc.Dockerfile; f != "" && bc.DockerfileInline == "" {
			if !filepath.IsAbs(f) {
				f = filepath.Join(bc.Context, f)
			}
			if err := check("dockerfile", f); err != nil {
				return err
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(bc.AdditionalContexts)) {
		// Local directories only: not docker-image://, target: or URLs.
		if v := bc.AdditionalContexts[k]; isLocal(v) && !strings.HasPrefix(v, "target:") {
			if err := check("additional_contexts."+k, v); err != nil {
				return err
			}
		}
	}
	for _, k := range bc.SSH {
		if err := check("ssh."+k.ID, k.Path); err != nil {
			return err
		}
	}
	for _, s := range bc.Secrets {
		if def, ok := project.Secrets[s.Source]; ok && !bool(def.External) {
			if err := check("secrets."+s.Source, def.File); err != nil {
				return err
			}
		}
	}
	return nil
}
