//go:build integration

package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestStatefulSetClaims: a claim no volume satisfies is named when up
// times out, and down leaves the claims a StatefulSet made in a namespace
// hoist did not create, saying so.
func TestStatefulSetClaims(t *testing.T) {
	t.Parallel()
	k := newKube(t)
	ns := "statefulset-claims"
	k.createNamespace(ns)
	t.Cleanup(func() {
		_ = k.dyn.Resource(namespaces).Delete(context.Background(), ns, metav1.DeleteOptions{})
	})
	const claimsCompose = `name: claims
services:
  db:
    image: postgres:16
    volumes: [data:/var/lib/postgresql/data]
    x-kubernetes: {workload: statefulset}
volumes:
  data:
    x-kubernetes: {storageClass: missing}
`
	k.compose(claimsCompose)
	k.mustHoist("apply", "-n", ns)
	// The claim stays Pending: its StorageClass does not exist. Once the
	// scheduler has given up on the pod, up's timeout must say why.
	k.eventually("pod db-0 to be unschedulable", 2*time.Minute, func() bool {
		p, err := k.get(pods, ns, "db-0")
		if err != nil {
			return false
		}
		conds, _, _ := unstructured.NestedSlice(p.Object, "status", "conditions")
		return strings.Contains(fmt.Sprint(conds), "reason:Unschedulable")
	})
	r := k.hoist("up", "-n", ns, "--timeout", "3s")
	if r.code != 1 || !strings.Contains(r.stderr, "timed out") ||
		!strings.Contains(r.stderr, "statefulset.apps/db: 0 of 1 pods are ready (persistentvolumeclaim/data-db-0 is Pending") {
		t.Errorf("up with an unbound claim: exit %d, want 1 naming the claim; stderr:\n%s", r.code, r.stderr)
	}

	// A StatefulSet's claim templates cannot change: apply and diff say so
	// in one line, and how to go about it.
	k.compose(strings.Replace(claimsCompose, "{storageClass: missing}", "{storageClass: missing, size: 5Gi}", 1))
	for _, cmd := range []string{"apply", "diff"} {
		r = k.hoist(cmd, "-n", ns)
		if r.code == 0 || strings.Count(withoutWarnings(r.stderr), "\n") != 1 ||
			!strings.Contains(r.stderr, `error: applying statefulset.apps/db in namespace `+ns+`: StatefulSet "db" is invalid: spec.volumeClaimTemplates: field is immutable; to change it, delete the StatefulSet but not its pods and claims (kubectl delete statefulset db -n `+ns+` --cascade=orphan)`) {
			t.Errorf("%s of new claim templates: exit %d, stderr:\n%s", cmd, r.code, r.stderr)
		}
	}
	k.compose(claimsCompose)

	r = k.mustHoist("down", "-n", ns)
	if !strings.Contains(r.stdout, "statefulset.apps/db deleted") {
		t.Errorf("down:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, "Warning: volumes kept, with their data: persistentvolumeclaim/data-db-0 (delete them with --volumes)") {
		t.Errorf("down must name the claim it leaves:\n%s", r.stderr)
	}
	k.mustGet(claims, ns, "data-db-0")
	k.mustGet(namespaces, "", ns)
}
