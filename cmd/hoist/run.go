package main

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/mattn/go-shellwords"
	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/hoist-dev/hoist/apply"
	"github.com/hoist-dev/hoist/convert"
	"github.com/hoist-dev/hoist/load"
	"github.com/hoist-dev/hoist/ops"
)

type runFlags struct {
	convert       convertFlags
	kube          kubeFlags
	rm, noDeps    bool
	noTTY         bool
	entrypoint    string
	user, workdir string
	env           []string
	timeout       time.Duration
}

func newRunCommand(streams IOStreams, g *globalFlags) *cobra.Command {
	f := &runFlags{}
	cmd := &cobra.Command{
		Use:   "run SERVICE [COMMAND [ARGS...]]",
		Short: "Run a one-off command in a new pod of a service, like docker compose run",
		Long: `Run creates a one-off pod from the service's converted pod spec (same image,
environment, volumes and secrets; no probes, restart policy Never, no
app.kubernetes.io/name label so no Service routes to it), waits for it and
exits with the command's status. Unless --no-deps, the service's dependencies
are applied first (without pruning) and waited for. On a terminal it attaches
with a TTY; otherwise it prints the container's output from its start and
passes no standard input. The pod is deleted when it ends and on Ctrl-C,
unless --rm=false.`,
		Example: `  hoist run --rm web rake db:migrate
  hoist run --no-deps -e DEBUG=1 worker sh`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return f.run(cmd, streams, g, args) },
	}
	f.convert.add(cmd)
	// run has no --build: its --registry and --tag only name images.
	cmd.Flags().Lookup("registry").Usage = "registry prefix of the image names of build-only services"
	cmd.Flags().Lookup("tag").Usage = "tag of the image names of build-only services"
	f.kube.add(cmd)
	fs := cmd.Flags()
	fs.SetInterspersed(false)
	fs.BoolVar(&f.rm, "rm", true, "delete the pod when it ends")
	fs.BoolVar(&f.noDeps, "no-deps", false, "do not apply and wait for the service's dependencies, nor wait for them in the pod")
	fs.BoolVarP(&f.noTTY, "no-tty", "T", false, "do not allocate a TTY (the default on a terminal)")
	fs.StringVar(&f.entrypoint, "entrypoint", "", "override the image's entrypoint")
	fs.StringVarP(&f.user, "user", "u", "", "run as this numeric UID[:GID]")
	fs.StringVarP(&f.workdir, "workdir", "w", "", "working directory of the command")
	fs.StringArrayVarP(&f.env, "env", "e", nil, "set an environment variable KEY=VALUE, repeatable")
	f.timeout = 5 * time.Minute
	fs.Var(durationFlag{d: &f.timeout, positive: true}, "timeout", "how long applying and waiting for the dependencies may take")
	return cmd
}

