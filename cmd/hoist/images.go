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
)

// imageFlags choose the builder and how its progress shows; --build on
// convert, apply and up turns building and pushing on.
type imageFlags struct {
	build    bool
	builder  string
	progress string
	verbose  bool
	// allowHostPaths is the command's --allow-host-paths (not a flag of
	// its own): builds may read files outside the project.
	allowHostPaths bool
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
	b.AllowHostPaths = f.allowHostPaths
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
