package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/apply"
	"github.com/hoist-dev/hoist/convert"
	"github.com/hoist-dev/hoist/load"
)

// kubeFlags are kubectl's connection flags; -n comes from convertFlags.
type kubeFlags struct {
	kubeconfig     string
	context        string
	requestTimeout time.Duration
}

func (f *kubeFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.kubeconfig, "kubeconfig", "", "path to the kubeconfig file (default: KUBECONFIG, else ~/.kube/config)")
	cmd.Flags().StringVar(&f.context, "context", "", "kubeconfig context to use")
	cmd.Flags().DurationVar(&f.requestTimeout, "request-timeout", apply.DefaultRequestTimeout, "how long one request to the API server may take before it is retried (0: no limit)")
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

// warnings is where apply and delete say what they leave in place: stderr,
// unless -q.
func warnings(streams IOStreams, g *globalFlags) io.Writer {
	if g.quiet {
		return nil
	}
	return streams.ErrOut
}

// tooling is the ApplySet tooling annotation: hoist/<semver>.
func tooling() string {
	if semver.MatchString(version) {
		return "hoist/" + version
	}
	return "hoist/v0.0.0-" + version
}

var semver = regexp.MustCompile(`^v\d+\.\d+\.\d+([-+].*)?$`)

// exitError carries an exit code other than 1; a nil err prints nothing.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

// printResults writes one kubectl-style line per result on stdout.
func printResults(streams IOStreams, results []apply.Result) {
	for _, r := range results {
		fmt.Fprintln(streams.Out, r)
	}
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

// applyFlags are the flags of apply and up.
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
	concurrency  int
	// scale and forward are up's --scale and --forward (see upExtras).
	scale   []string
	forward bool
	loaded  *types.Project
	extras  *upExtra
}

func newApplyCommand(streams IOStreams, g *globalFlags, up bool) *cobra.Command {
	f := &applyFlags{}
	cmd := &cobra.Command{
		Use:   "apply",
		Short: "Convert the compose project and server-side apply it to the cluster",
		Example: `  hoist apply -f compose.yaml -n shop --create-namespace
  hoist apply --prune --wait
  hoist apply --dry-run=server`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return f.run(cmd, streams, g) },
	}
	if up {
		cmd.Use = "up"
		cmd.Short = "Apply the project, prune what it no longer has and wait until it runs (apply --prune --wait)"
		cmd.Example = "  hoist up -f compose.yaml -n shop --create-namespace\n  hoist up --scale worker=3 --forward"
		cmd.Flags().StringArrayVar(&f.scale, "scale", nil, "replicas of a service, SERVICE=N, repeatable (an autoscaled service's minimum)")
		cmd.Flags().BoolVar(&f.forward, "forward", false, "after the wait, forward the published ports to 127.0.0.1 until Ctrl-C (see port-forward)")
	}
	f.convert.add(cmd)
	f.convert.images = &imageFlags{}
	f.convert.images.add(cmd, true)
	f.kube.add(cmd)
	fs := cmd.Flags()
	fs.StringVar(&f.fieldManager, "field-manager", apply.DefaultFieldManager, "name of the server-side apply field manager")
	fs.BoolVar(&f.force, "force-conflicts", false, "take ownership of fields other managers own")
	fs.BoolVar(&f.takeover, "force", false, "prune objects last applied from another project of the same name (another directory or compose files)")
	fs.StringVar(&f.dryRun, "dry-run", "none", "none, client (only print) or server (server-side dry run)")
	fs.BoolVar(&f.prune, "prune", up, "delete objects of this project's ApplySet that the project no longer has")
	fs.BoolVar(&f.wait, "wait", up, "wait until workloads are rolled out and Jobs complete")
	fs.DurationVar(&f.timeout, "timeout", 5*time.Minute, "how long apply (retries included) and --wait may take in all")
	fs.IntVar(&f.concurrency, "concurrency", 16, "parallel requests to the API server")
	return cmd
}

