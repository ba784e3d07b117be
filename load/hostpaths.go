package load

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
)

// MaxContent is the most a bind mount may hold to become a ConfigMap; the
// API server limits an object to about 1.5 MiB.
const MaxContent = 1 << 20

// HostPath is what load found at one host path the project references.
type HostPath struct {
	// InProject is true when the path, with symlinks resolved, is inside
	// the project directory.
	InProject bool
	// Exists is false for a missing path.
	Exists bool
	// Dir is true for a directory.
	Dir bool
	// Special names what a path that exists but is neither a directory nor
	// a regular file is ("a named pipe", "a socket", ...); empty otherwise.
	// Its content is never read.
	Special string
	// Size is the total size of the regular files, following no symlink
	// that leaves the project. Counting stops once it exceeds MaxContent,
	// so a large data directory is not walked to its end.
	Size int64
	// Files are the regular files, sorted by Path, with Path relative to
	// the host path ("" for a file mount). Nil when Size > MaxContent or
	// the path is outside the project.
	Files []HostFile
	// Skipped are paths, relative to the host path, of symlinks that
	// resolve outside the project (or nowhere) and were not followed.
	Skipped []string
}

// HostFile is one regular file under a HostPath.
type HostFile struct {
	Path string
	Data []byte
	Mode uint32
}

// HostPaths reads what the project's bind mounts, config files and secret
// files hold on the host, for convert.Options.HostPaths. Paths outside the
// project directory (after resolving symlinks) are only stat'ed, never
// read; inside it, content is read up to MaxContent and symlinks
// that leave the project are recorded in Skipped, not followed. A project
// without bind mounts, config files or secret files costs no I/O.
func HostPaths(p *types.Project) (map[string]*HostPath, error) {
	out := map[string]*HostPath{}
	var paths []string
	add := func(path string) {
		if path == "" || !filepath.IsAbs(path) {
			return
		}
		path = filepath.Clean(path)
		if _, ok := out[path]; !ok {
			out[path] = nil
			paths = append(paths, path)
		}
	}
	for _, name := range p.ServiceNames() {
		for _, v := range p.Services[name].Volumes {
			if v.Type == types.VolumeTypeBind {
				add(v.Source)
			}
		}
	}
	for _, c := range p.Configs {
		if !bool(c.External) {
			add(c.File)
		}
	}
	for _, s := range p.Secrets {
		if !bool(s.External) {
			add(s.File)
		}
	}
	if len(paths) == 0 {
		return out, nil
	}
	sort.Strings(paths)
	root := RealPath(p.WorkingDir)
	for _, path := range paths {
		hp, err := readHostPath(root, path)
		if err != nil {
			return nil, fmt.Errorf("reading host path %s: %w", path, oneLine(err))
		}
		out[path] = hp
	}
	return out, nil
}

// RealPath resolves the symlinks of path, or of its longest existing
// prefix when the rest does not exist.
func RealPath(path string) string {
	path = filepath.Clean(path)
	if r, err := filepath.EvalSymlinks(path); err == nil {
		return r
	}
	parent := filepath.Dir(path)
	if parent == path {
		return path
	}
	return filepath.Join(RealPath(parent), filepath.Base(path))
}

// Within reports whether path is root or below it.
func Within(root, path string) bool {
	rel, err := filepath.Rel(root, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

func readHostPath(root, path string) (*HostPath, error) {
	real := RealPath(path)
	hp := &HostPath{InProject: Within(root, real)}
	info, err := os.Stat(real)
	if errors.Is(err, fs.ErrNotExist) {
		return hp, nil
	}
	if err != nil {
		return nil, err
	}
	hp.Exists = true
	hp.Dir = info.IsDir()
	if !hp.Dir && !info.Mode().IsRegular() {
		hp.Special = fileKind(info.Mode())
	}
	if !hp.InProject {
		// Never read what lies outside the project.
		return hp, nil
	}
	r := &reader{root: root, hp: hp, visited: map[string]bool{}}
	if hp.Dir {
		err = r.dir(real, "")
	} else if info.Mode().IsRegular() {
		err = r.file(real, "", info)
	}
	if err != nil {
		return nil, err
	}
	if hp.Size > MaxContent {
		hp.Files = nil
	}
	sort.Slice(hp.Files, func(i, j int) bool { return hp.Files[i].Path < hp.Files[j].Path })
	slices.Sort(hp.Skipped)
	return hp, nil
}

// reader walks one host path inside the project.
type reader struct {
	root    string
	hp      *HostPath
	visited map[string]bool // real directories entered, against symlink loops
	full    bool            // Size is over MaxContent: stop reading
}

func (r *reader) dir(real, rel string) error {
	if r.visited[real] {
		return nil
	}
	r.visited[real] = true
	entries, err := os.ReadDir(real)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if r.full {
			return nil
		}
		p := filepath.Join(real, e.Name())
		relp := e.Name()
		if rel != "" {
			relp = rel + "/" + e.Name()
		}
		if e.Type()&fs.ModeSymlink != 0 {
			target, err := filepath.EvalSymlinks(p)
			if err != nil || !Within(r.root, target) {
				// Leaves the project, or resolves nowhere: never followed.
				r.hp.Skipped = append(r.hp.Skipped, relp)
				continue
			}
			p = target
		}
		info, err := os.Stat(p)
		if err != nil {
			return err
		}
		switch {
		case info.IsDir():
			if err := r.dir(p, relp); err != nil {
				return err
			}
		case info.Mode().IsRegular():
			if err := r.file(p, relp, info); err != nil {
				return err
			}
		}
	}
	return nil
}

func (r *reader) file(real, rel string, info fs.FileInfo) error {
	r.hp.Size += info.Size()
	if r.hp.Size > MaxContent {
		r.full = true
		r.hp.Files = nil
		return nil
	}
	f, err := os.Open(real)
	if err != nil {
		return err
	}
	defer f.Close()
	// Read at most what still fits, plus one byte to notice growth.
	data, err := io.ReadAll(io.LimitReader(f, MaxContent-(r.hp.Size-info.Size())+1))
	if err != nil {
		return err
	}
	if int64(len(data)) != info.Size() {
		// The file changed while reading: count what is there.
		r.hp.Size += int64(len(data)) - info.Size()
		if r.hp.Size > MaxContent {
			r.full = true
			r.hp.Files = nil
			return nil
		}
	}
	r.hp.Files = append(r.hp.Files, HostFile{Path: rel, Data: data, Mode: uint32(info.Mode().Perm())})
	return nil
}
