package load

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestDecodedConfigSameProject: handing compose-go a compose file decoded
// (decodedConfig) loads the same project, or fails with the same error, as
// handing it the text, for every compose file of the repository's
// testdata and examples (the shared corpus gave the same when this was
// written: 429 files, 413 of them decoded).
func TestDecodedConfigSameProject(t *testing.T) {
	var files []string
	for _, root := range []string{"../convert/testdata", "../cmd/hoist/testdata", "../examples", "../e2e/testdata"} {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if n := d.Name(); !d.IsDir() && (strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yml")) && !notCompose.MatchString(n) {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(files) < 100 {
		t.Fatalf("found only %d compose files", len(files))
	}
	decoded := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := decodedConfig(b); ok {
			decoded++
		}
		o := Options{Files: []string{f}, Environ: []string{"HOME=/nonexistent"}, AllowHostPaths: true}
		viaText := o
		viaText.rawContent = true
		p1, err1 := Project(context.Background(), o)
		p2, err2 := Project(context.Background(), viaText)
		switch {
		case (err1 == nil) != (err2 == nil):
			t.Errorf("%s: decoded: %v; as text: %v", f, err1, err2)
		case err1 != nil:
			if sortedLists(err1.Error()) != sortedLists(err2.Error()) {
				t.Errorf("%s: decoded fails with %q; as text with %q", f, err1, err2)
			}
		default:
			y1, e1 := p1.MarshalYAML()
			y2, e2 := p2.MarshalYAML()
			if e1 != nil || e2 != nil || string(y1) != string(y2) {
				t.Errorf("%s: the projects differ (%v, %v):\n%s\n---\n%s", f, e1, e2, y1, y2)
			}
		}
	}
	t.Logf("%d compose files, %d of them handed to compose-go decoded", len(files), decoded)
}

// notCompose matches the YAML files of the trees above that are
// Kubernetes manifests, charts or tools' configuration, not compose files.
var notCompose = regexp.MustCompile(`^(want|k8s|Chart|values|kustomization|datasource|prometheus|elasticsearch|kibana|development-sql)\.ya?ml$`)

// quotedList matches a list of quoted names in a schema error, whose order
// the validator does not fix ("additional properties 'b', 'a' not allowed").
var quotedList = regexp.MustCompile(`'[^']*'(, '[^']*')+`)

// anyService matches the service compose-go names when several fail the
// same check: which one it reports first depends on map order.
var anyService = regexp.MustCompile(`service "[^"]*" has neither`)

// sortedLists sorts the quoted lists of an error message and hides which
// service of several compose-go names first.
func sortedLists(msg string) string {
	msg = anyService.ReplaceAllString(msg, `service "..." has neither`)
	return quotedList.ReplaceAllStringFunc(msg, func(l string) string {
		parts := strings.Split(l, ", ")
		slices.Sort(parts)
		return strings.Join(parts, ", ")
	})
}
