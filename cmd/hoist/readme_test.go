package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeExtensionExample converts the README's x-kubernetes example
// with --strict: the documented keys must work without warnings.
func TestReadmeExtensionExample(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)### `x-kubernetes`.*?```yaml\n(.*?)```").FindSubmatch(b)
	if m == nil {
		t.Fatal("README has no yaml example under the x-kubernetes heading")
	}
	r := runHoist(t, t.TempDir(), string(m[1]), nil, "convert", "--strict", "-p", "readme", "-f", "-")
	if r.code != 0 || r.stdout == "" {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
}

// TestReadmeLinksResolve checks that every relative link of the README
// (the mapping table's code column among them) names a file or directory
// of the repository.
func TestReadmeLinksResolve(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "..")
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	links := regexp.MustCompile(`\]\(([^)\s]+)\)`).FindAllSubmatch(b, -1)
	checked := 0
	for _, m := range links {
		target := string(m[1])
		if strings.Contains(target, "://") || strings.HasPrefix(target, "#") || strings.HasPrefix(target, "mailto:") {
			continue
		}
		target, _, _ = strings.Cut(target, "#")
		if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(target))); err != nil {
			t.Errorf("README links to %q: %v", m[1], err)
		}
		checked++
	}
	if checked == 0 {
		t.Error("README has no relative links; the mapping table should link its code")
	}
}
