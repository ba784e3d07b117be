package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/google/go-cmp/cmp"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// TestConfigIsComposeGos: hoist config prints what compose-go's own
// marshalling prints for the project loaded the way docker compose loads
// it (docker/compose cmd/compose/compose.go toProjectOptions), as YAML and
// as JSON, and the lists docker compose config prints.
func TestConfigIsComposeGos(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("testdata", "compose", "verbs")
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	opts, err := cli.NewProjectOptions(nil,
		cli.WithWorkingDirectory(abs),
		cli.WithEnv([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}),
		cli.WithDotEnv,
		cli.WithConfigFileEnv,
		cli.WithDefaultConfigPath,
		cli.WithDefaultProfiles(),
		cli.WithResolvedPaths(true),
		cli.WithDiscardEnvFile,
	)
	if err != nil {
		t.Fatal(err)
	}
	project, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	project = project.WithoutUnnecessaryResources()
	wantYAML, err := project.MarshalYAML()
	if err != nil {
		t.Fatal(err)
	}
	wantJSON, err := project.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{name: "yaml", args: []string{"config"}, want: string(wantYAML)},
		{name: "json", args: []string{"config", "--format", "json"}, want: string(wantJSON) + "\n"},
		{name: "services", args: []string{"config", "--services"}, want: "db\nweb\n"},
		{name: "volumes", args: []string{"config", "--volumes"}, want: "data\n"},
		{name: "profiles", args: []string{"config", "--profiles"}, want: "tools\n"},
		{name: "images", args: []string{"config", "--images"}, want: "postgres:16\nnginx:1.27\n"},
		{name: "images with a build-only service", args: []string{"config", "--images", "--profile", "tools"}, want: "postgres:16\nverbs-tool\nnginx:1.27\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := runHoist(t, dir, "", nil, tc.args...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			if diff := cmp.Diff(tc.want, r.stdout); diff != "" {
				t.Errorf("hoist %s (-compose-go +hoist):\n%s", strings.Join(tc.args, " "), diff)
			}
		})
	}
}

// unreachableKubeconfig writes a kubeconfig whose server never answers.
func unreachableKubeconfig(t *testing.T) string {
	t.Helper()
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["c"] = &clientcmdapi.Cluster{Server: "https://127.0.0.1:1"}
	cfg.AuthInfos["u"] = &clientcmdapi.AuthInfo{Token: "x"}
	cfg.Contexts["c"] = &clientcmdapi.Context{Cluster: "c", AuthInfo: "u", Namespace: "verbs"}
	cfg.CurrentContext = "c"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestVerbErrors: the verbs' errors that need no cluster are one line,
// exit 1, and come before anything reaches the cluster: an unknown
// service (listing the project's), a busy local port, a bad SERVICE=N, an
// unreachable cluster.
func TestVerbErrors(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("testdata", "compose", "verbs")
	// Nothing answers there: an unknown service must fail before that.
	kc := []string{"KUBECONFIG=" + unreachableKubeconfig(t)}
	const unknown = `error: no such service "nope" in project "verbs" (services: db, web)` + "\n"
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	busy := l.Addr().(*net.TCPAddr).Port
	busyDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(busyDir, "compose.yaml"), fmt.Appendf(nil, "name: busy\nservices:\n  web:\n    image: nginx\n    ports: [\"%d:80\"]\n", busy), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		dir  string
		args []string
		want string
	}{
		{name: "logs unknown service", args: []string{"logs", "web", "nope"}, want: unknown},
		{name: "exec unknown service", args: []string{"exec", "nope", "sh"}, want: unknown},
		{name: "run unknown service", args: []string{"run", "nope"}, want: unknown},
		{name: "restart unknown service", args: []string{"restart", "nope"}, want: unknown},
		{name: "scale unknown service", args: []string{"scale", "nope=2"}, want: unknown},
		{name: "port-forward unknown service", args: []string{"port-forward", "nope"}, want: unknown},
		{name: "up --scale unknown service", args: []string{"up", "-q", "--dry-run=client", "--scale", "nope=2"}, want: "error: --scale: " + unknown[len("error: "):]},
		{name: "scale without a number", args: []string{"scale", "web"}, want: `error: scale "web": want SERVICE=REPLICAS, a number of replicas of 0 or more` + "\n"},
		{name: "port-forward a service without ports", args: []string{"port-forward", "db"}, want: `error: service "db" publishes no TCP port (ports:) to forward` + "\n"},
		{name: "logs bad --since", args: []string{"logs", "--since", "yesterday"}, want: `error: --since "yesterday": want a timestamp (2026-01-02T13:23:37Z) or a relative time (42m)` + "\n"},
		{name: "run as a user name", args: []string{"run", "-q", "-u", "postgres", "db"}, want: `error: -u "postgres": Kubernetes runs containers as a numeric UID[:GID], not a user name` + "\n"},
		{name: "busy port", dir: busyDir, args: []string{"port-forward"},
			want: fmt.Sprintf("error: port %d on 127.0.0.1 is in use: service \"web\" publishes %d:80; stop what listens there or change the published port\n", busy, busy)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := dir
			if tc.dir != "" {
				d = tc.dir
			}
			r := runHoist(t, d, "", kc, tc.args...)
			if r.code != 1 || r.stderr != tc.want {
				t.Errorf("hoist %s: exit %d, stderr:\n%s\nwant exit 1, stderr:\n%s", strings.Join(tc.args, " "), r.code, r.stderr, tc.want)
			}
		})
	}
	// exec -u warns that Kubernetes cannot honour it, then goes on.
	t.Run("exec -u warns", func(t *testing.T) {
		t.Parallel()
		r := runHoist(t, dir, "", kc, "exec", "-u", "root", "web", "true")
		want := "Warning: exec -u root: Kubernetes runs exec as the container's user; --user is ignored\nerror: cannot reach the cluster at https://127.0.0.1:1: "
		if r.code != 1 || !strings.HasPrefix(r.stderr, want) {
			t.Errorf("exec -u: exit %d, stderr:\n%s", r.code, r.stderr)
		}
	})
	// An unreachable cluster is the README's one line.
	for _, args := range [][]string{{"logs"}, {"exec", "web", "true"}, {"restart"}, {"scale", "web=2"}, {"ls"}, {"port-forward"}} {
		t.Run("unreachable "+args[0], func(t *testing.T) {
			t.Parallel()
			r := runHoist(t, dir, "", kc, args...)
			if r.code != 1 || !strings.HasPrefix(r.stderr, "error: cannot reach the cluster at https://127.0.0.1:1: ") || strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("hoist %s against an unreachable cluster: exit %d, stderr:\n%s", strings.Join(args, " "), r.code, r.stderr)
			}
		})
	}
}
