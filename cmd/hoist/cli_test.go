package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// cmdTestCase runs the hoist binary and compares exit code, stdout and
// stderr with testdata/output/<golden>.txt.
type cmdTestCase struct {
	name   string
	args   []string
	dir    string // working directory, relative to testdata/compose
	stdin  string
	env    []string
	golden string
	// wantCode is the expected exit code.
	wantCode int
}

func TestCLI(t *testing.T) {
	composeDir, err := filepath.Abs(filepath.Join("testdata", "compose"))
	if err != nil {
		t.Fatal(err)
	}
	web, _ := os.ReadFile(filepath.Join(composeDir, "web", "compose.yaml"))
	tests := []cmdTestCase{
		{name: "help", args: []string{"--help"}, golden: "help"},
		{name: "convert help", args: []string{"convert", "--help"}, golden: "convert-help"},
		{name: "version", args: []string{"version"}, golden: "version"},
		{name: "convert file", args: []string{"convert", "-f", "web/compose.yaml"}, golden: "convert-file"},
		{name: "stdin", args: []string{"convert", "-f", "-", "-p", "fromstdin"}, stdin: string(web), golden: "convert-stdin"},
		{name: "default file discovery", dir: "web", args: []string{"convert"}, golden: "convert-discovery"},
		{name: "discovery from a subdirectory", dir: "web/sub", args: []string{"convert", "-q"}, golden: "convert-discovery-subdir"},
		{name: "files merge in order", args: []string{"convert", "-f", "merge/base.yaml", "-f", "merge/prod.yaml"}, golden: "convert-merge"},
		{name: "json", args: []string{"convert", "-f", "web/compose.yaml", "--format", "json"}, golden: "convert-json"},
		{name: "strict fails on warnings", args: []string{"convert", "-f", "warn/compose.yaml", "--strict"}, golden: "convert-strict", wantCode: 1},
		{name: "strict passes without warnings", args: []string{"convert", "-f", "web/compose.yaml", "--strict", "-n", "shop", "--service-type", "LoadBalancer"}, golden: "convert-strict-clean"},
		{name: "quiet drops warnings", args: []string{"convert", "-f", "warn/compose.yaml", "-q"}, golden: "convert-quiet"},
		{name: "flags", args: []string{"convert", "-f", "web/compose.yaml", "-n", "shop", "--create-namespace", "--replicas", "3", "--autoscale", "web=2:5:80", "--service-type", "LoadBalancer"}, golden: "convert-flags"},
		{name: "env and dotenv", dir: "env", args: []string{"convert"}, env: []string{"TAG=from-shell"}, golden: "convert-env"},
		{name: "env-file flag", dir: "env", args: []string{"convert", "--env-file", "other.env"}, golden: "convert-env-file"},
		{name: "COMPOSE_ variables", dir: "env", args: []string{"convert"}, env: []string{"COMPOSE_FILE=profiles.yaml", "COMPOSE_PROJECT_NAME=named", "COMPOSE_PROFILES=debug"}, golden: "convert-compose-vars"},
		{name: "profile flag", dir: "env", args: []string{"convert", "-f", "profiles.yaml", "--profile", "debug", "-p", "flagged"}, golden: "convert-profile"},
		{name: "include", args: []string{"convert", "-f", "include/compose.yaml"}, golden: "convert-include"},
		{name: "compose-go warnings reach stderr", args: []string{"convert", "-f", "obsolete/compose.yaml"}, golden: "convert-obsolete"},
		{name: "compose-go warnings silenced by -q", args: []string{"convert", "-q", "-f", "obsolete/compose.yaml"}, golden: "convert-obsolete-quiet"},
		{name: "malformed file", args: []string{"convert", "-f", "malformed.yaml"}, golden: "error-malformed", wantCode: 1},
		{name: "missing file", args: []string{"convert", "-f", "nope.yaml"}, golden: "error-missing-file", wantCode: 1},
		{name: "no compose file found", dir: "empty", args: []string{"convert"}, golden: "error-no-file", wantCode: 1},
		{name: "unknown autoscale service", args: []string{"convert", "-f", "web/compose.yaml", "--autoscale", "api=1:3"}, golden: "error-autoscale-service", wantCode: 1},
		{name: "bad autoscale value", args: []string{"convert", "-f", "web/compose.yaml", "--autoscale", "web=3"}, golden: "error-autoscale-value", wantCode: 1},
		{name: "name collision", args: []string{"convert", "-f", "collision.yaml"}, golden: "error-collision", wantCode: 1},
		{name: "missing env_file", args: []string{"convert", "-f", "missing-env-file.yaml"}, golden: "error-env-file", wantCode: 1},
		{name: "missing --env-file", args: []string{"convert", "-f", "web/compose.yaml", "--env-file", "nope.env"}, golden: "error-env-file-flag", wantCode: 1},
		{name: "unknown compose key", args: []string{"convert", "-f", "unknown-key.yaml"}, golden: "error-unknown-key", wantCode: 1},
		{name: "bad format", args: []string{"convert", "-f", "web/compose.yaml", "--format", "xml"}, golden: "error-format", wantCode: 1},
		{name: "unknown flag", args: []string{"convert", "--bogus"}, golden: "error-flag", wantCode: 1},
		{name: "create-namespace needs namespace", args: []string{"convert", "-f", "web/compose.yaml", "--create-namespace"}, golden: "error-create-namespace", wantCode: 1},
		{name: "unknown command", args: []string{"frobnicate"}, golden: "error-command", wantCode: 1},
		{name: "converter flags: defaults", args: []string{"convert", "-f", "flags/compose.yaml"}, golden: "convert-flags-defaults"},
		{name: "allow-host-paths", args: []string{"convert", "-f", "flags/compose.yaml", "--allow-host-paths"}, golden: "convert-allow-host-paths"},
		{name: "env-secrets none", args: []string{"convert", "-f", "flags/compose.yaml", "--env-secrets=none"}, golden: "convert-env-secrets-none"},
		{name: "env-secrets all", args: []string{"convert", "-f", "flags/compose.yaml", "--env-secrets", "all"}, golden: "convert-env-secrets-all"},
		{name: "network-policies off", args: []string{"convert", "-f", "flags/compose.yaml", "--network-policies=false"}, golden: "convert-network-policies-off"},
		{name: "depends-on ignore", args: []string{"convert", "-f", "flags/compose.yaml", "--depends-on=ignore"}, golden: "convert-depends-on-ignore"},
		{name: "wait-image", args: []string{"convert", "-f", "flags/compose.yaml", "--wait-image", "registry.example/busybox:1.36.1"}, golden: "convert-wait-image"},
		{name: "bad env-secrets", args: []string{"convert", "-f", "flags/compose.yaml", "--env-secrets=bogus"}, golden: "error-env-secrets", wantCode: 1},
		{name: "bad depends-on", args: []string{"convert", "-f", "flags/compose.yaml", "--depends-on=x"}, golden: "error-depends-on", wantCode: 1},
		{name: "bad network-policies", args: []string{"convert", "-f", "flags/compose.yaml", "--network-policies=maybe"}, golden: "error-network-policies", wantCode: 1},
		{name: "bad service-type", args: []string{"convert", "-f", "web/compose.yaml", "--service-type", "Ingress"}, golden: "error-service-type", wantCode: 1},
		{name: "negative replicas", args: []string{"convert", "-f", "web/compose.yaml", "--replicas", "-1"}, golden: "error-replicas", wantCode: 1},
		{name: "empty wait-image", args: []string{"convert", "-f", "flags/compose.yaml", "--wait-image="}, golden: "error-wait-image", wantCode: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := runHoist(t, filepath.Join(composeDir, tc.dir), tc.stdin, tc.env, tc.args...)
			if r.code != tc.wantCode {
				t.Errorf("exit code %d, want %d; stderr:\n%s", r.code, tc.wantCode, r.stderr)
			}
			if tc.wantCode != 0 {
				if r.stdout != "" {
					t.Errorf("stdout must be empty on error, got:\n%s", r.stdout)
				}
				if lines := strings.Count(strings.TrimSuffix(r.stderr, "\n"), "\n") + 1; !strings.HasPrefix(lastLine(r.stderr), "error: ") {
					t.Errorf("the last stderr line must be the error, got %d lines:\n%s", lines, r.stderr)
				}
			}
			got := fmt.Sprintf("exit: %d\n-- stdout --\n%s-- stderr --\n%s", r.code, r.stdout, r.stderr)
			got = strings.ReplaceAll(got, composeDir, "$TESTDATA")
			checkGolden(t, filepath.Join("testdata", "output", tc.golden+".txt"), got)
		})
	}
}

