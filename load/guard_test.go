package load

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestYAMLLimits checks each documented limit at its boundary: the limit
// itself loads, one more is a one-line error naming the file.
func TestYAMLLimits(t *testing.T) {
	const svc = "services:\n  web:\n    image: nginx\n"
	nest := func(n int) string {
		// services.web is 2 levels deep already; x-deep adds n.
		return svc + "x-deep: " + strings.Repeat("[", n) + strings.Repeat("]", n) + "\n"
	}
	docs := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "---\nservices:\n  s%d:\n    image: nginx\n", i)
		}
		return b.String()
	}
	aliases := func(n int) string {
		var b strings.Builder
		b.WriteString(svc + "x-a: &a x\nx-list:\n")
		for range n {
			b.WriteString("  - *a\n")
		}
		return b.String()
	}
	for _, tc := range []struct {
		name, content, wantErr string
	}{
		{"depth at the limit", nest(MaxDepth - 1), ""},
		{"depth over the limit", nest(MaxDepth), fmt.Sprintf("YAML nested more than %d levels deep", MaxDepth)},
		{"documents at the limit", docs(MaxDocuments), ""},
		{"documents over the limit", docs(MaxDocuments + 1), fmt.Sprintf("more than %d YAML documents", MaxDocuments)},
		{"aliases at the limit", aliases(MaxAliases), ""},
		{"aliases over the limit", aliases(MaxAliases + 1), fmt.Sprintf("more than %d YAML aliases", MaxAliases)},
		{"non-finite number", svc + "    cpus: .inf\n", "services.web.cpus: .inf is not a finite number"},
		{"integer beyond int64", svc + "x-n: 99999999999999999999\n", "x-n: 99999999999999999999 does not fit a 64-bit integer"},
		{"not a mapping", "- a\n", "not a compose file: its top-level YAML value is a list"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "compose.yaml")
			if err := os.WriteFile(file, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Project(context.Background(), Options{Files: []string{file}, Environ: []string{}})
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("want no error, got %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "compose.yaml") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("got %v, want one line naming the file and containing %q", err, tc.wantErr)
			}
		})
	}
}

// TestProjectCancel checks that a cancelled load returns at once, with an
// error wrapping context.Canceled, even while the loader works.
func TestProjectCancel(t *testing.T) {
	var b strings.Builder
	b.WriteString("services:\n")
	for i := range 5000 {
		fmt.Fprintf(&b, "  s%d:\n    image: nginx\n", i)
	}
	file := filepath.Join(t.TempDir(), "compose.yaml")
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err := Project(ctx, Options{Files: []string{file}, Environ: []string{}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("returned %s after the start, 50ms after the cancel", d)
	}
}

// TestHostFilesAllowed checks --allow-host-paths: an env file outside the
// project is refused without it and read with it.
func TestHostFilesAllowed(t *testing.T) {
	root := t.TempDir()
	proj := filepath.Join(root, "proj")
	if err := os.MkdirAll(proj, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "outside.env"), []byte("OUT=side\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(proj, "compose.yaml")
	if err := os.WriteFile(file, []byte("services:\n  web:\n    image: nginx\n    env_file: ../outside.env\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Project(context.Background(), Options{Files: []string{file}, Environ: []string{}})
	if err == nil || !strings.Contains(err.Error(), "services.web.env_file") || !strings.Contains(err.Error(), "--allow-host-paths") {
		t.Fatalf("without --allow-host-paths: got %v", err)
	}
	p, err := Project(context.Background(), Options{Files: []string{file}, Environ: []string{}, AllowHostPaths: true})
	if err != nil {
		t.Fatal(err)
	}
	if v := p.Services["web"].Environment["OUT"]; v == nil || *v != "side" {
		t.Fatalf("OUT = %v, want side", v)
	}
}
