package ops

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/hoist-dev/hoist/convert"
	"github.com/hoist-dev/hoist/load"
)

// loadProject loads a compose file from its text, as hoist does.
func loadProject(t *testing.T, compose string) *types.Project {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(compose), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := load.Project(context.Background(), load.Options{WorkingDir: dir, Files: []string{filepath.Join(dir, "compose.yaml")}, Environ: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func project(t *testing.T) (*types.Project, map[string]Target) {
	t.Helper()
	p := loadProject(t, `name: shop
services:
  web:
    image: nginx
    command: ["nginx", "-g", "daemon off;"]
    depends_on: [db]
    ports: ["8080:80", "5353:53/udp", "9000"]
  db:
    image: postgres
  proxy:
    image: envoy
    network_mode: service:web
`)
	res, err := convert.Convert(p, convert.Options{Namespace: "shop", WaitImage: convert.DefaultWaitImage, ClusterDomain: convert.DefaultClusterDomain})
	if err != nil {
		t.Fatal(err)
	}
	targets, err := Targets(p, res)
	if err != nil {
		t.Fatal(err)
	}
	return p, targets
}

// TestTargets: a service's pods are its workload's, its container is its
// own; a service that joins another's pod is a container of that pod.
func TestTargets(t *testing.T) {
	t.Parallel()
	_, targets := project(t)
	got := map[string][3]string{}
	for name, tg := range targets {
		got[name] = [3]string{tg.Ref(), tg.Container, tg.Selector[convert.LabelName] + "," + tg.Selector[convert.LabelPartOf]}
	}
	want := map[string][3]string{
		"web":   {"deployment.apps/web", "web", "web,shop"},
		"db":    {"deployment.apps/db", "db", "db,shop"},
		"proxy": {"deployment.apps/web", "proxy", "web,shop"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("targets (-want +got):\n%s", diff)
	}
}

// TestSelectUnknown: an unknown service is one line listing the project's.
func TestSelectUnknown(t *testing.T) {
	t.Parallel()
	p, targets := project(t)
	_, err := Select(p, targets, []string{"web", "wbe"})
	if err == nil || err.Error() != `no such service "wbe" in project "shop" (services: db, proxy, web)` {
		t.Errorf("Select: %v", err)
	}
}

// TestRunPod: the one-off pod is the service's container alone, with the
// overrides, restart policy Never, no probes and no name label; --no-deps
// drops the dependency waits.
func TestRunPod(t *testing.T) {
	t.Parallel()
	_, targets := project(t)
	pod, err := RunPod(targets["web"], RunOptions{Command: []string{"rake", "db:migrate"}, Env: []string{"A=1"}, User: "1000:2000", Workdir: "/app"}, false, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := pod.Labels[convert.LabelName]; ok || pod.Labels[LabelRun] != "web" || pod.Labels[convert.LabelPartOf] != "shop" {
		t.Errorf("labels: %v", pod.Labels)
	}
	if pod.GenerateName != "web-run-" || pod.Spec.RestartPolicy != corev1.RestartPolicyNever || len(pod.Spec.Containers) != 1 {
		t.Fatalf("pod: %s, %s, %d containers", pod.GenerateName, pod.Spec.RestartPolicy, len(pod.Spec.Containers))
	}
	c := pod.Spec.Containers[0]
	if c.Name != "web" || !cmp.Equal(c.Args, []string{"rake", "db:migrate"}) || c.WorkingDir != "/app" || c.LivenessProbe != nil ||
		*c.SecurityContext.RunAsUser != 1000 || *c.SecurityContext.RunAsGroup != 2000 || c.Env[len(c.Env)-1] != (corev1.EnvVar{Name: "A", Value: "1"}) {
		t.Errorf("container: %+v", c)
	}
	if len(pod.Spec.InitContainers) != 1 || pod.Spec.InitContainers[0].Name != "wait-for-db" {
		t.Errorf("init containers: %v", pod.Spec.InitContainers)
	}
	pod, err = RunPod(targets["web"], RunOptions{NoDeps: true, Entrypoint: []string{"sh"}}, true, true)
	if err != nil {
		t.Fatal(err)
	}
	c = pod.Spec.Containers[0]
	if len(pod.Spec.InitContainers) != 0 || !cmp.Equal(c.Command, []string{"sh"}) || c.Args != nil || !c.TTY || !c.Stdin || !c.StdinOnce {
		t.Errorf("--no-deps --entrypoint sh with a TTY: init %v, container %+v", pod.Spec.InitContainers, c)
	}
}

// TestForwards: published TCP ports, with warnings for the rest.
func TestForwards(t *testing.T) {
	t.Parallel()
	p, _ := project(t)
	fws, warns := Forwards(p, []string{"db", "web"})
	if diff := cmp.Diff([]Forward{{Service: "web", Local: 8080, Remote: 80}}, fws); diff != "" {
		t.Errorf("forwards (-want +got):\n%s", diff)
	}
	want := []string{
		`service "web": port 5353:53/udp: Kubernetes forwards TCP only; not forwarded`,
		`service "web": port 9000 publishes no host port; not forwarded`,
	}
	if diff := cmp.Diff(want, warns); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

// TestScaleObjects: up --scale sets a workload's replicas, or an
// autoscaled service's HPA minimum.
func TestScaleObjects(t *testing.T) {
	t.Parallel()
	p := loadProject(t, "name: shop\nservices:\n  web:\n    image: nginx\n  api:\n    image: api\n")
	lo, cpu := int32(1), int32(80)
	res, err := convert.Convert(p, convert.Options{WaitImage: convert.DefaultWaitImage, ClusterDomain: convert.DefaultClusterDomain,
		Autoscale: map[string]convert.Autoscale{"api": {MinReplicas: &lo, MaxReplicas: 2, CPU: &cpu}}})
	if err != nil {
		t.Fatal(err)
	}
	targets, err := Targets(p, res)
	if err != nil {
		t.Fatal(err)
	}
	warns, err := ScaleObjects(targets, res.Objects, map[string]int32{"web": 3, "api": 4})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, u := range res.Objects {
		switch u.GetKind() {
		case "Deployment":
			got[u.GetName()+" replicas"], _, _ = unstructured.NestedInt64(u.Object, "spec", "replicas")
		case "HorizontalPodAutoscaler":
			got[u.GetName()+" min"], _, _ = unstructured.NestedInt64(u.Object, "spec", "minReplicas")
			got[u.GetName()+" max"], _, _ = unstructured.NestedInt64(u.Object, "spec", "maxReplicas")
		}
	}
	if diff := cmp.Diff(map[string]int64{"web replicas": 3, "api replicas": 0, "api min": 4, "api max": 4}, got); diff != "" {
		t.Errorf("scaled (-want +got):\n%s", diff)
	}
	if len(warns) != 1 {
		t.Errorf("warnings: %v", warns)
	}
}

func TestParseScaleAndWrap(t *testing.T) {
	t.Parallel()
	if _, err := ParseScale([]string{"web=-1"}); err == nil {
		t.Error("ParseScale web=-1: no error")
	}
	got := WrapCommand([]string{"ls"}, []string{"A=1"}, "/tmp")
	if want := []string{"sh", "-c", `cd "$0" && exec "$@"`, "/tmp", "env", "A=1", "ls"}; !cmp.Equal(want, got) {
		t.Errorf("WrapCommand: %q", got)
	}
}
