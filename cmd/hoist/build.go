package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/convert"
	"github.com/hoist-dev/hoist/images"
	"github.com/hoist-dev/hoist/load"
)

// imageFlags choose the builder and how its progress shows; --build on
// convert, apply and up turns building and pushing on.
type imageFlags struct {
	build    bool
	builder  string
	progress string
	verbose  bool
}

func (f *imageFlags) add(cmd *cobra.Command, withBuild bool) {
	fs := cmd.Flags()
	if withBuild {
		fs.BoolVar(&f.build, "build", false, "build the services' images, push them to --registry and deploy them pinned by digest")
	}
	fs.StringVar(&f.builder, "builder", "", "image builder: docker, podman or buildah (default: the first found on PATH, in that order)")
	fs.StringVar(&f.progress, "progress", "auto", "build progress: auto, tty (one redrawn line), plain (the builder's output too) or quiet")
	fs.BoolVarP(&f.verbose, "verbose", "v", false, "show the builder's output (--progress plain)")
}

// builder finds the builder and the progress printer; the builder's own
// output goes to stderr as it runs under --progress plain, else only when
// a command fails.
func (f *imageFlags) builderFor(streams IOStreams, g *globalFlags) (*images.Builder, *buildProgress, error) {
	mode := f.progress
	if f.verbose {
		mode = "plain"
	}
	p := &buildProgress{w: streams.ErrOut}
	switch mode {
	case "auto":
		p.tty = isTerminal(streams.ErrOut)
	case "tty":
		p.tty = true
	case "plain":
		p.plain = true
	case "quiet":
		p.w = nil
	default:
		return nil, nil, fmt.Errorf("--progress %q: want auto, tty, plain or quiet", f.progress)
	}
	if g.quiet {
		p.w, p.plain = nil, false
	}
	b, err := images.Find(f.builder)
	if err != nil {
		return nil, nil, err
	}
	b.Failures = streams.ErrOut
	if p.plain {
		b.Output = streams.ErrOut
	}
	return b, p, nil
}

// buildProgress prints one line per service and step: redrawn while the
// builder runs on a TTY, else printed when the step ends.
type buildProgress struct {
	w     io.Writer
	tty   bool
	plain bool
}

func (p *buildProgress) start(format string, a ...any) {
	switch {
	case p.w == nil:
	case p.plain:
		fmt.Fprintf(p.w, format+"\n", a...)
	case p.tty:
		fmt.Fprintf(p.w, "\r\033[K"+format+" ...", a...)
	}
}

