package main

import (
	"context"
	"fmt"
	"sort"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/apply"
	"github.com/hoist-dev/hoist/convert"
	"github.com/hoist-dev/hoist/ops"
)

// upFlags are apply's flags, with --prune and --wait on, and up's own.
type upFlags struct {
	applyFlags
	scale   []string
	forward bool
}

func newUpCommand(streams IOStreams, g *globalFlags) *cobra.Command {
	f := &upFlags{}
	cmd := &cobra.Command{
		Use:     "up",
		Short:   "Apply the project, prune what it no longer has and wait until it runs (apply --prune --wait)",
		Example: "  hoist up -f compose.yaml -n shop --create-namespace\n  hoist up --scale worker=3 --forward",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return f.run(cmd, streams, g, func(project *types.Project, res *convert.Result) (afterApply, error) {
				return f.prepare(streams, g, project, res)
			})
		},
	}
	cmd.Flags().StringArrayVar(&f.scale, "scale", nil, "replicas of a service, SERVICE=N, repeatable (an autoscaled service's minimum)")
	cmd.Flags().BoolVar(&f.forward, "forward", false, "after the wait, forward the published ports to 127.0.0.1 until Ctrl-C (see port-forward)")
	f.add(cmd, true)
	return cmd
}

// prepare applies --scale to the converted objects, and checks
// --forward's ports before anything is applied. It returns the port
// forwarding to run once the project is up, or nil without --forward.
func (f *upFlags) prepare(streams IOStreams, g *globalFlags, project *types.Project, res *convert.Result) (afterApply, error) {
	if len(f.scale) == 0 && !f.forward {
		return nil, nil
	}
	targets, err := ops.Targets(project, res)
	if err != nil {
		return nil, err
	}
	if len(f.scale) > 0 {
		replicas, err := ops.ParseScale(f.scale)
		if err != nil {
			return nil, err
		}
		names := make([]string, 0, len(replicas))
		for n := range replicas {
			names = append(names, n)
		}
		sort.Strings(names)
		if _, err := ops.Select(project, targets, names); err != nil {
			return nil, fmt.Errorf("--scale: %w", err)
		}
		warns, err := ops.ScaleObjects(targets, res.Objects, replicas)
		if err != nil {
			return nil, err
		}
		if !g.quiet {
			for _, w := range warns {
				fmt.Fprintf(streams.ErrOut, "Warning: %s\n", w)
			}
		}
	}
	if !f.forward {
		return nil, nil
	}
	selected, err := ops.Select(project, targets, nil)
	if err != nil {
		return nil, err
	}
	fws, err := forwardsOf(streams, g, project, selected, false)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, client *apply.Client) error {
		oc, err := ops.New(client)
		if err != nil {
			return err
		}
		// Forward until Ctrl-C.
		return forward(ctx, oc, selected, fws, warnings(streams, g))
	}, nil
}
