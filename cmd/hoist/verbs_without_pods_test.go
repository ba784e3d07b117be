//go:build integration

package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/hoist-dev/hoist/internal/testcluster"
)

// TestVerbsWithoutPods: against a cluster where the project is not up,
// exec says the service has no running pod, restart and scale say the
// workload is missing, logs prints nothing, ls finds no project.
func TestVerbsWithoutPods(t *testing.T) {
	kc := []string{"KUBECONFIG=" + testcluster.Kubeconfig(t)}
	dir := filepath.Join("testdata", "compose", "verbs")
	ns := []string{"-n", "verbs-nothing"}
	for _, tc := range []struct {
		args      []string
		code      int
		stdout    string
		stderrHas string
	}{
		{args: []string{"exec", "-T", "web", "true"}, code: 1, stderrHas: `error: service "web" has no running pod in namespace verbs-nothing; is the project up?` + "\n"},
		{args: []string{"exec", "-T", "--index", "2", "web", "true"}, code: 1, stderrHas: `error: service "web" has no pod with index 2 in namespace verbs-nothing (it has 0)` + "\n"},
		{args: []string{"restart", "web"}, code: 1, stderrHas: `error: service "web": deployment.apps/web is not in namespace verbs-nothing; is the project up?` + "\n"},
		{args: []string{"scale", "web=3"}, code: 1, stderrHas: `error: service "web": deployment.apps/web is not in namespace verbs-nothing; is the project up?` + "\n"},
		{args: []string{"logs", "web"}, code: 0},
		{args: []string{"ls"}, code: 0, stderrHas: "No projects found in namespace verbs-nothing\n"},
	} {
		// -n goes before the service: exec passes what follows it on.
		args := append(append([]string{tc.args[0]}, ns...), tc.args[1:]...)
		r := runHoist(t, dir, "", kc, args...)
		if r.code != tc.code || r.stdout != tc.stdout || r.stderr != tc.stderrHas {
			t.Errorf("hoist %s: exit %d, stdout %q, stderr %q; want exit %d, stdout %q, stderr %q", strings.Join(tc.args, " "), r.code, r.stdout, r.stderr, tc.code, tc.stdout, tc.stderrHas)
		}
	}
}