func lastLine(s string) string {
	s = strings.TrimSuffix(s, "\n")
	return s[strings.LastIndex(s, "\n")+1:]
}

// TestDeterministic runs the same conversion several times: the bytes must
// not change.
func TestDeterministic(t *testing.T) {
	dir := filepath.Join("testdata", "compose")
	first := runHoist(t, dir, "", nil, "convert", "-f", "merge/base.yaml", "-f", "merge/prod.yaml", "--autoscale", "api=1:4")
	for range 5 {
		again := runHoist(t, dir, "", nil, "convert", "-f", "merge/base.yaml", "-f", "merge/prod.yaml", "--autoscale", "api=1:4")
		if again != first {
			t.Fatalf("output changed between runs:\n%s", cmp.Diff(first, again))
		}
	}
}

// checkGolden compares got with the file, or rewrites it under -update.
func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(strings.ReplaceAll(string(b), "\r\n", "\n"), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

// TestOptionErrorsBeforeKubeconfig: apply, up, diff and run report a bad
// converter flag as convert does, before they read the kubeconfig (here
// there is none), with their own exit codes (diff: 2).
func TestOptionErrorsBeforeKubeconfig(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("testdata", "compose")
	env := []string{"KUBECONFIG=" + filepath.Join(t.TempDir(), "missing")}
	for _, bad := range []struct{ flags []string }{
		{flags: []string{"--service-type", "Ingress"}},
		{flags: []string{"--env-secrets", "bogus"}},
		{flags: []string{"--cluster-domain", "Bad..domain"}},
		{flags: []string{"--replicas", "-1"}},
		{flags: []string{"-n", "Bad"}},
		{flags: []string{"--wait-image", " busybox"}},
		{flags: []string{"--registry", "bad reg!"}},
		{flags: []string{"--tag", "bad tag!"}},
	} {
		want := runHoist(t, dir, "", nil, append([]string{"convert", "-f", "web/compose.yaml"}, bad.flags...)...)
		if want.code != 1 || !strings.HasPrefix(want.stderr, "error: "+bad.flags[0]+" ") {
			t.Fatalf("convert %v: exit %d, stderr %q; want the flag's error", bad.flags, want.code, want.stderr)
		}
		for _, verb := range [][]string{{"apply"}, {"up"}, {"diff"}, {"run", "web"}} {
			args := append([]string{verb[0], "-f", "web/compose.yaml"}, bad.flags...)
			args = append(args, verb[1:]...)
			r := runHoist(t, dir, "", env, args...)
			code := 1
			if verb[0] == "diff" {
				code = 2
			}
			if r.code != code || r.stderr != want.stderr || r.stdout != "" {
				t.Errorf("hoist %s: exit %d, stdout %q, stderr %q; want exit %d and %q", strings.Join(args, " "), r.code, r.stdout, r.stderr, code, want.stderr)
			}
		}
	}
}

// TestHostPathsAndStdinAcrossVerbs: every verb that loads a project reads
// -f - once and honours --allow-host-paths (or, when it only needs the
// services' names, reads files outside the project as status does), so a
// project brought up with the flag can be used with every verb. Without a
// kubeconfig the cluster verbs stop at reading it: the load went through.
func TestHostPathsAndStdinAcrossVerbs(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	proj, outside := filepath.Join(root, "proj"), filepath.Join(root, "outside")
	for _, d := range []string{proj, outside} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(outside, "env"), []byte("A=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	compose := "services:\n  web:\n    image: nginx\n    env_file: ../outside/env\n"
	if err := os.WriteFile(filepath.Join(proj, "compose.yaml"), []byte(compose), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"KUBECONFIG=" + filepath.Join(root, "missing")}
	const noCluster = "error: reading kubeconfig: no cluster configured in "
	for _, args := range [][]string{
		{"run", "--allow-host-paths", "web", "true"},
		{"logs", "web"}, {"exec", "web", "true"}, {"restart", "web"}, {"scale", "web=2"}, {"port-forward", "web"},
	} {
		r := runHoist(t, proj, "", env, args...)
		if r.code != 1 || !strings.HasPrefix(r.stderr, noCluster) {
			t.Errorf("hoist %s: exit %d, stderr %q; want the kubeconfig error", strings.Join(args, " "), r.code, r.stderr)
		}
	}
	for _, verb := range []string{"config", "build", "push"} {
		r := runHoist(t, proj, "", env, verb)
		if r.code != 1 || !strings.Contains(r.stderr, "outside the project directory") {
			t.Errorf("hoist %s: exit %d, stderr %q; want the refusal", verb, r.code, r.stderr)
		}
	}
	if r := runHoist(t, proj, "", env, "config", "--allow-host-paths"); r.code != 0 || !strings.Contains(r.stdout, "A: \"1\"") {
		t.Errorf("hoist config --allow-host-paths: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	r := runHoist(t, root, "services:\n  web:\n    image: nginx\n", env, "run", "-f", "-", "web", "true")
	if r.code != 1 || !strings.HasPrefix(r.stderr, noCluster) {
		t.Errorf("hoist run -f -: exit %d, stderr %q; want the kubeconfig error after one read of stdin", r.code, r.stderr)
	}
}

// TestDiffUsageErrors: diff's exit status 1 means "differences", so a
// usage error (an unknown flag, an argument) is 2, like its other errors.
func TestDiffUsageErrors(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"diff", "--bogus"}, {"diff", "--format", "json"}, {"diff", "extra"}} {
		r := runHoist(t, t.TempDir(), "", nil, args...)
		if r.code != 2 || len(lines(r.stderr)) != 1 || !strings.HasPrefix(r.stderr, "error: ") {
			t.Errorf("hoist %s: exit %d, stderr %q; want 2 and one error line", strings.Join(args, " "), r.code, r.stderr)
		}
	}
}

// TestCountAndDurationFlags: --concurrency below 1, a negative
// --request-timeout and a --timeout of 0 are flag errors naming the flag,
// not silently the default, no limit, or an immediate timeout; exec -e
// without "=" is refused before anything is read.
func TestCountAndDurationFlags(t *testing.T) {
	t.Parallel()
	env := []string{"KUBECONFIG=" + filepath.Join(t.TempDir(), "missing")}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"apply", "--concurrency", "0"}, `invalid argument "0" for "--concurrency" flag: want at least 1`},
		{[]string{"diff", "--concurrency", "-1"}, `invalid argument "-1" for "--concurrency" flag: want at least 1`},
		{[]string{"up", "--request-timeout", "-5s"}, `invalid argument "-5s" for "--request-timeout" flag: must not be negative`},
		{[]string{"apply", "--timeout", "0"}, `invalid argument "0" for "--timeout" flag: want more than 0`},
		{[]string{"down", "--timeout", "-1m"}, `invalid argument "-1m" for "--timeout" flag: must not be negative`},
		{[]string{"run", "--timeout", "soon", "web"}, `invalid argument "soon" for "--timeout" flag: not a duration such as 30s or 5m`},
		// Checked before the project is loaded or the cluster reached.
		{[]string{"exec", "-e", "NOEQ", "web", "true"}, `-e "NOEQ": want KEY=VALUE`},
	} {
		r := runHoist(t, t.TempDir(), "", env, tc.args...)
		if r.code == 0 || r.stderr != "error: "+tc.want+"\n" {
			t.Errorf("hoist %s: exit %d, stderr %q; want %q", strings.Join(tc.args, " "), r.code, r.stderr, tc.want)
		}
	}
}
