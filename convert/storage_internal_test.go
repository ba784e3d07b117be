package convert

import (
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/hoist-dev/hoist/load"
)

// TestStatefulSetClaimTemplates checks that a StatefulSet's own volumes
// become claim templates and shared ones stay standalone claims. The
// workload kind is set directly: which services are StatefulSets is the
// workload step's business.
func TestStatefulSetClaimTemplates(t *testing.T) {
	t.Parallel()
	db := types.ServiceConfig{Name: "db"}
	db.Image = "postgres:16"
	db.Deploy = &types.DeployConfig{Replicas: storagePtr(3)}
	db.Volumes = []types.ServiceVolumeConfig{
		{Type: types.VolumeTypeVolume, Source: "data", Target: "/data"},
		{Type: types.VolumeTypeVolume, Source: "shared", Target: "/shared"},
	}
	app := types.ServiceConfig{Name: "app"}
	app.Image = "example/app"
	app.Volumes = []types.ServiceVolumeConfig{{Type: types.VolumeTypeVolume, Source: "shared", Target: "/shared"}}
	p := &types.Project{
		Name:       "p",
		WorkingDir: "/project",
		Services:   types.Services{"db": db, "app": app},
		Volumes: types.Volumes{
			"data":   {Extensions: types.Extensions{ExtensionKey: map[string]any{"size": "5Gi"}}},
			"shared": {},
		},
	}
	c := &converter{project: p, plan: &plan{names: map[string]string{}}}
	if err := c.validate(); err != nil {
		t.Fatal(err)
	}
	if err := c.prepareStorage(); err != nil {
		t.Fatal(err)
	}
	svc := p.Services["db"]
	s := &svcCtx{svc: &svc, name: "db", kind: "StatefulSet", labels: map[string]string{LabelName: "db"}}
	pod := &corev1.PodSpec{Containers: []corev1.Container{{Name: "db"}}}
	if err := c.storage(s, pod); err != nil {
		t.Fatal(err)
	}
	if len(s.claimTemplates) != 1 || s.claimTemplates[0].Name != "data" {
		t.Fatalf("claimTemplates = %v, want data only", s.claimTemplates)
	}
	tmpl := s.claimTemplates[0]
	if got := tmpl.Spec.AccessModes; !cmp.Equal(got, []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}) {
		t.Errorf("template access modes = %v, want ReadWriteOnce (one claim per pod)", got)
	}
	if got := tmpl.Spec.Resources.Requests[corev1.ResourceStorage]; got.Cmp(resource.MustParse("5Gi")) != 0 {
		t.Errorf("template size = %v, want 5Gi", got.String())
	}
	// Claims hoist creates are mounted at their data/ sub-directory (issue 9).
	wantMounts := []corev1.VolumeMount{{Name: "data", MountPath: "/data", SubPath: "data"}, {Name: "shared", MountPath: "/shared", SubPath: "data"}}
	if diff := cmp.Diff(wantMounts, pod.Containers[0].VolumeMounts); diff != "" {
		t.Errorf("mounts (-want +got):\n%s", diff)
	}
	if len(pod.Volumes) != 1 || pod.Volumes[0].PersistentVolumeClaim == nil || pod.Volumes[0].PersistentVolumeClaim.ClaimName != "shared" {
		t.Errorf("pod volumes = %v, want only the claim shared", pod.Volumes)
	}
	if len(s.claims) != 1 || s.claims[0].name != "shared" || s.claims[0].readWriteOnce {
		t.Errorf("claims = %v, want shared (ReadWriteMany)", s.claims)
	}
	if err := c.projectStorage(); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, o := range c.objects {
		names = append(names, o.GetKind()+"/"+o.GetName())
	}
	if diff := cmp.Diff([]string{"PersistentVolumeClaim/shared"}, names); diff != "" {
		t.Errorf("objects (-want +got):\n%s", diff)
	}
	var warned bool
	for _, w := range c.warnings {
		if w.Service == "db" && strings.Contains(w.Message, "share one claim") {
			warned = true
		}
	}
	if !warned {
		t.Errorf("no warning that the StatefulSet's pods share the claim shared: %v", c.warnings)
	}
}

func storagePtr[T any](v T) *T { return &v }

