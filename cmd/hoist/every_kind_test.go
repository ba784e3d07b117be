//go:build integration

package main

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// These tests run a project that makes every kind hoist converts to
// through apply, up, diff, status, prune and down on the real control
// plane: StatefulSets with claim templates, DaemonSets, Jobs, CronJobs,
// ConfigMaps and Secrets from configs, secrets and environment, claims
// for named volumes, NetworkPolicies, Ingresses, alias Services and wait
// init containers.

var (
	// stackKinds are every namespaced kind the stack project makes.
	stackKinds = []schema.GroupVersionResource{
		deployments, statefulsets, daemonsets, jobs, cronjobs, services, configmaps, secrets,
		claims, networkpolicies, ingresses, hpas,
	}
	// quietKinds are the kinds no controller writes in these tests, so a
	// re-apply must keep their resourceVersions exactly.
	quietKinds = []schema.GroupVersionResource{services, configmaps, secrets, claims, networkpolicies, ingresses}
)

const (
	stackPassword = "s3cret-env-value"
	stackSecret   = "hunter2-file-value"
)

// stackCompose makes every kind of object hoist converts to, but the
// autoscaler.
const stackCompose = `name: stack
services:
  db:
    image: postgres:16
    expose: ["5432"]
    environment:
      POSTGRES_PASSWORD: ` + stackPassword + `
    secrets: [db_password]
    volumes:
      - dbdata:/var/lib/postgresql/data
    x-kubernetes:
      workload: statefulset
  agent:
    image: example/agent:1
    deploy:
      mode: global
  migrate:
    image: example/app:1
    command: ["migrate", "up"]
    restart: "no"
    depends_on:
      db: {condition: service_started}
  web:
    image: nginx:1.27
    ports: ["80:8080"]
    depends_on: [db]
    configs:
      - source: nginx_conf
        target: /etc/nginx/conf.d/app.conf
    volumes:
      - ./site.conf:/etc/site.conf:ro
      - uploads:/uploads
    networks:
      default: {}
      front: {}
      back:
        aliases: [www]
    x-kubernetes:
      ingress: {host: shop.example.com}
  api:
    image: example/api:1
    expose: ["8000"]
    networks: [back]
jobs:
  nightly:
    image: example/app:1
    command: ["report"]
    triggers:
      schedule: ["0 3 * * *"]
configs:
  nginx_conf:
    content: |
      server { listen 8080; }
secrets:
  db_password:
    file: ./db_password.txt
volumes:
  dbdata: {}
  uploads: {}
networks:
  front: {}
  back: {}
`

// stackPruned drops db (its StatefulSet, Service, Secrets), the CronJob,
// the configs, the networks (NetworkPolicies, the alias Service) and the
// Ingress.
const stackPruned = `name: stack
services:
  agent:
    image: example/agent:1
    deploy:
      mode: global
  migrate:
    image: example/app:1
    command: ["migrate", "up"]
    restart: "no"
  web:
    image: nginx:1.27
    ports: ["80:8080"]
    volumes:
      - uploads:/uploads
  api:
    image: example/api:1
    expose: ["8000"]
volumes:
  uploads: {}
`