func (p *buildProgress) clear() {
	if p.w != nil && p.tty && !p.plain {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

func (p *buildProgress) done(start time.Time, format string, a ...any) {
	if p.w == nil {
		return
	}
	p.clear()
	fmt.Fprintf(p.w, format+" (%s)\n", append(a, time.Since(start).Round(100*time.Millisecond))...)
}

// imageRun builds and, when push is set, pushes the images of the named
// services (every service with a build section when names is empty). It
// first checks every service's build (warnings printed, --strict, missing
// secret files) so that nothing is built when one cannot be; it returns the
// pushed images pinned by digest, by service name.
func imageRun(ctx context.Context, streams IOStreams, g *globalFlags, f *imageFlags, project *types.Project, names []string, strict bool, push bool, registry, tag string) (map[string]string, error) {
	targets, err := images.Targets(project, names)
	if err != nil || len(targets) == 0 {
		return nil, err
	}
	b, progress, err := f.builderFor(streams, g)
	if err != nil {
		return nil, err
	}
	var warns []convert.Warning
	for _, t := range targets {
		tmp, err := os.MkdirTemp("", "hoist-plan-")
		if err != nil {
			return nil, err
		}
		_, w, err := b.Args(project, t, tmp)
		os.RemoveAll(tmp)
		if err != nil {
			return nil, err
		}
		warns = append(warns, w...)
		if push {
			if _, err := pushRef(registry, t, "tag"); err != nil {
				return nil, err
			}
		}
	}
	if !g.quiet {
		printWarnings(streams, warns)
	}
	if strict && len(warns) > 0 {
		return nil, fmt.Errorf("%d warning(s) and --strict is set", len(warns))
	}
	pinned := map[string]string{}
	for _, t := range targets {
		start := time.Now()
		progress.start("%s: building with %s", t.Service, b.Kind)
		built, err := b.Build(ctx, project, t)
		if err != nil {
			progress.clear()
			return nil, err
		}
		progress.done(start, "%s: built %s %s", t.Service, t.Name, built.ContentTag())
		if !push {
			continue
		}
		if pinned[t.Service], err = pushBuilt(ctx, b, progress, registry, tag, built); err != nil {
			return nil, err
		}
	}
	return pinned, nil
}

// pushRef is where t's image goes: --registry (else its image name's
// repository) with tag.
func pushRef(registry string, t images.Target, tag string) (string, error) {
	if registry == "" && t.Image == "" {
		return "", fmt.Errorf("service %q: no registry to push to: set --registry (or the service's image)", t.Service)
	}
	ref, err := images.Ref(registry, t.Name, tag)
	if err != nil {
		return "", fmt.Errorf("service %q: %w", t.Service, err)
	}
	return ref, nil
}

func pushBuilt(ctx context.Context, b *images.Builder, progress *buildProgress, registry, tag string, built images.Built) (string, error) {
	if tag == "" {
		tag = built.ContentTag()
	}
	ref, err := pushRef(registry, built.Target, tag)
	if err != nil {
		return "", err
	}
	start := time.Now()
	progress.start("%s: pushing %s", built.Service, ref)
	pinned, err := b.Push(ctx, built.Service, built.Name, ref)
	if err != nil {
		progress.clear()
		return "", err
	}
	progress.done(start, "%s: pushed %s", built.Service, pinned)
	return pinned, nil
}

func newBuildCommand(streams IOStreams, g *globalFlags) *cobra.Command {
	var pf projectFlags
	var f imageFlags
	var strict bool
	cmd := &cobra.Command{
		Use:   "build [SERVICE...]",
		Short: "Build the services' images with docker, podman or buildah",
		Long: `Build builds the image of every service with a build section (or of the
named ones), like "docker compose build", by running the builder's own CLI.
Each image is tagged with the service's image name, else <project>-<service>,
and with build.tags. Every compose build key is passed to the builder, or
warned about when the builder cannot do it. The builder's environment and
configuration apply (DOCKER_HOST, CONTAINERS_STORAGE_CONF, BUILDAH_ISOLATION...).`,
		Example: `  hoist build
  hoist build web --builder buildah -v`,
		RunE: func(cmd *cobra.Command, names []string) error {
			project, err := load.Project(cmd.Context(), pf.options())
			if err != nil {
				return err
			}
			_, err = imageRun(cmd.Context(), streams, g, &f, project, names, strict, false, "", "")
			return err
		},
	}
	pf.add(cmd)
	f.add(cmd, false)
	cmd.Flags().BoolVar(&strict, "strict", false, "fail when a build key is dropped")
	return cmd
}

func newPushCommand(streams IOStreams, g *globalFlags) *cobra.Command {
	var pf projectFlags
	var f imageFlags
	var registry, tag string
	cmd := &cobra.Command{
		Use:   "push [SERVICE...]",
		Short: "Push the services' built images to a registry and print them pinned by digest",
		Long: `Push pushes the image "hoist build" built for every service with a build
section (or for the named ones) to --registry, as <registry>/<name>:<tag>,
and prints "SERVICE IMAGE@DIGEST" per service on stdout. The tag defaults to
one derived from the image's content (the first 12 hex digits of its ID),
never "latest". Credentials are the builder's own login state
(docker/podman/buildah login).`,
		Example: `  hoist push --registry registry.example.com/shop
  hoist push web --registry 127.0.0.1:5000 --tag v1`,
		RunE: func(cmd *cobra.Command, names []string) error {
			project, err := load.Project(cmd.Context(), pf.options())
			if err != nil {
				return err
			}
			targets, err := images.Targets(project, names)
			if err != nil {
				return err
			}
			b, progress, err := f.builderFor(streams, g)
			if err != nil {
				return err
			}
			for _, t := range targets {
				if _, err := pushRef(registry, t, "tag"); err != nil {
					return err
				}
			}
			for _, t := range targets {
				id, err := b.ImageID(cmd.Context(), t.Service, t.Name)
				if err != nil {
					return err
				}
				pinned, err := pushBuilt(cmd.Context(), b, progress, registry, tag, images.Built{Target: t, ID: id})
				if err != nil {
					return err
				}
				fmt.Fprintf(streams.Out, "%s %s\n", t.Service, pinned)
			}
			return nil
		},
	}
	pf.add(cmd)
	f.add(cmd, false)
	cmd.Flags().StringVar(&registry, "registry", "", "registry (and path) to push to, such as registry.example.com/shop (default: each image name's own registry)")
	cmd.Flags().StringVar(&tag, "tag", "", "tag to push (default: derived from the image's content, never latest)")
	return cmd
}

// shareBuiltImages adds to pinned (built images by service) the services
// without a build section whose image is the local name of a built one,
// as docker compose runs a worker with "image: app" on the image the web
// service builds as "app": they run the same pinned image.
func shareBuiltImages(project *types.Project, pinned map[string]string) map[string]string {
	if len(pinned) == 0 {
		return pinned
	}
	byName := map[string]string{}
	for svc, img := range pinned {
		t, err := images.Targets(project, []string{svc})
		if err == nil && len(t) == 1 {
			byName[t[0].Name] = img
		}
	}
	out := maps.Clone(pinned)
	for _, name := range project.ServiceNames() {
		svc := project.Services[name]
		if img, ok := byName[svc.Image]; ok && svc.Build == nil {
			out[name] = img
		}
	}
	return out
}
