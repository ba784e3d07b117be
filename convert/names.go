package convert

import (
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

// portName returns an IANA-style port name (at most 15 characters,
// lowercase alphanumerics and single hyphens, at least one letter). It uses
// the compose port name when that is valid, else "<protocol>-<port>".
func portName(composeName, protocol string, port int32) string {
	if composeName != "" {
		n := strings.ToLower(strings.ReplaceAll(strings.ReplaceAll(composeName, "_", "-"), ".", "-"))
		if len(validation.IsValidPortName(n)) == 0 {
			return n
		}
	}
	return strings.ToLower(protocol) + "-" + strconv.Itoa(int(port))
}
