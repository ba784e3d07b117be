// Package testregistry gives tests the real parts that building images
// needs: Debian's docker-registry (the CNCF distribution registry 2.8)
// started on 127.0.0.1 with a free port, its own configuration and storage,
// and an environment that points buildah (vfs storage, chroot isolation) at
// private storage and lets it push to that registry over plain HTTP.
// Both are installed by hack/install-packages.sh; without them a test
// skips, or fails under CI=true.
package testregistry

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Registry is a running registry.
type Registry struct {
	// Host is 127.0.0.1:PORT.
	Host string
	// Dir is its storage directory.
	Dir string
}

// need skips the test under -short, and when a binary is missing (fails
// it under CI=true).
func need(t *testing.T, bins ...string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds images: skipped with -short")
	}
	for _, b := range bins {
		if _, err := exec.LookPath(b); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s not found: run hack/install-packages.sh", b)
			}
			t.Skipf("%s not found: run hack/install-packages.sh", b)
		}
	}
}

// Start starts a registry for the test, stopped when it ends.
func Start(t *testing.T) *Registry {
	t.Helper()
	need(t, "docker-registry")
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host := l.Addr().String()
	l.Close()
	conf := filepath.Join(dir, "config.yml")
	err = os.WriteFile(conf, []byte(fmt.Sprintf(`version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
`, filepath.Join(dir, "storage"), host)), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	log, err := os.Create(filepath.Join(dir, "registry.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("docker-registry", "serve", conf)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		log.Close()
	})
	for deadline := time.Now().Add(20 * time.Second); ; {
		resp, err := http.Get("http://" + host + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case <-exited:
			b, _ := os.ReadFile(log.Name())
			t.Fatalf("docker-registry exited: %s", b)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("docker-registry on %s not ready after 20s: %v", host, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return &Registry{Host: host, Dir: dir}
}

// BuildahEnv returns the environment variables that give buildah private
// storage under a temporary directory (vfs driver, chroot isolation: what
// works as root without a container engine) and let it use the plain-HTTP
// registries at hosts. The variables are buildah's own: hoist passes its
// environment to the builder.
func BuildahEnv(t *testing.T, hosts ...string) []string {
	t.Helper()
	need(t, "buildah")
	dir := t.TempDir()
	storage := filepath.Join(dir, "storage.conf")
	err := os.WriteFile(storage, []byte(fmt.Sprintf("[storage]\ndriver = \"vfs\"\ngraphroot = %q\nrunroot = %q\n",
		filepath.Join(dir, "root"), filepath.Join(dir, "run"))), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	reg := ""
	for _, h := range hosts {
		reg += fmt.Sprintf("[[registry]]\nlocation = %q\ninsecure = true\n", h)
	}
	registries := filepath.Join(dir, "registries.conf")
	if err := os.WriteFile(registries, []byte(reg), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// vfs layers may hold read-only directories.
		_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				_ = os.Chmod(p, 0o755)
			}
			return nil
		})
	})
	return []string{
		"CONTAINERS_STORAGE_CONF=" + storage,
		"CONTAINERS_REGISTRIES_CONF=" + registries,
		"BUILDAH_ISOLATION=chroot",
	}
}

// Tags lists the tags of repository name in the registry.
func (r *Registry) Tags(t *testing.T, name string) string {
	t.Helper()
	resp, err := http.Get("http://" + r.Host + "/v2/" + name + "/tags/list")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// HasManifest reports whether the registry holds the manifest of
// name@digest.
func (r *Registry) HasManifest(t *testing.T, name, digest string) bool {
	t.Helper()
	req, _ := http.NewRequest(http.MethodHead, "http://"+r.Host+"/v2/"+name+"/manifests/"+digest, nil)
	req.Header.Set("Accept", "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
