package main

import (
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/apply"
	"github.com/hoist-dev/hoist/convert"
	"github.com/hoist-dev/hoist/load"
	"github.com/hoist-dev/hoist/ops"
)

// verbFlags are the flags of the verbs that act on a project already up
// (logs, exec, restart, scale, port-forward): the project flags, -n and
// the connection flags.
type verbFlags struct {
	project   projectFlags
	namespace string
	kube      kubeFlags
}

func (f *verbFlags) add(cmd *cobra.Command, fileShort string) {
	f.project.addWithFileShorthand(cmd, fileShort)
	f.kube.add(cmd)
	namespaceFlag(cmd, &f.namespace, "namespace of the project (default: the context's)")
}

// verb is a project loaded for a verb, with its services' targets.
type verb struct {
	project *types.Project
	targets map[string]ops.Target
	// selected are the targets of the services named on the command line
	// (all when none).
	selected []ops.Target
	conn     apply.ConnectOptions
}

// load loads the project, finds where its services run from a conversion
// with the default options (which only reads the compose files) and
// checks the service names, before anything reaches the cluster.
func (f *verbFlags) load(cmd *cobra.Command, streams IOStreams, g *globalFlags, services []string) (*verb, error) {
	o := f.project.options()
	// Only the services' names and workloads are needed, and nothing read
	// is printed: files outside the project may be read (they are still
	// checked to be regular and bounded), as status and down do, so that a
	// project brought up with --allow-host-paths can be inspected.
	o.AllowHostPaths = true
	project, err := load.Project(cmd.Context(), o)
	if err != nil {
		return nil, err
	}
	for _, s := range services {
		if _, ok := project.Services[s]; !ok {
			return nil, ops.UnknownService(project, s)
		}
	}
	conn := f.kube.options(streams, g, f.namespace)
	ns, err := apply.ResolveNamespace(conn)
	if err != nil {
		return nil, err
	}
	targets, err := targetsOf(project, convert.Options{Namespace: ns})
	if err != nil {
		return nil, err
	}
	selected, err := ops.Select(project, targets, services)
	if err != nil {
		return nil, err
	}
	return &verb{project: project, targets: targets, selected: selected, conn: conn}, nil
}

// targetsOf converts the project (warnings are the business of convert and
// up, not of the verbs) and finds its services' workloads.
func targetsOf(project *types.Project, opts convert.Options) (map[string]ops.Target, error) {
	opts.AllowHostPaths = true
	if opts.WaitImage == "" {
		opts.WaitImage = convert.DefaultWaitImage
	}
	if opts.ClusterDomain == "" {
		opts.ClusterDomain = convert.DefaultClusterDomain
	}
	var err error
	if opts.HostPaths, err = load.HostPaths(project); err != nil {
		return nil, err
	}
	res, err := convert.Convert(project, opts)
	if err != nil {
		return nil, err
	}
	return ops.Targets(project, res)
}

// connect reaches the cluster.
func (v *verb) connect(cmd *cobra.Command) (*ops.Client, error) {
	client, err := apply.Connect(cmd.Context(), v.conn)
	if err != nil {
		return nil, err
	}
	return ops.New(client)
}

// addVerbCommands adds compose's everyday verbs to the root command.
func addVerbCommands(root *cobra.Command, streams IOStreams, g *globalFlags) {
	root.AddCommand(
		newLogsCommand(streams, g),
		newExecCommand(streams, g),
		newRunCommand(streams, g),
		newRestartCommand(streams, g),
		newScaleCommand(streams, g),
		newLsCommand(streams, g),
		newConfigCommand(streams, g),
		newPortForwardCommand(streams, g),
	)
}
