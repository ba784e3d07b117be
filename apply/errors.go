package apply

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/hoist-dev/hoist/internal/option"
)

// ErrTimeout is what a wait, an apply or a delete that ran out of time
// returns, for errors.Is.
var ErrTimeout = errors.New("timed out")

// ErrUnreachable is what an *UnreachableError is, for errors.Is.
var ErrUnreachable = errors.New("cannot reach the cluster")

var errNoAnswer = errors.New("no answer in time")

// UnreachableError says that the API server did not answer a request, or
// failed it for a transient reason, until hoist gave up retrying it.
type UnreachableError struct {
	// Server is the API server's address.
	Server string
	// Op is what hoist was doing: "applying deployment.apps/web in
	// namespace shop".
	Op string
	// For is how long the request was retried.
	For time.Duration
	// Err is the last attempt's error.
	Err error
}

// Error is the README's one line: "cannot reach the cluster at URL: ...".
func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot reach the cluster at %s: %s, retried for %s: %v", e.Server, e.Op, e.For.Round(100*time.Millisecond), shortError(e.Err))
}

// Unwrap returns the last attempt's error.
func (e *UnreachableError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrUnreachable) true.
func (e *UnreachableError) Is(target error) bool { return target == ErrUnreachable }

// shortError drops the request URL client-go puts in front of a transport
// error ("Patch \"https://...?fieldManager=hoist\": dial tcp ...").
func shortError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return errNoAnswer
		}
		return ue.Err
	}
	return err
}

// firstUnreachable returns the first *UnreachableError among errs, or nil:
// once the server cannot be reached, that one line says all.
func firstUnreachable(errs []error) error {
	for _, err := range errs {
		if errors.Is(err, ErrUnreachable) {
			var ue *UnreachableError
			if errors.As(err, &ue) {
				return ue
			}
		}
	}
	return nil
}

// withOp prefixes err with op ("listing deployments.apps in namespace
// shop"), unless err already says it: an *UnreachableError names its op.
func withOp(op string, err error) error {
	if errors.Is(err, ErrUnreachable) {
		return err
	}
	return fmt.Errorf("%s: %w", op, err)
}

// ObjectError is a failure of one object: Verb is what hoist was doing
// ("applying", "pruning", "deleting"); "applying" when empty.
type ObjectError struct {
	Ref  Ref
	Verb string
	Err  error
}

// Error names the verb, the object and its namespace (or that it is
// cluster-scoped): "applying deployment.apps/web in namespace shop: ...".
func (e *ObjectError) Error() string {
	verb := e.Verb
	if verb == "" {
		verb = "applying"
	}
	return fmt.Sprintf("%s %s%s: %v", verb, e.Ref, where(e.Ref.Namespace), e.Err)
}

// Unwrap returns the server's error.
func (e *ObjectError) Unwrap() error { return e.Err }

// joinObjectErrors reports every failed object, one per line.
func joinObjectErrors(errs []error) error {
	if ue := firstUnreachable(errs); ue != nil {
		return ue
	}
	if len(errs) == 1 {
		return errs[0]
	}
	return errors.Join(errs...)
}

// ConflictError is an apply or diff that the API server refused because
// fields it would set have other field managers (HTTP 409,
// apierrors.IsConflict); Force takes them over. Its text is Err's, one
// line per failed object; the caller adds its remedy (kubectl prints its
// advice to re-run with --force-conflicts, apply.go's IsConflict branch).
type ConflictError struct {
	Err error
}

func (e *ConflictError) Error() string { return e.Err.Error() }

// Unwrap returns the failure, an *ObjectError or several joined.
func (e *ConflictError) Unwrap() error { return e.Err }

// asConflict wraps err in a *ConflictError when the server refused it for
// a conflict.
func asConflict(err error) error {
	if err != nil && apierrors.IsConflict(err) {
		return &ConflictError{Err: err}
	}
	return err
}

// Option names a setting of Options, DeleteOptions or ConnectOptions (the
// field of that name) that an *OptionError advises changing or reports as
// invalid.
type Option = option.Name

// Options that errors name.
const (
	OptionProject  Option = "Project"
	OptionTakeover Option = "Takeover"
	OptionTimeout  Option = "Timeout"
	// OptionCreateNamespace is convert's CreateNamespace, which also
	// emits the Namespace diff previews.
	OptionCreateNamespace Option = "CreateNamespace"
	OptionDryRun          Option = "DryRun"
	OptionKubeconfig      Option = "Kubeconfig"
	OptionContext         Option = "Context"
)

// OptionError is an error whose text names options: Error names them as
// Option.String does ("the Takeover option"); a command calls Text to
// name them as its own flags (cmd/hoist: Takeover is --force). It unwraps
// to what its text wraps (ErrTimeout, for one).
type OptionError = option.Error

// optionErrorf is fmt.Errorf whose Option arguments a caller can rename.
var optionErrorf = option.Errorf

// immutableError is the API server's refusal to change a field that
// cannot change, in one line, with what to do; it unwraps to the server's
// error.
type immutableError struct {
	msg string
	err error
}

func (e *immutableError) Error() string { return e.msg }
func (e *immutableError) Unwrap() error { return e.err }

// explainImmutable shortens the server's refusal of a change to an
// immutable field (whose message can carry a dump or a diff of the whole
// spec) to the fields it names, and says how to make the change: a
// StatefulSet's claim templates, service name and selector only change by
// deleting it but not its pods and claims; a claim can only grow.
func explainImmutable(p prepared, err error) error {
	var se *apierrors.StatusError
	if !apierrors.IsInvalid(err) || !errors.As(err, &se) || se.ErrStatus.Details == nil {
		return err
	}
	var causes []string
	immutable := false
	for _, c := range se.ErrStatus.Details.Causes {
		msg, _, _ := strings.Cut(c.Message, "\n")
		if strings.Contains(msg, "immutable") {
			immutable = true
			if strings.HasPrefix(msg, "Invalid value: ") && strings.HasSuffix(msg, ": field is immutable") {
				msg = "field is immutable"
			}
		}
		causes = append(causes, c.Field+": "+msg)
	}
	if !immutable {
		return err
	}
	out := fmt.Sprintf("%s %q is invalid: %s", p.obj.GetKind(), p.obj.GetName(), strings.Join(causes, "; "))
	switch p.ref.GroupKind {
	case schema.GroupKind{Group: "apps", Kind: "StatefulSet"}:
		out += fmt.Sprintf("; to change it, delete the StatefulSet but not its pods and claims (kubectl delete statefulset %s -n %s --cascade=orphan), then apply again", p.obj.GetName(), p.obj.GetNamespace())
	case schema.GroupKind{Kind: "PersistentVolumeClaim"}:
		out += "; a claim can only grow, once bound and when its storage class allows expansion; to change it otherwise, delete it, and its data, then apply again"
	}
	return &immutableError{msg: out, err: err}
}
