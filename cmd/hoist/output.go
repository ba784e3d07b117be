package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/hoist-dev/hoist/load"
	"github.com/hoist-dev/hoist/output"
)

// markerName is the file hoist writes into every output directory. It
// lists each file hoist wrote with its SHA-256, so that a later -o run can
// tell for certain that the directory holds hoist's output, unchanged,
// and nothing else.
const markerName = ".hoist-output"

// markerHeader is the marker's first line.
const markerHeader = "# written by hoist -o: the files below (sha256, path) are replaced by the next run; anything else makes hoist refuse to touch this directory"

// writeDir writes files as the whole content of dir, atomically: into a
// new sibling directory first, which then takes dir's place. A failure
// leaves dir as it was. An existing dir is replaced only when it is empty
// or holds exactly what a previous run wrote (its marker file lists every
// file with its hash, and nothing else is there), so a mistyped -o never
// deletes someone's files. A symlink given as dir is judged, and
// replaced, by its target. keep lists paths (the working directory, the
// project directory, the compose files) that dir must not contain.
func writeDir(dir string, files []output.File, keep []string) error {
	dir, err := outputTarget(dir)
	if err != nil {
		return err
	}
	if err := checkReplaceable(dir, keep); err != nil {
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
	var marker bytes.Buffer
	marker.WriteString(markerHeader + "\n")
	for _, f := range files {
		if f.Path == markerName {
			return fmt.Errorf("writing %s: the name is hoist's marker file", f.Path)
		}
		p := filepath.Join(tmp, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("writing %s: %w", f.Path, err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", f.Path, err)
		}
		sum := sha256.Sum256(f.Data)
		fmt.Fprintf(&marker, "%s  %s\n", hex.EncodeToString(sum[:]), f.Path)
	}
	if err := os.WriteFile(filepath.Join(tmp, markerName), marker.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing output directory %s: %w", dir, err)
	}
	old := ""
	if _, err := os.Lstat(dir); err == nil {
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

// outputTarget is the absolute path hoist writes for -o dir: dir itself,
// or, when dir is a symlink, the directory it points to (the link stays).
func outputTarget(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("output directory %s: %w", dir, err)
	}
	if info, err := os.Lstat(abs); err == nil && info.Mode()&fs.ModeSymlink != 0 {
		target, err := filepath.EvalSymlinks(abs)
		if err != nil {
			return "", fmt.Errorf("output directory %s: a symlink whose target cannot be resolved: %w", dir, unwrapPath(err))
		}
		return target, nil
	}
	// Missing, or not a link: resolve the links of its parents, so that
	// the checks below see where the files really go.
	return load.RealPath(abs), nil
}

// checkReplaceable fails unless dir (absolute, symlinks resolved) is
// missing, empty, or holds exactly the files its marker lists, unchanged.
// It also fails when dir is the filesystem root or contains one of keep.
func checkReplaceable(dir string, keep []string) error {
	if filepath.Dir(dir) == dir {
		return fmt.Errorf("output directory %s: is the filesystem root; choose a new or empty directory", dir)
	}
	for _, k := range keep {
		if k == "" || k == "-" {
			continue
		}
		if abs, err := filepath.Abs(k); err == nil && load.Within(dir, load.RealPath(abs)) {
			return fmt.Errorf("output directory %s: contains %s, which hoist must not replace; choose a new or empty directory", dir, k)
		}
	}
	info, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("writing output directory %s: %w", dir, unwrapPath(err))
	}
	if !info.IsDir() {
		return fmt.Errorf("output directory %s: exists and is not a directory", dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("writing output directory %s: %w", dir, unwrapPath(err))
	}
	if len(entries) == 0 {
		return nil
	}
	listed, err := readMarker(dir)
	if err != nil {
		return err
	}
	notOurs := func(rel, why string) error {
		return fmt.Errorf("output directory %s holds %s, %s; choose a new or empty directory", dir, rel, why)
	}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("writing output directory %s: %w", dir, unwrapPath(err))
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		switch {
		case rel == "." || rel == markerName && d.Type().IsRegular():
			return nil
		case d.IsDir():
			if !listedDir(listed, rel) {
				return notOurs(rel, "which hoist did not write")
			}
			return nil
		case !d.Type().IsRegular():
			return notOurs(rel, "which hoist did not write")
		}
		want, ok := listed[rel]
		if !ok {
			return notOurs(rel, "which hoist did not write")
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("writing output directory %s: %w", dir, unwrapPath(err))
		}
		if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != want {
			return notOurs(rel, "which changed since hoist wrote it")
		}
		return nil
	})
	return err
}

// listedDir reports whether rel is a parent directory of a listed file.
func listedDir(listed map[string]string, rel string) bool {
	for f := range listed {
		if strings.HasPrefix(f, rel+"/") {
			return true
		}
	}
	return false
}

// readMarker reads dir's marker file: path -> sha256. A directory without
// one, or with one hoist did not write, is not hoist's output.
func readMarker(dir string) (map[string]string, error) {
	refuse := fmt.Errorf("output directory %s is not empty and has no %s marker, so hoist did not write it; choose a new or empty directory", dir, markerName)
	p := filepath.Join(dir, markerName)
	info, err := os.Lstat(p)
	if err != nil || !info.Mode().IsRegular() || info.Size() > 16<<20 {
		return nil, refuse
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, refuse
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	if !sc.Scan() || sc.Text() != markerHeader {
		return nil, refuse
	}
	listed := map[string]string{}
	for sc.Scan() {
		sum, path, ok := strings.Cut(sc.Text(), "  ")
		if !ok || len(sum) != 64 || path == "" || strings.Contains(path, "..") || strings.HasPrefix(path, "/") {
			return nil, refuse
		}
		listed[path] = sum
	}
	if sc.Err() != nil {
		return nil, refuse
	}
	return listed, nil
}
