// Package goldencase reads and converts convert's golden cases
// (convert/testdata/<case>: compose.yaml and, when present, options.json)
// the way convert's golden test does, for the tests of other packages that
// reuse the cases (output's writers).
package goldencase

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/hoist-dev/hoist/convert"
	"github.com/hoist-dev/hoist/load"
)

// Options reads dir/options.json as convert.Options; a case without the
// file has the zero Options. Unknown fields are an error.
func Options(dir string) (convert.Options, error) {
	var opts convert.Options
	path := filepath.Join(dir, "options.json")
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return opts, nil
	}
	if err != nil {
		return opts, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&opts); err != nil {
		return opts, fmt.Errorf("%s: %w", path, err)
	}
	return opts, nil
}

// Convert loads dir/compose.yaml with an empty environment, reads the host
// paths it references and converts it with opts.
func Convert(dir string, opts convert.Options) (*convert.Result, error) {
	project, err := load.Project(context.Background(), load.Options{
		Files:   []string{filepath.Join(dir, "compose.yaml")},
		Environ: []string{},
	})
	if err != nil {
		return nil, err
	}
	if opts.HostPaths, err = load.HostPaths(project); err != nil {
		return nil, err
	}
	return convert.Convert(project, opts)
}
