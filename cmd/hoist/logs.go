package main

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/ops"
)

type logsFlags struct {
	verbFlags
	follow, timestamps, noColor, noPrefix bool
	tail, since, until                    string
	index                                 int
}

func newLogsCommand(streams IOStreams, g *globalFlags) *cobra.Command {
	f := &logsFlags{}
	cmd := &cobra.Command{
		Use:   "logs [SERVICE...]",
		Short: "Show the logs of the services' pods, like docker compose logs",
		Long: `Logs prints the logs of every pod of the services (all services when none is
named), each line prefixed like docker compose ("web-1  | "), with a stable
colour per service on a terminal. The pods' init containers are shown while a
pod is initialising: that is where a dependency wait that does not end shows.
With -f it follows, and picks up the pods a restart or a rollout brings.
The compose file is --file here: -f is --follow, as in docker compose logs.`,
		Example: `  hoist logs -f web
  hoist logs --tail 20 --since 10m -t`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o, err := f.options(streams, g)
			if err != nil {
				return err
			}
			v, err := f.load(cmd, streams, g, args)
			if err != nil {
				return err
			}
			oc, err := v.connect(cmd)
			if err != nil {
				return err
			}
			return oc.Logs(cmd.Context(), v.selected, o, streams.Out)
		},
	}
	f.add(cmd, "")
	fs := cmd.Flags()
	fs.BoolVarP(&f.follow, "follow", "f", false, "follow the logs, and the pods that come")
	fs.StringVar(&f.tail, "tail", "all", "lines to show from the end of each container's log, or all")
	fs.StringVar(&f.since, "since", "", "show logs since a timestamp (2026-01-02T13:23:37Z) or a relative time (42m)")
	fs.StringVar(&f.until, "until", "", "show logs before a timestamp (2026-01-02T13:23:37Z) or a relative time (42m)")
	fs.BoolVarP(&f.timestamps, "timestamps", "t", false, "show timestamps")
	fs.BoolVar(&f.noColor, "no-color", false, "produce monochrome output")
	fs.BoolVar(&f.noPrefix, "no-log-prefix", false, "do not print the prefix")
	fs.IntVar(&f.index, "index", 0, "show only the pod with this replica number (web-2 is --index 2)")
	return cmd
}

// options turns the flags into ops.LogOptions.
func (f *logsFlags) options(streams IOStreams, g *globalFlags) (ops.LogOptions, error) {
	o := ops.LogOptions{Follow: f.follow, Timestamps: f.timestamps, NoPrefix: f.noPrefix, Index: f.index, Tail: -1, Warnings: warnings(streams, g)}
	o.Color = !f.noColor && isTerminal(streams.Out) && os.Getenv("NO_COLOR") == ""
	if f.tail != "all" && f.tail != "" {
		n, err := strconv.ParseInt(f.tail, 10, 64)
		if err != nil || n < 0 {
			return o, fmt.Errorf("--tail %q: want a number of lines or all", f.tail)
		}
		o.Tail = n
	}
	var err error
	if o.Since, err = parseLogTime("--since", f.since); err != nil {
		return o, err
	}
	if o.Until, err = parseLogTime("--until", f.until); err != nil {
		return o, err
	}
	if f.index < 0 {
		return o, fmt.Errorf("--index %d: want a replica number from 1", f.index)
	}
	return o, nil
}

// parseLogTime reads docker's --since/--until: a duration before now
// (42m), an RFC 3339 timestamp, or a date.
func parseLogTime(flag, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return time.Now().Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%s %q: want a timestamp (2026-01-02T13:23:37Z) or a relative time (42m)", flag, s)
}
