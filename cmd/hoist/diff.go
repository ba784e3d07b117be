package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/apply"
)

// diffFlags are the flags of diff: those that shape the conversion and
// the apply it shows.
type diffFlags struct {
	convert      convertFlags
	kube         kubeFlags
	fieldManager string
	force        bool
	prune        bool
	concurrency  countFlag
}

func newDiffCommand(streams IOStreams, g *globalFlags) *cobra.Command {
	f := &diffFlags{}
	cmd := &cobra.Command{
		Use:   "diff",
		Short: "Show what apply would change, from a server-side dry run",
		Long: `Diff compares the live objects with what "hoist apply" would make of them
(a server-side dry run) as a unified diff. Secret values are masked. It runs
KUBECTL_EXTERNAL_DIFF when set, else "diff -u -N". Exit status: 0 no
differences, 1 differences, 2 or more an error.`,
		// Usage errors are errors too: 2, not "differences".
		Args: func(cmd *cobra.Command, args []string) error {
			if err := cobra.NoArgs(cmd, args); err != nil {
				return &exitError{code: 2, err: err}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			err := f.run(cmd, streams, g)
			var ee *exitError
			if err != nil && !errors.As(err, &ee) {
				return &exitError{code: 2, err: err}
			}
			return err
		},
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &exitError{code: 2, err: err} })
	f.convert.add(cmd)
	f.convert.images = &imageFlags{}
	f.convert.images.add(cmd, true)
	f.kube.add(cmd)
	fieldManagerFlag(cmd, &f.fieldManager, "name of the server-side apply field manager")
	fs := cmd.Flags()
	fs.BoolVar(&f.force, "force-conflicts", false, "diff as if apply took ownership of conflicting fields")
	fs.BoolVar(&f.prune, "prune", false, "also show the objects apply --prune would delete")
	f.concurrency = 16
	fs.Var(&f.concurrency, "concurrency", "parallel requests to the API server")
	return cmd
}

// run prints the diff; differences are exit status 1.
func (f *diffFlags) run(cmd *cobra.Command, streams IOStreams, g *globalFlags) error {
	c, err := convertFor(cmd, streams, g, &f.convert, &f.kube)
	if err != nil {
		return err
	}
	setName, client, err := c.connect(cmd.Context())
	if err != nil {
		return err
	}
	differs, err := client.Diff(cmd.Context(), c.res.Objects, apply.Options{
		Project: setName, Tooling: tooling(), FieldManager: f.fieldManager, Force: f.force,
		Prune: f.prune, Concurrency: int(f.concurrency),
	}, streams.Out)
	if err != nil {
		return err
	}
	if differs {
		return &exitError{code: 1}
	}
	return nil
}
