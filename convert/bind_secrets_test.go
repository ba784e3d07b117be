package convert_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hoist-dev/hoist/convert"
)

// TestBindLeavesOutGit: a bind-mounted directory's .git directories (at
// its root and below) are left out of its ConfigMap, with one warning
// naming the service, key and directories. (A golden case cannot hold a
// .git directory: git refuses to track one.)
func TestBindLeavesOutGit(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"compose.yaml":                "services:\n  web:\n    image: example/web\n    volumes:\n      - ./site:/srv:ro\n",
		"site/index.html":             "hello\n",
		"site/.git/config":            "[remote \"origin\"]\n\turl = https://user:token@example.com/repo.git\n",
		"site/.git/HEAD":              "ref: refs/heads/main\n",
		"site/vendor/lib/.git/config": "[core]\n",
		"site/.gitignore":             "tmp/\n",
	}
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, warnings, err := convertDir(t, dir, convert.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, leak := range []string{"token@example.com", "refs/heads/main", "[core]"} {
		if strings.Contains(out, leak) {
			t.Errorf("output holds %q from a .git directory:\n%s", leak, out)
		}
	}
	for _, kept := range []string{"index.html: |", ".gitignore: |"} {
		if !strings.Contains(out, kept) {
			t.Errorf("output lacks %q:\n%s", kept, out)
		}
	}
	want := `service "web": volumes: "./site": ".git", "vendor/lib/.git" left out of the ConfigMap "site"`
	if !strings.Contains(warnings, want) {
		t.Errorf("warnings lack %q:\n%s", want, warnings)
	}
}
