package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReport writes --report for a project with mapped, approximated and
// dropped keys and compares it with testdata/output/report.json.
func TestReport(t *testing.T) {
	t.Parallel()
	dir, err := filepath.Abs(filepath.Join("testdata", "compose", "report"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "report.json")
	r := runHoist(t, dir, "", nil, "convert", "-q", "--report", path)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if r.stdout == "" {
		t.Error("--report must not replace the objects on stdout")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, filepath.Join("testdata", "output", "report.json"), string(b))
	// The same input gives the same bytes.
	again := filepath.Join(t.TempDir(), "again.json")
	if r := runHoist(t, dir, "", nil, "convert", "-q", "--report", again); r.code != 0 {
		t.Fatalf("second run: exit %d: %s", r.code, r.stderr)
	}
	if b2, err := os.ReadFile(again); err != nil || string(b2) != string(b) {
		t.Errorf("report differs between runs (err=%v)", err)
	}
}

// TestReportMissingDirectory: a report path in a missing directory is a
// one-line error, a non-zero exit, nothing on stdout and no file written.
func TestReportMissingDirectory(t *testing.T) {
	t.Parallel()
	dir, err := filepath.Abs(filepath.Join("testdata", "compose", "report"))
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	path := filepath.Join(tmp, "missing", "report.json")
	r := runHoist(t, dir, "", nil, "convert", "-q", "--report", path)
	if r.code == 0 {
		t.Fatal("exit 0, want an error")
	}
	want := "error: writing report " + path + ": no such file or directory\n"
	if r.stderr != want {
		t.Errorf("stderr:\n%q\nwant:\n%q", r.stderr, want)
	}
	if r.stdout != "" {
		t.Errorf("stdout must be empty on error, got:\n%s", r.stdout)
	}
	entries, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("files left behind: %s", strings.Join(names, ", "))
	}
}
