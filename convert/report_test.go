package convert

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hoist-dev/hoist/load"
)

// TestKeyReports pins the status rule: dropped only when every warning is
// a drop of the whole key; drops of parts or approximations approximate.
func TestKeyReports(t *testing.T) {
	keys := map[string]string{
		"clean": "what it becomes", "sysctls": "", "pull_policy": "", "user": "", "security_opt": "",
		"labels": "", "labels.kompose.hpa.min": "", "labels.kompose.hpa.max": "", "models.a": "", "models.b": "",
		"volumes": "",
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
		{Key: "volumes", Message: "m9", Dropped: true, Partial: true},
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
		{Key: "volumes", Status: StatusApproximated, Why: []string{"m9"}},
	}
	if diff := cmp.Diff(want, keyReports(keys, warnings)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// A key only part of which is dropped (one option of a mount, one entry
// of a list, one variable without a value) is approximated in the report,
// not dropped: the rest of it is in the output.
func TestReportPartialDrops(t *testing.T) {
	t.Parallel()
	const compose = `
services:
  web:
    image: nginx
    environment: [SET=1, UNSET]
    extra_hosts: ["printer.lan:192.168.1.50", "host.docker.internal:host-gateway"]
    tmpfs: ["/run:size=10m,uid=1000"]
    volumes:
      - {type: volume, source: data, target: /data, volume: {nocopy: true}}
    dns: [127.0.0.11, 1.1.1.1]
volumes:
  data:
`
	p, err := load.Project(context.Background(), load.Options{Files: []string{"-"}, Stdin: strings.NewReader(compose), WorkingDir: t.TempDir(), Environ: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Convert(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, k := range NewReport(p, res).Services[0].Keys {
		got[k.Key] = k.Status
	}
	for _, k := range []string{"environment", "extra_hosts", "tmpfs", "volumes", "dns"} {
		if got[k] != StatusApproximated {
			t.Errorf("%s: status %q, want %q", k, got[k], StatusApproximated)
		}
	}
}
