package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/hoist-dev/hoist/internal/testcluster"
)

// These tests run the hoist binary against the real control plane that
// testcluster starts (etcd, kube-apiserver, controller-manager, scheduler
// and kwok). Each test works in its own namespace.

var (
	deployments = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	services    = schema.GroupVersionResource{Version: "v1", Resource: "services"}
	hpas        = schema.GroupVersionResource{Group: "autoscaling", Version: "v2", Resource: "horizontalpodautoscalers"}
	secrets     = schema.GroupVersionResource{Version: "v1", Resource: "secrets"}
	configmaps  = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	namespaces  = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
)

// kube is a test's view of the cluster.
type kube struct {
	t          *testing.T
	kubeconfig string
	dyn        dynamic.Interface
	dir        string
}

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
	if err := os.WriteFile(filepath.Join(k.dir, "compose.yaml"), []byte(content), 0o644); err != nil {
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

// resourceVersions lists name -> resourceVersion of a namespace's objects.
func (k *kube) resourceVersions(ns string) map[string]string {
	k.t.Helper()
	return k.snapshot(ns, func(u *unstructured.Unstructured) string { return u.GetResourceVersion() })
}

// writesByHoist lists name -> what records a write by hoist: the generation
// and the time of hoist's managed fields entry. Unlike resourceVersions it
// ignores the controllers' status writes and the autoscaler's scaling,
// which go on while a test runs: the generation of a workload an
// autoscaler scales moves with its replicas, so only hoist's entry counts
// there.
func (k *kube) writesByHoist(ns string) map[string]string {
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
	return k.snapshot(ns, func(u *unstructured.Unstructured) string {
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

// createNamespace creates a namespace that hoist did not.
func (k *kube) createNamespace(ns string) {
	k.t.Helper()
	if _, err := k.dyn.Resource(namespaces).Create(context.Background(), &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns},
	}}, metav1.CreateOptions{}); err != nil {
		k.t.Fatal(err)
	}
}

func (k *kube) snapshot(ns string, f func(*unstructured.Unstructured) string) map[string]string {
	k.t.Helper()
	out := map[string]string{}
	for _, gvr := range []schema.GroupVersionResource{deployments, services, hpas, secrets} {
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

func lines(s string) []string {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

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

// TestApplyLifecycle walks a project through create, no-op re-apply, an
// edit, prune, status, diff and delete.
func TestApplyLifecycle(t *testing.T) {
	t.Parallel()
	k := newKube(t)
	ns := "lifecycle"
	k.compose(shopCompose)

	// First apply creates everything, the namespace first. Waiting for the
	// rollout lets controllers finish their status writes.
	r := k.mustHoist("apply", "-n", ns, "--create-namespace", "--wait", "--timeout", "3m")
	want := []string{
		"namespace/" + ns + " created",
		"service/db created",
		"service/web created",
		"service/worker created",
		"deployment.apps/db created",
		"deployment.apps/web created",
		"deployment.apps/worker created",
		"horizontalpodautoscaler.autoscaling/web created",
	}
	if diff := cmp.Diff(want, lines(r.stdout)); diff != "" {
		t.Fatalf("first apply (-want +got):\n%s", diff)
	}
	parent := k.mustGet(secrets, ns, "shop")
	id := parent.GetLabels()["applyset.kubernetes.io/id"]
	if !regexp.MustCompile(`^applyset-[A-Za-z0-9_-]{43}-v1$`).MatchString(id) {
		t.Errorf("ApplySet id %q does not have kubectl's format", id)
	}
	if got := parent.GetAnnotations()["applyset.kubernetes.io/contains-group-kinds"]; got != "Deployment.apps,HorizontalPodAutoscaler.autoscaling,Namespace,Service" {
		t.Errorf("contains-group-kinds = %q", got)
	}
	web := k.mustGet(deployments, ns, "web")
	if web.GetLabels()["applyset.kubernetes.io/part-of"] != id {
		t.Errorf("deployment web is not labelled part-of %s: %v", id, web.GetLabels())
	}
	if _, found, _ := unstructured.NestedInt64(web.Object, "spec", "replicas"); !found {
		t.Error("web: replicas missing") // defaulted by the server even when hoist leaves it to the HPA
	}
	for _, mf := range web.GetManagedFields() {
		if mf.Operation == metav1.ManagedFieldsOperationApply && mf.Manager != "hoist" {
			t.Errorf("applied by field manager %q, want hoist", mf.Manager)
		}
	}

	// Re-applying changes nothing: every line unchanged, no new resourceVersion.
	before, beforeRV := k.writesByHoist(ns), k.resourceVersions(ns)
	r = k.mustHoist("apply", "-n", ns, "--create-namespace")
	for _, l := range lines(r.stdout) {
		if !strings.HasSuffix(l, " unchanged") {
			t.Errorf("re-apply: %q, want unchanged", l)
		}
	}
	if len(lines(r.stdout)) != len(want) {
		t.Errorf("re-apply printed %d lines, want %d", len(lines(r.stdout)), len(want))
	}
	if diff := cmp.Diff(before, k.writesByHoist(ns)); diff != "" {
		t.Errorf("re-apply wrote objects (-before +after):\n%s", diff)
	}
	// Objects no controller writes keep their resourceVersion exactly.
	afterRV := k.resourceVersions(ns)
	for _, name := range []string{"services/db", "services/web", "services/worker", "secrets/shop"} {
		if beforeRV[name] == "" || beforeRV[name] != afterRV[name] {
			t.Errorf("re-apply changed %s: resourceVersion %q -> %q", name, beforeRV[name], afterRV[name])
		}
	}

	// diff: nothing to show is exit 0.
	if r := k.hoist("diff", "-n", ns, "--create-namespace"); r.code != 0 || r.stdout != "" {
		t.Errorf("diff of an applied project: exit %d, stdout:\n%s%s", r.code, r.stdout, r.stderr)
	}

	// An edit shows in diff (exit 1) and applies as configured.
	k.compose(strings.Replace(shopCompose, `command: ["work"]`, `command: ["work", "--fast"]`, 1))
	r = k.hoist("diff", "-n", ns)
	if r.code != 1 || !strings.Contains(r.stdout, "+        - --fast") || strings.Contains(r.stdout, "hoist.dev/applied-hash") {
		t.Errorf("diff after an edit: exit %d, want 1 and the new arg; stdout:\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = k.mustHoist("apply", "-n", ns)
	for _, l := range lines(r.stdout) {
		wantAction := " unchanged"
		if strings.HasPrefix(l, "deployment.apps/worker") {
			wantAction = " configured"
		}
		if !strings.HasSuffix(l, wantAction) {
			t.Errorf("apply after an edit: %q, want%s", l, wantAction)
		}
	}

	// A look-alike outside the ApplySet: same app labels, no part-of.
	lookalike := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "worker", "namespace": ns, "labels": map[string]any{
			"app.kubernetes.io/name": "worker", "app.kubernetes.io/part-of": "shop", "app.kubernetes.io/managed-by": "hoist",
		}},
	}}
	if _, err := k.dyn.Resource(configmaps).Namespace(ns).Create(context.Background(), lookalike, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	// Removing a service and pruning deletes its objects, and only those.
	k.compose(strings.Replace(shopCompose, "  worker:\n    image: example/worker:1\n    command: [\"work\"]\n", "", 1))
	r = k.mustHoist("apply", "-n", ns, "--prune")
	pruned := []string{}
	for _, l := range lines(r.stdout) {
		if strings.HasSuffix(l, " pruned") {
			pruned = append(pruned, l)
		}
	}
	sort.Strings(pruned)
	if diff := cmp.Diff([]string{"deployment.apps/worker pruned", "service/worker pruned"}, pruned); diff != "" {
		t.Errorf("prune (-want +got):\n%s\n%s", diff, r.stdout)
	}
	k.mustBeGone(deployments, ns, "worker")
	k.mustBeGone(services, ns, "worker")
	k.mustGet(configmaps, ns, "worker")
	k.mustGet(namespaces, "", ns) // leaving out --create-namespace never prunes the namespace

	// status lists the workloads with their Services and autoscalers.
	r = k.mustHoist("status", "-n", ns)
	// web's replicas belong to its autoscaler, which may not have scaled
	// it to its minimum of 2 yet.
	if !regexp.MustCompile(`(?m)^deployment\.apps/web\s+\d/\d\s+\S+\s+8080/TCP\s+2-4$`).MatchString(r.stdout) ||
		!regexp.MustCompile(`(?m)^deployment\.apps/db\s+\d/1\s+\S+\s+5432/TCP\s+-$`).MatchString(r.stdout) ||
		strings.Contains(r.stdout, "worker") {
		t.Errorf("status:\n%s", r.stdout)
	}
	if r := k.mustHoist("ps", "-n", ns); !strings.HasPrefix(r.stdout, "NAME ") {
		t.Errorf("ps alias:\n%s", r.stdout)
	}

	// delete removes the set and its parent, and nothing else: the
	// namespace hoist created stays while it holds the look-alike.
	r = k.mustHoist("delete", "-n", ns, "--wait")
	if !strings.Contains(r.stdout, "deployment.apps/web deleted") || strings.Contains(r.stdout, "namespace/") {
		t.Errorf("delete:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, "namespace/"+ns+" kept: it holds objects hoist did not apply (configmap/worker)") {
		t.Errorf("delete must say why it keeps the namespace:\n%s", r.stderr)
	}
	k.mustBeGone(deployments, ns, "web")
	k.mustBeGone(services, ns, "db")
	k.mustBeGone(hpas, ns, "web")
	k.mustBeGone(secrets, ns, "shop")
	k.mustGet(configmaps, ns, "worker")
	k.mustGet(namespaces, "", ns)
	if err := k.dyn.Resource(namespaces).Delete(context.Background(), ns, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
}

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
	jobs := schema.GroupVersionResource{Group: "batch", Version: "v1", Resource: "jobs"}
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
	if got := k.resourceVersions(ns); len(got) != 0 {
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
	if got := k.resourceVersions(ns); len(got) != 0 {
		t.Errorf("down left objects behind: %v", got)
	}
}

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
	if r.code != 1 || !strings.Contains(r.stderr, "deployment.apps/huge") || !strings.Contains(r.stderr, "Unschedulable") || !strings.Contains(r.stderr, "timed out") {
		t.Errorf("up with an unschedulable workload: exit %d, stderr:\n%s", r.code, r.stderr)
	}
	if strings.Contains(r.stderr, "deployment.apps/web:") {
		t.Errorf("the timeout names ready workloads too:\n%s", r.stderr)
	}

	// Ctrl-C while waiting exits 130; running again converges.
	cmd := exec.Command(hoistBin, "up", "-n", ns, "--timeout", "5m")
	cmd.Dir = k.dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "KUBECONFIG=" + k.kubeconfig}
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
	err := cmd.Wait()
	if exitErr := (*exec.ExitError)(nil); !errors.As(err, &exitErr) || exitErr.ExitCode() != 130 {
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

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestConflicts: fields another manager owns are not taken without
// --force-conflicts.
func TestConflicts(t *testing.T) {
	t.Parallel()
	k := newKube(t)
	ns := "conflicts"
	k.compose(shopCompose)
	k.mustHoist("apply", "-n", ns, "--create-namespace")
	other := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "db", "namespace": ns},
		"spec":     map[string]any{"replicas": int64(5)},
	}}
	if _, err := k.dyn.Resource(deployments).Namespace(ns).Apply(context.Background(), "db", other, metav1.ApplyOptions{FieldManager: "other", Force: true}); err != nil {
		t.Fatal(err)
	}
	r := k.hoist("apply", "-n", ns)
	if r.code != 1 || !strings.Contains(r.stderr, "conflict") || !strings.Contains(r.stderr, "--force-conflicts") || !strings.Contains(r.stderr, "deployment.apps/db") {
		t.Errorf("apply over another manager's field: exit %d, stderr:\n%s", r.code, r.stderr)
	}
	r = k.mustHoist("apply", "-n", ns, "--force-conflicts")
	if !strings.Contains(r.stdout, "deployment.apps/db configured") {
		t.Errorf("--force-conflicts:\n%s", r.stdout)
	}
	if n, _, _ := unstructured.NestedInt64(k.mustGet(deployments, ns, "db").Object, "spec", "replicas"); n != 1 {
		t.Errorf("db replicas %d after --force-conflicts, want 1", n)
	}
}

// TestAPIErrors: RBAC denial and an unreachable server are one-line errors
// naming what failed.
func TestAPIErrors(t *testing.T) {
	t.Parallel()
	k := newKube(t)
	k.compose(shopCompose)
	// Impersonate a user with no permissions.
	cfg, err := clientcmd.LoadFromFile(k.kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range cfg.AuthInfos {
		a.Impersonate = "nobody"
	}
	denied := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, denied); err != nil {
		t.Fatal(err)
	}
	r := runHoist(t, k.dir, "", []string{"KUBECONFIG=" + denied}, "apply", "-n", "default")
	if r.code != 1 || !strings.Contains(r.stderr, "forbidden") || !strings.Contains(r.stderr, `User "nobody"`) {
		t.Errorf("RBAC denial: exit %d, stderr:\n%s", r.code, r.stderr)
	}

	// An object the API server rejects is named with the server's reason.
	// (hoist itself rejects what it can check, such as label syntax; a
	// toleration's value with operator Exists it leaves to the server.)
	k.compose("services:\n  bad:\n    image: example/bad\n    x-kubernetes:\n      tolerations: [{key: disk, operator: Exists, value: ssd}]\n")
	r = k.hoist("apply", "-n", "rejected", "--create-namespace")
	if r.code != 1 || !strings.Contains(r.stderr, "error: applying deployment.apps/bad in namespace rejected: ") || !strings.Contains(r.stderr, "tolerations") {
		t.Errorf("rejected object: exit %d, stderr:\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "service/bad created") || strings.Contains(r.stdout, "deployment.apps/bad") {
		t.Errorf("rejected object: stdout must report what was applied, and only that:\n%s", r.stdout)
	}
	k.compose(shopCompose)

	for _, c := range cfg.Clusters {
		c.Server = "https://127.0.0.1:1"
	}
	unreachable := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, unreachable); err != nil {
		t.Fatal(err)
	}
	r = runHoist(t, k.dir, "", []string{"KUBECONFIG=" + unreachable}, "apply")
	if r.code != 1 || !strings.Contains(r.stderr, "cannot reach the cluster at https://127.0.0.1:1") || strings.Count(withoutWarnings(r.stderr), "\n") != 1 {
		t.Errorf("unreachable: exit %d, stderr:\n%s", r.code, r.stderr)
	}
	if r := runHoist(t, k.dir, "", []string{"KUBECONFIG=" + unreachable}, "diff"); r.code != 2 {
		t.Errorf("diff against an unreachable server: exit %d, want 2", r.code)
	}
}

// withoutWarnings is stderr without hoist's "Warning: " lines.
func withoutWarnings(stderr string) string {
	var out []string
	for _, l := range strings.SplitAfter(stderr, "\n") {
		if !strings.HasPrefix(l, "Warning: ") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "")
}
