package main

import (
	"path/filepath"
	"testing"
)

// TestExamples converts every examples/<x>/compose.yaml with the built
// binary and fails when the checked-in examples/<x>/k8s.yaml or
// warnings.txt is stale. `make update-golden` rewrites them.
func TestExamples(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("..", "..", "examples", "*", "compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 2 {
		t.Fatalf("found %d examples, want at least 2", len(dirs))
	}
	for _, f := range dirs {
		dir := filepath.Dir(f)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			r := runHoist(t, dir, "", nil, "convert")
			if r.code != 0 {
				t.Fatalf("hoist convert exited %d:\n%s", r.code, r.stderr)
			}
			checkGolden(t, filepath.Join(dir, "k8s.yaml"), r.stdout)
			checkGolden(t, filepath.Join(dir, "warnings.txt"), r.stderr)
		})
	}
}
