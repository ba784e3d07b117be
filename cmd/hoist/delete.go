package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/apply"
)

// deleteFlags are the flags of delete, which down shares.
type deleteFlags struct {
	targetFlags
	dryRun   string
	wait     bool
	timeout  time.Duration
	volumes  bool
	takeover bool
}

// add declares the flags; wait is the default of --wait, which down turns
// on.
func (f *deleteFlags) add(cmd *cobra.Command, wait bool) {
	f.targetFlags.add(cmd)
	dryRunFlag(cmd, &f.dryRun)
	fs := cmd.Flags()
	fs.BoolVar(&f.wait, "wait", wait, "wait until the objects are gone")
	fs.BoolVarP(&f.volumes, "volumes", "v", false, "also delete the project's PersistentVolumeClaims and their data (kept by default, like docker compose down)")
	f.timeout = 5 * time.Minute
	fs.Var(durationFlag{d: &f.timeout, positive: true}, "timeout", "how long --wait waits")
	fs.BoolVar(&f.takeover, "force", false, "delete the project even when it was last applied from another directory, other compose files or another spelling of its name")
}

func newDeleteCommand(streams IOStreams, g *globalFlags) *cobra.Command {
	f := &deleteFlags{}
	cmd := &cobra.Command{
		Use:   "delete",
		Short: "Delete everything hoist applied for the project, and nothing else",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return f.run(cmd, streams, g) },
	}
	f.add(cmd, false)
	return cmd
}

func newDownCommand(streams IOStreams, g *globalFlags) *cobra.Command {
	f := &deleteFlags{}
	cmd := &cobra.Command{
		Use:   "down",
		Short: "Delete everything hoist applied for the project and wait until it is gone",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return f.run(cmd, streams, g) },
	}
	f.add(cmd, true)
	return cmd
}

func (f *deleteFlags) run(cmd *cobra.Command, streams IOStreams, g *globalFlags) error {
	dryRun, err := apply.ParseDryRun(f.dryRun)
	if err != nil {
		return err
	}
	client, name, origin, err := f.connect(cmd, streams, g)
	if err != nil {
		return err
	}
	o := apply.DeleteOptions{
		Project: name, Tooling: tooling(), FieldManager: f.fieldManager, DryRun: dryRun, Wait: f.wait, Timeout: f.timeout,
		Volumes: f.volumes, Warnings: warnings(streams, g), Origin: origin, Takeover: f.takeover,
	}
	results, err := client.Delete(cmd.Context(), o)
	printResults(streams, results)
	if err == nil && len(results) == 0 && !g.quiet {
		fmt.Fprintf(streams.ErrOut, "No resources found for project %q in namespace %s\n", name, client.Namespace)
	}
	return err
}
