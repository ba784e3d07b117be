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

// optionFlags are the flags that set the apply and convert options their
// errors name.
var optionFlags = map[apply.Option]string{
	convert.OptionNamespace:       "-n",
	convert.OptionCreateNamespace: "--create-namespace",
	convert.OptionReplicas:        "--replicas",
	convert.OptionServiceType:     "--service-type",
	convert.OptionEnvSecrets:      "--env-secrets",
	convert.OptionClusterDomain:   "--cluster-domain",
	convert.OptionWaitImage:       "--wait-image",
	convert.OptionRegistry:        "--registry",
	convert.OptionTag:             "--tag",
	apply.OptionProject:           "-p",
	apply.OptionTakeover:          "--force",
	apply.OptionTimeout:           "--timeout",
	apply.OptionDryRun:            "--dry-run",
	apply.OptionKubeconfig:        "--kubeconfig",
	apply.OptionContext:           "--context",
}

// optionFlag is the flag that sets an option, or "the X option" for one
// hoist has no flag for.
func optionFlag(o apply.Option) string {
	if f, ok := optionFlags[o]; ok {
		return f
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
