package main

import (
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/load"
)

type configFlags struct {
	project                             projectFlags
	format                              string
	services, volumes, profiles, images bool
	// quiet is the global -q: only validate, as docker compose config -q.
	quiet bool
}

func newConfigCommand(streams IOStreams, g *globalFlags) *cobra.Command {
	f := &configFlags{}
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Print the compose model hoist loaded, like docker compose config",
		Long: `Config prints the compose project as hoist loaded it (interpolated, merged,
validated and normalised, with the resources no enabled service uses left
out), in compose-go's own rendering, the one "docker compose config" prints.
--services, --volumes, --profiles and --images print one name a line; -q
only validates.`,
		Example: `  hoist config -f compose.yaml -f compose.prod.yaml
  hoist config --services`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			project, err := load.Project(cmd.Context(), f.project.options())
			if err != nil {
				return err
			}
			f.quiet = g.quiet
			return printConfig(streams.Out, project, f)
		},
	}
	f.project.add(cmd)
	f.project.addAllowHostPaths(cmd)
	fs := cmd.Flags()
	fs.StringVar(&f.format, "format", "yaml", "output format: yaml or json")
	fs.BoolVar(&f.services, "services", false, "print the service names, one a line")
	fs.BoolVar(&f.volumes, "volumes", false, "print the volume names, one a line")
	fs.BoolVar(&f.profiles, "profiles", false, "print the profile names, one a line")
	fs.BoolVar(&f.images, "images", false, "print the image names, one a line")
	return cmd
}

// printConfig prints what docker compose config prints for the flags
// (docker/compose cmd/compose/config.go).
func printConfig(out io.Writer, project *types.Project, f *configFlags) error {
	if f.format != "yaml" && f.format != "json" {
		return fmt.Errorf("--format %q: want yaml or json", f.format)
	}
	if f.quiet {
		return nil
	}
	lines := func(names []string) error {
		for _, n := range names {
			fmt.Fprintln(out, n)
		}
		return nil
	}
	switch {
	case f.services:
		return lines(project.ServiceNames())
	case f.volumes:
		return lines(slices.Sorted(maps.Keys(project.Volumes)))
	case f.profiles:
		set := map[string]bool{}
		for _, s := range project.AllServices() {
			for _, p := range s.Profiles {
				set[p] = true
			}
		}
		return lines(slices.Sorted(maps.Keys(set)))
	case f.images:
		var images []string
		for _, name := range project.ServiceNames() {
			s := project.Services[name]
			if s.Image != "" {
				images = append(images, s.Image)
			} else {
				// docker compose's default image name of a build-only service.
				images = append(images, project.Name+"-"+name)
			}
		}
		return lines(images)
	}
	var b []byte
	var err error
	switch f.format {
	case "yaml":
		b, err = project.MarshalYAML()
	case "json":
		b, err = project.MarshalJSON()
		b = append(b, '\n')
	default:
		return fmt.Errorf("--format %q: want yaml or json", f.format)
	}
	if err != nil {
		return fmt.Errorf("rendering the compose project: %w", err)
	}
	_, err = out.Write(b)
	return err
}
