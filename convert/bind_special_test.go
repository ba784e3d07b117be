package convert

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/hoist-dev/hoist/load"
)

// A bind source in the project that is a named pipe has no content to
// carry: it is refused like a path outside the project (not taken for an
// empty data directory and made a claim), and with --allow-host-paths it
// is a hostPath without a type check.
func TestBindSpecialFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "ff"), 0o600); err != nil {
		t.Fatal(err)
	}
	compose := "services:\n  web:\n    image: nginx\n    volumes: [\"./ff:/x\"]\n"
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(compose), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := load.Project(context.Background(), load.Options{Files: []string{filepath.Join(dir, "compose.yaml")}, Environ: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	hp, err := load.HostPaths(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, allow := range []bool{false, true} {
		res, err := Convert(p, Options{HostPaths: hp, AllowHostPaths: allow})
		if err != nil {
			t.Fatal(err)
		}
		var warned bool
		for _, w := range res.Warnings {
			warned = warned || strings.Contains(w.Message, `"./ff" is a named pipe, whose content cannot be carried into the cluster: refused`)
		}
		if warned == allow {
			t.Errorf("allow-host-paths %v: refusal warning %v in %v", allow, warned, res.Warnings)
		}
		for _, o := range res.Objects {
			if o.GetKind() == "PersistentVolumeClaim" {
				t.Errorf("allow-host-paths %v: a claim %q for the named pipe", allow, o.GetName())
			}
			if o.GetKind() == "Deployment" {
				vols, _, _ := unstructured.NestedSlice(o.Object, "spec", "template", "spec", "volumes")
				if allow && (len(vols) != 1 || !hasUntypedHostPath(vols[0])) {
					t.Errorf("allow-host-paths: volumes %v, want one hostPath without a type", vols)
				}
			}
		}
	}
}

func hasUntypedHostPath(v any) bool {
	hp, ok, _ := unstructured.NestedMap(v.(map[string]any), "hostPath")
	_, typed := hp["type"]
	return ok && !typed
}
