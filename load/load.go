// Package load reads a compose project exactly as `docker compose config`
// does, with compose-go's ProjectOptions in docker compose's order.
package load

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/consts"
	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/errdefs"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/compose-spec/compose-go/v2/utils"
	"github.com/docker/cli/pkg/kvfile"
	yamlv4 "go.yaml.in/yaml/v4"
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
	// Stdin is what -f - reads; nil means os.Stdin.
	Stdin io.Reader
	// AllowHostPaths lets the project read env files, label files,
	// include and extends targets outside its directory
	// (--allow-host-paths).
	AllowHostPaths bool
	// rawContent hands compose-go every compose file as text, never
	// decoded (decodedConfig): the tests compare both ways.
	rawContent bool
}

// decodedConfig decodes a compose file for compose-go's loader when that
// gives the loader exactly what it would decode itself, and reports
// whether it did. Its purpose is memory: from text, the loader keeps the
// file's whole YAML node tree (about 200 bytes a node) referenced by its
// decoder while it interpolates, merges and validates the file; handed the
// decoded map (types.ConfigFile.Config), it never builds that tree, which
// here is garbage before the loader starts. On the 1000-service benchmark
// project the load's live heap peaks at about 19 MB instead of 29 MB
// (make bench-convert's project: 27 MB instead of 48 MB).
//
// The file is decoded as compose-go decodes it, with the same YAML
// library and version (go.yaml.in/yaml/v4) into the same type; the text
// goes to the loader instead when that is not certain: more than one
// document, a top level that is not a mapping, a !reset or !override tag
// anywhere in the text (compose-go's ResetProcessor acts on those), or
// any decoding error (the loader then reports it in its own words, and
// accepts what only its ResetProcessor accepts, such as a merge key whose
// alias is a sequence). TestDecodedConfigSameProject checks that both
// ways load the same project, or fail alike, for every compose file of
// the repository's testdata and examples.
func decodedConfig(content []byte) (map[string]any, bool) {
	if bytes.Contains(content, []byte("!reset")) || bytes.Contains(content, []byte("!override")) {
		return nil, false
	}
	dec := yamlv4.NewDecoder(bytes.NewReader(content))
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, false
	}
	var more any
	if err := dec.Decode(&more); !errors.Is(err, io.EOF) {
		return nil, false
	}
	m, ok := doc.(map[string]any)
	return m, ok && len(m) > 0
}

// Project loads, interpolates, merges, validates and normalises the
// project, and drops the networks, volumes, secrets and configs no enabled
// service uses, as `docker compose config` does.
//
// Before the loader reads a file, hoist checks it: every compose file,
// env file (--env-file, .env, env_file), label file, include and extends
// target must be a regular file (not a FIFO, device or directory, also
// through a symlink) of at most MaxFileSize bytes, and all but the -f files
// must lie inside the project directory (symlinks resolved) unless
// o.AllowHostPaths. Compose files must stay within MaxDocuments, MaxDepth,
// MaxAliases and MaxNodes. Each violation is a one-line error naming the
// file and the key that refers to it. A cancelled ctx returns at once with
// an error wrapping ctx.Err(), even while the loader is still working.
func Project(ctx context.Context, o Options) (*types.Project, error) {
	type result struct {
		p   *types.Project
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- result{err: fmt.Errorf("loading compose project: the loader failed: %v", r)}
			}
		}()
		p, err := project(ctx, o)
		done <- result{p, err}
	}()
	select {
	case r := <-done:
		return r.p, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("loading compose project: %w", ctx.Err())
	}
}

// registerRaw registers the env_file format "raw" with compose-go, once:
// the docker compose CLI registers it itself (compose-go does not), with
// docker run --env-file's parser (docker/cli's kvfile): KEY=VALUE lines,
// values taken as written, no quotes or interpolation, a bare KEY taken
// from the environment.
var registerRaw = sync.OnceFunc(func() {
	dotenv.RegisterFormat("raw", func(r io.Reader, filename string, vars map[string]string, lookup func(string) (string, bool)) error {
		lines, err := kvfile.ParseFromReader(r, lookup)
		if err != nil {
			return fmt.Errorf("failed to parse env_file %s: %w", filename, err)
		}
		for _, l := range lines {
			k, v, _ := strings.Cut(l, "=")
			vars[k] = v
		}
		return nil
	})
})

