package main

import (
	"fmt"
	"sort"

	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/ops"
)

func newScaleCommand(streams IOStreams, g *globalFlags) *cobra.Command {
	f := &verbFlags{}
	var fieldManager string
	cmd := &cobra.Command{
		Use:   "scale SERVICE=REPLICAS...",
		Short: "Set the number of replicas of services, like docker compose scale",
		Long: `Scale sets the replicas of the services' Deployments or StatefulSets by a
server-side apply as hoist's field manager, of the fields it applied with
the new replicas (so the next "hoist up" does not conflict). For a service an autoscaler
scales it sets the autoscaler's minimum instead (and its maximum when below),
with a warning. The next "hoist up" applies the compose file's replicas
again, as the next "docker compose up" does; "hoist up --scale" keeps them.`,
		Example: "  hoist scale worker=3 web=2",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			replicas, err := ops.ParseScale(args)
			if err != nil {
				return err
			}
			names := make([]string, 0, len(replicas))
			for n := range replicas {
				names = append(names, n)
			}
			sort.Strings(names)
			v, err := f.load(cmd, streams, g, names)
			if err != nil {
				return err
			}
			oc, err := v.connect(cmd)
			if err != nil {
				return err
			}
			lines, warns, err := oc.Scale(cmd.Context(), v.selected, replicas, fieldManager)
			if !g.quiet {
				for _, w := range warns {
					fmt.Fprintf(streams.ErrOut, "Warning: %s\n", w)
				}
			}
			for _, l := range lines {
				fmt.Fprintln(streams.Out, l)
			}
			return err
		},
	}
	f.add(cmd, "f")
	fieldManagerFlag(cmd, &fieldManager, "field manager the project was applied with, which scale applies the replicas as")
	return cmd
}
