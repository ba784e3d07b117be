package convert

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestKeyReports pins the status rule: dropped only when every warning is
// a drop of the whole key; drops of parts or approximations approximate.
func TestKeyReports(t *testing.T) {
	keys := map[string]string{
		"clean": "what it becomes", "sysctls": "", "pull_policy": "", "user": "", "security_opt": "",
		"labels": "", "labels.kompose.hpa.min": "", "labels.kompose.hpa.max": "", "models.a": "", "models.b": "",
	}
	warnings := []Warning{
		{Key: "sysctls.vm.x", Message: "m1", Dropped: true},
		{Key: "pull_policy", Message: "m2", Dropped: true},
		{Key: "user", Message: "m3"},
		{Key: "security_opt", Message: "m4", Dropped: true},
		{Key: "security_opt.seccomp", Message: "m5"},
		{Key: "labels.kompose.hpa.*", Message: "m6", Dropped: true},
		{Key: "models", Message: "m7", Dropped: true},
		{Key: "stray.key", Message: "m8"},
	}
	want := []KeyReport{
		{Key: "clean", Status: StatusMapped, To: "what it becomes"},
		{Key: "labels", Status: StatusMapped},
		{Key: "labels.kompose.hpa.max", Status: StatusDropped, Why: []string{"labels.kompose.hpa.*: m6"}},
		{Key: "labels.kompose.hpa.min", Status: StatusDropped, Why: []string{"labels.kompose.hpa.*: m6"}},
		{Key: "models.a", Status: StatusDropped, Why: []string{"models: m7"}},
		{Key: "models.b", Status: StatusDropped, Why: []string{"models: m7"}},
		{Key: "pull_policy", Status: StatusDropped, Why: []string{"m2"}},
		{Key: "security_opt", Status: StatusApproximated, Why: []string{"m4", "security_opt.seccomp: m5"}},
		{Key: "stray.key", Status: StatusApproximated, Why: []string{"m8"}},
		{Key: "sysctls", Status: StatusApproximated, Why: []string{"sysctls.vm.x: m1"}},
		{Key: "user", Status: StatusApproximated, Why: []string{"m3"}},
	}
	if diff := cmp.Diff(want, keyReports(keys, warnings)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
