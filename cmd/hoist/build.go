package main

import (
	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/load"
)

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
			f.allowHostPaths = pf.allowHostPaths
			_, err = imageRun(cmd.Context(), streams, g, &f, project, names, strict, false, "", "")
			return err
		},
	}
	pf.add(cmd)
	pf.addAllowHostPaths(cmd)
	f.add(cmd, false)
	cmd.Flags().BoolVar(&strict, "strict", false, "fail when a build key is dropped")
	return cmd
}
