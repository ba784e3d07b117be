// Package output writes converted objects: as a YAML stream or a JSON v1
// List (Marshal), or as a directory of files (Files): one file per object,
// a kustomization, or a Helm chart. It only formats what convert made;
// equal input gives equal bytes.
package output

import (
	"fmt"

	"github.com/hoist-dev/hoist/convert"
)

// Format is an output format.
type Format string

// Stream formats, written to standard output or as one file per object.
const (
	FormatYAML Format = "yaml"
	FormatJSON Format = "json"
)

// Directory formats, written with -o DIR.
const (
	FormatKustomize Format = "kustomize"
	FormatHelm      Format = "helm"
)

// ParseFormat accepts "yaml", "json", "kustomize" or "helm". The error
// for anything else wraps convert.ErrInvalid.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case FormatYAML, FormatJSON, FormatKustomize, FormatHelm:
		return f, nil
	}
	return "", invalidf("format %q: want yaml, json, kustomize or helm", s)
}

// NeedsDirectory reports whether the format can only be written to a
// directory.
func (f Format) NeedsDirectory() bool { return f == FormatKustomize || f == FormatHelm }

// invalidError is a bad argument: it prints as its message and is
// convert.ErrInvalid for errors.Is, as convert's own input errors are.
type invalidError string

func (e invalidError) Error() string        { return string(e) }
func (e invalidError) Is(target error) bool { return target == convert.ErrInvalid }

func invalidf(format string, args ...any) error {
	return invalidError(fmt.Sprintf(format, args...))
}
