//go:build integration

package main

import (
	"strings"
	"testing"
)

// TestServerDryRun creates nothing.
func TestServerDryRun(t *testing.T) {
	t.Parallel()
	k := newKube(t)
	ns := "dryrun"
	k.createNamespace(ns)
	k.compose(shopCompose)
	r := k.mustHoist("apply", "-n", ns, "--dry-run=server")
	for _, l := range lines(r.stdout) {
		if !strings.HasSuffix(l, " created (server dry run)") {
			t.Errorf("%q: want created (server dry run)", l)
		}
	}
	if got := k.snapshot(ns, shopKinds, resourceVersion); len(got) != 0 {
		t.Errorf("server dry run created objects: %v", got)
	}
	r = k.mustHoist("apply", "-n", ns, "--dry-run=client")
	if !strings.Contains(r.stdout, "deployment.apps/web created (dry run)") {
		t.Errorf("client dry run:\n%s", r.stdout)
	}
	// down of a project that was never applied deletes nothing.
	r = k.mustHoist("down", "-n", ns)
	if r.stdout != "" || !strings.Contains(r.stderr, "No resources found") {
		t.Errorf("down of nothing: stdout %q stderr %q", r.stdout, r.stderr)
	}

	// A namespace that existed before is used, never adopted: down leaves it.
	r = k.mustHoist("apply", "-n", ns, "--create-namespace")
	if !strings.Contains(r.stdout, "namespace/"+ns+" unchanged") {
		t.Errorf("apply into an existing namespace:\n%s", r.stdout)
	}
	if l := k.mustGet(namespaces, "", ns).GetLabels()["applyset.kubernetes.io/part-of"]; l != "" {
		t.Errorf("the existing namespace was adopted into ApplySet %s", l)
	}
	r = k.mustHoist("down", "-n", ns)
	if strings.Contains(r.stdout, "namespace/") || !strings.Contains(r.stdout, "deployment.apps/web deleted") {
		t.Errorf("down:\n%s", r.stdout)
	}
	k.mustGet(namespaces, "", ns)
	if got := k.snapshot(ns, shopKinds, resourceVersion); len(got) != 0 {
		t.Errorf("down left objects behind: %v", got)
	}
}
