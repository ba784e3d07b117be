package apply

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/hoist-dev/hoist/convert"
	"github.com/hoist-dev/hoist/internal/benchgen"
	"github.com/hoist-dev/hoist/internal/testcluster"
	"github.com/hoist-dev/hoist/load"
	"github.com/hoist-dev/hoist/output"
)

// benchObjects converts benchgen's n-service project for namespace ns.
// The services run no pods (two for the autoscaled tenth) and request no
// resources, so that the pods of all four namespaces fit on the one
// simulated node.
func benchObjects(b *testing.B, n int, ns string) []*unstructured.Unstructured {
	b.Helper()
	path := filepath.Join(b.TempDir(), "compose.yaml")
	if err := os.WriteFile(path, []byte(benchgen.Compose(n, benchgen.Options{NoResources: true})), 0o644); err != nil {
		b.Fatal(err)
	}
	p, err := load.Project(context.Background(), load.Options{Files: []string{path}, Environ: []string{}})
	if err != nil {
		b.Fatal(err)
	}
	res, err := convert.Convert(p, convert.Options{Namespace: ns})
	if err != nil {
		b.Fatal(err)
	}
	return res.Objects
}

func benchClient(b *testing.B, ns string) *Client {
	b.Helper()
	c, err := Connect(context.Background(), ConnectOptions{Kubeconfig: testcluster.Kubeconfig(b), Namespace: ns})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

var benchNamespaces int

// newNamespace creates a fresh namespace.
func newNamespace(b *testing.B, c *Client, prefix string) string {
	b.Helper()
	benchNamespaces++
	ns := fmt.Sprintf("%s-%d", prefix, benchNamespaces)
	_, err := c.dyn.Resource(schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}).Create(context.Background(),
		&unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns}}},
		metav1.CreateOptions{})
	if err != nil {
		b.Fatal(err)
	}
	return ns
}

// BenchmarkApply applies a generated 1000-service project (2,100 objects)
// to the local API server, first into an empty namespace and then again
// with nothing changed, next to kubectl apply --server-side -f of the same
// manifests. Run with make bench-apply; -benchtime 1x is enough.
func BenchmarkApply(b *testing.B) {
	const services = 1000
	setup := benchClient(b, "default")
	kubectl := filepath.Join(testcluster.BinDir(), "kubectl")

	// settle waits, outside the timer, until the controllers have created
	// the pods of what an apply created, then half a minute more, so that
	// their work does not land in the next timed apply. It does not wait
	// for readiness: under this load the simulated node's heartbeat can
	// lag, and the node controller then marks pods not ready for a while.
	settle := func(b *testing.B, ns string) {
		c := benchClient(b, ns)
		gvr := schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
		deadline := time.Now().Add(10 * time.Minute)
		for {
			l, err := c.dyn.Resource(gvr).Namespace(ns).List(context.Background(), metav1.ListOptions{})
			if err != nil {
				b.Fatal(err)
			}
			pending := 0
			for _, d := range l.Items {
				observed, _, _ := unstructured.NestedInt64(d.Object, "status", "observedGeneration")
				want, _, _ := unstructured.NestedInt64(d.Object, "spec", "replicas")
				have, _, _ := unstructured.NestedInt64(d.Object, "status", "replicas")
				if observed < d.GetGeneration() || have != want {
					pending++
				}
			}
			if pending == 0 {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("%d deployments in %s did not settle", pending, ns)
			}
			time.Sleep(time.Second)
		}
		// Then let the endpoint, HPA and kwok controllers finish their
		// status writes for the new pods and Services.
		time.Sleep(30 * time.Second)
	}
	// run times one apply per iteration: into a fresh namespace (first), or
	// again with nothing changed (reapply). prepare converts, outside the
	// timer, and returns the timed apply; everything else is untimed too.
	run := func(name string, first bool, prepare func(ns string) func()) {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				ns := newNamespace(b, setup, "bench")
				if !first {
					prepare(ns)()
					settle(b, ns)
				}
				apply := prepare(ns)
				b.StartTimer()
				apply()
				b.StopTimer()
				settle(b, ns)
				b.StartTimer()
			}
		})
	}
	// Both sides get converted objects; the timer covers connecting
	// (discovery) and applying.
	hoist := func(ns string) func() {
		objs := benchObjects(b, services, ns)
		return func() {
			c := benchClient(b, ns)
			if _, err := c.Apply(context.Background(), objs, Options{Project: "bench", Tooling: "hoist/v0.0.0-bench"}); err != nil {
				b.Fatal(err)
			}
		}
	}
	kubectlApply := func(ns string) func() {
		y, err := output.Marshal(benchObjects(b, services, ns), output.FormatYAML)
		if err != nil {
			b.Fatal(err)
		}
		return func() {
			cmd := exec.Command(kubectl, "--kubeconfig", testcluster.Kubeconfig(b), "apply", "--server-side", "-f", "-")
			cmd.Stdin = bytes.NewReader(y)
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("kubectl: %v\n%s", err, out)
			}
		}
	}
	start := time.Now()
	run("hoist/first", true, hoist)
	run("hoist/reapply", false, hoist)
	run("kubectl/first", true, kubectlApply)
	run("kubectl/reapply", false, kubectlApply)
	b.Logf("whole benchmark %s", time.Since(start).Round(time.Second))
}
