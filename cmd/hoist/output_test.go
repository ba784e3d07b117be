package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// listDir lists the files under dir, relative and sorted, without hoist's
// marker file.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && d.Name() != markerName {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	return files
}

func TestOutputDirectory(t *testing.T) {
	compose := filepath.Join("testdata", "compose")
	out := filepath.Join(t.TempDir(), "deploy", "k8s")

	// One file per object, equal to the stream's documents.
	r := runHoist(t, compose, "", nil, "convert", "-q", "-f", "web/compose.yaml", "-o", out)
	if r.code != 0 || r.stdout != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	stream := runHoist(t, compose, "", nil, "convert", "-q", "-f", "web/compose.yaml")
	var joined []string
	for _, f := range listDir(t, out) {
		b, err := os.ReadFile(filepath.Join(out, f))
		if err != nil {
			t.Fatal(err)
		}
		joined = append(joined, string(b))
	}
	if diff := cmp.Diff(stream.stdout, strings.Join(joined, "---\n")); diff != "" {
		t.Errorf("files differ from the stream (-stream +files):\n%s", diff)
	}

	// A rerun with another format replaces the whole previous output.
	r = runHoist(t, compose, "", nil, "convert", "-q", "-f", "web/compose.yaml", "--format", "helm", "-o", out)
	if r.code != 0 {
		t.Fatalf("helm: exit %d: %s", r.code, r.stderr)
	}
	got := listDir(t, out)
	want := []string{"Chart.yaml", "templates/06-service-web.yaml", "templates/07-deployment-web.yaml", "values.yaml"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("chart files (-want +got):\n%s", diff)
	}
	r = runHoist(t, compose, "", nil, "convert", "-q", "-f", "web/compose.yaml", "--format", "kustomize", "-o", out)
	if r.code != 0 {
		t.Fatalf("kustomize: exit %d: %s", r.code, r.stderr)
	}
	want = []string{"06-service-web.yaml", "07-deployment-web.yaml", "kustomization.yaml"}
	if diff := cmp.Diff(want, listDir(t, out)); diff != "" {
		t.Errorf("kustomize files (-want +got):\n%s", diff)
	}
	siblings, _ := os.ReadDir(filepath.Dir(out))
	if len(siblings) != 1 {
		t.Errorf("temporary directories left next to the output: %v", siblings)
	}

	// A directory holding someone else's file is never replaced.
	if err := os.WriteFile(filepath.Join(out, "NOTES.md"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = runHoist(t, compose, "", nil, "convert", "-q", "-f", "web/compose.yaml", "-o", out)
	if r.code != 1 || r.stdout != "" || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, "holds NOTES.md, which hoist did not write") {
		t.Errorf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	want = append(want, "NOTES.md")
	slices.Sort(want)
	if diff := cmp.Diff(want, listDir(t, out)); diff != "" {
		t.Errorf("after a refused write (-want +got):\n%s", diff)
	}
}

func TestOutputDirectoryErrors(t *testing.T) {
	compose := filepath.Join("testdata", "compose")
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--format", "helm"}, "error: --format helm writes a directory: set -o DIR\n"},
		{[]string{"--format", "kustomize"}, "error: --format kustomize writes a directory: set -o DIR\n"},
		{[]string{"-o", file}, "error: output directory " + file + ": exists and is not a directory\n"},
	} {
		r := runHoist(t, compose, "", nil, append([]string{"convert", "-q", "-f", "web/compose.yaml"}, tc.args...)...)
		if r.code != 1 || r.stdout != "" || r.stderr != tc.want {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want stderr %q", tc.args, r.code, r.stdout, r.stderr, tc.want)
		}
	}
}
