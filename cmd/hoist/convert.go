package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/hoist-dev/hoist/convert"
	"github.com/hoist-dev/hoist/load"
	"github.com/hoist-dev/hoist/output"
)

// projectFlags are docker compose's project flags.
type projectFlags struct {
	files       []string
	projectName string
	projectDir  string
	profiles    []string
	envFiles    []string
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
	return load.Options{Files: f.files, ProjectName: f.projectName, WorkingDir: f.projectDir, Profiles: f.profiles, EnvFiles: f.envFiles}
}

// convertFlags are the flags that shape the conversion, shared by every
// command that converts.
type convertFlags struct {
	project         projectFlags
	namespace       string
	createNamespace bool
	replicas        int32
	autoscale       []string
	serviceType     string
	registry        string
	tag             string
	strict          bool
	allowHostPaths  bool
	envSecrets      string
	networkPolicies bool
	dependsOn       string
	waitImage       string
	clusterDomain   string
	unsafeSysctls   bool
	report          string
	// images is set on the commands that take --build.
	images *imageFlags
}

func (f *convertFlags) add(cmd *cobra.Command) {
	f.project.add(cmd)
	fs := cmd.Flags()
	fs.StringVarP(&f.namespace, "namespace", "n", "", "namespace of every namespaced object")
	fs.BoolVar(&f.createNamespace, "create-namespace", false, "also emit the Namespace (needs -n)")
	fs.Int32Var(&f.replicas, "replicas", 0, "replicas of every service, overriding the compose file")
	fs.StringArrayVar(&f.autoscale, "autoscale", nil, "add an autoscaler: SERVICE=MIN:MAX[:CPU%], repeatable")
	fs.StringVar(&f.serviceType, "service-type", "", "Service type for services that set none: ClusterIP, NodePort or LoadBalancer")
	fs.StringVar(&f.registry, "registry", "", "registry prefix of the image names of build-only services, and where --build pushes")
	fs.StringVar(&f.tag, "tag", "", "tag of the image names of build-only services, and the tag --build pushes (default there: derived from the image's content)")
	fs.BoolVar(&f.strict, "strict", false, "fail when anything is approximated or dropped")
	fs.BoolVar(&f.allowHostPaths, "allow-host-paths", false, "read files outside the project directory (env files, label files, include and extends targets) and emit hostPath volumes for bind mounts outside the project and the Docker socket, instead of refusing them")
	fs.StringVar(&f.envSecrets, "env-secrets", "auto", "environment variables that go into a Secret: auto (secret-looking names), all or none")
	fs.BoolVar(&f.networkPolicies, "network-policies", true, "emit a NetworkPolicy per compose network when the project declares networks")
	fs.StringVar(&f.dependsOn, "depends-on", "wait", "depends_on: wait (init containers wait for dependencies) or ignore")
	fs.StringVar(&f.waitImage, "wait-image", convert.DefaultWaitImage, "image of the init containers that wait for dependencies")
	fs.StringVar(&f.clusterDomain, "cluster-domain", convert.DefaultClusterDomain, "the cluster's DNS domain, which dependency waits look names up in")
	fs.BoolVar(&f.unsafeSysctls, "allow-unsafe-sysctls", false, "keep sysctls outside the kubelet's safe set (the nodes must allow them) instead of dropping them")
	fs.StringVar(&f.report, "report", "", "write a JSON report of what happened to every compose key to this file")
}

// run loads and converts the project, printing warnings unless quiet.
func (f *convertFlags) run(cmd *cobra.Command, streams IOStreams, g *globalFlags, opts convert.Options) (*types.Project, *convert.Result, error) {
	lo := f.project.options()
	lo.AllowHostPaths = f.allowHostPaths
	lo.Stdin = streams.In
	project, err := load.Project(cmd.Context(), lo)
	if err != nil {
		return nil, nil, err
	}
	if opts.HostPaths, err = load.HostPaths(project); err != nil {
		return nil, nil, err
	}
	if f.images != nil && f.images.build {
		// Convert once with placeholder digests first, so that a project
		// that cannot convert, or warns under --strict, builds nothing.
		placeholders := map[string]string{}
		for _, name := range project.ServiceNames() {
			if project.Services[name].Build != nil {
				placeholders[name] = "hoist.invalid/placeholder@sha256:" + strings.Repeat("0", 64)
			}
		}
		opts.Images = shareBuiltImages(project, placeholders)
		pre, err := convert.Convert(project, opts)
		if err != nil {
			return nil, nil, err
		}
		if f.strict && len(pre.Warnings) > 0 {
			if !g.quiet {
				printWarnings(streams, pre.Warnings)
			}
			return nil, nil, fmt.Errorf("%d warning(s) and --strict is set", len(pre.Warnings))
		}
		pinned, err := imageRun(cmd.Context(), streams, g, f.images, project, nil, f.strict, true, f.registry, f.tag)
		if err != nil {
			return nil, nil, err
		}
		opts.Images = shareBuiltImages(project, pinned)
	}
	res, err := convert.Convert(project, opts)
	if err != nil {
		return nil, nil, err
	}
	if !g.quiet {
		printWarnings(streams, res.Warnings)
	}
	if f.report != "" {
		if err := writeReport(f.report, convert.NewReport(project, res)); err != nil {
			return nil, nil, err
		}
	}
	if f.strict && len(res.Warnings) > 0 {
		return nil, nil, fmt.Errorf("%d warning(s) and --strict is set", len(res.Warnings))
	}
	return project, res, nil
}

