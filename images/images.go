package images

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/distribution/reference"
)

// Kinds are the builders hoist drives, in the order Find looks for them on
// PATH when none is named (docker first, like the ecosystem's tools).
var Kinds = []string{"docker", "podman", "buildah"}

// Builder runs one builder's CLI.
type Builder struct {
	// Kind is docker, podman or buildah: which CLI dialect to speak.
	Kind string
	// Path is the builder's executable.
	Path string
	// Output, when not nil, receives the builder's output as it runs
	// (--progress plain). When nil, the output is kept and written to
	// Failures only when a command fails.
	Output io.Writer
	// Failures receives a failed command's output when Output is nil; nil
	// discards it.
	Failures io.Writer
	// AllowHostPaths lets builds read a context, Dockerfile, additional
	// context, SSH key or secret file outside the project directory
	// (--allow-host-paths); without it Args refuses them, as load refuses
	// env files outside the project.
	AllowHostPaths bool
}

// Find returns the builder of the given kind found on PATH, or, when kind
// is empty, the first of Kinds found on PATH. The error is one line that
// says what to install or set.
func Find(kind string) (*Builder, error) {
	if kind == "" {
		for _, k := range Kinds {
			if p, err := exec.LookPath(k); err == nil {
				return &Builder{Kind: k, Path: p}, nil
			}
		}
		return nil, errors.New("no image builder found on PATH: install docker, podman or buildah, or name one with --builder")
	}
	if !slices.Contains(Kinds, kind) {
		return nil, fmt.Errorf("--builder %q: want docker, podman or buildah", kind)
	}
	p, err := exec.LookPath(kind)
	if err != nil {
		return nil, fmt.Errorf("--builder %s: %s not found on PATH", kind, kind)
	}
	return &Builder{Kind: kind, Path: p}, nil
}

