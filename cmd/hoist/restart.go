package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
)

func newRestartCommand(streams IOStreams, g *globalFlags) *cobra.Command {
	f := &verbFlags{}
	cmd := &cobra.Command{
		Use:   "restart [SERVICE...]",
		Short: "Restart the services' pods by a rollout restart, like docker compose restart",
		Long: `Restart replaces the pods of the services' workloads (all services when none
is named) the way "kubectl rollout restart" does: it stamps the pod template
with kubectl.kubernetes.io/restartedAt and the controller rolls the pods by
its strategy. Jobs and CronJobs cannot be restarted.`,
		Example: "  hoist restart worker",
		RunE: func(cmd *cobra.Command, args []string) error {
			v, err := f.load(cmd, streams, g, args)
			if err != nil {
				return err
			}
			oc, err := v.connect(cmd)
			if err != nil {
				return err
			}
			lines, err := oc.Restart(cmd.Context(), v.selected, time.Now())
			for _, l := range lines {
				fmt.Fprintln(streams.Out, l)
			}
			return err
		},
	}
	f.add(cmd, "f")
	return cmd
}