func project(ctx context.Context, o Options) (*types.Project, error) {
	registerRaw()
	environ := o.Environ
	if environ == nil {
		environ = os.Environ()
	}
	pwd, err := os.Getwd()
	if err != nil {
		return nil, fmt.Errorf("loading compose project: %w", err)
	}
	g := &guard{allowHost: o.AllowHostPaths, visited: map[string]bool{}}
	// Env files are checked before they are read: the project directory
	// (the first file's, --project-directory's, or the working
	// directory) is known at each step.
	checkEnvFiles := func(po *cli.ProjectOptions) error {
		wd, err := po.GetWorkingDir()
		if err != nil {
			return err
		}
		g.root = RealPath(wd)
		key := ".env"
		if len(o.EnvFiles) > 0 {
			key = "--env-file"
		}
		for _, f := range po.EnvFiles {
			abs, err := filepath.Abs(f)
			if err != nil {
				return err
			}
			if err := g.check(key, abs, true); err != nil {
				return err
			}
		}
		return nil
	}
	opts, err := cli.NewProjectOptions(o.Files,
		cli.WithWorkingDirectory(o.WorkingDir),
		cli.WithEnv(environ),
		cli.WithEnv([]string{"PWD=" + pwd}),
		cli.WithEnvFiles(o.EnvFiles...),
		checkEnvFiles,
		cli.WithDotEnv,
		cli.WithConfigFileEnv,
		cli.WithDefaultConfigPath,
		// The project directory may only be known now: read its .env.
		cli.WithEnvFiles(o.EnvFiles...),
		checkEnvFiles,
		cli.WithDotEnv,
		cli.WithName(o.ProjectName),
	)
	if err != nil {
		return nil, fmt.Errorf("loading compose project: %w", oneLine(err))
	}
	if len(opts.ConfigPaths) == 0 {
		return nil, fmt.Errorf("loading compose project: no configuration file provided: %w", errdefs.ErrNotFound)
	}
	workingDir, err := opts.GetWorkingDir()
	if err != nil {
		return nil, fmt.Errorf("loading compose project: %w", err)
	}
	g.root = RealPath(workingDir)
	g.env = opts.Environment
	stdin := o.Stdin
	if stdin == nil {
		stdin = os.Stdin
	}
	details := types.ConfigDetails{WorkingDir: workingDir, Environment: opts.Environment}
	for _, f := range opts.ConfigPaths {
		var b []byte
		if f == "-" {
			b, err = readLimited("compose file", "standard input", stdin)
		} else {
			if f, err = filepath.Abs(f); err != nil {
				return nil, fmt.Errorf("loading compose project: %w", err)
			}
			b, err = g.read("compose file", f, false)
		}
		if err != nil {
			return nil, fmt.Errorf("loading compose project: %w", err)
		}
		name := f
		if f == "-" {
			name = "standard input"
		}
		if err := g.scan("compose file", name, b, workingDir); err != nil {
			return nil, fmt.Errorf("loading compose project: %w", err)
		}
		cf := types.ConfigFile{Filename: f, Content: b}
		if !o.rawContent {
			if cfg, ok := decodedConfig(b); ok {
				// The loader decodes Config and reads only the name: key
				// from Content (and would read the file again without it).
				cf.Config = cfg
			}
		}
		details.ConfigFiles = append(details.ConfigFiles, cf)
	}
	profiles := o.Profiles
	if len(profiles) == 0 {
		for _, s := range strings.Split(opts.Environment[consts.ComposeProfiles], ",") {
			profiles = append(profiles, strings.TrimSpace(s))
		}
	}
	p, err := loader.LoadWithContext(ctx, details, func(lo *loader.Options) {
		lo.ResolvePaths = true
		lo.ConvertWindowsPaths = utils.StringToBool(opts.Environment["COMPOSE_CONVERT_WINDOWS_PATHS"])
		lo.Profiles = profiles
		lo.SkipResolveEnvironment = true
		lo.SkipResolveLabels = true
		lo.ResourceLoaders = []loader.ResourceLoader{resourceLoader{g}}
		// docker compose's name precedence: -p, COMPOSE_PROJECT_NAME,
		// the name: key, the project directory's name.
		switch {
		case opts.Name != "":
			lo.SetProjectName(opts.Name, true)
		case opts.Environment[consts.ComposeProjectName] != "":
			lo.SetProjectName(opts.Environment[consts.ComposeProjectName], true)
		default:
			lo.SetProjectName(loader.NormalizeProjectName(filepath.Base(workingDir)), false)
		}
	})
	if err != nil && err.Error() == "empty compose file" {
		// compose-go names no file; every one of them is empty.
		var names []string
		for _, f := range details.ConfigFiles {
			name := f.Filename
			if name == "-" {
				name = "standard input"
			}
			names = append(names, name)
		}
		return nil, fmt.Errorf("loading compose project: %s: empty compose file (no services or other keys)", strings.Join(names, ", "))
	}
	if err != nil {
		return nil, fmt.Errorf("loading compose project: %w", oneLine(g.locate(withFileName(err, details.ConfigFiles))))
	}
	for _, f := range details.ConfigFiles {
		p.ComposeFiles = append(p.ComposeFiles, f.Filename)
	}
	// env_file and label_file are read now, once checked.
	if err := g.checkServiceFiles(p); err != nil {
		return nil, fmt.Errorf("loading compose project: %w", err)
	}
	if p, err = p.WithServicesEnvironmentResolved(true); err != nil {
		return nil, fmt.Errorf("loading compose project: %w", oneLine(err))
	}
	if p, err = p.WithServicesLabelsResolved(false); err != nil {
		return nil, fmt.Errorf("loading compose project: %w", oneLine(err))
	}
	if err := resolveJobFiles(p); err != nil {
		return nil, fmt.Errorf("loading compose project: %w", oneLine(err))
	}
	return withJobResources(p, p.WithoutUnnecessaryResources()), nil
}

