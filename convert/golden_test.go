package convert_test

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hoist-dev/hoist/convert"
	"github.com/hoist-dev/hoist/internal/goldencase"
	"github.com/hoist-dev/hoist/output"
)

var update = flag.Bool("update", false, "rewrite golden files and the README mapping table")

// TestGolden converts every testdata/<case>/compose.yaml and compares the
// objects with want.yaml and the warnings with warnings.txt, or, for a case
// that must fail, the error with error.txt. options.json, when present,
// holds the convert.Options.
func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("testdata", "*", "compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 20 {
		t.Fatalf("found %d golden cases, want at least 20", len(dirs))
	}
	for _, f := range dirs {
		dir := filepath.Dir(f)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			opts := readOptions(t, dir)
			got, warnings, convErr := convertDir(t, dir, opts)
			// Run twice more: map iteration order must never show.
			for range 2 {
				again, againWarnings, againErr := convertDir(t, dir, opts)
				if again != got || againWarnings != warnings || errString(againErr) != errString(convErr) {
					t.Fatal("output differs between runs of the same input")
				}
			}
			if convErr != nil {
				// Errors may name files by absolute path: keep goldens portable.
				abs, err := filepath.Abs(dir)
				if err != nil {
					t.Fatal(err)
				}
				msg := strings.ReplaceAll(convErr.Error(), abs, "$CASE")
				checkGolden(t, filepath.Join(dir, "error.txt"), msg+"\n")
				return
			}
			if _, err := os.Stat(filepath.Join(dir, "error.txt")); err == nil {
				t.Fatalf("converted without error, want the error in error.txt")
			}
			checkGolden(t, filepath.Join(dir, "want.yaml"), got)
			checkGolden(t, filepath.Join(dir, "warnings.txt"), warnings)
		})
	}
}

// readOptions reads the case's options.json (goldencase.Options).
func readOptions(t *testing.T, dir string) convert.Options {
	t.Helper()
	opts, err := goldencase.Options(dir)
	if err != nil {
		t.Fatal(err)
	}
	return opts
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// convertDir loads dir/compose.yaml with an empty environment and converts it.
func convertDir(t *testing.T, dir string, opts convert.Options) (out, warnings string, err error) {
	t.Helper()
	res, err := goldencase.Convert(dir, opts)
	if err != nil {
		return "", "", err
	}
	b, err := output.Marshal(res.Objects, output.FormatYAML)
	if err != nil {
		t.Fatal(err)
	}
	var w strings.Builder
	for _, warning := range res.Warnings {
		w.WriteString(warning.String() + "\n")
	}
	return string(b), w.String(), nil
}

// checkGolden compares got with the file, or rewrites the file under -update.
func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	b, err := os.ReadFile(path)
	if err != nil && !(errors.Is(err, os.ErrNotExist) && got == "") {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	want := strings.ReplaceAll(string(b), "\r\n", "\n")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

// TestReadmeMappingTable keeps the README's mapping table equal to the
// table the converter itself uses. -update rewrites the README section.
func TestReadmeMappingTable(t *testing.T) {
	const begin, end = "<!-- mapping-table:begin -->\n", "<!-- mapping-table:end -->"
	path := filepath.Join("..", "README.md")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := strings.ReplaceAll(string(b), "\r\n", "\n")
	i, j := strings.Index(readme, begin), strings.Index(readme, end)
	if i < 0 || j < i {
		t.Fatalf("%s has no %q ... %q section", path, begin, end)
	}
	got := readme[i+len(begin) : j]
	want := convert.MappingTable()
	if *update {
		if err := os.WriteFile(path, []byte(readme[:i+len(begin)]+want+readme[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("README mapping table is stale; run make update-golden (-want +got):\n%s", diff)
	}
}
