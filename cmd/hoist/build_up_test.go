//go:build integration

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/hoist-dev/hoist/internal/testregistry"
)

// These tests build with buildah and push to a test registry as
// build_test.go does, then apply to the kwok control plane.

var pinnedRE = regexp.MustCompile(`^(127\.0\.0\.1:\d+/imgs-(api|web))@(sha256:[0-9a-f]{64})$`)

// deploymentImage is the image of a Deployment's first container.
func (k *kube) deploymentImage(ns, name string) string {
	k.t.Helper()
	d := k.mustGet(deployments, ns, name)
	ctrs, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
	if len(ctrs) == 0 {
		k.t.Fatalf("deployment %s has no containers", name)
	}
	img, _, _ := unstructured.NestedString(ctrs[0].(map[string]any), "image")
	return img
}

// TestUpBuild: up --build builds and pushes both images and deploys them
// pinned by digest; a rerun without a change changes nothing; a change to
// api's source rolls api only.
func TestUpBuild(t *testing.T) {
	t.Parallel()
	k := newKube(t)
	reg := testregistry.Start(t)
	env := append(testregistry.BuildahEnv(t, reg.Host), "KUBECONFIG="+k.kubeconfig)
	buildProject(t, k.dir)
	ns := "upbuild"
	up := func() runResult { return upBuild(t, k.dir, env, reg.Host, ns) }

	r := up()
	for _, want := range []string{"deployment.apps/api created", "deployment.apps/web created"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("first up: no %q in\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stderr, "Warning:") {
		t.Errorf("first up warned:\n%s", r.stderr)
	}
	images := map[string]string{}
	for _, svc := range []string{"api", "web"} {
		img := k.deploymentImage(ns, svc)
		m := pinnedRE.FindStringSubmatch(img)
		if m == nil || m[2] != svc || !strings.HasPrefix(m[1], reg.Host+"/") {
			t.Fatalf("deployment %s: image %q, want %s/imgs-%s@sha256:<hex>", svc, img, reg.Host, svc)
		}
		if !reg.HasManifest(t, "imgs-"+svc, m[3]) {
			t.Errorf("registry has no manifest imgs-%s@%s (tags: %s)", svc, m[3], reg.Tags(t, "imgs-"+svc))
		}
		if tags := reg.Tags(t, "imgs-"+svc); strings.Contains(tags, "latest") || !regexp.MustCompile(`"[0-9a-f]{12}"`).MatchString(tags) {
			t.Errorf("imgs-%s tags %s: want one content-derived tag, never latest", svc, tags)
		}
		if !strings.Contains(r.stderr, svc+": built imgs-"+svc) || !strings.Contains(r.stderr, svc+": pushed "+img) {
			t.Errorf("no progress lines for %s in\n%s", svc, r.stderr)
		}
		images[svc] = img
	}
	if img := k.deploymentImage(ns, "worker"); img != images["web"] {
		t.Errorf("worker (image: imgs-web, no build): image %q, want web's %q", img, images["web"])
	}
	web := k.mustGet(deployments, ns, "web")
	ctrs, _, _ := unstructured.NestedSlice(web.Object, "spec", "template", "spec", "containers")
	if p := ctrs[0].(map[string]any)["imagePullPolicy"]; p != "IfNotPresent" {
		t.Errorf("web (pull_policy: build): imagePullPolicy %v, want IfNotPresent", p)
	}

	// No change: every object unchanged, nothing written.
	before := k.writesByHoist(ns, shopKinds)
	r = up()
	for _, l := range lines(r.stdout) {
		if !strings.HasSuffix(l, " unchanged") {
			t.Errorf("up --build without a change: %q, want unchanged", l)
		}
	}
	if diff := cmp.Diff(before, k.writesByHoist(ns, shopKinds)); diff != "" {
		t.Errorf("up --build without a change wrote objects (-before +after):\n%s", diff)
	}

	// diff --build sees what up --build would change: nothing.
	if r := runHoist(t, k.dir, "", env, "diff", "--build", "--builder", "buildah", "--registry", reg.Host, "-n", ns); r.code != 0 {
		t.Errorf("diff --build without a change: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}

	// A change to api's source rolls api only.
	if err := os.WriteFile(filepath.Join(k.dir, "api", "version.txt"), []byte("v2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = up()
	got := map[string]bool{}
	for _, l := range lines(r.stdout) {
		got[l] = true
	}
	if !got["deployment.apps/api configured"] || !got["deployment.apps/web unchanged"] {
		t.Errorf("after changing api's source: want api configured and web unchanged, got\n%s", r.stdout)
	}
	if img := k.deploymentImage(ns, "api"); img == images["api"] || pinnedRE.FindStringSubmatch(img) == nil {
		t.Errorf("api image %q after the change, was %q: want a new digest", img, images["api"])
	}
	if img := k.deploymentImage(ns, "web"); img != images["web"] {
		t.Errorf("web image %q after api's change, want %q", img, images["web"])
	}
}

// TestBuildErrors: what stops a build stops everything before the cluster:
// one error line, exit 1, nothing applied.
func TestBuildErrors(t *testing.T) {
	t.Parallel()
	k := newKube(t)
	reg := testregistry.Start(t)
	benv := testregistry.BuildahEnv(t, reg.Host, "127.0.0.1:1")
	tests := []struct {
		name    string
		env     []string
		args    []string
		prepare func(dir string)
		want    string
	}{{
		name: "no builder",
		env:  []string{"PATH=" + t.TempDir()},
		want: `^error: no image builder found on PATH: install docker, podman or buildah, or name one with --builder$`,
	}, {
		name: "named builder missing",
		env:  []string{"PATH=" + t.TempDir()},
		args: []string{"--builder", "buildah"},
		want: `^error: --builder buildah: buildah not found on PATH$`,
	}, {
		name: "failing Dockerfile",
		args: []string{"--builder", "buildah"},
		prepare: func(dir string) {
			b, _ := os.ReadFile(filepath.Join(dir, "compose.yaml"))
			_ = os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(strings.Replace(string(b), "target: run", "target: broken", 1)), 0o644)
		},
		want: `^error: service "api": buildah build: exit status 1: .*false.*$`,
	}, {
		name: "unreachable registry",
		args: []string{"--builder", "buildah", "--registry", "127.0.0.1:1"},
		want: `^error: service "api": buildah push: exit status \d+: .*127\.0\.0\.1:1.*$`,
	}, {
		name:    "missing secret file",
		args:    []string{"--builder", "buildah"},
		prepare: func(dir string) { _ = os.Remove(filepath.Join(dir, "token.txt")) },
		want:    `^error: service "api": build\.secrets: secret "token": file .*token\.txt does not exist$`,
	}}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			buildProject(t, dir)
			if tc.prepare != nil {
				tc.prepare(dir)
			}
			ns := "builderr" + string(rune('a'+i))
			args := append([]string{"up", "--build", "--registry", reg.Host, "-n", ns, "--create-namespace", "--timeout", "1m"}, tc.args...)
			env := append(append([]string{"KUBECONFIG=" + k.kubeconfig}, benv...), tc.env...)
			start := time.Now()
			r := runHoist(t, dir, "", env, args...)
			t.Logf("%s: exit %d after %s", tc.name, r.code, time.Since(start).Round(100*time.Millisecond))
			if r.code != 1 {
				t.Fatalf("exit %d, want 1\nstderr:\n%s", r.code, r.stderr)
			}
			var errs []string
			for _, l := range lines(r.stderr) {
				if strings.HasPrefix(l, "error:") {
					errs = append(errs, l)
				}
			}
			if len(errs) != 1 || !regexp.MustCompile(tc.want).MatchString(errs[0]) {
				t.Errorf("error lines %q, want one matching %s\nstderr:\n%s", errs, tc.want, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout %q, want nothing applied", r.stdout)
			}
			if _, err := k.get(namespaces, "", ns); err == nil {
				t.Errorf("namespace %s exists: something was applied", ns)
			}
		})
	}
}

// TestExampleHelloBuild runs the README's "Try it" command, hoist up
// --build, on examples/hello. Its Dockerfiles start FROM busybox:1.37.0,
// which cannot be pulled here: the test builds that name into buildah's
// private storage first, FROM scratch with Debian's static busybox and its
// applets installed, as hack/images.sh does for the real node. It logs the
// build+push+apply time of the first run and of a rerun without a change.
func TestExampleHelloBuild(t *testing.T) {
	t.Parallel()
	k := newKube(t)
	reg := testregistry.Start(t)
	env := append(testregistry.BuildahEnv(t, reg.Host), "KUBECONFIG="+k.kubeconfig)
	base := t.TempDir()
	bb, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Skipf("busybox-static: %v", err)
	}
	if err := os.WriteFile(filepath.Join(base, "busybox"), bb, 0o755); err != nil {
		t.Fatal(err)
	}
	containerfile := "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\n"
	if err := os.WriteFile(filepath.Join(base, "Containerfile"), []byte(containerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	bud := exec.Command("buildah", "bud", "--layers", "-q", "-t", "docker.io/library/busybox:1.37.0", base)
	bud.Env = append(os.Environ(), env...)
	if out, err := bud.CombinedOutput(); err != nil {
		t.Fatalf("building busybox:1.37.0: %v\n%s", err, out)
	}
	src := filepath.Join("..", "..", "examples", "hello")
	if err := os.CopyFS(k.dir, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	ns := "hello"
	up := func() runResult { return upBuild(t, k.dir, env, reg.Host, ns) }
	up()
	for _, svc := range []string{"web", "api"} {
		img := k.deploymentImage(ns, svc)
		if !regexp.MustCompile(`^` + regexp.QuoteMeta(reg.Host) + `/hello-` + svc + `@sha256:[0-9a-f]{64}$`).MatchString(img) {
			t.Errorf("deployment %s: image %q, want %s/hello-%s@sha256:<hex>", svc, img, reg.Host, svc)
		}
	}
	r := up()
	for _, l := range lines(r.stdout) {
		if !strings.HasSuffix(l, " unchanged") {
			t.Errorf("rerun without a change: %q, want unchanged", l)
		}
	}
	// The README: change web/about.html and only web rolls.
	if err := os.WriteFile(filepath.Join(k.dir, "web", "about.html"), []byte("<p>changed</p>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = up()
	for _, l := range lines(r.stdout) {
		if want := l == "deployment.apps/web configured"; want != !strings.HasSuffix(l, " unchanged") {
			t.Errorf("after changing web/about.html: %q; want only deployment.apps/web configured", l)
		}
	}
}

// upBuild runs hoist up --build with buildah and the registry at host in
// dir, into namespace ns, failing the test unless it exits 0; it logs how
// long it took.
func upBuild(t *testing.T, dir string, env []string, host, ns string) runResult {
	t.Helper()
	start := time.Now()
	r := runHoist(t, dir, "", env, "up", "--build", "--builder", "buildah", "--registry", host, "-n", ns, "--create-namespace", "--timeout", "3m")
	if r.code != 0 {
		t.Fatalf("up --build in %s: exit %d\nstdout:\n%s\nstderr:\n%s", dir, r.code, r.stdout, r.stderr)
	}
	t.Logf("hoist up --build in %s: %s\n%s", dir, time.Since(start).Round(100*time.Millisecond), r.stderr)
	return r
}
