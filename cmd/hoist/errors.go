package main

import (
	"errors"
	"io/fs"

	"github.com/hoist-dev/hoist/convert"
)

// exitError carries an exit code other than 1 (diff's 1 and 2, exec's and
// run's command status); a nil err prints nothing.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

// unwrapPath drops the operation and path of a *fs.PathError, for errors
// that name the path hoist was given rather than the one it opened.
func unwrapPath(err error) error {
	if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// convertOptionFlag is the flag that sets a convert option.
func convertOptionFlag(o convert.Option) string {
	switch o {
	case convert.OptionNamespace:
		return "-n"
	case convert.OptionCreateNamespace:
		return "--create-namespace"
	case convert.OptionReplicas:
		return "--replicas"
	case convert.OptionServiceType:
		return "--service-type"
	case convert.OptionEnvSecrets:
		return "--env-secrets"
	case convert.OptionClusterDomain:
		return "--cluster-domain"
	}
	return o.String()
}
