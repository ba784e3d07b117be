package load

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/google/go-cmp/cmp"
)

func bindProject(dir string, sources ...string) *types.Project {
	var vols []types.ServiceVolumeConfig
	for _, s := range sources {
		vols = append(vols, types.ServiceVolumeConfig{Type: types.VolumeTypeBind, Source: s, Target: "/x"})
	}
	svc := types.ServiceConfig{Name: "app"}
	svc.Image, svc.Volumes = "a", vols
	return &types.Project{Name: "p", WorkingDir: dir, Services: types.Services{"app": svc}}
}

func write(t *testing.T, path, data string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func TestHostPaths(t *testing.T) {
	t.Parallel()
	outside := t.TempDir()
	write(t, filepath.Join(outside, "secret.txt"), "do not read", 0o644)
	proj := t.TempDir()
	write(t, filepath.Join(proj, "conf", "b.conf"), "b", 0o644)
	write(t, filepath.Join(proj, "conf", "a", "nested.conf"), "nested", 0o755)
	write(t, filepath.Join(proj, "single.txt"), "one", 0o600)
	write(t, filepath.Join(proj, "big", "blob"), strings.Repeat("x", MaxContent+1), 0o644)
	if err := os.MkdirAll(filepath.Join(proj, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	// A symlink that escapes the project, one that stays inside, and a
	// dangling one.
	for link, target := range map[string]string{
		filepath.Join(proj, "conf", "escape"):     filepath.Join(outside, "secret.txt"),
		filepath.Join(proj, "conf", "inside"):     filepath.Join(proj, "single.txt"),
		filepath.Join(proj, "conf", "dangling"):   filepath.Join(proj, "nothing"),
		filepath.Join(proj, "linked-outside-dir"): outside,
	} {
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
	}
	p := bindProject(proj,
		filepath.Join(proj, "conf"),
		filepath.Join(proj, "single.txt"),
		filepath.Join(proj, "big"),
		filepath.Join(proj, "empty"),
		filepath.Join(proj, "missing"),
		filepath.Join(proj, "linked-outside-dir"),
		outside,
		filepath.Join(outside, "secret.txt"),
	)
	got, err := HostPaths(p)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]*HostPath{
		filepath.Join(proj, "conf"): {InProject: true, Exists: true, Dir: true, Size: 10, Files: []HostFile{
			{Path: "a/nested.conf", Data: []byte("nested"), Mode: 0o755},
			{Path: "b.conf", Data: []byte("b"), Mode: 0o644},
			{Path: "inside", Data: []byte("one"), Mode: 0o600},
		}, Skipped: []string{"dangling", "escape"}},
		filepath.Join(proj, "single.txt"):         {InProject: true, Exists: true, Size: 3, Files: []HostFile{{Path: "", Data: []byte("one"), Mode: 0o600}}},
		filepath.Join(proj, "big"):                {InProject: true, Exists: true, Dir: true, Size: MaxContent + 1},
		filepath.Join(proj, "empty"):              {InProject: true, Exists: true, Dir: true},
		filepath.Join(proj, "missing"):            {InProject: true},
		filepath.Join(proj, "linked-outside-dir"): {Exists: true, Dir: true},
		outside:                              {Exists: true, Dir: true},
		filepath.Join(outside, "secret.txt"): {Exists: true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("HostPaths (-want +got):\n%s", diff)
	}
}

func TestHostPathsNoBinds(t *testing.T) {
	t.Parallel()
	svc := types.ServiceConfig{Name: "app"}
	svc.Image = "a"
	svc.Volumes = []types.ServiceVolumeConfig{{Type: types.VolumeTypeVolume, Source: "data", Target: "/data"}}
	p := &types.Project{Name: "p", WorkingDir: "/nonexistent", Services: types.Services{"app": svc}}
	got, err := HostPaths(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Errorf("HostPaths = %v, want empty", got)
	}
}

func TestHostPathsConfigsSecrets(t *testing.T) {
	t.Parallel()
	proj := t.TempDir()
	write(t, filepath.Join(proj, "app.conf"), "x=1", 0o644)
	p := &types.Project{Name: "p", WorkingDir: proj,
		Configs: types.Configs{"c": {File: filepath.Join(proj, "app.conf")}, "ext": {External: true}},
		Secrets: types.Secrets{"s": {File: filepath.Join(proj, "nope")}},
	}
	got, err := HostPaths(p)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]*HostPath{
		filepath.Join(proj, "app.conf"): {InProject: true, Exists: true, Size: 3, Files: []HostFile{{Data: []byte("x=1"), Mode: 0o644}}},
		filepath.Join(proj, "nope"):     {InProject: true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("HostPaths (-want +got):\n%s", diff)
	}
}

func TestHostPathsPermissionDenied(t *testing.T) {
	t.Parallel()
	if os.Geteuid() == 0 {
		t.Skip("root reads everything")
	}
	proj := t.TempDir()
	write(t, filepath.Join(proj, "locked", "f"), "x", 0o644)
	if err := os.Chmod(filepath.Join(proj, "locked"), 0o000); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(filepath.Join(proj, "locked"), 0o755) })
	_, err := HostPaths(bindProject(proj, filepath.Join(proj, "locked")))
	if err == nil || !strings.Contains(err.Error(), filepath.Join(proj, "locked")) || strings.Contains(err.Error(), "\n") {
		t.Errorf("HostPaths error = %v, want one line naming the path", err)
	}
}