func (f *applyFlags) run(cmd *cobra.Command, streams IOStreams, g *globalFlags) error {
	dryRun, err := apply.ParseDryRun(f.dryRun)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(f.timeout)
	client, res, origin, setName, err := f.connect(cmd, streams, g)
	if err != nil {
		return err
	}
	extras := f.extras
	results, err := client.Apply(cmd.Context(), res.Objects, apply.Options{
		Project: setName, Tooling: tooling(), FieldManager: f.fieldManager, Force: f.force,
		DryRun: dryRun, Prune: f.prune, Concurrency: f.concurrency, Warnings: warnings(streams, g),
		Timeout: time.Until(deadline), Origin: origin, Takeover: f.takeover,
	})
	printResults(streams, results)
	if err != nil {
		return err
	}
	if f.wait && dryRun == apply.DryRunNone {
		// --timeout covers apply and wait together.
		w := apply.WaitOptions{Timeout: max(time.Until(deadline), time.Millisecond), TTY: isTerminal(streams.ErrOut)}
		if !g.quiet {
			w.Progress = streams.ErrOut
		}
		if err := client.Wait(cmd.Context(), res.Objects, w); err != nil {
			return err
		}
	}
	if extras != nil && dryRun == apply.DryRunNone {
		return extras.forward(cmd, streams, g, client)
	}
	return nil
}

