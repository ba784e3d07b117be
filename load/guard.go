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
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/template"
	"github.com/compose-spec/compose-go/v2/types"
	yaml "go.yaml.in/yaml/v4"
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
	docs      []namedDoc // every document scanned, for locate
}

type namedDoc struct {
	name string
	doc  *yaml.Node
}

// locate names the file, service and key of a loader error about a port
// (docker's port parser names only the value, as in "Invalid hostPort:
// 99999"), by finding the value in the services' ports and expose.
func (g *guard) locate(err error) error {
	msg := err.Error()
	i := strings.LastIndex(msg, ": ")
	if i < 0 || strings.Contains(msg, "services.") || !strings.Contains(strings.ToLower(msg), "invalid") {
		return err
	}
	value := strings.TrimSpace(msg[i+2:])
	if value == "" {
		return err
	}
	for _, d := range g.docs {
		services := lookup(mappingValue(d.doc), "services")
		if services == nil || services.Kind != yaml.MappingNode {
			continue
		}
		for j := 0; j+1 < len(services.Content); j += 2 {
			for _, key := range []string{"ports", "expose"} {
				list := lookup(services.Content[j+1], key)
				if list == nil || list.Kind != yaml.SequenceNode {
					continue
				}
				for _, e := range list.Content {
					if scalarContains(e, value) {
						return fmt.Errorf("%s: services.%s.%s: %w", d.name, services.Content[j].Value, key, err)
					}
				}
			}
		}
	}
	return err
}

// scalarContains reports whether n, or a value of mapping n, holds s.
func scalarContains(n *yaml.Node, s string) bool {
	if n.Kind == yaml.ScalarNode {
		return strings.Contains(n.Value, s)
	}
	if n.Kind == yaml.MappingNode {
		for i := 1; i < len(n.Content); i += 2 {
			if scalarContains(n.Content[i], s) {
				return true
			}
		}
	}
	return false
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
	real := realPath(path)
	if host && !g.allowHost && !within(g.root, real) {
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

// scan checks a compose file's content against the YAML limits, then
// checks, reads and scans every file it includes or extends, as the
// loader will. workingDir is the directory its relative include paths
// are resolved against.
func (g *guard) scan(key, name string, content []byte, workingDir string) error {
	docs, err := parseLimited(name, content)
	if err != nil {
		return err
	}
	for _, doc := range docs {
		g.docs = append(g.docs, namedDoc{name, doc})
		root := doc
		if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
			root = root.Content[0]
		}
		if root.Kind != yaml.MappingNode && root.Kind != yaml.DocumentNode && !(root.Kind == yaml.ScalarNode && root.Tag == "!!null") {
			return fileError(key, name, "not a compose file: its top-level YAML value is a %s, not a mapping", kindName(root))
		}
		if err := nonFinite(name, root, ""); err != nil {
			return err
		}
		if err := g.scanDoc(name, doc, workingDir); err != nil {
			return err
		}
	}
	return nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "list"
	case yaml.AliasNode:
		return "alias"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!str":
			return "string"
		case "!!int", "!!float":
			return "number"
		case "!!bool":
			return "boolean"
		}
		return "scalar"
	}
	return "mapping"
}

// bigInteger reports whether s is a plain decimal integer outside the
// int64 range: YAML reads it as a float, which the loader silently turns
// into 0 or a wrapped value.
func bigInteger(s string) bool {
	d := strings.TrimLeft(s, "+-")
	if d == "" || strings.Trim(d, "0123456789_") != "" {
		return false
	}
	_, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 10, 64)
	return err != nil
}

