package main

import (
	"os"
	"path/filepath"
	"regexp"
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