func newDiffCommand(streams IOStreams, g *globalFlags) *cobra.Command {
	f := &applyFlags{}
	cmd := &cobra.Command{
		Use:   "diff",
		Short: "Show what apply would change, from a server-side dry run",
		Long: `Diff compares the live objects with what "hoist apply" would make of them
(a server-side dry run) as a unified diff. Secret values are masked. It runs
KUBECTL_EXTERNAL_DIFF when set, else "diff -u -N". Exit status: 0 no
differences, 1 differences, 2 or more an error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			err := f.diff(cmd, streams, g)
			var ee *exitError
			if err != nil && !errors.As(err, &ee) {
				return &exitError{code: 2, err: err}
			}
			return err
		},
	}
	f.convert.add(cmd)
	f.convert.images = &imageFlags{}
	f.convert.images.add(cmd, true)
	f.kube.add(cmd)
	fs := cmd.Flags()
	fs.StringVar(&f.fieldManager, "field-manager", apply.DefaultFieldManager, "name of the server-side apply field manager")
	fs.BoolVar(&f.force, "force-conflicts", false, "diff as if apply took ownership of conflicting fields")
	fs.BoolVar(&f.prune, "prune", false, "also show the objects apply --prune would delete")
	fs.IntVar(&f.concurrency, "concurrency", 16, "parallel requests to the API server")
	return cmd
}

// connect converts the project for the target namespace (the context's
// when -n is not given) and connects to the cluster.
func (f *applyFlags) connect(cmd *cobra.Command, streams IOStreams, g *globalFlags) (*apply.Client, *convert.Result, apply.Origin, string, error) {
	opts, err := f.convert.toOptions(cmd)
	if err != nil {
		return nil, nil, apply.Origin{}, "", err
	}
	conn := f.kube.options(streams, g, f.convert.namespace)
	if opts.Namespace, err = apply.ResolveNamespace(conn); err != nil {
		return nil, nil, apply.Origin{}, "", err
	}
	project, res, err := f.convert.run(cmd, streams, g, opts)
	if err != nil {
		return nil, nil, apply.Origin{}, "", err
	}
	f.loaded = project
	// up --scale changes the objects and up --forward checks its ports
	// before anything reaches the cluster.
	if f.extras, err = f.upExtras(streams, g, res); err != nil {
		return nil, nil, apply.Origin{}, "", err
	}
	setName, err := applySetName(project.Name)
	if err != nil {
		return nil, nil, apply.Origin{}, "", err
	}
	client, err := apply.Connect(cmd.Context(), conn)
	return client, res, originOf(project), setName, err
}

// originOf is where project was loaded from: its absolute directory and
// compose files, the project's identity in the ApplySet parent.
func originOf(project *types.Project) apply.Origin {
	o := apply.Origin{Dir: project.WorkingDir}
	if abs, err := filepath.Abs(o.Dir); err == nil {
		o.Dir = abs
	}
	for _, f := range project.ComposeFiles {
		if f != "-" {
			if abs, err := filepath.Abs(f); err == nil {
				f = abs
			}
		}
		o.Files = append(o.Files, f)
	}
	return o
}

func (f *applyFlags) diff(cmd *cobra.Command, streams IOStreams, g *globalFlags) error {
	client, res, _, setName, err := f.connect(cmd, streams, g)
	if err != nil {
		return err
	}
	differs, err := client.Diff(cmd.Context(), res.Objects, apply.Options{
		Project: setName, Tooling: tooling(), FieldManager: f.fieldManager, Force: f.force,
		Prune: f.prune, Concurrency: f.concurrency,
	}, streams.Out)
	if err != nil {
		return err
	}
	if differs {
		return &exitError{code: 1}
	}
	return nil
}

// projectName is the name of the project's ApplySet parent: the loaded
// project's name, or -p when there is no compose file (delete and status
// need only the name), made a valid object name; and where the project
// was loaded from (a zero Origin without a compose file).
func projectName(cmd *cobra.Command, f *projectFlags) (string, apply.Origin, error) {
	name := loader.NormalizeProjectName(f.projectName)
	var origin apply.Origin
	o := f.options()
	// Only the name and origin are needed: files outside the project may
	// be read (they are still checked to be regular and bounded).
	o.AllowHostPaths = true
	if p, err := load.Project(cmd.Context(), o); err == nil {
		name, origin = p.Name, originOf(p)
	} else if name == "" {
		return "", origin, err
	}
	name, err := applySetName(name)
	return name, origin, err
}

// applySetName turns a compose project name (which may hold "_") into the
// name of the ApplySet parent Secret.
func applySetName(project string) (string, error) {
	name, err := convert.ObjectName(project)
	if err != nil {
		return "", fmt.Errorf("project %q: %w", project, err)
	}
	return name, nil
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
	cmd.Flags().StringVarP(&f.namespace, "namespace", "n", "", "namespace of the project")
	cmd.Flags().StringVar(&f.fieldManager, "field-manager", apply.DefaultFieldManager, "field manager the project was applied with")
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

// deleteFlags are the flags of delete and down.
type deleteFlags struct {
	targetFlags
	dryRun   string
	wait     bool
	timeout  time.Duration
	volumes  bool
	takeover bool
}

func newDeleteCommand(streams IOStreams, g *globalFlags, down bool) *cobra.Command {
	f := &deleteFlags{}
	cmd := &cobra.Command{
		Use:   "delete",
		Short: "Delete everything hoist applied for the project, and nothing else",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
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
		},
	}
	if down {
		cmd.Use = "down"
		cmd.Short = "Delete everything hoist applied for the project and wait until it is gone"
	}
	f.add(cmd)
	fs := cmd.Flags()
	fs.StringVar(&f.dryRun, "dry-run", "none", "none, client (only print) or server (server-side dry run)")
	fs.BoolVar(&f.wait, "wait", down, "wait until the objects are gone")
	fs.BoolVarP(&f.volumes, "volumes", "v", false, "also delete the project's PersistentVolumeClaims and their data (kept by default, like docker compose down)")
	fs.DurationVar(&f.timeout, "timeout", 5*time.Minute, "how long --wait waits")
	fs.BoolVar(&f.takeover, "force", false, "delete the project even when it was last applied from another directory or other compose files")
	return cmd
}

func newStatusCommand(streams IOStreams, g *globalFlags) *cobra.Command {
	f := &targetFlags{}
	cmd := &cobra.Command{
		Use:     "status",
		Aliases: []string{"ps"},
		Short:   "List the project's workloads on the cluster with their readiness, Services and autoscalers",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, name, _, err := f.connect(cmd, streams, g)
			if err != nil {
				return err
			}
			rows, err := client.Status(cmd.Context(), name, f.fieldManager)
			if err != nil {
				return err
			}
			printStatus(streams, rows)
			if len(rows) == 0 && !g.quiet {
				fmt.Fprintf(streams.ErrOut, "No workloads found for project %q in namespace %s\n", name, client.Namespace)
			}
			return nil
		},
	}
	f.add(cmd)
	return cmd
}

func printStatus(streams IOStreams, rows []apply.StatusRow) {
	if len(rows) == 0 {
		return
	}
	tw := newTable(streams.Out, "NAME", "READY", "STATE", "PORTS", "AUTOSCALE")
	for _, r := range rows {
		ports, hpa := r.Ports, r.Autoscale
		if ports == "" {
			ports = "-"
		}
		if hpa == "" {
			hpa = "-"
		}
		tw.row(r.Ref.String(), r.Ready, r.State, ports, hpa)
	}
	tw.flush()
}
