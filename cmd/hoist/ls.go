package main

import (
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/hoist-dev/hoist/apply"
)

func newLsCommand(streams IOStreams, g *globalFlags) *cobra.Command {
	var kube kubeFlags
	var namespace, fieldManager string
	var all bool
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List the projects hoist manages, like docker compose ls",
		Long: `Ls lists the projects hoist applied in the namespace (every namespace with
-A), from their ApplySet parents: the project's name and namespace, its
workloads ready out of all, how long ago it was last applied and the hoist
version that applied it.`,
		Example: "  hoist ls -A",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, err := apply.Connect(cmd.Context(), kube.options(streams, g, namespace))
			if err != nil {
				return err
			}
			rows, err := client.Projects(cmd.Context(), all, fieldManager)
			if err != nil {
				return err
			}
			if len(rows) == 0 {
				if !g.quiet {
					where := "namespace " + client.Namespace
					if all {
						where = "any namespace"
					}
					cmd.PrintErrf("No projects found in %s\n", where)
				}
				return nil
			}
			tw := newTable(streams.Out, "NAME", "NAMESPACE", "READY", "LAST APPLIED", "HOIST")
			now := time.Now()
			for _, r := range rows {
				age := "<unknown>"
				if !r.LastApplied.IsZero() {
					age = duration.HumanDuration(now.Sub(r.LastApplied)) + " ago"
				}
				tw.row(r.Name, r.Namespace, strconv.Itoa(r.Ready)+"/"+strconv.Itoa(r.Total), age, r.Version)
			}
			tw.flush()
			return nil
		},
	}
	kube.add(cmd)
	namespaceFlag(cmd, &namespace, "namespace to list (default: the context's)")
	cmd.Flags().BoolVarP(&all, "all-namespaces", "A", false, "list the projects of every namespace")
	fieldManagerFlag(cmd, &fieldManager, "field manager the projects were applied with")
	return cmd
}
