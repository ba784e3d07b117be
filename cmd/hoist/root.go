package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/go-logr/logr"
	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"
	"k8s.io/klog/v2"

	"github.com/hoist-dev/hoist/apply"
)

// IOStreams are the command's standard streams: stdout is data only,
// warnings and progress go to ErrOut.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
}

// globalFlags are the flags of every command.
type globalFlags struct {
	quiet bool
}

// NewRootCommand builds the hoist command tree.
func NewRootCommand(streams IOStreams) *cobra.Command {
	g := &globalFlags{}
	root := &cobra.Command{
		Use:           "hoist",
		Short:         "Turn a Docker Compose project into production-grade Kubernetes objects",
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmd.Help()
		},
		PersistentPreRun: func(*cobra.Command, []string) {
			// client-go logs through klog (a response body cut short by
			// a timeout, throttling); hoist reports what failed in its
			// own one line, so klog says nothing.
			klog.SetLogger(logr.Discard())
			// compose-go warns through the global logrus logger.
			logrus.SetFormatter(warningFormatter{})
			logrus.SetLevel(logrus.WarnLevel)
			if g.quiet {
				logrus.SetOutput(io.Discard)
			} else {
				logrus.SetOutput(streams.ErrOut)
			}
		},
	}
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	root.PersistentFlags().BoolVarP(&g.quiet, "quiet", "q", false, "print no warnings")
	root.AddCommand(
		newConvertCommand(streams, g),
		newApplyCommand(streams, g),
		newUpCommand(streams, g),
		newDiffCommand(streams, g),
		newDeleteCommand(streams, g),
		newDownCommand(streams, g),
		newStatusCommand(streams, g),
		newVersionCommand(streams),
		newBuildCommand(streams, g),
		newPushCommand(streams, g),
	)
	addVerbCommands(root, streams, g)
	return root
}

// run executes the command line and returns the exit code: 0, 1 on error
// (printed once, as one line), 130 when interrupted.
func run(ctx context.Context, streams IOStreams, args []string) int {
	root := NewRootCommand(streams)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil && ctx.Err() == nil {
		return 0
	}
	// An interrupt the command did not notice in time still ends it with
	// 130: a script must not take an interrupted run for a finished one.
	if ctx.Err() != nil || errors.Is(err, context.Canceled) {
		fmt.Fprintln(streams.ErrOut, "error: interrupted")
		return 130
	}
	code := 1
	if ee := (*exitError)(nil); errors.As(err, &ee) {
		code = ee.code
		if ee.err == nil {
			return code
		}
	}
	printError(streams, err)
	return code
}

// warningFormatter prints compose-go's log entries like kubectl warnings.
type warningFormatter struct{}

func (warningFormatter) Format(e *logrus.Entry) ([]byte, error) {
	prefix := "Warning: "
	if e.Level > logrus.WarnLevel {
		prefix = ""
	}
	return []byte(prefix + e.Message + "\n"), nil
}

// printError prints err as "error: ..." lines: one per failed object when
// several failed, the apply and convert options an error names as hoist's
// flags, and kubectl's multi-line advice after a field manager conflict.
func printError(streams IOStreams, err error) {
	msg := err.Error()
	if oe := (*apply.OptionError)(nil); errors.As(err, &oe) {
		msg = strings.Replace(msg, oe.Error(), oe.Text(optionFlag), 1)
	}
	if ce := (*apply.ConflictError)(nil); errors.As(err, &ce) {
		fmt.Fprintf(streams.ErrOut, "error: %s\n%s\n", strings.ReplaceAll(msg, "\n", "; "), conflictHint)
		return
	}
	for _, line := range strings.Split(msg, "\n") {
		if line != "" {
			fmt.Fprintf(streams.ErrOut, "error: %s\n", line)
		}
	}
}
