package images

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/google/go-cmp/cmp"
)

// load loads a compose file written to a temporary directory.
func load(t *testing.T, compose string, files map[string]string) (string, []Target) {
	t.Helper()
	dir := t.TempDir()
	files["compose.yaml"] = compose
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	opts, err := cli.NewProjectOptions([]string{filepath.Join(dir, "compose.yaml")}, cli.WithWorkingDirectory(dir), cli.WithResolvedPaths(true))
	if err != nil {
		t.Fatal(err)
	}
	project, err := opts.LoadProject(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	targets, err := Targets(project, nil)
	if err != nil {
		t.Fatal(err)
	}
	projects[dir] = project
	return dir, targets
}

var projects = map[string]*projectT{}

const everyKey = `
name: p
services:
  web:
    image: example/web:1
    build:
      context: ./ctx
      dockerfile: Containerfile
      args: {B: "2", A: "1", UNSET: null}
      target: run
      labels: {l: v}
      tags: [example/web:extra]
      platforms: [linux/amd64, linux/arm64]
      secrets: [{source: tok, target: token}]
      ssh: [default]
      cache_from: [example/cache, "type=local,src=/tmp/c"]
      cache_to: ["type=registry,ref=example/cache"]
      additional_contexts: {extra: ./extra}
      network: host
      extra_hosts: ["db=10.0.0.1"]
      shm_size: 64m
      no_cache: true
      pull: true
      provenance: "false"
      privileged: true
  plain:
    image: busybox
secrets:
  tok:
    file: ./tok.txt
`

// TestArgs: every build key reaches each builder's flags or warns naming
// the service and key.
func TestArgs(t *testing.T) {
	dir, targets := load(t, everyKey, map[string]string{"tok.txt": "s", "ctx/Containerfile": "FROM scratch\n"})
	if len(targets) != 1 || targets[0].Service != "web" || targets[0].Name != "example/web:1" {
		t.Fatalf("targets %+v, want web only", targets)
	}
	tmp := t.TempDir()
	common := func(kind string) []string {
		a := []string{"--iidfile", tmp + "/iid", "-t", "example/web:1", "-t", "example/web:extra",
			"-f", dir + "/ctx/Containerfile", "--build-arg", "A=1", "--build-arg", "B=2", "--target", "run",
			"--label", "l=v", "--platform", "linux/amd64", "--secret", "id=token,src=" + dir + "/tok.txt", "--ssh", "default"}
		if kind == "docker" {
			a = append(a, "--cache-from", "example/cache", "--cache-from", "type=local,src=/tmp/c", "--cache-to", "type=registry,ref=example/cache")
		} else {
			a = append(a, "--cache-from", "example/cache", "--cache-to", "example/cache")
		}
		a = append(a, "--build-context", "extra="+dir+"/extra", "--network", "host", "--add-host", "db:10.0.0.1",
			"--shm-size", "67108864", "--no-cache")
		if kind == "docker" {
			return append(append([]string{"build"}, a...), "--pull", "--provenance=false", dir+"/ctx")
		}
		pre := []string{"build"}
		if kind == "buildah" {
			pre = []string{"bud", "--layers"}
		}
		return append(append(pre, a...), "--pull=always", dir+"/ctx")
	}
	for _, kind := range Kinds {
		t.Run(kind, func(t *testing.T) {
			b := &Builder{Kind: kind, Path: kind}
			args, warns, err := b.Args(projects[dir], targets[0], tmp)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(common(kind), args); diff != "" {
				t.Errorf("args (-want +got):\n%s", diff)
			}
			var got []string
			for _, w := range warns {
				got = append(got, w.String())
			}
			want := []string{`service "web": build.platforms: hoist builds one image per service: building linux/amd64 only, not linux/arm64`}
			if kind != "docker" {
				want = append(want, `service "web": build.cache_from: `+kind+` takes a registry repository as cache, not "type=local,src=/tmp/c": dropped`,
					`service "web": build.provenance: `+kind+` makes no provenance attestation: dropped`)
			}
			want = append(want, `service "web": build.privileged: hoist runs no privileged build steps: dropped`)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestArgsErrors: build inputs that cannot work fail before the builder runs.
func TestArgsErrors(t *testing.T) {
	dir, targets := load(t, `
name: p
services:
  web:
    build:
      context: .
      secrets: [tok]
secrets:
  tok:
    file: ./missing.txt
`, map[string]string{})
	_, _, err := (&Builder{Kind: "buildah"}).Args(projects[dir], targets[0], t.TempDir())
	if err == nil || err.Error() != `service "web": build.secrets: secret "tok": file `+dir+`/missing.txt does not exist` {
		t.Errorf("err = %v", err)
	}
}

func TestRef(t *testing.T) {
	for _, tc := range []struct{ registry, name, want string }{
		{"127.0.0.1:5000", "p-web", "127.0.0.1:5000/p-web:t"},
		{"registry.example.com/shop/", "ghcr.io/org/web:1", "registry.example.com/shop/org/web:t"},
		{"r.example.com", "nginx", "r.example.com/nginx:t"},
		{"", "ghcr.io/org/web:1", "ghcr.io/org/web:t"},
	} {
		got, err := Ref(tc.registry, tc.name, "t")
		if err != nil || got != tc.want {
			t.Errorf("Ref(%q, %q) = %q, %v; want %q", tc.registry, tc.name, got, err, tc.want)
		}
	}
	if _, err := Ref("", "Bad Name", "t"); err == nil || !strings.Contains(err.Error(), `image "Bad Name"`) {
		t.Errorf("Ref of a bad name: %v", err)
	}
}

type projectT = types.Project

// TestArgsHostPaths: a build that reads a context, Dockerfile, additional
// context, SSH key or secret file outside the project directory is refused,
// naming the service and key, unless AllowHostPaths (--allow-host-paths).
func TestArgsHostPaths(t *testing.T) {
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "shadow"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ build, top, key string }{
		{build: "context: " + outside, key: "build.context"},
		{build: "context: .\n      dockerfile: " + filepath.Join(outside, "Dockerfile"), key: "build.dockerfile"},
		{build: "context: .\n      additional_contexts: {up: " + outside + "}", key: "build.additional_contexts.up"},
		{build: "context: .\n      ssh: [\"key=" + filepath.Join(outside, "id") + "\"]", key: "build.ssh.key"},
		{build: "context: .\n      secrets: [tok]", top: "secrets:\n  tok:\n    file: " + filepath.Join(outside, "shadow") + "\n", key: "build.secrets.tok"},
	} {
		dir, targets := load(t, "name: p\nservices:\n  web:\n    build:\n      "+tc.build+"\n"+tc.top, map[string]string{})
		_, _, err := (&Builder{Kind: "buildah"}).Args(projects[dir], targets[0], t.TempDir())
		if err == nil || !strings.HasPrefix(err.Error(), `service "web": `+tc.key+": ") || !strings.Contains(err.Error(), "pass --allow-host-paths") {
			t.Errorf("%s: err = %v", tc.key, err)
		}
		if _, _, err := (&Builder{Kind: "buildah", AllowHostPaths: true}).Args(projects[dir], targets[0], t.TempDir()); err != nil {
			t.Errorf("%s with AllowHostPaths: %v", tc.key, err)
		}
	}
}
