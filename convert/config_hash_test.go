package convert_test

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/hoist-dev/hoist/convert"
)

// TestConfigHashFollowsContent: changing a secret file's content changes
// the hoist.dev/config-hash of the pods that mount it, and only theirs.
func TestConfigHashFollowsContent(t *testing.T) {
	dir := t.TempDir()
	compose := `services:
  web:
    image: example/web
    secrets: [token]
  other:
    image: example/other
    configs: [site]
configs:
  site:
    content: "x"
secrets:
  token:
    file: ./token.txt
`
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(compose), 0o644); err != nil {
		t.Fatal(err)
	}
	hashes := func(secret string) []string {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, "token.txt"), []byte(secret), 0o600); err != nil {
			t.Fatal(err)
		}
		out, _, err := convertDir(t, dir, convert.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var hs []string
		for _, m := range regexp.MustCompile(`(?m)^\s+`+regexp.QuoteMeta(convert.AnnotationConfigHash)+`: (\S+)$`).FindAllStringSubmatch(out, -1) {
			hs = append(hs, m[1])
		}
		if len(hs) != 2 {
			t.Fatalf("want 2 config hashes (other, web), got %q in\n%s", hs, out)
		}
		return hs
	}
	a, b := hashes("one"), hashes("two")
	if a[0] != b[0] {
		t.Errorf("other's hash changed with web's secret: %s -> %s", a[0], b[0])
	}
	if a[1] == b[1] {
		t.Errorf("web's hash %s did not change with its secret's content", a[1])
	}
}