func TestLooksSecret(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		"API_KEY": true, "apiKey": true, "DB_PASSWORD": true, "MYSQL_PWD": true, "dbPassword": true,
		"GITHUB_TOKEN": true, "AWS_SECRET_ACCESS_KEY": true, "PRIVATE_KEY": true, "BASIC_AUTH": true,
		"SERVICE_CREDENTIALS": true, "REDIS_PASS": true, "APIKEY": true, "ADMINPASSWORD": true,
		"KEYBOARD": false, "MONKEY": false, "PWD": false, "OLDPWD": false, "PATH": false, "HOME": false,
		"POSTGRES_PASSWORD_FILE": false, "TLS_KEY_PATH": false, "AUTHOR": false, "TOKENIZER": false,
		"PASSENGER": false, "KEY_DIR": false,
	} {
		if got := looksSecret(name); got != want {
			t.Errorf("looksSecret(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestSafeKey(t *testing.T) {
	t.Parallel()
	files := []load.HostFile{{Path: "a b"}, {Path: "a-b"}, {Path: "a/b"}, {Path: "a_b"}, {Path: "..hidden"}, {Path: "ok.conf"}}
	d := newFileData(files, "x")
	var keys []string
	for _, f := range d.files {
		keys = append(keys, f.key)
	}
	want := []string{"a-b", "a-b-2", "a_b", "a_b-2", "_.hidden", "ok.conf"}
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
}

// TestClaimTemplateNameTaken checks that a claim template takes its name
// even when an earlier pod volume has it.
func TestClaimTemplateNameTaken(t *testing.T) {
	t.Parallel()
	db := types.ServiceConfig{Name: "db"}
	db.Image = "postgres:16"
	db.Volumes = []types.ServiceVolumeConfig{
		{Type: types.VolumeTypeVolume, Target: "/data"}, // anonymous: emptyDir "data"
		{Type: types.VolumeTypeVolume, Source: "data", Target: "/var/lib/data"},
	}
	p := &types.Project{Name: "p", WorkingDir: "/project", Services: types.Services{"db": db}, Volumes: types.Volumes{"data": {}}}
	c := &converter{project: p, plan: &plan{names: map[string]string{}}}
	if err := c.validate(); err != nil {
		t.Fatal(err)
	}
	if err := c.prepareStorage(); err != nil {
		t.Fatal(err)
	}
	svc := p.Services["db"]
	s := &svcCtx{svc: &svc, name: "db", kind: "StatefulSet"}
	pod := &corev1.PodSpec{Containers: []corev1.Container{{Name: "db"}}}
	if err := c.storage(s, pod); err != nil {
		t.Fatal(err)
	}
	want := []corev1.VolumeMount{{Name: "data-2", MountPath: "/data"}, {Name: "data", MountPath: "/var/lib/data", SubPath: "data"}}
	if diff := cmp.Diff(want, pod.Containers[0].VolumeMounts); diff != "" {
		t.Errorf("mounts (-want +got):\n%s", diff)
	}
	if len(pod.Volumes) != 1 || pod.Volumes[0].Name != "data-2" || pod.Volumes[0].EmptyDir == nil {
		t.Errorf("pod volumes = %v, want the emptyDir data-2", pod.Volumes)
	}
}

// TestBytesQuantity: sizes come out as the API server writes them back, so
// that a re-apply finds them unchanged.
func TestBytesQuantity(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{100000000: "100M", 64 << 20: "64Mi", 1000: "1k", 1536: "1536", 1 << 30: "1Gi", 123456789: "123456789"} {
		q := bytesQuantity(n)
		if got := q.String(); got != want {
			t.Errorf("bytesQuantity(%d) = %q, want %q", n, got, want)
		}
		if reparsed := resource.MustParse(q.String()); reparsed.String() != q.String() {
			t.Errorf("bytesQuantity(%d) = %q is not canonical: the server writes %q", n, q.String(), reparsed.String())
		}
	}
}

// TestSeedKeepsModes: a seeded bind keeps its files' modes (issue 9, kind
// 10), including those git cannot store; a read-only ConfigMap mount only
// marks executables.
func TestSeedKeepsModes(t *testing.T) {
	t.Parallel()
	d := newFileData([]load.HostFile{
		{Path: "my.cnf", Data: []byte("x"), Mode: 0o640},
		{Path: "plain.conf", Data: []byte("x"), Mode: 0o644},
		{Path: "run.sh", Data: []byte("x"), Mode: 0o700},
	}, "data")
	mode := func(m int32) *int32 { return &m }
	want := []corev1.KeyToPath{
		{Key: "my.cnf", Path: "my.cnf", Mode: mode(0o640)},
		{Key: "plain.conf", Path: "plain.conf"},
		{Key: "run.sh", Path: "run.sh", Mode: mode(0o700)},
	}
	if diff := cmp.Diff(want, d.items(true)); diff != "" {
		t.Errorf("seeded items (-want +got):\n%s", diff)
	}
	want[0].Mode, want[2].Mode = nil, mode(0o755)
	if diff := cmp.Diff(want, d.items(false)); diff != "" {
		t.Errorf("read-only items (-want +got):\n%s", diff)
	}
	if got := numericOwner("999:999"); got != "999:999" {
		t.Errorf("numericOwner(999:999) = %q", got)
	}
	if got := numericOwner("mysql"); got != "" {
		t.Errorf("numericOwner(mysql) = %q, want none", got)
	}
}
