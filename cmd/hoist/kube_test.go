//go:build integration

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/hoist-dev/hoist/internal/testcluster"
)

// The helpers of the tests that run the hoist binary against the real
// control plane that testcluster starts (etcd, kube-apiserver,
// controller-manager, scheduler and kwok). Each test works in its own
// namespace.

var (
	deployments     = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	statefulsets    = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "statefulsets"}
	daemonsets      = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "daemonsets"}
	jobs            = schema.GroupVersionResource{Group: "batch", Version: "v1", Resource: "jobs"}
	cronjobs        = schema.GroupVersionResource{Group: "batch", Version: "v1", Resource: "cronjobs"}
	services        = schema.GroupVersionResource{Version: "v1", Resource: "services"}
	hpas            = schema.GroupVersionResource{Group: "autoscaling", Version: "v2", Resource: "horizontalpodautoscalers"}
	secrets         = schema.GroupVersionResource{Version: "v1", Resource: "secrets"}
	configmaps      = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	claims          = schema.GroupVersionResource{Version: "v1", Resource: "persistentvolumeclaims"}
	pods            = schema.GroupVersionResource{Version: "v1", Resource: "pods"}
	networkpolicies = schema.GroupVersionResource{Group: "networking.k8s.io", Version: "v1", Resource: "networkpolicies"}
	ingresses       = schema.GroupVersionResource{Group: "networking.k8s.io", Version: "v1", Resource: "ingresses"}
)

// shopCompose is the project most cluster tests apply: a Deployment with
// an autoscaler and two without.
const shopCompose = `name: shop
services:
  web:
    image: nginx:1.27
    ports: ["80:8080"]
    deploy:
      replicas: 2
      resources:
        reservations: {cpus: "0.1", memory: 64M}
    x-kubernetes:
      autoscale: {max: 4}
  worker:
    image: example/worker:1
    command: ["work"]
  db:
    image: postgres:16
    expose: ["5432"]
`

// kube is a test's view of the cluster.
type kube struct {
	t          *testing.T
	kubeconfig string
	dyn        dynamic.Interface
	dir        string
}

// newKube connects to the test cluster (skipping the test when there is
// none) and gives the test an empty project directory.
func newKube(t *testing.T) *kube {
	t.Helper()
	kc := testcluster.Kubeconfig(t)
	cfg, err := clientcmd.BuildConfigFromFlags("", kc)
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &kube{t: t, kubeconfig: kc, dyn: dyn, dir: t.TempDir()}
}

// compose writes the project's compose file.
func (k *kube) compose(content string) {
	k.t.Helper()
	k.file("compose.yaml", content)
}

// file writes a project file.
func (k *kube) file(name, content string) {
	k.t.Helper()
	if err := os.WriteFile(filepath.Join(k.dir, name), []byte(content), 0o644); err != nil {
		k.t.Fatal(err)
	}
}

// hoist runs the binary in the project directory against the cluster.
func (k *kube) hoist(args ...string) runResult {
	k.t.Helper()
	return runHoist(k.t, k.dir, "", []string{"KUBECONFIG=" + k.kubeconfig}, args...)
}

// mustHoist runs hoist and fails the test on a non-zero exit.
func (k *kube) mustHoist(args ...string) runResult {
	k.t.Helper()
	r := k.hoist(args...)
	if r.code != 0 {
		k.t.Fatalf("hoist %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

func (k *kube) get(gvr schema.GroupVersionResource, ns, name string) (*unstructured.Unstructured, error) {
	if ns == "" {
		return k.dyn.Resource(gvr).Get(context.Background(), name, metav1.GetOptions{})
	}
	return k.dyn.Resource(gvr).Namespace(ns).Get(context.Background(), name, metav1.GetOptions{})
}

func (k *kube) mustGet(gvr schema.GroupVersionResource, ns, name string) *unstructured.Unstructured {
	k.t.Helper()
	u, err := k.get(gvr, ns, name)
	if err != nil {
		k.t.Fatalf("getting %s %s/%s: %v", gvr.Resource, ns, name, err)
	}
	return u
}

func (k *kube) mustBeGone(gvr schema.GroupVersionResource, ns, name string) {
	k.t.Helper()
	if _, err := k.get(gvr, ns, name); !apierrors.IsNotFound(err) {
		k.t.Errorf("%s %s/%s: want it gone, got err=%v", gvr.Resource, ns, name, err)
	}
}

// createNamespace creates a namespace that hoist did not.
func (k *kube) createNamespace(ns string) {
	k.t.Helper()
	if _, err := k.dyn.Resource(namespaces).Create(context.Background(), &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns},
	}}, metav1.CreateOptions{}); err != nil {
		k.t.Fatal(err)
	}
}

// snapshot lists resource/name -> f(object) of a namespace's objects of
// the given kinds.
func (k *kube) snapshot(ns string, gvrs []schema.GroupVersionResource, f func(*unstructured.Unstructured) string) map[string]string {
	k.t.Helper()
	out := map[string]string{}
	for _, gvr := range gvrs {
		l, err := k.dyn.Resource(gvr).Namespace(ns).List(context.Background(), metav1.ListOptions{})
		if err != nil {
			k.t.Fatal(err)
		}
		for _, u := range l.Items {
			out[gvr.Resource+"/"+u.GetName()] = f(&u)
		}
	}
	return out
}

func resourceVersion(u *unstructured.Unstructured) string { return u.GetResourceVersion() }

// writesByHoist lists resource/name -> what records a write by hoist, of a
// namespace's objects of the given kinds: the generation and the time of
// hoist's managed fields entry. Unlike resourceVersion it ignores the
// controllers' status writes and the autoscaler's scaling, which go on
// while a test runs: the generation of a workload an autoscaler scales
// moves with its replicas, so only hoist's entry counts there.
func (k *kube) writesByHoist(ns string, gvrs []schema.GroupVersionResource) map[string]string {
	k.t.Helper()
	l, err := k.dyn.Resource(hpas).Namespace(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		k.t.Fatal(err)
	}
	scaled := map[string]bool{}
	for _, h := range l.Items {
		name, _, _ := unstructured.NestedString(h.Object, "spec", "scaleTargetRef", "name")
		kind, _, _ := unstructured.NestedString(h.Object, "spec", "scaleTargetRef", "kind")
		scaled[kind+"/"+name] = true
	}
	return k.snapshot(ns, gvrs, func(u *unstructured.Unstructured) string {
		s := fmt.Sprintf("generation=%d", u.GetGeneration())
		if scaled[u.GetKind()+"/"+u.GetName()] {
			s = "autoscaled"
		}
		for _, mf := range u.GetManagedFields() {
			if mf.Manager == "hoist" && mf.Time != nil {
				s += " hoist@" + mf.Time.UTC().Format(time.RFC3339)
			}
		}
		return s
	})
}

// eventually polls cond until it holds or timeout passes: a readiness
// gate for what the controllers do in the background, never an assertion
// on timing.
func (k *kube) eventually(what string, timeout time.Duration, cond func() bool) {
	k.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			k.t.Fatalf("timed out after %s waiting for %s", timeout, what)
		case <-tick.C:
		}
	}
}

// withSuffix returns the lines that end with suffix, sorted.
func withSuffix(out, suffix string) []string {
	var l []string
	for _, line := range lines(out) {
		if strings.HasSuffix(line, suffix) {
			l = append(l, line)
		}
	}
	sort.Strings(l)
	return l
}
