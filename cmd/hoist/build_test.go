package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hoist-dev/hoist/internal/testregistry"
)

// These tests build with Debian's buildah and push to Debian's
// docker-registry (internal/testregistry), then apply to the kwok control
// plane. The fixture testdata/build has two built services: api (build
// args, a target stage past which a broken stage never builds, a build
// secret) and web (dockerfile_inline). Base images cannot be pulled, so
// the Dockerfiles start FROM scratch and copy a static busybox, which the
// test puts into both contexts.

// buildProject copies testdata/build into dir with /bin/busybox in both
// build contexts.
func buildProject(t *testing.T, dir string) {
	t.Helper()
	src := filepath.Join("testdata", "build")
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dir, rel), 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	bb, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Skipf("busybox-static: %v", err)
	}
	for _, ctx := range []string{"api", "web"} {
		if err := os.WriteFile(filepath.Join(dir, ctx, "busybox"), bb, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// TestBuildPushConvert: hoist build, hoist push and convert --build on the
// fixture, without a cluster: push prints the pinned images convert --build
// deploys, and convert --build is byte-identical when nothing changed.
func TestBuildPushConvert(t *testing.T) {
	t.Parallel()
	reg := testregistry.Start(t)
	env := testregistry.BuildahEnv(t, reg.Host)
	dir := t.TempDir()
	buildProject(t, dir)

	r := runHoist(t, dir, "", env, "push", "--builder", "buildah", "--registry", reg.Host)
	if r.code != 1 || r.stderr != "error: service \"api\": image imgs-api is not built: run hoist build first\n" {
		t.Errorf("push before build: exit %d, stderr %q", r.code, r.stderr)
	}
	r = runHoist(t, dir, "", env, "push", "--builder", "buildah")
	if r.code != 1 || r.stderr != "error: service \"api\": no registry to push to: set --registry (or the service's image)\n" {
		t.Errorf("push without a registry: exit %d, stderr %q", r.code, r.stderr)
	}
	r = runHoist(t, dir, "", env, "build", "--builder", "buildah", "nosuch")
	if r.code != 1 || r.stderr != "error: no such service: nosuch\n" {
		t.Errorf("build nosuch: exit %d, stderr %q", r.code, r.stderr)
	}

	r = runHoist(t, dir, "", env, "build", "--builder", "buildah", "--progress", "plain")
	if r.code != 0 || r.stdout != "" {
		t.Fatalf("build: exit %d, stdout %q\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"api: building with buildah\n", "STEP", "web: built imgs-web "} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("build --progress plain: no %q in\n%s", want, r.stderr)
		}
	}

	r = runHoist(t, dir, "", env, "push", "--builder", "buildah", "--registry", reg.Host, "--progress", "tty")
	if r.code != 0 {
		t.Fatalf("push: exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "\r\033[K") {
		t.Errorf("push --progress tty: no redrawn line in %q", r.stderr)
	}
	pushed := lines(r.stdout)
	if len(pushed) != 2 || !strings.HasPrefix(pushed[0], "api "+reg.Host+"/imgs-api@sha256:") || !strings.HasPrefix(pushed[1], "web "+reg.Host+"/imgs-web@sha256:") {
		t.Fatalf("push stdout %q, want one pinned image per service", r.stdout)
	}

	r = runHoist(t, dir, "", env, "push", "web", "--builder", "buildah", "--registry", reg.Host, "--tag", "v1", "-q")
	if r.code != 0 || r.stderr != "" || r.stdout != pushed[1]+"\n" {
		t.Errorf("push web --tag v1: exit %d, stdout %q (want %q), stderr %q", r.code, r.stdout, pushed[1], r.stderr)
	}
	if tags := reg.Tags(t, "imgs-web"); !strings.Contains(tags, `"v1"`) {
		t.Errorf("imgs-web tags %s, want v1 among them", tags)
	}

	conv := runHoist(t, dir, "", env, "convert", "--build", "--builder", "buildah", "--registry", reg.Host, "-q")
	if conv.code != 0 || conv.stderr != "" {
		t.Fatalf("convert --build -q: exit %d\n%s", conv.code, conv.stderr)
	}
	for _, p := range pushed {
		if img := strings.Fields(p)[1]; !strings.Contains(conv.stdout, "image: "+img+"\n") {
			t.Errorf("convert --build does not deploy %s", img)
		}
	}
	again := runHoist(t, dir, "", env, "convert", "--build", "--builder", "buildah", "--registry", reg.Host, "-q")
	if again.code != 0 || again.stdout != conv.stdout {
		t.Errorf("convert --build without a change: exit %d, output differs: %v", again.code, again.stdout != conv.stdout)
	}
}

// TestBuildStrict: a build key the builder cannot do warns naming the
// service and key, and --strict stops before anything is built.
func TestBuildStrict(t *testing.T) {
	t.Parallel()
	env := testregistry.BuildahEnv(t)
	dir := t.TempDir()
	compose := "name: strict\nservices:\n  app:\n    build:\n      context: .\n      platforms: [linux/amd64, linux/arm64]\n"
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(compose), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\nCOPY compose.yaml /\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	want := "Warning: service \"app\": build.platforms: hoist builds one image per service: building linux/amd64 only, not linux/arm64\n"
	for _, cmd := range [][]string{{"build", "--strict"}, {"convert", "--build", "--strict", "--registry", "127.0.0.1:1"}} {
		r := runHoist(t, dir, "", env, append(cmd, "--builder", "buildah")...)
		if r.code != 1 || r.stderr != want+"error: 1 warning(s) and --strict is set\n" {
			t.Errorf("%v: exit %d, stderr %q", cmd, r.code, r.stderr)
		}
	}
	r := runHoist(t, dir, "", env, "build", "--builder", "buildah")
	if r.code != 0 || !strings.HasPrefix(r.stderr, want+"app: built strict-app ") {
		t.Errorf("build: exit %d, stderr %q", r.code, r.stderr)
	}
}
