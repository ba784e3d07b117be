package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/apply"
)

func newStatusCommand(streams IOStreams, g *globalFlags) *cobra.Command {
	f := &targetFlags{}
	cmd := &cobra.Command{
		Use:     "status",
		Aliases: []string{"ps"},
		Short:   "List the project's workloads on the cluster with their readiness, Services and autoscalers",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, name, _, err := f.connect(cmd, streams, g)
			if err != nil {
				return err
			}
			rows, err := client.Status(cmd.Context(), name, f.fieldManager)
			if err != nil {
				return err
			}
			printStatus(streams, rows)
			if len(rows) == 0 && !g.quiet {
				fmt.Fprintf(streams.ErrOut, "No workloads found for project %q in namespace %s\n", name, client.Namespace)
			}
			return nil
		},
	}
	f.add(cmd)
	return cmd
}

func printStatus(streams IOStreams, rows []apply.StatusRow) {
	if len(rows) == 0 {
		return
	}
	tw := newTable(streams.Out, "NAME", "READY", "STATE", "PORTS", "AUTOSCALE")
	for _, r := range rows {
		ports, hpa := r.Ports, r.Autoscale
		if ports == "" {
			ports = "-"
		}
		if hpa == "" {
			hpa = "-"
		}
		tw.row(r.Ref.String(), r.Ready, r.State, ports, hpa)
	}
	tw.flush()
}
