package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/template"
	"github.com/compose-spec/compose-go/v2/types"
)

// Limits on what hoist reads, checked before the loader sees a file.
// docker compose has none; these are far above any real project and keep
// a hostile file from hanging hoist or exhausting its memory.
const (
	// MaxFileSize is the largest compose file, env file, label file,
	// include or extends target hoist reads, in bytes (4 MiB).
	MaxFileSize = 4 << 20
	// MaxDepth is the deepest nesting of YAML collections in a compose
	// file, aliases expanded.
	MaxDepth = 100
	// MaxNodes is the largest number of YAML nodes in a compose file
	// once aliases are expanded (an alias counts as the whole node it
	// names).
	MaxNodes = 250_000
	// MaxAliases is the largest number of aliases in a compose file.
	MaxAliases = 10_000
	// MaxDocuments is the largest number of YAML documents in a compose
	// file.
	MaxDocuments = 32
	// MaxFiles is the largest number of files a project may read through
	// include and extends.
	MaxFiles = 256
)

// guard checks every file the loader is about to read: a regular file
// (not a FIFO, device or directory, whether named directly or through a
// symlink) of at most MaxFileSize bytes, inside the project directory
// unless host paths are allowed.
type guard struct {
	root      string // the project directory, symlinks resolved
	allowHost bool
	env       map[string]string // for interpolating include and extends paths
	visited   map[string]bool
	// files are the compose files scanned, for locate. Only their bytes
	// are kept: their node trees, several times larger, are parsed again
	// on the one error that needs them.
	files []namedFile
}

type namedFile struct {
	name    string
	content []byte
}

// fileError names the key that refers to a file and what is wrong with it.
func fileError(key, path, format string, args ...any) error {
	return fmt.Errorf("%s: %s: %s", key, path, fmt.Sprintf(format, args...))
}

// check fails unless path may be read: see guard. A missing path is left
// to the loader, which names it.
func (g *guard) check(key, path string, host bool) error {
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fileError(key, path, "%v", unwrapPathError(err))
	}
	real := RealPath(path)
	if host && !g.allowHost && !Within(g.root, real) {
		if real != filepath.Clean(path) {
			return fileError(key, path, "a symlink to %s, outside the project directory %s; pass --allow-host-paths to read it", real, g.root)
		}
		return fileError(key, path, "outside the project directory %s; pass --allow-host-paths to read it", g.root)
	}
	if !info.Mode().IsRegular() {
		if real != filepath.Clean(path) {
			return fileError(key, path, "a symlink to %s, %s, not a regular file", real, fileKind(info.Mode()))
		}
		return fileError(key, path, "%s, not a regular file", fileKind(info.Mode()))
	}
	if info.Size() > MaxFileSize {
		return fileError(key, path, "%d bytes, over the limit of %d for a file hoist reads", info.Size(), MaxFileSize)
	}
	return nil
}

// read checks path, then reads it, at most MaxFileSize bytes.
func (g *guard) read(key, path string, host bool) ([]byte, error) {
	if err := g.check(key, path, host); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fileError(key, path, "%v", unwrapPathError(err))
	}
	defer f.Close()
	return readLimited(key, path, f)
}

// readLimited reads r, failing past MaxFileSize bytes.
func readLimited(key, path string, r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, fileError(key, path, "%v", unwrapPathError(err))
	}
	if len(b) > MaxFileSize {
		return nil, fileError(key, path, "more than %d bytes, the limit for a file hoist reads", MaxFileSize)
	}
	return b, nil
}

func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "a special file"
}

func unwrapPathError(err error) error {
	if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// follow checks, reads and scans a file the project includes or extends.
func (g *guard) follow(key, path, workingDir string) error {
	if _, err := os.Stat(path); err != nil {
		// Missing: the loader names it.
		return g.check(key, path, true)
	}
	real := RealPath(path)
	if g.visited[real] {
		return nil
	}
	g.visited[real] = true
	if len(g.visited) > MaxFiles {
		return fileError(key, path, "more than %d files read through include and extends", MaxFiles)
	}
	b, err := g.read(key, path, true)
	if err != nil {
		return err
	}
	return g.scan(key, path, b, workingDir)
}

func (g *guard) abs(base, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	if strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[2:])
		}
	}
	return filepath.Join(base, p)
}

// interpolate substitutes variables as the loader will, as far as the
// project environment knows them.
func (g *guard) interpolate(s string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	out, err := template.Substitute(s, func(k string) (string, bool) {
		v, ok := g.env[k]
		return v, ok
	})
	if err != nil {
		return s
	}
	return out
}

// checkServiceFiles checks the env_file and label_file entries of every
// service, pre_start hook and top-level job of the loaded project, before
// they are read.
func (g *guard) checkServiceFiles(p *types.Project) error {
	type spec struct {
		key string
		cs  *types.ContainerSpec
	}
	var specs []spec
	for _, name := range p.ServiceNames() {
		s := p.Services[name]
		specs = append(specs, spec{"services." + name, &s.ContainerSpec})
		for i := range s.PreStart {
			specs = append(specs, spec{fmt.Sprintf("services.%s.pre_start[%d]", name, i), &s.PreStart[i].ContainerSpec})
		}
	}
	for _, name := range slices.Sorted(maps.Keys(p.Jobs)) {
		j := p.Jobs[name]
		specs = append(specs, spec{"jobs." + name, &j.ContainerSpec})
	}
	for _, s := range specs {
		for _, f := range s.cs.EnvFiles {
			if _, err := os.Stat(f.Path); errors.Is(err, fs.ErrNotExist) && bool(f.Required) {
				return fileError(s.key+".env_file", f.Path, "no such file or directory")
			}
			if err := g.check(s.key+".env_file", f.Path, true); err != nil {
				return err
			}
		}
		for _, f := range s.cs.LabelFiles {
			if _, err := os.Stat(f); errors.Is(err, fs.ErrNotExist) {
				return fileError(s.key+".label_file", f, "no such file or directory")
			}
		}
		for _, f := range s.cs.LabelFiles {
			if err := g.check(s.key+".label_file", f, true); err != nil {
				return err
			}
		}
	}
	return nil
}

// resourceLoader checks every absolute include or extends path the
// loader reads, whatever interpolation made of it; relative ones were
// checked by scan. It leaves loading to compose-go's own local loader.
type resourceLoader struct {
	g *guard
}

func (l resourceLoader) Accept(p string) bool { return filepath.IsAbs(p) }

func (l resourceLoader) Load(_ context.Context, p string) (string, error) {
	if err := l.g.check("include or extends", p, true); err != nil {
		return "", err
	}
	return p, nil
}

func (l resourceLoader) Dir(p string) string {
	if info, err := os.Stat(p); err == nil && info.IsDir() {
		return p
	}
	return filepath.Dir(p)
}
