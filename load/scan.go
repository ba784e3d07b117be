package load

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v4"
)

// scan checks a compose file's content against the YAML limits, then
// checks, reads and scans every file it includes or extends, as the
// loader will. workingDir is the directory its relative include paths
// are resolved against.
func (g *guard) scan(key, name string, content []byte, workingDir string) error {
	docs, err := parseLimited(name, content)
	if err != nil {
		return err
	}
	g.files = append(g.files, namedFile{name, content})
	for _, doc := range docs {
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
// byteKey matches the paths of the service keys compose-go reads as byte
// sizes (types.UnitBytes), whose decoder takes integers and strings and
// silently leaves a YAML float (1e6, 1.5) unset.
var byteKey = regexp.MustCompile(`^services\..+\.(mem_limit|mem_reservation|memswap_limit|mem_swappiness|shm_size|build\.shm_size|volumes\[\d+\]\.tmpfs\.size|deploy\.resources\.(limits|reservations)\.memory|blkio_config\.[a-z_]+\[\d+\]\.rate)$`)

// freeValue matches the paths whose values are text to compose, whatever
// YAML type they are written as: environment, labels, annotations,
// extra options and extensions.
var freeValue = regexp.MustCompile(`(^|\.)(x-[^.]*|environment|labels|annotations|sysctls|driver_opts|options|args)(\.|\[|$)`)

// healthTest matches the path of a service's healthcheck test.
var healthTest = regexp.MustCompile(`^services\..+\.healthcheck\.test$`)

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
			if f, err := strconv.ParseFloat(n.Value, 64); err == nil && math.Abs(f) >= 1<<63 && !freeValue.MatchString(path) {
				// Integer fields would wrap (1e30 replicas read as a
				// negative number), and no compose number is this large.
				return fmt.Errorf("%s: %s: %s does not fit a 64-bit integer (quote it if it is text)", name, path, n.Value)
			}
			if byteKey.MatchString(path) {
				return fmt.Errorf("%s: %s: %s is not a whole number of bytes, and compose-go reads such a number as unset; write an integer or a size with a unit (\"512m\")", name, path, n.Value)
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
		// compose-go reports a bad test list without the service.
		if healthTest.MatchString(path) && len(n.Content) > 0 && n.Content[0].Kind == yaml.ScalarNode {
			switch first := n.Content[0].Value; first {
			case "CMD", "CMD-SHELL", "NONE":
			default:
				if !strings.Contains(first, "$") {
					return fmt.Errorf("%s: %s: %q: a test list must start with \"CMD\", \"CMD-SHELL\" or \"NONE\"", name, path, first)
				}
			}
		}
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
	for _, f := range g.files {
		docs, _ := parseLimited(f.name, f.content)
		for _, doc := range docs {
			services := lookup(mappingValue(doc), "services")
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
							return fmt.Errorf("%s: services.%s.%s: %w", f.name, services.Content[j].Value, key, err)
						}
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
			return docs, nil //nolint:nilerr // compose-go's error names the file and line; ours would not
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
