package e2e

import (
	"strings"
	"testing"
)

// TestRuntimeFidelity brings up one project per runtime kind of the
// runtime-fidelity issue (testdata/fidelity-*, described in
// testdata/FIDELITY.md) and checks, from inside the cluster, that it behaves
// as under docker compose: each checking service becomes ready only once it
// has seen the behaviour, and logs a marker line saying so.
func TestRuntimeFidelity(t *testing.T) {
	type check struct{ service, marker string }
	for _, tc := range []struct {
		name   string
		checks []check
		// extra runs after the checks.
		extra func(t *testing.T, p *project)
	}{
		{name: "waits", checks: []check{{"client", "FIDELITY-WAITS-OK"}}},
		{name: "self-name", checks: []check{{"client", "FIDELITY-SELF-NAME-OK"}}},
		{name: "startup-budget", checks: []check{{"slowdb", "FIDELITY-STARTUP-BUDGET-OK"}},
			extra: func(t *testing.T, p *project) {
				for _, pod := range p.pods("slowdb") {
					if n := p.restarts(pod); n != 0 {
						t.Errorf("slowdb pod %s was restarted %d times while starting", pod, n)
					}
				}
			}},
		{name: "container-port", checks: []check{{"client", "FIDELITY-CONTAINER-PORT-OK"}}},
		{name: "unlisted-ports", checks: []check{{"smtp", "FIDELITY-UNLISTED-PORTS-OK"}}},
		{name: "container-name", checks: []check{{"client", "FIDELITY-CONTAINER-NAME-OK"}}},
		{name: "renamed", checks: []check{{"client", "FIDELITY-RENAMED-OK"}}},
		{name: "dns", checks: []check{{"client", "FIDELITY-DNS-OK"}}},
		{name: "shared-bind", checks: []check{{"viewer", "FIDELITY-SHARED-BIND-OK"}}},
		{name: "claim-subpath", checks: []check{{"db", "FIDELITY-CLAIM-SUBPATH-OK"}},
			extra: func(t *testing.T, p *project) {
				if got := p.get("deployment/db", "{.spec.template.spec.containers[0].volumeMounts[0].subPath}"); got != "data" {
					t.Errorf("db mounts its claim at subPath %q, want data", got)
				}
			}},
		{name: "service-started", checks: []check{
			{"client", "FIDELITY-SERVICE-STARTED-OK"}, {"after", "FIDELITY-SERVICE-HEALTHY-OK"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := newProject(t, "fidelity-"+tc.name)
			p.up()
			for _, c := range tc.checks {
				ready := p.readyPods(c.service)
				if len(ready) == 0 {
					t.Errorf("service %s has no ready pod after up --wait", c.service)
					continue
				}
				if logs := p.logs(ready[0], c.service); !strings.Contains(logs, c.marker) {
					t.Errorf("pod %s of %s did not log %s:\n%s", ready[0], c.service, c.marker, tail(logs, 20))
				}
			}
			if tc.extra != nil {
				tc.extra(t, p)
			}
		})
	}
}
