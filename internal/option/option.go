// Package option lets a library name its own settings in an error text
// that a command rephrases in its own terms: apply and convert name the
// field of their options struct ("the Timeout option"), cmd/hoist names
// the flag that sets it (--timeout).
package option

import (
	"errors"
	"fmt"
	"slices"
)

// Name is a setting, by the name of its field in a library's options
// struct ("Namespace").
type Name string

// String is "the Namespace option".
func (n Name) String() string { return "the " + string(n) + " option" }

// Error is an error whose text names settings. Error names them as
// Name.String does; Text names them as the caller says. It unwraps to what
// its text wraps with %w, and errors.Is matches the kind it was made with.
type Error struct {
	format string
	args   []any
	err    error
	kind   error
}

// Errorf is fmt.Errorf whose Name arguments a caller can rename.
func Errorf(format string, args ...any) *Error {
	return &Error{format: format, args: args, err: fmt.Errorf(format, args...)}
}

// Kindf is Errorf for an error that errors.Is also matches to kind (for
// one, convert.ErrInvalid).
func Kindf(kind error, format string, args ...any) *Error {
	e := Errorf(format, args...)
	e.kind = kind
	return e
}

func (e *Error) Error() string { return e.err.Error() }

// Text is the error's text with each setting named by name(setting).
func (e *Error) Text(name func(Name) string) string {
	args := slices.Clone(e.args)
	for i, a := range args {
		if n, ok := a.(Name); ok {
			args[i] = name(n)
		}
	}
	return fmt.Errorf(e.format, args...).Error()
}

// Unwrap returns the error the text wraps, through fmt.Errorf's %w.
func (e *Error) Unwrap() error { return errors.Unwrap(e.err) }

// Is reports whether target is the error's kind.
func (e *Error) Is(target error) bool { return e.kind != nil && target == e.kind }
