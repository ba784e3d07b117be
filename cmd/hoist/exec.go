package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/ops"
)

type execFlags struct {
	verbFlags
	noTTY, interactive, tty bool
	index                   int
	user, workdir           string
	env                     []string
}

func newExecCommand(streams IOStreams, g *globalFlags) *cobra.Command {
	f := &execFlags{}
	cmd := &cobra.Command{
		Use:   "exec SERVICE COMMAND [ARGS...]",
		Short: "Run a command in a running pod of a service, like docker compose exec",
		Long: `Exec runs a command in the service's container of a ready pod (not in a
sidecar or an init container), through the API server's exec subresource.
On a terminal it allocates a TTY, like docker compose exec; -T disables it.
The exit status is the command's.`,
		Example: `  hoist exec db psql -U postgres
  echo 'select 1' | hoist exec -T db psql -U postgres`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.index < 0 {
				return fmt.Errorf("--index %d: want a replica number from 1", f.index)
			}
			eo := ops.ExecOptions{Command: args[1:], Index: f.index, Env: f.env, Workdir: f.workdir}
			if err := eo.Validate(); err != nil {
				return err
			}
			v, err := f.load(cmd, streams, g, args[:1])
			if err != nil {
				return err
			}
			if f.user != "" && !g.quiet {
				fmt.Fprintf(streams.ErrOut, "Warning: exec -u %s: Kubernetes runs exec as the container's user; --user is ignored\n", f.user)
			}
			oc, err := v.connect(cmd)
			if err != nil {
				return err
			}
			s := ops.Streams{Out: streams.Out, ErrOut: streams.ErrOut}
			if f.interactive {
				s.In = streams.In
			}
			if tin := terminalIn(streams); tin != nil && !f.noTTY && f.tty && isTerminal(streams.Out) {
				s.TTY = true
				s.Sizes = &sizeQueue{fd: int(tin.Fd())}
				restore, err := rawTerminal(tin)
				if err != nil {
					return err
				}
				defer restore()
			}
			code, err := oc.Exec(cmd.Context(), v.selected[0], eo, s)
			if err != nil {
				return err
			}
			if code != 0 {
				return &exitError{code: code}
			}
			return nil
		},
	}
	f.add(cmd, "f")
	fs := cmd.Flags()
	fs.SetInterspersed(false)
	fs.BoolVarP(&f.noTTY, "no-tty", "T", false, "do not allocate a TTY (the default on a terminal)")
	fs.BoolVarP(&f.interactive, "interactive", "i", true, "pass standard input to the command")
	fs.BoolVarP(&f.tty, "tty", "t", true, "allocate a TTY when standard input is a terminal (the default)")
	fs.IntVar(&f.index, "index", 0, "run in the pod with this replica number (default: the first ready pod)")
	fs.StringVarP(&f.user, "user", "u", "", "not supported by Kubernetes exec: warns and runs as the container's user")
	fs.StringVarP(&f.workdir, "workdir", "w", "", "directory to run the command in (through sh -c 'cd DIR')")
	fs.StringArrayVarP(&f.env, "env", "e", nil, "set an environment variable KEY=VALUE, repeatable (through env(1))")
	return cmd
}
