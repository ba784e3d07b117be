package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/apply"
	"github.com/hoist-dev/hoist/load"
)

// This file holds the flags several commands share, each declared once:
// docker compose's project flags, kubectl's connection flags and the
// flags of the commands that act on a project already on the cluster.

// projectFlags are docker compose's project flags.
type projectFlags struct {
	files       []string
	projectName string
	projectDir  string
	profiles    []string
	envFiles    []string
	// allowHostPaths is --allow-host-paths of the commands that print or
	// build from what they load (config, build, push); see
	// addAllowHostPaths.
	allowHostPaths bool
}

// addAllowHostPaths adds --allow-host-paths to a command that loads the
// project and prints or builds from it.
func (f *projectFlags) addAllowHostPaths(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&f.allowHostPaths, "allow-host-paths", false, "read files outside the project directory (env files, label files, include and extends targets) instead of refusing them")
}

func (f *projectFlags) add(cmd *cobra.Command) { f.addWithFileShorthand(cmd, "f") }

// addWithFileShorthand adds the flags with a short name for --file
// other than -f ("" for none): logs has -f for --follow, as in compose.
func (f *projectFlags) addWithFileShorthand(cmd *cobra.Command, short string) {
	fs := cmd.Flags()
	fs.StringArrayVarP(&f.files, "file", short, nil, "compose file, repeatable and merged in order; - reads standard input (default: COMPOSE_FILE, else compose.yaml and friends)")
	fs.StringVarP(&f.projectName, "project-name", "p", "", "project name (default: COMPOSE_PROJECT_NAME, the name: key, or the directory name)")
	fs.StringVar(&f.projectDir, "project-directory", "", "project directory (default: the first file's directory)")
	fs.StringArrayVar(&f.profiles, "profile", nil, "profile to enable, repeatable (default: COMPOSE_PROFILES)")
	fs.StringArrayVar(&f.envFiles, "env-file", nil, "environment file for interpolation, repeatable (default: the project's .env)")
}

func (f *projectFlags) options() load.Options {
	return load.Options{Files: f.files, ProjectName: f.projectName, WorkingDir: f.projectDir, Profiles: f.profiles, EnvFiles: f.envFiles, AllowHostPaths: f.allowHostPaths}
}

// kubeFlags are kubectl's connection flags; -n is declared by each
// command, with its own meaning (see namespaceFlag).
type kubeFlags struct {
	kubeconfig     string
	context        string
	requestTimeout time.Duration
}

func (f *kubeFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.kubeconfig, "kubeconfig", "", "path to the kubeconfig file (default: KUBECONFIG, else ~/.kube/config)")
	cmd.Flags().StringVar(&f.context, "context", "", "kubeconfig context to use")
	f.requestTimeout = apply.DefaultRequestTimeout
	cmd.Flags().Var(durationFlag{d: &f.requestTimeout}, "request-timeout", "how long one request to the API server may take before it is retried (0: no limit)")
}

func (f *kubeFlags) options(streams IOStreams, g *globalFlags, namespace string) apply.ConnectOptions {
	o := apply.ConnectOptions{Kubeconfig: f.kubeconfig, Context: f.context, Namespace: namespace, UserAgent: "hoist/" + version, RequestTimeout: f.requestTimeout}
	if f.requestTimeout == 0 {
		o.RequestTimeout = -1
	}
	if !g.quiet {
		o.Warnings = streams.ErrOut
	}
	return o
}

// namespaceFlag declares -n/--namespace; usage says what it selects.
func namespaceFlag(cmd *cobra.Command, p *string, usage string) {
	cmd.Flags().StringVarP(p, "namespace", "n", "", usage)
}

// fieldManagerFlag declares --field-manager; usage says what it is for.
func fieldManagerFlag(cmd *cobra.Command, p *string, usage string) {
	cmd.Flags().StringVar(p, "field-manager", apply.DefaultFieldManager, usage)
}

// dryRunFlag declares --dry-run, which apply.ParseDryRun reads.
func dryRunFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVar(p, "dry-run", "none", "none, client (only print) or server (server-side dry run)")
}

// targetFlags name a project already on the cluster: delete, down and
// status need its name, namespace and field manager, not a conversion.
type targetFlags struct {
	project      projectFlags
	namespace    string
	kube         kubeFlags
	fieldManager string
}

func (f *targetFlags) add(cmd *cobra.Command) {
	f.project.add(cmd)
	f.kube.add(cmd)
	namespaceFlag(cmd, &f.namespace, "namespace of the project")
	fieldManagerFlag(cmd, &f.fieldManager, "field manager the project was applied with")
}

// connect finds the project's ApplySet name and origin and connects to
// the cluster.
func (f *targetFlags) connect(cmd *cobra.Command, streams IOStreams, g *globalFlags) (*apply.Client, string, apply.Origin, error) {
	name, origin, err := projectName(cmd, &f.project)
	if err != nil {
		return nil, "", origin, err
	}
	client, err := apply.Connect(cmd.Context(), f.kube.options(streams, g, f.namespace))
	return client, name, origin, err
}

// warnings is where apply and delete say what they leave in place: stderr,
// unless -q.
func warnings(streams IOStreams, g *globalFlags) io.Writer {
	if g.quiet {
		return nil
	}
	return streams.ErrOut
}

// isTerminal reports whether w is a terminal, for redrawn progress.
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// countFlag is an int flag of at least 1 (--concurrency): 0 or a negative
// count is a flag error, not silently the default.
type countFlag int

func (c *countFlag) String() string { return strconv.Itoa(int(*c)) }
func (c *countFlag) Type() string   { return "int" }
func (c *countFlag) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("not a whole number")
	}
	if n < 1 {
		return fmt.Errorf("want at least 1")
	}
	*c = countFlag(n)
	return nil
}

// durationFlag is a duration flag that must not be negative (or, with
// positive, must be above 0): --request-timeout 0 means no limit, but a
// negative one was silently no limit too, and --timeout 0 ended at once.
type durationFlag struct {
	d        *time.Duration
	positive bool
}

func (f durationFlag) String() string {
	if f.d == nil {
		// pflag asks a zero durationFlag for its text to tell defaults.
		return "0s"
	}
	return f.d.String()
}
func (f durationFlag) Type() string { return "duration" }
func (f durationFlag) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("not a duration such as 30s or 5m")
	}
	switch {
	case d < 0:
		return fmt.Errorf("must not be negative")
	case d == 0 && f.positive:
		return fmt.Errorf("want more than 0")
	}
	*f.d = d
	return nil
}