// Error is a builder command that failed: one line naming the service,
// the builder and the builder's last line of output.
type Error struct {
	Service string
	// Op is what failed: build, tag, push or inspect.
	Op      string
	Builder string
	Err     error
	// Last is the last non-empty line of the builder's output.
	Last string
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("service %q: %s %s: %v", e.Service, e.Builder, e.Op, e.Err)
	if e.Last != "" {
		msg += ": " + e.Last
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// run runs the builder with args for service's op, returning its stdout.
// Its combined output goes to b.Output as it runs, or to b.Failures when
// it fails.
func (b *Builder) run(ctx context.Context, service, op string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, b.Path, args...)
	// On Ctrl-C the builder gets an interrupt, as from a terminal, so it
	// can release its storage locks, then a kill after 10 s.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	var stdout, all bytes.Buffer
	var w io.Writer = &all
	if b.Output != nil {
		w = io.MultiWriter(&all, b.Output)
	}
	cmd.Stdout = io.MultiWriter(&stdout, w)
	cmd.Stderr = w
	err := cmd.Run()
	if err == nil {
		return stdout.Bytes(), nil
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if b.Output == nil && b.Failures != nil {
		_, _ = b.Failures.Write(all.Bytes())
	}
	return nil, &Error{Service: service, Op: op, Builder: b.Kind, Err: err, Last: lastLine(all.String())}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		// Strip the carriage returns and escapes of a redrawn progress line.
		l := strings.TrimSpace(ansi.ReplaceAllString(lines[i][strings.LastIndex(lines[i], "\r")+1:], ""))
		if l != "" {
			return l
		}
	}
	return ""
}

var ansi = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`)

// Target is one service's image to build.
type Target struct {
	// Service is the compose service name.
	Service string
	// Name is the local image name, as docker compose names it: the
	// service's image, else <project>-<service>.
	Name string
	// Image is the service's image key, empty when it has none.
	Image string
	// Platform is the service-level platform key, the build platform when
	// build.platforms is empty.
	Platform string
	Build    types.BuildConfig
}

// Targets returns the images to build: those of the named services, or of
// every service with a build section when names is empty, sorted by
// service name. Naming a service without a build section, or none that
// exists, is an error.
func Targets(project *types.Project, names []string) ([]Target, error) {
	var out []Target
	if len(names) == 0 {
		names = project.ServiceNames()
		for _, n := range names {
			if project.Services[n].Build != nil {
				out = append(out, target(project, n))
			}
		}
		return out, nil
	}
	seen := map[string]bool{}
	for _, n := range names {
		svc, ok := project.Services[n]
		if !ok {
			return nil, fmt.Errorf("no such service: %s", n)
		}
		if svc.Build == nil {
			return nil, fmt.Errorf("service %q has no build section", n)
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, target(project, n))
		}
	}
	slices.SortFunc(out, func(a, b Target) int { return strings.Compare(a.Service, b.Service) })
	return out, nil
}

func target(project *types.Project, name string) Target {
	svc := project.Services[name]
	t := Target{Service: name, Name: svc.Image, Image: svc.Image, Platform: svc.Platform, Build: *svc.Build}
	if t.Name == "" {
		t.Name = project.Name + "-" + name
	}
	return t
}

// Built is one built image.
type Built struct {
	Target
	// ID is the image ID the builder reports, sha256:<hex>.
	ID string
}

// ContentTag is the tag push uses when none is given: the first 12 hex
// digits of the image ID, so an unchanged build gets the same tag and a
// changed one a new tag; never "latest".
func (b Built) ContentTag() string {
	hex := strings.TrimPrefix(b.ID, "sha256:")
	return hex[:min(12, len(hex))]
}

// Build builds t with the arguments from Args and returns its image ID.
// Errors are one line naming the service (an *Error when the builder
// failed); the builder's output goes to b.Output or b.Failures.
func (b *Builder) Build(ctx context.Context, project *types.Project, t Target) (Built, error) {
	tmp, err := os.MkdirTemp("", "hoist-build-")
	if err != nil {
		return Built{}, fmt.Errorf("service %q: %w", t.Service, err)
	}
	defer os.RemoveAll(tmp)
	args, _, err := b.Args(project, t, tmp)
	if err != nil {
		return Built{}, err
	}
	if _, err := b.run(ctx, t.Service, "build", args...); err != nil {
		return Built{}, err
	}
	id, err := os.ReadFile(tmp + "/iid")
	if err != nil || !strings.HasPrefix(string(id), "sha256:") {
		return Built{}, fmt.Errorf("service %q: %s build wrote no image ID", t.Service, b.Kind)
	}
	return Built{Target: t, ID: strings.TrimSpace(string(id))}, nil
}

// ImageID returns the ID (sha256:<hex>) of the local image name, built
// earlier by Build; an error says to build it first.
func (b *Builder) ImageID(ctx context.Context, service, name string) (string, error) {
	var args []string
	switch b.Kind {
	case "buildah":
		args = []string{"inspect", "--type", "image", "--format", "{{.FromImageID}}", name}
	default:
		args = []string{"image", "inspect", "--format", "{{.Id}}", name}
	}
	q := *b
	q.Output, q.Failures = nil, nil
	out, err := q.run(ctx, service, "inspect", args...)
	if err != nil {
		if ctx.Err() != nil {
			return "", err
		}
		return "", fmt.Errorf("service %q: image %s is not built: run hoist build first", service, name)
	}
	id := strings.TrimSpace(string(out))
	if !strings.HasPrefix(id, "sha256:") {
		id = "sha256:" + id
	}
	return id, nil
}

// Ref is the repository an image is pushed to, with tag: the repository
// path of name (its registry host dropped; docker.io's "library/" too)
// under registry when registry is set, else name's own repository.
// A name that is not a valid image reference is an error.
func Ref(registry, name, tag string) (string, error) {
	named, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return "", fmt.Errorf("image %q: %w", name, err)
	}
	repo := named.Name()
	if registry != "" {
		path := reference.Path(named)
		if reference.Domain(named) == "docker.io" {
			path = strings.TrimPrefix(path, "library/")
		}
		repo = strings.TrimSuffix(registry, "/") + "/" + path
	}
	ref := repo + ":" + tag
	if _, err := reference.ParseNormalizedNamed(ref); err != nil {
		return "", fmt.Errorf("image %q: %w", ref, err)
	}
	return ref, nil
}

// Push pushes the local image name as ref (repository:tag) and returns the
// pinned reference repository@sha256:<digest> of the manifest the registry
// now holds. Credentials are the builder's own login state.
func (b *Builder) Push(ctx context.Context, service, name, ref string) (string, error) {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return "", fmt.Errorf("service %q: image %q: %w", service, ref, err)
	}
	var digest string
	switch b.Kind {
	case "docker":
		if _, err := b.run(ctx, service, "tag", "tag", name, ref); err != nil {
			return "", err
		}
		out, err := b.run(ctx, service, "push", "push", ref)
		if err != nil {
			return "", err
		}
		m := dockerDigest.FindSubmatch(out)
		if m == nil {
			return "", fmt.Errorf("service %q: docker push printed no digest for %s", service, ref)
		}
		digest = string(m[1])
	default:
		tmp, err := os.MkdirTemp("", "hoist-push-")
		if err != nil {
			return "", fmt.Errorf("service %q: %w", service, err)
		}
		defer os.RemoveAll(tmp)
		file := tmp + "/digest"
		if _, err := b.run(ctx, service, "push", "push", "--digestfile", file, name, "docker://"+ref); err != nil {
			return "", err
		}
		d, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("service %q: %s push wrote no digest for %s", service, b.Kind, ref)
		}
		digest = strings.TrimSpace(string(d))
	}
	if !digestRE.MatchString(digest) {
		return "", fmt.Errorf("service %q: %s push: digest %q of %s is not sha256:<hex>", service, b.Kind, digest, ref)
	}
	return named.Name() + "@" + digest, nil
}

var (
	dockerDigest = regexp.MustCompile(`digest: (sha256:[0-9a-f]{64})`)
	digestRE     = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
)