// TestEveryKindLifecycle takes the stack project through apply, up (with
// claims bound by the cluster's default StorageClass), a no-op re-apply, diff, status,
// prune and down.
func TestEveryKindLifecycle(t *testing.T) {
	t.Parallel()
	k := newKube(t)
	ns := "every-kind"
	k.compose(stackCompose)
	k.file("db_password.txt", stackSecret+"\n")
	k.file("site.conf", "site config\n")

	// apply creates everything, in hoist's kind order.
	r := k.mustHoist("apply", "-n", ns, "--create-namespace")
	want := []string{
		"namespace/" + ns + " created",
		"networkpolicy.networking.k8s.io/network-back created",
		"networkpolicy.networking.k8s.io/network-default created",
		"networkpolicy.networking.k8s.io/network-front created",
		"networkpolicy.networking.k8s.io/web-published created",
		"secret/db-env created",
		"secret/db-password created",
		"configmap/nginx-conf created",
		"configmap/site-conf created",
		"persistentvolumeclaim/uploads created",
		"service/agent created",
		"service/api created",
		"service/db created",
		"service/web created",
		"service/www created",
		"deployment.apps/api created",
		"deployment.apps/web created",
		"statefulset.apps/db created",
		"daemonset.apps/agent created",
		"job.batch/migrate created",
		"cronjob.batch/nightly created",
		"ingress.networking.k8s.io/web created",
	}
	if diff := cmp.Diff(want, lines(r.stdout)); diff != "" {
		t.Fatalf("first apply (-want +got):\n%s\nstderr:\n%s", diff, r.stderr)
	}
	for _, c := range []struct {
		gvr  schema.GroupVersionResource
		name string
	}{
		{configmaps, "nginx-conf"}, {configmaps, "site-conf"}, {secrets, "db-password"}, {secrets, "db-env"},
		{claims, "uploads"}, {networkpolicies, "network-back"}, {ingresses, "web"}, {services, "www"},
		{statefulsets, "db"}, {daemonsets, "agent"}, {jobs, "migrate"}, {cronjobs, "nightly"},
	} {
		k.mustGet(c.gvr, ns, c.name)
	}
	if got := k.mustGet(secrets, ns, "db-password").Object["data"]; !cmp.Equal(got, map[string]any{"db_password": base64.StdEncoding.EncodeToString([]byte(stackSecret + "\n"))}) {
		t.Errorf("secret db-password data = %v", got)
	}
	if got := k.mustGet(secrets, ns, "db-env").Object["data"]; !cmp.Equal(got, map[string]any{"POSTGRES_PASSWORD": base64.StdEncoding.EncodeToString([]byte(stackPassword))}) {
		t.Errorf("secret db-env data = %v", got)
	}
	for _, name := range []string{"web"} {
		init, _, _ := unstructured.NestedSlice(k.mustGet(deployments, ns, name).Object, "spec", "template", "spec", "initContainers")
		if !strings.Contains(fmt.Sprint(init), "wait-for-db") {
			t.Errorf("deployment %s has no wait-for-db init container: %v", name, init)
		}
	}

	// up waits for every workload: the StatefulSet's pod once its claim is
	// bound, the DaemonSet's pod on the kwok node and the Job's completion
	// (kwok completes Job pods); the CronJob has nothing to wait for.
	r = k.mustHoist("up", "-n", ns, "--create-namespace", "--timeout", "2m")
	if got := withSuffix(r.stdout, " unchanged"); len(got) != len(want) {
		t.Errorf("up after apply: %d unchanged lines, want %d:\n%s", len(got), len(want), r.stdout)
	}
	for _, w := range []string{"statefulset.apps/db 1/1 ready", "daemonset.apps/agent 1/1 ready", "job.batch/migrate 1/1 ready", "deployment.apps/web 1/1 ready"} {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("up: no %q on stderr:\n%s", w, r.stderr)
		}
	}
	if strings.Contains(r.stderr, "cronjob") {
		t.Errorf("up waited for the CronJob:\n%s", r.stderr)
	}
	for _, name := range []string{"uploads", "dbdata-db-0"} {
		if phase, _, _ := unstructured.NestedString(k.mustGet(claims, ns, name).Object, "status", "phase"); phase != "Bound" {
			t.Errorf("claim %s is %s after up, want Bound", name, phase)
		}
	}
	conds, _, _ := unstructured.NestedSlice(k.mustGet(jobs, ns, "migrate").Object, "status", "conditions")
	if !strings.Contains(fmt.Sprint(conds), "type:Complete") {
		t.Errorf("job migrate not complete after up: %v", conds)
	}

	// A re-apply finds everything in place, the server's defaults and the
	// Secrets' data included, and sends no write.
	beforeWrites := k.writesByHoist(ns, stackKinds)
	beforeRV := k.snapshot(ns, quietKinds, resourceVersion)
	r = k.mustHoist("apply", "-n", ns, "--create-namespace")
	if got := withSuffix(r.stdout, " unchanged"); len(got) != len(want) || len(lines(r.stdout)) != len(want) {
		t.Errorf("re-apply: want %d unchanged lines, got:\n%s", len(want), r.stdout)
	}
	if diff := cmp.Diff(beforeWrites, k.writesByHoist(ns, stackKinds)); diff != "" {
		t.Errorf("re-apply wrote objects (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(beforeRV, k.snapshot(ns, quietKinds, resourceVersion)); diff != "" {
		t.Errorf("re-apply changed resourceVersions (-before +after):\n%s", diff)
	}

	// diff of the applied project: nothing, exit 0.
	if r := k.hoist("diff", "-n", ns, "--create-namespace"); r.code != 0 || r.stdout != "" {
		t.Errorf("diff of an applied project: exit %d, stdout:\n%s%s", r.code, r.stdout, r.stderr)
	}
	// A new schedule and new secret values show, the values masked.
	k.compose(strings.NewReplacer(stackPassword, "n3w-env-value", `"0 3 * * *"`, `"0 4 * * *"`).Replace(stackCompose))
	k.file("db_password.txt", "n3w-file-value\n")
	r = k.hoist("diff", "-n", ns)
	if r.code != 1 || !strings.Contains(r.stdout, "+  schedule: 0 4 * * *") ||
		!strings.Contains(r.stdout, "+  POSTGRES_PASSWORD: '*** (after)'") || !strings.Contains(r.stdout, "+  db_password: '*** (after)'") {
		t.Errorf("diff after an edit: exit %d, want 1 with the schedule and masked secrets; stdout:\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, v := range []string{stackPassword, stackSecret, "n3w-env-value", "n3w-file-value"} {
		for _, enc := range []string{v, base64.StdEncoding.EncodeToString([]byte(v)), base64.StdEncoding.EncodeToString([]byte(v + "\n"))} {
			if strings.Contains(r.stdout, enc) || strings.Contains(r.stderr, enc) {
				t.Errorf("diff shows a secret value %q", enc)
			}
		}
	}
	k.compose(stackCompose)
	k.file("db_password.txt", stackSecret+"\n")

	// status lists each workload kind with its own notion of ready.
	r = k.mustHoist("status", "-n", ns)
	for _, re := range []string{
		`(?m)^statefulset\.apps/db\s+1/1\s+running\s+5432/TCP\s+-$`,
		`(?m)^daemonset\.apps/agent\s+1/1\s+running\s+headless\s+-$`,
		`(?m)^job\.batch/migrate\s+1/1\s+complete\s+-\s+-$`,
		`(?m)^cronjob\.batch/nightly\s+\d+ active\s+scheduled\s+-\s+-$`,
		`(?m)^deployment\.apps/web\s+1/1\s+running\s+8080/TCP\s+-$`,
	} {
		if !regexp.MustCompile(re).MatchString(r.stdout) {
			t.Errorf("status: no line matching %s:\n%s", re, r.stdout)
		}
	}

	// --prune removes what the project dropped, and leaves the claim the
	// StatefulSet made, naming it.
	k.compose(stackPruned)
	r = k.mustHoist("apply", "-n", ns, "--prune")
	wantPruned := []string{
		"configmap/nginx-conf pruned",
		"configmap/site-conf pruned",
		"cronjob.batch/nightly pruned",
		"ingress.networking.k8s.io/web pruned",
		"networkpolicy.networking.k8s.io/network-back pruned",
		"networkpolicy.networking.k8s.io/network-default pruned",
		"networkpolicy.networking.k8s.io/network-front pruned",
		"networkpolicy.networking.k8s.io/web-published pruned",
		"secret/db-env pruned",
		"secret/db-password pruned",
		"service/db pruned",
		"service/www pruned",
		"statefulset.apps/db pruned",
	}
	if diff := cmp.Diff(wantPruned, withSuffix(r.stdout, " pruned")); diff != "" {
		t.Errorf("prune (-want +got):\n%s\n%s", diff, r.stdout)
	}
	if !strings.Contains(r.stderr, "Warning: persistentvolumeclaim/dbdata-db-0 kept, with its data: statefulset.apps/db made it from a volumeClaimTemplate") {
		t.Errorf("prune must name the StatefulSet's claim it leaves:\n%s", r.stderr)
	}
	k.mustBeGone(statefulsets, ns, "db")
	k.mustBeGone(cronjobs, ns, "nightly")
	k.mustBeGone(configmaps, ns, "nginx-conf")
	k.mustBeGone(secrets, ns, "db-password")
	k.mustBeGone(networkpolicies, ns, "network-back")
	k.mustBeGone(ingresses, ns, "web")
	k.mustBeGone(services, ns, "www")
	k.mustGet(claims, ns, "dbdata-db-0")
	k.mustGet(claims, ns, "uploads")

	// A claim whose volume left the project is never pruned either.
	k.compose(strings.Replace(stackPruned, "uploads:/", "other:/", 1) + "  other: {}\n")
	r = k.hoist("apply", "-n", ns, "--prune")
	if !strings.Contains(r.stderr, "Warning: persistentvolumeclaim/uploads kept, with its data: the project no longer uses it; hoist delete --volumes removes it") ||
		strings.Contains(r.stdout, "persistentvolumeclaim/uploads pruned") {
		t.Errorf("prune of a dropped volume: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	k.mustGet(claims, ns, "uploads")

	// down deletes everything but the volumes, as docker compose down
	// does: the claims stay, with the namespace holding them, and the
	// ApplySet goes on recording them.
	k.compose(stackCompose)
	k.mustHoist("up", "-n", ns, "--timeout", "2m")
	r = k.mustHoist("down", "-n", ns, "--wait", "--timeout", "2m")
	if !strings.Contains(r.stdout, "statefulset.apps/db deleted") || strings.Contains(r.stdout, "persistentvolumeclaim/") || strings.Contains(r.stdout, "namespace/") {
		t.Errorf("down without --volumes:\n%s", r.stdout)
	}
	for _, w := range []string{"Warning: volumes kept, with their data: persistentvolumeclaim/", "persistentvolumeclaim/uploads", "persistentvolumeclaim/dbdata-db-0", "Warning: namespace/" + ns + " kept: it holds the kept volumes"} {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("down without --volumes: no %q:\n%s", w, r.stderr)
		}
	}
	k.mustGet(claims, ns, "uploads")
	k.mustGet(claims, ns, "dbdata-db-0")

	// down --volumes then deletes the claims, those of named volumes and
	// those the StatefulSet made, and the namespace hoist created.
	r = k.mustHoist("down", "-n", ns, "--volumes", "--wait", "--timeout", "2m")
	for _, w := range []string{"persistentvolumeclaim/uploads deleted", "persistentvolumeclaim/dbdata-db-0 deleted", "namespace/" + ns + " deleted"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("down --volumes: no %q:\n%s", w, r.stdout)
		}
	}
	if strings.Contains(r.stderr, "kept") {
		t.Errorf("down --volumes kept something:\n%s", r.stderr)
	}
	k.mustBeGone(namespaces, "", ns)
}
