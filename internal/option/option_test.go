package option

import (
	"errors"
	"strings"
	"testing"
)

func TestError(t *testing.T) {
	t.Parallel()
	invalid := errors.New("invalid")
	const timeout Name = "Timeout"
	err := Kindf(invalid, "%s %q: want a duration (%v)", timeout, "x", errors.ErrUnsupported)
	if want := `the Timeout option "x": want a duration (unsupported operation)`; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
	flag := func(n Name) string { return "--" + strings.ToLower(string(n)) }
	if want := `--timeout "x": want a duration (unsupported operation)`; err.Text(flag) != want {
		t.Errorf("Text() = %q, want %q", err.Text(flag), want)
	}
	if !errors.Is(err, invalid) {
		t.Error("a Kindf error must be its kind")
	}
	if errors.Is(Errorf("%s", timeout), invalid) {
		t.Error("an Errorf error has no kind")
	}
	if wrapped := Errorf("%w after 3s (%v)", invalid, timeout); !errors.Is(wrapped, invalid) || wrapped.Text(flag) != "invalid after 3s (--timeout)" {
		t.Errorf("Errorf with %%w: Is %v, Text %q", errors.Is(wrapped, invalid), wrapped.Text(flag))
	}
}
