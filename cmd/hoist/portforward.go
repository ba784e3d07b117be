package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/ops"
)

func newPortForwardCommand(streams IOStreams, g *globalFlags) *cobra.Command {
	f := &verbFlags{}
	cmd := &cobra.Command{
		Use:   "port-forward [SERVICE...]",
		Short: "Forward the services' published ports to 127.0.0.1, as compose publishes them",
		Long: `Port-forward listens on 127.0.0.1 on every host port the services publish
(all services when none is named) and forwards it to the container port of a
ready pod: "8080:80" makes localhost:8080 reach port 80, as docker compose
does. When the pod is replaced (a restart, a rollout) it forwards to the next
ready one. A local port already in use is an error naming it. It runs until
Ctrl-C.`,
		Example: "  hoist port-forward web",
		RunE: func(cmd *cobra.Command, args []string) error {
			v, err := f.load(cmd, streams, g, args)
			if err != nil {
				return err
			}
			fws, err := forwardsOf(streams, g, v.project, v.selected, len(args) > 0)
			if err != nil {
				return err
			}
			oc, err := v.connect(cmd)
			if err != nil {
				return err
			}
			return forward(cmd.Context(), oc, v.selected, fws, warnings(streams, g))
		},
	}
	f.add(cmd, "f")
	return cmd
}

// forwardsOf lists the targets' published ports and checks that they are
// free on 127.0.0.1; named says whether the services were named, which
// makes a service with no published port an error.
func forwardsOf(streams IOStreams, g *globalFlags, project *types.Project, targets []ops.Target, named bool) ([]ops.Forward, error) {
	var names []string
	for _, t := range targets {
		names = append(names, t.Service)
	}
	fws, warns := ops.Forwards(project, names)
	if !g.quiet {
		for _, w := range warns {
			fmt.Fprintf(streams.ErrOut, "Warning: %s\n", w)
		}
	}
	if named {
		for _, t := range targets {
			found := false
			for _, fw := range fws {
				found = found || fw.Service == t.Service
			}
			if !found {
				return nil, fmt.Errorf("service %q publishes no TCP port (ports:) to forward", t.Service)
			}
		}
	}
	if len(fws) == 0 {
		return nil, fmt.Errorf("project %q: no service publishes a TCP port (ports:) to forward", project.Name)
	}
	return fws, ops.CheckPorts(fws)
}

// forward forwards every target's ports until ctx ends or one fails.
func forward(ctx context.Context, oc *ops.Client, targets []ops.Target, fws []ops.Forward, progress io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for _, t := range targets {
		var mine []ops.Forward
		for _, fw := range fws {
			if fw.Service == t.Service {
				mine = append(mine, fw)
			}
		}
		if len(mine) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := oc.PortForward(ctx, t, mine, progress); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
				cancel()
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return errors.Join(ctx.Err())
}
