package main

import (
	"fmt"
	"sort"

	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/apply"
	"github.com/hoist-dev/hoist/convert"
	"github.com/hoist-dev/hoist/ops"
)

// upExtra is what up --forward does once the project is up.
type upExtra struct {
	targets []ops.Target
	fws     []ops.Forward
}

// upExtras applies up --scale to the converted objects, and checks up
// --forward's ports before anything is applied. It returns nil without
// --forward.
func (f *applyFlags) upExtras(streams IOStreams, g *globalFlags, res *convert.Result) (*upExtra, error) {
	if len(f.scale) == 0 && !f.forward {
		return nil, nil
	}
	project := f.loaded
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
	return &upExtra{targets: selected, fws: fws}, nil
}

// forward runs port-forward for the project until Ctrl-C.
func (e *upExtra) forward(cmd *cobra.Command, streams IOStreams, g *globalFlags, client *apply.Client) error {
	oc, err := ops.New(client)
	if err != nil {
		return err
	}
	return forward(cmd.Context(), oc, e.targets, e.fws, warnings(streams, g))
}
