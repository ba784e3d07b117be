package convert

import (
	"fmt"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// Standard labels every object carries. Selectors use only LabelName and
// LabelPartOf: selectors are immutable, so nothing that changes goes there.
const (
	LabelName      = "app.kubernetes.io/name"
	LabelPartOf    = "app.kubernetes.io/part-of"
	LabelManagedBy = "app.kubernetes.io/managed-by"
	ManagedBy      = "hoist"
)

// ObjectName turns a compose name into a DNS-1123 label: lowercase, "_" and
// "." become "-", at most 63 characters. It fails when nothing valid is left.
func ObjectName(s string) (string, error) {
	n := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-':
			return r
		case r >= 'A' && r <= 'Z':
			return r + ('a' - 'A')
		case r == '_' || r == '.':
			return '-'
		}
		return -1
	}, s)
	if len(n) > validation.DNS1123LabelMaxLength {
		n = n[:validation.DNS1123LabelMaxLength]
	}
	n = strings.Trim(n, "-")
	if errs := validation.IsDNS1123Label(n); len(errs) > 0 {
		return "", invalidf("name %q cannot be made a Kubernetes name: %s", s, strings.Join(errs, "; "))
	}
	return n, nil
}

// objectNameOr is ObjectName(s), or fallback when nothing valid is left of s.
func objectNameOr(s, fallback string) string {
	if n, err := ObjectName(s); err == nil {
		return n
	}
	return fallback
}

// truncate cuts s to at most n bytes.
func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// trimName shortens a name to n characters without a trailing dash.
func trimName(s string, n int) string { return strings.TrimRight(truncate(s, n), "-") }

// truncName is base+suffix, base shortened to keep a DNS-1123 label.
func truncName(base, suffix string) string {
	return trimName(base, validation.DNS1123LabelMaxLength-len(suffix)) + suffix
}

// uniqueName takes base for owner, or base with a numeric suffix when
// another owner has it. Owners are typed keys (claimID, nameOwner), so no
// owner can pass for another.
func uniqueName[O comparable](taken map[string]O, base string, owner O) string {
	n := base
	for i := 2; ; i++ {
		if o, ok := taken[n]; !ok || o == owner {
			taken[n] = owner
			return n
		}
		n = truncName(base, "-"+strconv.Itoa(i))
	}
}

// freeName is base, or base with a numeric suffix (-2, -3...), shortened
// to a DNS-1123 label: the first that taken reports free.
func freeName(base string, taken func(string) bool) string {
	n := base
	for i := 2; taken(n); i++ {
		n = truncName(base, "-"+strconv.Itoa(i))
	}
	return n
}

// nameOwner is what took a ConfigMap or Secret name: a compose config or
// secret key, a bind mount's host path or a service's environment Secret.
type nameOwner struct {
	kind nameOwnerKind
	id   string // the key, host path or service
}

type nameOwnerKind uint8

const (
	ownerFileObject nameOwnerKind = iota // a top-level config or secret
	ownerBind                            // a bind mount's ConfigMap
	ownerEnv                             // a service's environment Secret
)

// uniqueSuffixed is base-suffix, shortened to a DNS-1123 label, numbered
// when taken.
func uniqueSuffixed(base, suffix string, taken func(string) bool) string {
	n := truncName(base, "-"+suffix)
	for i := 2; taken(n); i++ {
		n = truncName(base, fmt.Sprintf("-%s-%d", suffix, i))
	}
	return n
}

// labelValue shortens s to a valid label value (63 characters, alphanumeric
// at both ends).
func labelValue(s string) string {
	if len(s) > validation.LabelValueMaxLength {
		s = s[:validation.LabelValueMaxLength]
	}
	return strings.TrimFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	})
}

// putLabel puts a compose label on Kubernetes metadata: into labels when
// the value is a valid label value, else into ann. It reports false, and
// puts nothing, when Kubernetes refuses the key itself.
func putLabel(labels, ann map[string]string, k, v string) bool {
	switch {
	case len(validation.IsQualifiedName(k)) > 0:
		return false
	case len(validation.IsValidLabelValue(v)) == 0:
		labels[k] = v
	default:
		ann[k] = v
	}
	return true
}

// portName returns an IANA-style port name (at most 15 characters,
// lowercase alphanumerics and single hyphens, at least one letter). It uses
// the compose port name when that is valid, else "<protocol>-<port>".
func portName(composeName, protocol string, port int32) string {
	if n, ok := kubePortName(composeName); ok {
		return n
	}
	return strings.ToLower(protocol) + "-" + strconv.Itoa(int(port))
}

// kubePortName is a compose port name as a Kubernetes one (lower case,
// "_" and "." as "-"); ok is false when that is not a valid port name.
func kubePortName(composeName string) (string, bool) {
	if composeName == "" {
		return "", false
	}
	n := strings.ToLower(strings.ReplaceAll(strings.ReplaceAll(composeName, "_", "-"), ".", "-"))
	return n, len(validation.IsValidPortName(n)) == 0
}

// unitName names a top-level service or job in messages: service "x" or
// job "x" (c.plan.names holds both).
func (c *converter) unitName(name string) string {
	if _, ok := c.project.Jobs[name]; ok {
		return fmt.Sprintf("job %q", name)
	}
	return fmt.Sprintf("service %q", name)
}

// needLetter rejects an object name (from ObjectName, so a DNS-1123
// label) that starts with a digit: Service names are DNS-1035 labels, and
// hoist names a job's objects the same way. what names the compose side in
// the error, kind the Kubernetes object.
func needLetter(what, kind, n string) error {
	if n[0] >= '0' && n[0] <= '9' {
		return invalidf("%s: a Kubernetes %s name must start with a letter", what, kind)
	}
	return nil
}
