package convert

import (
	"errors"
	"fmt"
)

// ErrUnsupported marks a compose construct hoist cannot express in
// Kubernetes. Errors that wrap it are about the input, not about hoist.
var ErrUnsupported = errors.New("unsupported")

// ErrInvalid marks invalid input: bad names, bad options, values out of range.
var ErrInvalid = errors.New("invalid")

// Warning is one thing the conversion approximated or dropped. Warnings are
// data: the caller decides how to print them, and --strict turns them into
// an error.
type Warning struct {
	// Service is the compose service the warning is about; empty for
	// project-level warnings.
	Service string
	// Key is the compose key path, such as "ulimits" or
	// "deploy.resources.limits.pids".
	Key string
	// Message says what happened to the key.
	Message string
	// Dropped is true when the key (or part of it) has no effect on the
	// output; false when it is mapped with an approximation.
	Dropped bool
	// Partial is true when only a part of the key is dropped (one entry of
	// a list, one option of a mount): the rest of it has its effect.
	Partial bool `json:",omitempty"`
}

func (w Warning) String() string {
	if w.Service == "" {
		return fmt.Sprintf("%s: %s", w.Key, w.Message)
	}
	return fmt.Sprintf("service %q: %s: %s", w.Service, w.Key, w.Message)
}

// warningList collects warnings in the order they are made.
type warningList []Warning

// warn records an approximation: the key is mapped, but not exactly.
func (l *warningList) warn(service, key, format string, args ...any) {
	*l = append(*l, Warning{Service: service, Key: key, Message: fmt.Sprintf(format, args...)})
}

// drop records a key that has no effect on the output.
func (l *warningList) drop(service, key, format string, args ...any) {
	*l = append(*l, Warning{Service: service, Key: key, Message: fmt.Sprintf(format, args...), Dropped: true})
}

// dropPart records a part of a key (one entry of a list, one option) that
// has no effect on the output, while the rest of the key has.
func (l *warningList) dropPart(service, key, format string, args ...any) {
	*l = append(*l, Warning{Service: service, Key: key, Message: fmt.Sprintf(format, args...), Dropped: true, Partial: true})
}

// inputError is an error about the input, of a class scripts can test for
// with errors.Is, that prints without the class name.
type inputError struct {
	class error
	msg   string
}

func (e *inputError) Error() string        { return e.msg }
func (e *inputError) Is(target error) bool { return target == e.class }

func invalidf(format string, args ...any) error {
	return &inputError{class: ErrInvalid, msg: fmt.Sprintf(format, args...)}
}

func unsupportedf(format string, args ...any) error {
	return &inputError{class: ErrUnsupported, msg: fmt.Sprintf(format, args...)}
}
