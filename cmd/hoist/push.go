package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/images"
	"github.com/hoist-dev/hoist/load"
)

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
	pf.addAllowHostPaths(cmd)
	f.add(cmd, false)
	cmd.Flags().StringVar(&registry, "registry", "", "registry (and path) to push to, such as registry.example.com/shop (default: each image name's own registry)")
	cmd.Flags().StringVar(&tag, "tag", "", "tag to push (default: derived from the image's content, never latest)")
	return cmd
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
