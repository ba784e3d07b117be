// Package load reads a compose project exactly as `docker compose config`
// does, with compose-go's ProjectOptions in docker compose's order.
package load

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"sigs.k8s.io/yaml"
)

// Options are the compose CLI's project flags.
type Options struct {
	// Files are the -f flags, merged in order; "-" reads standard input.
	// Empty means COMPOSE_FILE, else the default file names searched from
	// the working directory upwards.
	Files []string
	// ProjectName is -p; empty means COMPOSE_PROJECT_NAME, the name: key or
	// the project directory's name.
	ProjectName string
	// Profiles are the --profile flags; empty means COMPOSE_PROFILES.
	Profiles []string
	// EnvFiles are the --env-file flags; empty means the project's .env.
	EnvFiles []string
	// WorkingDir is the project directory; empty means the directory of
	// the first file.
	WorkingDir string
	// Environ is the process environment as KEY=VALUE; nil means
	// os.Environ().
	Environ []string
}

// Project loads, interpolates, merges, validates and normalises the
// project, and drops the networks, volumes, secrets and configs no enabled
// service uses, as `docker compose config` does.
func Project(ctx context.Context, o Options) (*types.Project, error) {
	environ := o.Environ
	if environ == nil {
		environ = os.Environ()
	}
	pwd, err := os.Getwd()
	if err != nil {
		return nil, fmt.Errorf("loading compose project: %w", err)
	}
	opts, err := cli.NewProjectOptions(o.Files,
		cli.WithResolvedPaths(true),
		cli.WithDiscardEnvFile,
		cli.WithWorkingDirectory(o.WorkingDir),
		cli.WithEnv(environ),
		cli.WithEnv([]string{"PWD=" + pwd}),
		cli.WithEnvFiles(o.EnvFiles...),
		cli.WithDotEnv,
		cli.WithConfigFileEnv,
		cli.WithDefaultConfigPath,
		// The project directory may only be known now: read its .env.
		cli.WithEnvFiles(o.EnvFiles...),
		cli.WithDotEnv,
		cli.WithDefaultProfiles(o.Profiles...),
		cli.WithName(o.ProjectName),
	)
	if err != nil {
		return nil, fmt.Errorf("loading compose project: %w", oneLine(err))
	}
	p, err := opts.LoadProject(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading compose project: %w", oneLine(withFileName(err, opts.ConfigPaths)))
	}
	return withJobResources(p, p.WithoutUnnecessaryResources()), nil
}

// withJobResources puts back the networks, volumes, secrets and configs
// that only top-level jobs use: compose-go's pruning looks at services
// only.
func withJobResources(full, pruned *types.Project) *types.Project {
	for _, job := range pruned.Jobs {
		for k := range job.Networks {
			if v, ok := full.Networks[k]; ok {
				pruned.Networks[k] = v
			}
		}
		for _, m := range job.Volumes {
			if v, ok := full.Volumes[m.Source]; ok && m.Type == types.VolumeTypeVolume {
				pruned.Volumes[m.Source] = v
			}
		}
		for _, r := range job.Secrets {
			if v, ok := full.Secrets[r.Source]; ok {
				pruned.Secrets[r.Source] = v
			}
		}
		for _, r := range job.Configs {
			if v, ok := full.Configs[r.Source]; ok {
				pruned.Configs[r.Source] = v
			}
		}
	}
	return pruned
}

// lineError keeps the wrapped error but prints on one line: errors are
// printed as a single `error: ...` line.
type lineError struct{ err error }

func (e lineError) Error() string {
	var lines []string
	for _, l := range strings.Split(e.err.Error(), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	msg := strings.Join(lines, "; ")
	msg = strings.ReplaceAll(msg, ":; ", ": ")
	// The JSON schema reports an unknown key as "services.web.imagee false schema".
	return falseSchema.ReplaceAllString(msg, `$1: unknown key "$2"`)
}
func (e lineError) Unwrap() error { return e.err }

var falseSchema = regexp.MustCompile(`(\S+)\.([^.\s]+) false schema`)

// oneLine makes compose-go's errors print as one readable line.
func oneLine(err error) error {
	msg := err.Error()
	if !strings.Contains(msg, "\n") && !falseSchema.MatchString(msg) {
		return err
	}
	return lineError{err}
}

// withFileName names the file of a YAML syntax error, which compose-go
// reports without it, by parsing each file on its own.
func withFileName(err error, files []string) error {
	if !strings.HasPrefix(err.Error(), "yaml:") {
		return err
	}
	for _, f := range files {
		if f == "-" {
			if len(files) == 1 {
				return fmt.Errorf("standard input: %w", err)
			}
			continue
		}
		b, readErr := os.ReadFile(f)
		if readErr != nil {
			continue
		}
		var v any
		if yaml.Unmarshal(b, &v) != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
	}
	return err
}
