package main

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hoist-dev/hoist/apply"
	"github.com/hoist-dev/hoist/convert"
)

// TestPrintError: the options an apply error names come out as hoist's
// flags, and a conflict gets kubectl's advice after its one line.
func TestPrintError(t *testing.T) {
	t.Parallel()
	_, dryRun := apply.ParseDryRun("all")
	noNamespace := &convert.Options{CreateNamespace: true}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{name: "option", err: fmt.Errorf("reading flags: %w", dryRun),
			want: "error: reading flags: --dry-run \"all\": want none, client or server\n"},
		{name: "convert option", err: fmt.Errorf("converting: %w", noNamespace.Validate()),
			want: "error: converting: --create-namespace needs a namespace (-n)\n"},
		{name: "conflict", err: &apply.ConflictError{Err: errors.Join(errors.New("applying a: conflict"), errors.New("applying b: conflict"))},
			want: "error: applying a: conflict; applying b: conflict\n" + conflictHint + "\n"},
		{name: "lines", err: errors.Join(errors.New("applying a: bad"), errors.New("applying b: bad")),
			want: "error: applying a: bad\nerror: applying b: bad\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			printError(IOStreams{ErrOut: &buf}, tc.err)
			if diff := cmp.Diff(tc.want, buf.String()); diff != "" {
				t.Errorf("printError (-want +got):\n%s", diff)
			}
		})
	}
}
