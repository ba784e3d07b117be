package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/hoist-dev/hoist/convert"
)

// writeDir writes files as the whole content of dir, atomically: into a
// new sibling directory first, which then takes dir's place. A failure
// leaves dir as it was. An existing dir is replaced only when it holds
// nothing but what hoist writes (manifests, a kustomization, a chart), so
// a mistyped -o never deletes someone's files.
func writeDir(dir string, files []convert.File) error {
	dir = filepath.Clean(dir)
	if err := checkReplaceable(dir); err != nil {
		return err
	}
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("writing output directory %s: %w", dir, err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".hoist-*")
	if err != nil {
		return fmt.Errorf("writing output directory %s: %w", dir, err)
	}
	defer os.RemoveAll(tmp)
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("writing output directory %s: %w", dir, err)
	}
	for _, f := range files {
		p := filepath.Join(tmp, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("writing %s: %w", f.Path, err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", f.Path, err)
		}
	}
	old := ""
	if _, err := os.Stat(dir); err == nil {
		old = tmp + ".old"
		if err := os.Rename(dir, old); err != nil {
			return fmt.Errorf("writing output directory %s: %w", dir, err)
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		if old != "" {
			_ = os.Rename(old, dir)
		}
		return fmt.Errorf("writing output directory %s: %w", dir, err)
	}
	if old != "" {
		return os.RemoveAll(old)
	}
	return nil
}

// checkReplaceable fails unless dir is missing, empty, or holds only files
// hoist writes.
func checkReplaceable(dir string) error {
	info, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("writing output directory %s: %w", dir, err)
	}
	if !info.IsDir() {
		return fmt.Errorf("output directory %s: exists and is not a directory", dir)
	}
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("writing output directory %s: %w", dir, err)
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		switch {
		case rel == ".", rel == "templates" && d.IsDir():
			return nil
		case d.Type().IsRegular() && hoistFile(rel):
			return nil
		}
		return fmt.Errorf("output directory %s holds %s, which hoist did not write; choose a new or empty directory", dir, rel)
	})
}

// hoistFile reports whether a path in an output directory is one hoist
// writes.
func hoistFile(rel string) bool {
	switch rel {
	case "kustomization.yaml", "Chart.yaml", "values.yaml":
		return true
	}
	rel = strings.TrimPrefix(rel, "templates/")
	return !strings.Contains(rel, "/") && (strings.HasSuffix(rel, ".yaml") || strings.HasSuffix(rel, ".json"))
}
