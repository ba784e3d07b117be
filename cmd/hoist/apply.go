package main

import (
	"context"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/apply"
	"github.com/hoist-dev/hoist/convert"
)

// applyFlags are the flags of apply, which up shares.
type applyFlags struct {
	convert      convertFlags
	kube         kubeFlags
	fieldManager string
	force        bool
	takeover     bool
	dryRun       string
	prune        bool
	wait         bool
	timeout      time.Duration
	concurrency  countFlag
}

// add declares the flags; pruneAndWait is the default of --prune and
// --wait, which up turns on.
func (f *applyFlags) add(cmd *cobra.Command, pruneAndWait bool) {
	f.convert.add(cmd)
	f.convert.images = &imageFlags{}
	f.convert.images.add(cmd, true)
	f.kube.add(cmd)
	fieldManagerFlag(cmd, &f.fieldManager, "name of the server-side apply field manager")
	dryRunFlag(cmd, &f.dryRun)
	fs := cmd.Flags()
	fs.BoolVar(&f.force, "force-conflicts", false, "take ownership of fields other managers own")
	fs.BoolVar(&f.takeover, "force", false, "take over objects of the same names that another project or tool made, and prune objects last applied from another project of the same name (another directory, compose files or spelling of the name)")
	fs.BoolVar(&f.prune, "prune", pruneAndWait, "delete objects of this project's ApplySet that the project no longer has")
	fs.BoolVar(&f.wait, "wait", pruneAndWait, "wait until workloads are rolled out and Jobs complete")
	f.timeout, f.concurrency = 5*time.Minute, 16
	fs.Var(durationFlag{d: &f.timeout, positive: true}, "timeout", "how long apply (retries included) and --wait may take in all")
	fs.Var(&f.concurrency, "concurrency", "parallel requests to the API server")
}

func newApplyCommand(streams IOStreams, g *globalFlags) *cobra.Command {
	f := &applyFlags{}
	cmd := &cobra.Command{
		Use:   "apply",
		Short: "Convert the compose project and server-side apply it to the cluster",
		Example: `  hoist apply -f compose.yaml -n shop --create-namespace
  hoist apply --prune --wait
  hoist apply --dry-run=server`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return f.run(cmd, streams, g, nil) },
	}
	f.add(cmd, false)
	return cmd
}

// afterApply is what a command does once the project is applied and
// ready (up --forward), unless a dry run.
type afterApply func(context.Context, *apply.Client) error

// prepareFunc sees the converted objects before anything reaches the
// cluster, may change them, and returns what to do once they are up
// (nil for nothing).
type prepareFunc func(*types.Project, *convert.Result) (afterApply, error)

// run converts the project, applies it and, with --wait, waits until it
// is ready; prepare (nil for none) is up's --scale and --forward.
func (f *applyFlags) run(cmd *cobra.Command, streams IOStreams, g *globalFlags, prepare prepareFunc) error {
	dryRun, err := apply.ParseDryRun(f.dryRun)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(f.timeout)
	c, err := convertFor(cmd, streams, g, &f.convert, &f.kube)
	if err != nil {
		return err
	}
	var after afterApply
	if prepare != nil {
		if after, err = prepare(c.project, c.res); err != nil {
			return err
		}
	}
	setName, client, err := c.connect(cmd.Context())
	if err != nil {
		return err
	}
	results, err := client.Apply(cmd.Context(), c.res.Objects, apply.Options{
		Project: setName, Tooling: tooling(), FieldManager: f.fieldManager, Force: f.force,
		DryRun: dryRun, Prune: f.prune, Concurrency: int(f.concurrency), Warnings: warnings(streams, g),
		Timeout: time.Until(deadline), Budget: time.Duration(f.timeout), Origin: originOf(c.project), Takeover: f.takeover,
	})
	printResults(streams, results)
	if err != nil {
		return err
	}
	if dryRun != apply.DryRunNone {
		return nil
	}
	if f.wait {
		// --timeout covers apply and wait together.
		w := waitOptions(streams, g, deadline)
		w.Budget = f.timeout
		if err := client.Wait(cmd.Context(), c.res.Objects, w); err != nil {
			return err
		}
	}
	if after != nil {
		return after(cmd.Context(), client)
	}
	return nil
}

// waitOptions are the options of a wait that ends at deadline, with
// progress on stderr unless -q; the caller sets Budget to its --timeout.
func waitOptions(streams IOStreams, g *globalFlags, deadline time.Time) apply.WaitOptions {
	w := apply.WaitOptions{Timeout: max(time.Until(deadline), time.Millisecond), TTY: isTerminal(streams.ErrOut)}
	if !g.quiet {
		w.Progress = streams.ErrOut
	}
	return w
}
