//go:build integration

package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/hoist-dev/hoist/internal/testcluster"
)

// TestWait waits for kwok's pods, and names why a workload that can never
// be scheduled is not ready.
func TestWait(t *testing.T) {
	t.Parallel()
	k := newKube(t)
	ns := "wait"
	k.compose(shopCompose)
	r := k.mustHoist("up", "-n", ns, "--create-namespace", "--timeout", "3m")
	// db and worker have fixed replicas; web's belong to its autoscaler,
	// and up waits until it has scaled web to its minimum of 2.
	if n, _, _ := unstructured.NestedInt64(k.mustGet(deployments, ns, "web").Object, "spec", "replicas"); n != 2 {
		t.Errorf("after up, web has %d replicas, want the autoscaler's minimum of 2\n%s", n, r.stderr)
	}
	for _, name := range []string{"db", "worker", "web"} {
		d := k.mustGet(deployments, ns, name)
		want, _, _ := unstructured.NestedInt64(d.Object, "spec", "replicas")
		if n, _, _ := unstructured.NestedInt64(d.Object, "status", "availableReplicas"); n != want || n == 0 {
			t.Errorf("after up, %s has %d available replicas, want %d\n%s", name, n, want, r.stderr)
		}
	}
	if !strings.Contains(r.stderr, "deployment.apps/db 1/1 ready") {
		t.Errorf("no progress on stderr:\n%s", r.stderr)
	}

	k.compose(shopCompose + `  huge:
    image: example/huge
    deploy:
      resources:
        reservations: {cpus: "5000"}
`)
	// Once the scheduler has given up on huge's pod, up's timeout says why.
	k.mustHoist("apply", "-n", ns)
	k.eventually("a pod of huge to be unschedulable", 2*time.Minute, func() bool {
		l, err := k.dyn.Resource(pods).Namespace(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=huge"})
		return err == nil && len(l.Items) > 0 && strings.Contains(fmt.Sprint(l.Items[0].Object["status"]), "reason:Unschedulable")
	})
	r = k.hoist("up", "-n", ns, "--timeout", "5s")
	if r.code != 1 || !strings.Contains(r.stderr, "deployment.apps/huge") || !strings.Contains(r.stderr, "Unschedulable") || !strings.Contains(r.stderr, "timed out after 5s waiting for") {
		t.Errorf("up with an unschedulable workload: exit %d, stderr:\n%s", r.code, r.stderr)
	}
	if strings.Contains(r.stderr, "deployment.apps/web:") {
		t.Errorf("the timeout names ready workloads too:\n%s", r.stderr)
	}

	// Ctrl-C while waiting exits 130; running again converges.
	cmd := testcluster.Command(context.Background(), t, hoistBin, k.dir, []string{"KUBECONFIG=" + k.kubeconfig}, "up", "-n", ns, "--timeout", "5m")
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(stderr.String(), "waiting: deployment.apps/huge") && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); testcluster.ExitCode(err) != 130 {
		t.Errorf("interrupted up: %v, want exit 130; stderr:\n%s", err, stderr.String())
	}
	k.compose(shopCompose)
	r = k.mustHoist("up", "-n", ns, "--timeout", "3m")
	if !strings.Contains(r.stdout, "deployment.apps/huge pruned") {
		t.Errorf("rerun after an interrupt:\n%s", r.stdout)
	}

	k.mustHoist("down", "-n", ns)
	k.mustBeGone(namespaces, "", ns)
}