// nonFinite fails on a .inf or .nan number, which the loader's
// validation cannot handle, or on an integer too large for int64, which
// the loader silently wraps or drops, naming the file and key.
func nonFinite(name string, n *yaml.Node, path string) error {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Style == 0 && bigInteger(n.Value) {
			if path == "" {
				path = "the top level"
			}
			return fmt.Errorf("%s: %s: %s does not fit a 64-bit integer (quote it if it is text)", name, path, n.Value)
		}
		if n.Tag == "!!float" {
			switch strings.ToLower(strings.TrimLeft(n.Value, "+-")) {
			case ".inf", ".nan":
				if path == "" {
					path = "the top level"
				}
				return fmt.Errorf("%s: %s: %s is not a finite number", name, path, n.Value)
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := n.Content[i].Value
			if path != "" {
				p = path + "." + p
			}
			if err := nonFinite(name, n.Content[i+1], p); err != nil {
				return err
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if err := nonFinite(name, c, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

func (g *guard) scanDoc(name string, doc *yaml.Node, workingDir string) error {
	top := mappingValue(doc)
	if top == nil {
		return nil
	}
	if inc := lookup(top, "include"); inc != nil && inc.Kind == yaml.SequenceNode {
		for _, entry := range inc.Content {
			var paths, envFiles []string
			projectDir := ""
			switch entry.Kind {
			case yaml.ScalarNode:
				paths = []string{entry.Value}
			case yaml.MappingNode:
				paths = stringList(lookup(entry, "path"))
				envFiles = stringList(lookup(entry, "env_file"))
				if pd := lookup(entry, "project_directory"); pd != nil && pd.Kind == yaml.ScalarNode {
					projectDir = g.interpolate(pd.Value)
				}
			}
			for i, raw := range paths {
				p := g.abs(workingDir, g.interpolate(raw))
				dir := filepath.Dir(p)
				if projectDir != "" {
					dir = g.abs(workingDir, projectDir)
				}
				if i == 0 && len(envFiles) == 0 {
					if err := g.check("include "+p+" (.env)", filepath.Join(dir, ".env"), true); err != nil {
						return err
					}
				}
				if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) && !strings.Contains(raw, "$") {
					return fileError("include", p, "no such file or directory")
				}
				if err := g.follow("include", p, dir); err != nil {
					return err
				}
			}
			for _, e := range envFiles {
				if e = g.interpolate(e); e == "/dev/null" {
					continue
				}
				if err := g.check("include.env_file", g.abs(workingDir, e), true); err != nil {
					return err
				}
			}
		}
	}
	services := lookup(top, "services")
	if services == nil || services.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(services.Content); i += 2 {
		svc := services.Content[i+1]
		if svc.Kind != yaml.MappingNode {
			continue
		}
		ext := lookup(svc, "extends")
		if ext == nil || ext.Kind != yaml.MappingNode {
			continue
		}
		file := lookup(ext, "file")
		if file == nil || file.Kind != yaml.ScalarNode {
			continue
		}
		key := "services." + services.Content[i].Value + ".extends.file"
		f := g.interpolate(file.Value)
		// The loader resolves it against the working directory, or,
		// in a file that was itself extended, against that file's
		// directory: check both.
		found := false
		for _, base := range []string{workingDir, filepath.Dir(name)} {
			p := g.abs(base, f)
			if _, err := os.Stat(p); err == nil {
				found = true
			}
			if err := g.follow(key, p, filepath.Dir(p)); err != nil {
				return err
			}
		}
		if !found && !strings.Contains(file.Value, "$") {
			return fileError(key, g.abs(workingDir, f), "no such file or directory")
		}
	}
	return nil
}

// follow checks, reads and scans a file the project includes or extends.
func (g *guard) follow(key, path, workingDir string) error {
	if _, err := os.Stat(path); err != nil {
		// Missing: the loader names it.
		return g.check(key, path, true)
	}
	real := realPath(path)
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

// parseLimited parses content's YAML documents and fails, naming the
// file, past MaxDocuments documents, MaxDepth levels, MaxAliases aliases
// or MaxNodes nodes with aliases expanded.
func parseLimited(name string, content []byte) ([]*yaml.Node, error) {
	dec := yaml.NewDecoder(strings.NewReader(string(content)))
	var docs []*yaml.Node
	c := &counter{memo: map[*yaml.Node]nodeSize{}, busy: map[*yaml.Node]bool{}}
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// The loader reports syntax errors in its own words.
			return docs, nil
		}
		if len(docs) == MaxDocuments {
			return nil, fmt.Errorf("%s: more than %d YAML documents", name, MaxDocuments)
		}
		docs = append(docs, &doc)
		size := c.size(&doc)
		if c.aliases > MaxAliases {
			return nil, fmt.Errorf("%s: more than %d YAML aliases", name, MaxAliases)
		}
		if size.depth > MaxDepth {
			return nil, fmt.Errorf("%s: YAML nested more than %d levels deep", name, MaxDepth)
		}
		c.total += size.nodes
		if c.total > MaxNodes {
			return nil, fmt.Errorf("%s: more than %d YAML nodes once aliases are expanded", name, MaxNodes)
		}
	}
	return docs, nil
}

type nodeSize struct{ nodes, depth int }

type counter struct {
	memo    map[*yaml.Node]nodeSize
	busy    map[*yaml.Node]bool
	aliases int
	total   int
}

// size is the node count and depth of n with aliases expanded,
// saturating past the limits so that it never overflows.
func (c *counter) size(n *yaml.Node) nodeSize {
	if n == nil {
		return nodeSize{}
	}
	if s, ok := c.memo[n]; ok {
		return s
	}
	if c.busy[n] {
		// A recursive alias: the parser rejects it too.
		return nodeSize{MaxNodes + 1, MaxDepth + 1}
	}
	c.busy[n] = true
	defer delete(c.busy, n)
	var s nodeSize
	if n.Kind == yaml.AliasNode {
		c.aliases++
		s = c.size(n.Alias)
	} else {
		s.nodes = 1
		for _, child := range n.Content {
			cs := c.size(child)
			s.nodes = min(s.nodes+cs.nodes, MaxNodes+1)
			s.depth = max(s.depth, cs.depth)
		}
		if n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode {
			s.depth = min(s.depth+1, MaxDepth+1)
		}
	}
	c.memo[n] = s
	return s
}

// mappingValue is the top-level mapping of a document node, or nil.
func mappingValue(doc *yaml.Node) *yaml.Node {
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	if doc.Kind == yaml.MappingNode {
		return doc
	}
	return nil
}

// lookup is the value of key in mapping m, or nil.
func lookup(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			v := m.Content[i+1]
			if v.Kind == yaml.AliasNode && v.Alias != nil {
				v = v.Alias
			}
			return v
		}
	}
	return nil
}

// stringList reads a string or a list of strings (or of {path: ...}).
func stringList(n *yaml.Node) []string {
	if n == nil {
		return nil
	}
	switch n.Kind {
	case yaml.ScalarNode:
		return []string{n.Value}
	case yaml.SequenceNode:
		var out []string
		for _, e := range n.Content {
			if e.Kind == yaml.ScalarNode {
				out = append(out, e.Value)
			} else if p := lookup(e, "path"); p != nil && p.Kind == yaml.ScalarNode {
				out = append(out, p.Value)
			}
		}
		return out
	}
	return nil
}
