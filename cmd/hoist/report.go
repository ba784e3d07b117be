package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/hoist-dev/hoist/convert"
)

// writeReport writes the JSON report atomically: a failed write leaves no
// half-written file.
func writeReport(path string, r *convert.Report) error {
	if err := checkReportReplaceable(path); err != nil {
		return err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return err
	}
	b := buf.Bytes()
	tmp, err := os.CreateTemp(filepath.Dir(path), ".hoist-report-*")
	if err != nil {
		// Name the report, not the temporary file.
		if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("writing report %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("writing report %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing report %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		if le := (*os.LinkError)(nil); errors.As(err, &le) {
			err = le.Err
		}
		return fmt.Errorf("writing report %s: %w", path, err)
	}
	return nil
}

// checkReportReplaceable fails unless path is missing or a regular file
// holding a previous hoist report: --report never overwrites another file.
func checkReportReplaceable(path string) error {
	info, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("writing report %s: %w", path, unwrapPath(err))
	}
	refuse := fmt.Errorf("writing report %s: the file exists and is not a hoist report; choose a new file", path)
	if info.IsDir() {
		return fmt.Errorf("writing report %s: a directory; --report names a file", path)
	}
	if !info.Mode().IsRegular() || info.Size() > 64<<20 {
		return refuse
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return refuse
	}
	var old struct {
		Project  *string          `json:"project"`
		Services []map[string]any `json:"services"`
		Summary  map[string]any   `json:"summary"`
	}
	if json.Unmarshal(b, &old) != nil || old.Project == nil || old.Summary == nil {
		return refuse
	}
	return nil
}
