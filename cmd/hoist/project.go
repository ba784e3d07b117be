package main

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/apply"
	"github.com/hoist-dev/hoist/convert"
	"github.com/hoist-dev/hoist/load"
)

// converted is a project converted for the cluster it goes to.
type converted struct {
	project *types.Project
	res     *convert.Result
	conn    apply.ConnectOptions
}

// convertFor converts the project for the target namespace (the
// context's when -n is not given), before anything reaches the cluster:
// apply, up and diff.
func convertFor(cmd *cobra.Command, streams IOStreams, g *globalFlags, cf *convertFlags, kf *kubeFlags) (*converted, error) {
	opts, err := cf.toOptions(cmd)
	if err != nil {
		return nil, err
	}
	conn := kf.options(streams, g, cf.namespace)
	if opts.Namespace, err = apply.ResolveNamespace(conn); err != nil {
		return nil, err
	}
	project, res, err := cf.run(cmd, streams, g, opts)
	if err != nil {
		return nil, err
	}
	return &converted{project: project, res: res, conn: conn}, nil
}

// connect names the project's ApplySet parent and connects to the
// cluster, once the project is converted: apply, up and diff.
func (c *converted) connect(ctx context.Context) (setName string, client *apply.Client, err error) {
	if setName, err = applySetName(c.project.Name); err != nil {
		return "", nil, err
	}
	client, err = apply.Connect(ctx, c.conn)
	return setName, client, err
}

// originOf is where project was loaded from: its absolute directory and
// compose files, the project's identity in the ApplySet parent.
func originOf(project *types.Project) apply.Origin {
	o := apply.Origin{Dir: project.WorkingDir, Project: project.Name}
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

// projectName is the name of the project's ApplySet parent: the loaded
// project's name, or -p when there is no compose file (delete and status
// need only the name), made a valid object name; and where the project
// was loaded from (without a compose file, an Origin of the name alone).
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
	} else {
		// -p alone: the compose name tells my_app from my-app.
		origin.Project = name
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

// tooling is the ApplySet tooling annotation: hoist/<semver>.
func tooling() string {
	if semver.MatchString(version) {
		return "hoist/" + version
	}
	return "hoist/v0.0.0-" + version
}

var semver = regexp.MustCompile(`^v\d+\.\d+\.\d+([-+].*)?$`)

// printResults writes one kubectl-style line per result on stdout.
func printResults(streams IOStreams, results []apply.Result) {
	for _, r := range results {
		fmt.Fprintln(streams.Out, r)
	}
}
