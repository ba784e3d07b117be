package main

import (
	"errors"
	"io/fs"

	"github.com/hoist-dev/hoist/apply"
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

// optionFlag is the flag that sets an apply option.
func optionFlag(o apply.Option) string {
	switch o {
	case apply.OptionProject:
		return "-p"
	case apply.OptionTakeover:
		return "--force"
	case apply.OptionTimeout:
		return "--timeout"
	case apply.OptionDryRun:
		return "--dry-run"
	case apply.OptionKubeconfig:
		return "--kubeconfig"
	case apply.OptionContext:
		return "--context"
	}
	return o.String()
}

// conflictHint is kubectl's advice on a field manager conflict (kubectl
// pkg/cmd/apply/apply.go, the IsConflict branch).
const conflictHint = `Please review the fields above--they currently have other managers. Here
are the ways you can resolve this warning:
* If you intend to manage all of these fields, please re-run the apply
  command with the ` + "`--force-conflicts`" + ` flag.
* If you do not intend to manage all of the fields, please edit your
  manifest to remove references to the fields that should keep their
  current managers.
* You may co-own fields by updating your manifest to match the existing
  value; in this case, you'll become the manager if the other manager(s)
  stop managing the field (remove it from their configuration).
See https://kubernetes.io/docs/reference/using-api/server-side-apply/#conflicts`