// resolveJobFiles reads the env_file and label_file entries of top-level
// jobs into their environment and labels, as compose-go does for
// services only.
func resolveJobFiles(p *types.Project) error {
	if len(p.Jobs) == 0 {
		return nil
	}
	tmp := &types.Project{Environment: p.Environment, Services: types.Services{}}
	for name, j := range p.Jobs {
		tmp.Services[name] = types.ServiceConfig{Name: name, ContainerSpec: j.ContainerSpec}
	}
	tmp, err := tmp.WithServicesEnvironmentResolved(true)
	if err != nil {
		return err
	}
	if tmp, err = tmp.WithServicesLabelsResolved(false); err != nil {
		return err
	}
	for name, j := range p.Jobs {
		j.ContainerSpec = tmp.Services[name].ContainerSpec
		p.Jobs[name] = j
	}
	return nil
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

func (e lineError) Error() string { return cleanMessage(e.err.Error()) }

// maxMessage is the longest error message load returns, in bytes: longer
// ones (compose-go quoting a binary file it failed to parse) are cut.
const maxMessage = 1000

// cleanMessage makes one readable line of a compose-go error message,
// without the content of env files: their parser quotes the rest of the
// line it stopped at (a value, maybe a password) or the unterminated value.
func cleanMessage(msg string) string {
	msg = envValue.ReplaceAllString(msg, "$1 (its text is not shown)")
	var lines []string
	for _, l := range strings.Split(msg, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	msg = strings.Join(lines, "; ")
	msg = strings.ReplaceAll(msg, ":; ", ": ")
	// The JSON schema reports an unknown key as "services.web.imagee false schema".
	msg = falseSchema.ReplaceAllString(msg, `$1: unknown key "$2"`)
	if len(msg) > maxMessage {
		msg = strings.ToValidUTF8(msg[:maxMessage], "") + "..."
	}
	return msg
}

// envValue matches what compose-go's env file parser quotes from the file
// in its errors (dotenv/parser.go): an unterminated quoted value, or the
// line of a variable name with an unexpected character, up to the end.
var envValue = regexp.MustCompile(`(?s)(line \d+: unterminated quoted value|line \d+: unexpected character "(?:[^"\\]|\\.)*" in variable name) .*`)

func (e lineError) Unwrap() error { return e.err }

var falseSchema = regexp.MustCompile(`(\S+)\.([^.\s]+) false schema`)

// oneLine makes compose-go's errors print as one readable line.
func oneLine(err error) error {
	if cleanMessage(err.Error()) == err.Error() {
		return err
	}
	return lineError{err}
}

// withFileName names the file of a YAML syntax error, which compose-go
// reports without it, by parsing each file on its own.
func withFileName(err error, files []types.ConfigFile) error {
	if !strings.HasPrefix(err.Error(), "yaml:") {
		return err
	}
	for _, f := range files {
		if f.Filename == "-" {
			if len(files) == 1 {
				return fmt.Errorf("standard input: %w", err)
			}
			continue
		}
		var v any
		if yaml.Unmarshal(f.Content, &v) != nil {
			return fmt.Errorf("%s: %w", f.Filename, err)
		}
	}
	return err
}
