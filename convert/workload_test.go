package convert

import (
	"reflect"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The storage area sets s.claims; the strategy must follow them.
func TestDeploymentStrategy(t *testing.T) {
	t.Parallel()
	two := uint64(2)
	surge, zero := intstr.FromInt32(2), intstr.FromInt32(0)
	for _, tc := range []struct {
		name     string
		update   *types.UpdateConfig
		claims   []claimUse
		want     appsv1.DeploymentStrategy
		warnings int
	}{
		{name: "default", want: appsv1.DeploymentStrategy{}},
		{name: "readWriteMany claim", claims: []claimUse{{name: "data"}}, want: appsv1.DeploymentStrategy{}},
		{name: "readWriteOnce claim", claims: []claimUse{{name: "data"}, {name: "db", readWriteOnce: true}},
			want: appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType}},
		{name: "readWriteOnce claim with update_config", claims: []claimUse{{name: "db", readWriteOnce: true}},
			update: &types.UpdateConfig{Parallelism: &two, Order: "start-first"},
			want:   appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType}, warnings: 1},
		{name: "start-first", update: &types.UpdateConfig{Parallelism: &two, Order: "start-first"},
			want: appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: &surge, MaxUnavailable: &zero}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := &converter{}
			s := &svcCtx{svc: &types.ServiceConfig{Name: "web", Deploy: &types.DeployConfig{UpdateConfig: tc.update}}, claims: tc.claims}
			got := c.deploymentStrategy(s)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("strategy (-want +got):\n%s", diff)
			}
			if len(c.warnings) != tc.warnings {
				t.Errorf("got warnings %v, want %d", c.warnings, tc.warnings)
			}
		})
	}
}

// mergePod joins a sidecar's pod into its owner's: volumes of one name
// are one volume unless they differ, waits are not repeated, the grace
// period is the longest, and the owner's nodeSelector wins.
func TestMergePod(t *testing.T) {
	t.Parallel()
	p := &types.Project{Name: "p", Services: types.Services{
		"app":   {Name: "app"},
		"proxy": {Name: "proxy", ContainerSpec: types.ContainerSpec{NetworkMode: "service:app"}},
	}}
	c := &converter{project: p, plan: &plan{names: map[string]string{"app": "app", "proxy": "proxy"}}}
	if err := c.prepareWorkloads(); err != nil {
		t.Fatal(err)
	}
	ten, thirty := int64(10), int64(30)
	wait := corev1.Container{Name: "wait-for-db", Image: "busybox"}
	emptyDir := corev1.Volume{Name: "cache", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}
	claim := corev1.Volume{Name: "cache", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "cache"}}}
	shared := corev1.Volume{Name: "shared", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}
	s := &svcCtx{svc: &types.ServiceConfig{Name: "app"}, name: "app", kind: kindDeployment,
		labels: map[string]string{LabelName: "app"}, ports: []svcPort{{name: "tcp-80", port: 80, target: 80, protocol: corev1.ProtocolTCP}}}
	y := &svcCtx{svc: &types.ServiceConfig{Name: "proxy"}, name: "proxy", kind: kindDeployment,
		labels: map[string]string{LabelName: "proxy"}, ports: []svcPort{{name: "tcp-80", port: 8080, target: 8080, protocol: corev1.ProtocolTCP}}}
	dst := corev1.PodTemplateSpec{Spec: corev1.PodSpec{
		Containers:                    []corev1.Container{{Name: "app", VolumeMounts: []corev1.VolumeMount{{Name: "cache", MountPath: "/c"}}}},
		InitContainers:                []corev1.Container{wait},
		Volumes:                       []corev1.Volume{emptyDir, shared},
		TerminationGracePeriodSeconds: &ten,
		NodeSelector:                  map[string]string{"disk": "ssd"},
	}}
	src := corev1.PodTemplateSpec{Spec: corev1.PodSpec{
		Containers:                    []corev1.Container{{Name: "proxy", VolumeMounts: []corev1.VolumeMount{{Name: "cache", MountPath: "/d"}, {Name: "shared", MountPath: "/s"}}}},
		InitContainers:                []corev1.Container{wait},
		Volumes:                       []corev1.Volume{claim, shared},
		TerminationGracePeriodSeconds: &thirty,
		NodeSelector:                  map[string]string{"disk": "hdd", "zone": "a"},
		HostAliases:                   []corev1.HostAlias{{IP: "10.0.0.1", Hostnames: []string{"x"}}},
	}}
	if err := c.mergePod(s, y, &dst, src); err != nil {
		t.Fatal(err)
	}
	renamed := claim
	renamed.Name = "cache-proxy"
	want := corev1.PodSpec{
		Containers: []corev1.Container{
			{Name: "app", VolumeMounts: []corev1.VolumeMount{{Name: "cache", MountPath: "/c"}}},
			{Name: "proxy", VolumeMounts: []corev1.VolumeMount{{Name: "cache-proxy", MountPath: "/d"}, {Name: "shared", MountPath: "/s"}}},
		},
		InitContainers:                []corev1.Container{wait},
		Volumes:                       []corev1.Volume{emptyDir, shared, renamed},
		TerminationGracePeriodSeconds: &thirty,
		NodeSelector:                  map[string]string{"disk": "ssd", "zone": "a"},
		HostAliases:                   []corev1.HostAlias{{IP: "10.0.0.1", Hostnames: []string{"x"}}},
	}
	if diff := cmp.Diff(want, dst.Spec); diff != "" {
		t.Errorf("pod (-want +got):\n%s", diff)
	}
	if len(s.ports) != 2 || s.ports[1].name != "tcp-8080" {
		t.Errorf("ports %+v: want the sidecar's port added under a unique name", s.ports)
	}
	// disk=hdd is dropped, zone=a is taken for the whole pod with a
	// warning; lists such as hostAliases are joined.
	if len(c.warnings) != 2 {
		t.Errorf("warnings %v, want 2", c.warnings)
	}
}