func newConvertCommand(streams IOStreams, g *globalFlags) *cobra.Command {
	f := &convertFlags{}
	var formatFlag, outDir string
	cmd := &cobra.Command{
		Use:   "convert",
		Short: "Print the Kubernetes objects for a compose project",
		Long: `Convert loads a compose project exactly as "docker compose config" does and
prints the Kubernetes objects it becomes on stdout. Warnings about what was
approximated or dropped go to stderr; --strict makes them an error.`,
		Example: `  hoist convert -f compose.yaml
  hoist convert -f compose.yaml -f compose.prod.yaml -n shop --create-namespace
  hoist convert --autoscale web=2:10:60 | kubectl apply -f -`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, err := output.ParseFormat(formatFlag)
			if err != nil {
				return err
			}
			if format.NeedsDirectory() && outDir == "" {
				return fmt.Errorf("--format %s writes a directory: set -o DIR", format)
			}
			opts, err := f.toOptions(cmd)
			if err != nil {
				return err
			}
			project, res, err := f.run(cmd, streams, g, opts)
			if err != nil {
				return err
			}
			if outDir != "" {
				files, err := output.Files(res.Objects, format, project.Name)
				if err != nil {
					return err
				}
				return writeDir(outDir, files, keepPaths(project))
			}
			return output.Write(streams.Out, res.Objects, format)
		},
	}
	f.add(cmd)
	f.images = &imageFlags{}
	f.images.add(cmd, true)
	cmd.Flags().StringVar(&formatFlag, "format", "yaml", "output format: yaml, json (a v1 List), kustomize or helm (a chart); kustomize and helm need -o")
	cmd.Flags().StringVarP(&outDir, "output", "o", "", "write a directory instead of stdout: one file per object, a kustomization, or a chart; replaces the directory's previous output")
	return cmd
}

func (f *convertFlags) toOptions(cmd *cobra.Command) (convert.Options, error) {
	opts := convert.Options{
		Namespace:       f.namespace,
		CreateNamespace: f.createNamespace,
		Registry:        f.registry,
		Tag:             f.tag,
		AllowHostPaths:  f.allowHostPaths,
		WaitImage:       f.waitImage,
		ClusterDomain:   f.clusterDomain,

		AllowUnsafeSysctls: f.unsafeSysctls,
	}
	var err error
	if opts.EnvSecrets, err = convert.ParseEnvSecrets(f.envSecrets); err != nil {
		return opts, err
	}
	opts.NoNetworkPolicies = !f.networkPolicies
	if strings.TrimSpace(f.waitImage) == "" {
		return opts, errors.New("--wait-image: want an image reference, got an empty one")
	}
	if errs := validation.IsDNS1123Subdomain(f.clusterDomain); len(errs) > 0 {
		return opts, fmt.Errorf("--cluster-domain %q: %s", f.clusterDomain, strings.Join(errs, "; "))
	}
	switch f.dependsOn {
	case "wait":
	case "ignore":
		opts.IgnoreDependsOn = true
	default:
		return opts, fmt.Errorf("--depends-on %q: want wait or ignore", f.dependsOn)
	}
	if cmd.Flags().Changed("replicas") {
		r := f.replicas
		opts.Replicas = &r
	}
	if f.serviceType != "" {
		if opts.ServiceType, err = convert.ParseServiceType(f.serviceType); err != nil {
			return opts, err
		}
	}
	for _, a := range f.autoscale {
		name, spec, err := convert.ParseAutoscale(a)
		if err != nil {
			return opts, err
		}
		if opts.Autoscale == nil {
			opts.Autoscale = map[string]convert.Autoscale{}
		}
		opts.Autoscale[name] = spec
	}
	return opts, nil
}

// writeReport writes the JSON report atomically: a failed write leaves no
// half-written file.
func writeReport(path string, r *convert.Report) error {
	if err := checkReportReplaceable(path); err != nil {
		return err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return err
	}
	b := buf.Bytes()
	tmp, err := os.CreateTemp(filepath.Dir(path), ".hoist-report-*")
	if err != nil {
		// Name the report, not the temporary file.
		if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("writing report %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("writing report %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing report %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		if le := (*os.LinkError)(nil); errors.As(err, &le) {
			err = le.Err
		}
		return fmt.Errorf("writing report %s: %w", path, err)
	}
	return nil
}

// keepPaths are the paths an output directory must not contain: the
// working directory, the project directory and every compose file.
func keepPaths(p *types.Project) []string {
	keep := []string{".", p.WorkingDir}
	keep = append(keep, p.ComposeFiles...)
	return keep
}

// checkReportReplaceable fails unless path is missing or a regular file
// holding a previous hoist report: --report never overwrites another file.
func checkReportReplaceable(path string) error {
	info, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("writing report %s: %w", path, unwrapPath(err))
	}
	refuse := fmt.Errorf("writing report %s: the file exists and is not a hoist report; choose a new file", path)
	if !info.Mode().IsRegular() || info.Size() > 64<<20 {
		return refuse
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return refuse
	}
	var old struct {
		Project  *string          `json:"project"`
		Services []map[string]any `json:"services"`
		Summary  map[string]any   `json:"summary"`
	}
	if json.Unmarshal(b, &old) != nil || old.Project == nil || old.Summary == nil {
		return refuse
	}
	return nil
}

func printWarnings(streams IOStreams, warnings []convert.Warning) {
	for _, w := range warnings {
		fmt.Fprintf(streams.ErrOut, "Warning: %s\n", w)
	}
}
