//go:build integration

package main

import (
	"fmt"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestServiceReplace: a service that gains ports with endpoint_mode vip goes
// from a headless Service to one with a cluster IP, which needs a new
// Service object (without vip, the named Service stays headless).
func TestServiceReplace(t *testing.T) {
	t.Parallel()
	k := newKube(t)
	ns := "replace"
	k.compose("services:\n  app:\n    image: example/app\n")
	k.mustHoist("apply", "-n", ns, "--create-namespace")
	if ip, _, _ := unstructured.NestedString(k.mustGet(services, ns, "app").Object, "spec", "clusterIP"); ip != "None" {
		t.Fatalf("clusterIP %q, want None", ip)
	}
	k.compose("services:\n  app:\n    image: example/app\n    expose: [\"8080\"]\n    deploy:\n      endpoint_mode: vip\n")
	if r := k.hoist("diff", "-n", ns); r.code != 1 || !strings.Contains(r.stdout, "-  clusterIP: None") || !strings.Contains(r.stdout, "+  - name: tcp-8080") {
		t.Errorf("diff of a Service that gains a cluster IP: exit %d, want 1; stdout:\n%s%s", r.code, r.stdout, r.stderr)
	}
	r := k.mustHoist("apply", "-n", ns)
	if !strings.Contains(r.stdout, "service/app configured") {
		t.Errorf("apply:\n%s", r.stdout)
	}
	if ip, _, _ := unstructured.NestedString(k.mustGet(services, ns, "app").Object, "spec", "clusterIP"); ip == "None" || ip == "" {
		t.Errorf("clusterIP %q after gaining a port", ip)
	}
	k.compose("services:\n  app:\n    image: example/app\n")
	k.mustHoist("apply", "-n", ns)
	if ip, _, _ := unstructured.NestedString(k.mustGet(services, ns, "app").Object, "spec", "clusterIP"); ip != "None" {
		t.Errorf("clusterIP %q after losing its ports, want None", ip)
	}
	k.mustHoist("down", "-n", ns)
	k.mustBeGone(namespaces, "", ns)
}

// TestJobReplace: a Job's pod template is immutable, so a changed one-shot
// service is deleted and created again, while an unchanged one is left
// alone (it ran; it must not run again).
func TestJobReplace(t *testing.T) {
	t.Parallel()
	k := newKube(t)
	ns := "jobs"
	k.compose("services:\n  migrate:\n    image: example/app\n    command: [migrate, up]\n    restart: \"no\"\n")
	r := k.mustHoist("apply", "-n", ns, "--create-namespace")
	if !strings.Contains(r.stdout, "job.batch/migrate created") {
		t.Fatalf("apply:\n%s", r.stdout)
	}
	first := k.mustGet(jobs, ns, "migrate")
	r = k.mustHoist("apply", "-n", ns)
	if !strings.Contains(r.stdout, "job.batch/migrate unchanged") {
		t.Errorf("re-apply:\n%s", r.stdout)
	}
	if uid := k.mustGet(jobs, ns, "migrate").GetUID(); uid != first.GetUID() {
		t.Errorf("an unchanged Job was replaced")
	}
	k.compose("services:\n  migrate:\n    image: example/app\n    command: [migrate, up, --all]\n    restart: \"no\"\n")
	// diff shows the new Job that apply would create in place of the old.
	r = k.hoist("diff", "-n", ns)
	if r.code != 1 || !strings.Contains(r.stdout, "+        - --all") || !strings.Contains(r.stdout, "batch.kubernetes.io/job-name: migrate") {
		t.Errorf("diff of a changed Job: exit %d, want 1 with the new arg; stdout:\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = k.mustHoist("apply", "-n", ns)
	if !strings.Contains(r.stdout, "job.batch/migrate configured") {
		t.Errorf("apply of a changed Job:\n%s", r.stdout)
	}
	second := k.mustGet(jobs, ns, "migrate")
	args, _, _ := unstructured.NestedSlice(second.Object, "spec", "template", "spec", "containers")
	if second.GetUID() == first.GetUID() || !strings.Contains(fmt.Sprint(args), "--all") {
		t.Errorf("the changed Job was not replaced: uid %s, containers %v", second.GetUID(), args)
	}
	k.mustHoist("down", "-n", ns)
	k.mustBeGone(namespaces, "", ns)
}
