package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/internal/testcluster"
	"github.com/hoist-dev/hoist/internal/testregistry"
)

// nodeRegistry lets the real node's containerd pull from the plain-HTTP
// registry at host (127.0.0.1:PORT) until the test ends: containerd 1.6
// reads DIR/node/containerd/certs.d/<host>/hosts.toml on every pull
// (hack/real-node.sh sets config_path; _default sends every other host to
// 127.0.0.1:1).
func nodeRegistry(t *testing.T, host string) {
	t.Helper()
	dir := filepath.Join(testcluster.Dir(), "node", "containerd", "certs.d", host)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	hosts := fmt.Sprintf("server = %q\n[host.%q]\n  capabilities = [\"pull\", \"resolve\"]\n", "http://"+host, "http://"+host)
	if err := os.WriteFile(filepath.Join(dir, "hosts.toml"), []byte(hosts), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestImagesBuild: hoist up --build builds api and web with buildah, pushes
// them to a local registry, and the real node runs exactly the pushed
// digests; a rerun without a change leaves every object and pod alone; a
// change to api's source rolls api only.
func TestImagesBuild(t *testing.T) {
	reg := testregistry.Start(t)
	nodeRegistry(t, reg.Host)
	p := newProject(t, "images-build")
	p.env = append(p.env, testregistry.BuildahEnv(t, reg.Host)...)
	bb, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Fatalf("busybox-static: %v", err)
	}
	for _, ctx := range []string{"api", "web"} {
		if err := os.WriteFile(filepath.Join(p.dir, ctx, "busybox"), bb, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"--build", "--builder", "buildah", "--registry", reg.Host}

	// running checks the service's one ready pod runs the Deployment's
	// pinned image and serves want; it returns the pod and the digest.
	running := func(svc, want string) (string, string) {
		t.Helper()
		img := p.get("deployment/"+svc, "{.spec.template.spec.containers[0].image}")
		m := regexp.MustCompile(`^` + regexp.QuoteMeta(reg.Host) + `/imgs-` + svc + `@(sha256:[0-9a-f]{64})$`).FindStringSubmatch(img)
		if m == nil {
			t.Fatalf("deployment %s: image %q, want %s/imgs-%s@sha256:<hex>", svc, img, reg.Host, svc)
		}
		var pod string
		p.eventually(svc+" to run the pushed digest", 2*time.Minute, func() (bool, string) {
			ready := p.readyPods(svc)
			if len(ready) != 1 || len(p.pods(svc)) != 1 {
				return false, fmt.Sprintf("ready pods %v of %v", ready, p.pods(svc))
			}
			pod = ready[0]
			id := p.get("pod/"+pod, "{.status.containerStatuses[0].imageID}")
			return strings.HasSuffix(id, "@"+m[1]), "imageID " + id
		})
		out, err := p.kubectl("exec", pod, "--", "/bin/busybox", "wget", "-q", "-O", "-", "http://127.0.0.1:8080/")
		if err != nil || out != want {
			t.Errorf("%s serves %q (%v), want %q", svc, out, err, want)
		}
		return pod, m[1]
	}

	took := p.up(args...)
	t.Logf("build+push+apply of api and web, first run: %s", took.Round(100*time.Millisecond))
	apiPod, apiDigest := running("api", "hello from api\nsecret-ok\n")
	webPod, webDigest := running("web", "web v1\n")

	took = p.up(args...)
	t.Logf("build+push+apply of api and web, no change: %s", took.Round(100*time.Millisecond))
	if pod, d := running("api", "hello from api\nsecret-ok\n"); pod != apiPod || d != apiDigest {
		t.Errorf("api after a rerun without a change: pod %s %s, want %s %s", pod, d, apiPod, apiDigest)
	}
	if err := os.WriteFile(filepath.Join(p.dir, "api", "version.txt"), []byte("v2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	took = p.up(args...)
	t.Logf("build+push+apply after a change to api: %s", took.Round(100*time.Millisecond))
	if pod, d := running("api", "hello from api\nsecret-ok\n"); pod == apiPod || d == apiDigest {
		t.Errorf("api after a change: pod %s %s, want a new pod on a new digest", pod, d)
	}
	if pod, d := running("web", "web v1\n"); pod != webPod || d != webDigest {
		t.Errorf("web after api's change: pod %s %s, want %s %s", pod, d, webPod, webDigest)
	}
	if v, err := p.kubectl("exec", "deployment/api", "--", "/bin/busybox", "cat", "/www/version.txt"); err != nil || v != "v2\n" {
		t.Errorf("api version.txt %q (%v), want v2", v, err)
	}
}
