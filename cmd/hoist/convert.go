package main

import (
	"fmt"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/output"
)

func newConvertCommand(streams IOStreams, g *globalFlags) *cobra.Command {
	f := &convertFlags{}
	var formatFlag, outDir string
	cmd := &cobra.Command{
		Use:   "convert",
		Short: "Print the Kubernetes objects for a compose project",
		Long: `Convert loads a compose project exactly as "docker compose config" does and
prints the Kubernetes objects it becomes on stdout. Warnings about what was
approximated or dropped go to stderr; --strict makes them an error.`,
		Example: `  hoist convert -f compose.yaml
  hoist convert -f compose.yaml -f compose.prod.yaml -n shop --create-namespace
  hoist convert --autoscale web=2:10:60 | kubectl apply -f -`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, err := output.ParseFormat(formatFlag)
			if err != nil {
				return err
			}
			if format.NeedsDirectory() && outDir == "" {
				return fmt.Errorf("--format %s writes a directory: set -o DIR", format)
			}
			opts, err := f.toOptions(cmd)
			if err != nil {
				return err
			}
			project, res, err := f.run(cmd, streams, g, opts)
			if err != nil {
				return err
			}
			if outDir != "" {
				files, err := output.Files(res.Objects, format, project.Name)
				if err != nil {
					return err
				}
				// The last point to stop before the directory is replaced.
				if err := cmd.Context().Err(); err != nil {
					return err
				}
				return writeDir(outDir, files, keepPaths(project))
			}
			return output.Write(streams.Out, res.Objects, format)
		},
	}
	f.add(cmd)
	f.images = &imageFlags{}
	f.images.add(cmd, true)
	cmd.Flags().StringVar(&formatFlag, "format", "yaml", "output format: yaml, json (a v1 List), kustomize or helm (a chart); kustomize and helm need -o")
	cmd.Flags().StringVarP(&outDir, "output", "o", "", "write a directory instead of stdout: one file per object, a kustomization, or a chart; replaces the directory's previous output")
	return cmd
}

// keepPaths are the paths an output directory must not contain: the
// working directory, the project directory and every compose file.
func keepPaths(p *types.Project) []string {
	keep := []string{".", p.WorkingDir}
	keep = append(keep, p.ComposeFiles...)
	return keep
}