// TestMergePodFieldsCoverPodSpec sets each PodSpec field, one at a time,
// on a sidecar's pod and checks that mergePodFields carries it into an
// owner's empty pod: a field PodSpec gains in a new k8s.io/api is then
// listed in mergePodFields, not silently lost.
func TestMergePodFieldsCoverPodSpec(t *testing.T) {
	t.Parallel()
	typ := reflect.TypeFor[corev1.PodSpec]()
	for i := range typ.NumField() {
		name := typ.Field(i).Name
		switch name {
		case "Containers", "InitContainers", "Volumes", "EphemeralContainers":
			continue // mergePod's, not mergePodFields'
		}
		var p corev1.PodSpec
		field := reflect.ValueOf(&p).Elem().Field(i)
		fillValue(field, 3)
		if field.IsZero() {
			t.Fatalf("%s: could not fill", name)
		}
		c := &converter{}
		var d corev1.PodSpec
		c.mergePodFields(&svcCtx{svc: &types.ServiceConfig{Name: "app"}}, &svcCtx{svc: &types.ServiceConfig{Name: "proxy"}}, &d, &p)
		if !reflect.DeepEqual(reflect.ValueOf(d).Field(i).Interface(), field.Interface()) {
			t.Errorf("PodSpec.%s of a sidecar is not merged into its owner's pod (add it to mergePodFields)", name)
		}
	}
}

// fillValue sets v to a non-zero value: true, "x", 1, one-element lists
// and maps, pointers to filled values, depth levels deep.
func fillValue(v reflect.Value, depth int) {
	switch v.Kind() {
	case reflect.Bool:
		v.SetBool(true)
	case reflect.String:
		v.SetString("x")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(1)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(1)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fillValue(v.Elem(), depth)
	case reflect.Slice:
		e := reflect.New(v.Type().Elem()).Elem()
		fillValue(e, depth-1)
		v.Set(reflect.Append(reflect.MakeSlice(v.Type(), 0, 1), e))
	case reflect.Map:
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fillValue(k, depth-1)
		fillValue(e, depth-1)
		v.Set(reflect.MakeMap(v.Type()))
		v.SetMapIndex(k, e)
	case reflect.Struct:
		if depth <= 0 {
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fillValue(v.Field(i), depth-1)
			}
		}
	}
}