func (f *runFlags) run(cmd *cobra.Command, streams IOStreams, g *globalFlags, args []string) error {
	service := args[0]
	// A service the project lacks is an error before anything else.
	lo := f.convert.project.options()
	lo.AllowHostPaths = f.convert.allowHostPaths
	if slices.Contains(lo.Files, "-") {
		// The project is loaded twice (here, and converted below):
		// standard input is read once, bounded as load bounds it.
		b, err := io.ReadAll(io.LimitReader(streams.In, load.MaxFileSize+1))
		if err != nil {
			return fmt.Errorf("loading compose project: reading standard input: %w", err)
		}
		lo.Stdin, streams.In = bytes.NewReader(b), bytes.NewReader(b)
	}
	project, err := load.Project(cmd.Context(), lo)
	if err != nil {
		return err
	}
	if _, ok := project.Services[service]; !ok {
		return ops.UnknownService(project, service)
	}
	opts, err := f.convert.toOptions(cmd)
	if err != nil {
		return err
	}
	conn := f.kube.options(streams, g, f.convert.namespace)
	if opts.Namespace, err = apply.ResolveNamespace(conn); err != nil {
		return err
	}
	project, res, err := f.convert.run(cmd, streams, g, opts)
	if err != nil {
		return err
	}
	targets, err := ops.Targets(project, res)
	if err != nil {
		return err
	}
	t, ok := targets[service]
	if !ok {
		return fmt.Errorf("service %q: has no workload to run a pod of", service)
	}
	o := ops.RunOptions{Env: f.env, User: f.user, Workdir: f.workdir, NoDeps: f.noDeps, Keep: !f.rm}
	if len(args) > 1 {
		o.Command = args[1:]
	}
	if cmd.Flags().Changed("entrypoint") {
		ep, err := shellwords.Parse(f.entrypoint)
		if err != nil {
			return fmt.Errorf("--entrypoint %q: %w", f.entrypoint, err)
		}
		o.Entrypoint = ep
	}
	// Check what the pod would be before reaching the cluster.
	if _, err := ops.RunPod(t, o, false, false); err != nil {
		return err
	}
	client, err := apply.Connect(cmd.Context(), conn)
	if err != nil {
		return err
	}
	if !f.noDeps {
		if err := f.applyDependencies(cmd, streams, g, client, project, res, service); err != nil {
			return err
		}
	}
	oc, err := ops.New(client)
	if err != nil {
		return err
	}
	s := ops.Streams{Out: streams.Out, ErrOut: streams.ErrOut}
	if tin := terminalIn(streams); tin != nil && !f.noTTY && isTerminal(streams.Out) {
		s.TTY, s.In = true, streams.In
		s.Sizes = &sizeQueue{fd: int(tin.Fd())}
		restore, err := rawTerminal(tin)
		if err != nil {
			return err
		}
		defer restore()
	}
	code, err := oc.Run(cmd.Context(), t, o, s)
	if err != nil {
		return err
	}
	if code != 0 {
		return &exitError{code: code}
	}
	return nil
}

// applyDependencies applies the objects of the service's dependencies
// (transitively), the project-wide objects and the service's own
// configuration and storage, without pruning, then waits for the
// dependencies' workloads: what docker compose run starts first.
func (f *runFlags) applyDependencies(cmd *cobra.Command, streams IOStreams, g *globalFlags, client *apply.Client, project *types.Project, res *convert.Result, service string) error {
	deps := map[string]bool{}
	var walk func(string)
	walk = func(name string) {
		for dep := range project.Services[name].DependsOn {
			if _, ok := project.Services[dep]; ok && !deps[dep] {
				deps[dep] = true
				walk(dep)
			}
		}
	}
	walk(service)
	if len(deps) == 0 {
		return nil
	}
	depNames := map[string]bool{}
	for d := range deps {
		if n, err := convert.ObjectName(d); err == nil {
			depNames[n] = true
		}
	}
	own, _ := convert.ObjectName(service)
	var objs, wait []*unstructured.Unstructured
	for _, u := range res.Objects {
		name, labelled := u.GetLabels()[convert.LabelName]
		switch {
		case depNames[name]:
			objs = append(objs, u)
			if slices.Contains([]string{"Deployment", "StatefulSet", "DaemonSet", "Job"}, u.GetKind()) {
				wait = append(wait, u)
			}
		case !labelled, name == own && !slices.Contains([]string{"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"}, u.GetKind()):
			objs = append(objs, u)
		}
	}
	setName, err := applySetName(project.Name)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(f.timeout)
	results, err := client.Apply(cmd.Context(), objs, apply.Options{
		Project: setName, Tooling: tooling(), FieldManager: apply.DefaultFieldManager,
		Concurrency: 16, Warnings: warnings(streams, g), Timeout: f.timeout, Origin: originOf(project),
	})
	if !g.quiet {
		for _, r := range results {
			fmt.Fprintln(streams.ErrOut, r)
		}
	}
	if err != nil {
		return err
	}
	w := waitOptions(streams, g, deadline)
	w.Budget = f.timeout
	return client.Wait(cmd.Context(), wait, w)
}
