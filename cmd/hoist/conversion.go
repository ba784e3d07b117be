package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"

	"github.com/hoist-dev/hoist/convert"
	"github.com/hoist-dev/hoist/load"
)

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
	namespaceFlag(cmd, &f.namespace, "namespace of every namespaced object")
	fs := cmd.Flags()
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
		f.images.allowHostPaths = f.allowHostPaths
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
	// Convert does not watch the context: an interrupt during it stops
	// here, before anything is printed or written.
	if err := cmd.Context().Err(); err != nil {
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

func (f *convertFlags) toOptions(cmd *cobra.Command) (convert.Options, error) {
	opts := convert.Options{
		Namespace:       f.namespace,
		CreateNamespace: f.createNamespace,
		Registry:        f.registry,
		Tag:             f.tag,
		AllowHostPaths:  f.allowHostPaths,
		WaitImage:       f.waitImage,
		ClusterDomain:   f.clusterDomain,
		ServiceType:     corev1.ServiceType(f.serviceType),
		EnvSecrets:      convert.EnvSecrets(f.envSecrets),

		NoNetworkPolicies:  !f.networkPolicies,
		AllowUnsafeSysctls: f.unsafeSysctls,
	}
	// convert.Options.Validate checks the values (printError names its
	// options as flags); here only what the flags add: an empty
	// --wait-image or --cluster-domain is an error, where an empty option
	// means the default.
	if strings.TrimSpace(f.waitImage) == "" {
		return opts, errors.New("--wait-image: want an image reference, got an empty one")
	}
	if f.clusterDomain == "" {
		return opts, errors.New("--cluster-domain: want a DNS domain, got an empty one")
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
	// Convert validates the options again, but apply, up, diff and run
	// read the kubeconfig first: a bad flag must be reported before that,
	// as convert reports it. --create-namespace without -n is left to
	// Convert: those commands take the namespace from the context.
	check := opts
	check.CreateNamespace = false
	if err := check.Validate(); err != nil {
		return opts, err
	}
	opts.ServiceType = check.ServiceType
	return opts, nil
}

func printWarnings(streams IOStreams, warnings []convert.Warning) {
	for _, w := range warnings {
		fmt.Fprintf(streams.ErrOut, "Warning: %s\n", w)
	}
}
