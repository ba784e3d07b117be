package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/internal/testcluster"
)

// hostileSecret is in the environment of every hostile run: it must
// reach neither stdout nor stderr (/proc/self/environ holds it).
const hostileSecret = "hoist-hostile-secret-3f9a"

// Bounds every hostile run must stay within.
const (
	hostileTimeout = 10 * time.Second
	hostileMaxRSS  = 400 << 20 // bytes
)

// hostileCase is one malicious or malformed input. The project lives in
// root/proj (the working directory unless dir says otherwise); files are
// relative to root; "{root}" in args and files is replaced by root.
type hostileCase struct {
	name  string
	kind  string // the class of input: host, limits, messages, numbers, output, slow or special
	files map[string]string
	setup func(t *testing.T, root string)
	dir   string
	args  []string
	env   []string
	stdin string
	// wantErr is a substring of the one error line; empty means the run
	// must succeed and print wantOut.
	wantErr string
	wantOut string
	// check runs after a successful run.
	check func(t *testing.T, root string)
}

const hostileWeb = "services:\n  web:\n    image: nginx\n"

func svc(extra string) string { return hostileWeb + extra }

// TestHostileInputs runs the built binary on each hostile input: every run
// ends within hostileTimeout and hostileMaxRSS with a one-line error (or
// correct output), never leaks host content, and a failed run leaves
// every file as it was (no partial output directory, nothing deleted).
func TestHostileInputs(t *testing.T) {
	deep := func(n int) string {
		return hostileWeb + "x-deep: " + strings.Repeat("[", n) + strings.Repeat("]", n) + "\n"
	}
	var bomb strings.Builder
	bomb.WriteString("x-a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 9; i++ {
		fmt.Fprintf(&bomb, "x-a%d: &a%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d, ", i-1), 10), ", "))
	}
	bomb.WriteString(hostileWeb)
	var reset strings.Builder
	reset.WriteString("x-a0: &a0 {k: !reset null, v: [x]}\n")
	for i := 1; i < 17; i++ {
		fmt.Fprintf(&reset, "x-a%d: &a%d [*a%d, *a%d]\n", i, i, i-1, i-1)
	}
	reset.WriteString(hostileWeb + "    x-r: *a16\n")
	docs := func(n int) string {
		var b strings.Builder
		for i := range n {
			if i > 0 {
				b.WriteString("---\n")
			}
			fmt.Fprintf(&b, "services:\n  s%d:\n    image: nginx\n", i)
		}
		return b.String()
	}
	long := func(c string, n int) string { return strings.Repeat(c, n) }
	fifo := func(paths ...string) func(*testing.T, string) {
		return func(t *testing.T, root string) {
			for _, p := range paths {
				if err := syscall.Mkfifo(filepath.Join(root, p), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	symlink := func(target, link string) func(*testing.T, string) {
		return func(t *testing.T, root string) {
			target := strings.ReplaceAll(target, "{root}", root)
			if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
				t.Fatal(err)
			}
		}
	}
	// hoistOutput writes a previous hoist output into root/rel.
	hoistOutput := func(rel string) func(*testing.T, string) {
		return func(t *testing.T, root string) {
			r := runHoist(t, filepath.Join(root, "proj"), "", nil, "convert", "-q", "-o", filepath.Join(root, rel))
			if r.code != 0 {
				t.Fatalf("writing a previous output: %s", r.stderr)
			}
		}
	}
	both := func(fs ...func(*testing.T, string)) func(*testing.T, string) {
		return func(t *testing.T, root string) {
			for _, f := range fs {
				f(t, root)
			}
		}
	}
	big := func(n int) string { return long("x", n) }

	tests := []hostileCase{
		// 1. -o DIR never deletes user files.
		{name: "o over hand-written manifests", kind: "output", files: map[string]string{"proj/compose.yaml": hostileWeb, "proj/manifests/app.yaml": "kind: ConfigMap\n"}, args: []string{"-o", "manifests"}, wantErr: "has no .hoist-output marker"},
		{name: "o parent of the project", kind: "output", files: map[string]string{"proj/compose.yaml": hostileWeb, "proj/compose.override.yaml": "services: {}\n"}, args: []string{"-o", ".."}, wantErr: "which hoist must not replace"},
		{name: "o dot", kind: "output", files: map[string]string{"proj/compose.yaml": hostileWeb}, args: []string{"-o", "."}, wantErr: "which hoist must not replace"},
		{name: "o the project directory from elsewhere", kind: "output", files: map[string]string{"proj/compose.yaml": hostileWeb, "other/x": ""}, dir: "other", args: []string{"-f", "../proj/compose.yaml", "-o", "../proj"}, wantErr: "which hoist must not replace"},
		{name: "o the filesystem root", kind: "output", files: map[string]string{"proj/compose.yaml": hostileWeb}, args: []string{"-o", "/"}, wantErr: "filesystem root"},
		{name: "o a symlink to user files", kind: "output", files: map[string]string{"proj/compose.yaml": hostileWeb, "mine/notes.yaml": "a: b\n"}, setup: symlink("{root}/mine", "proj/out"), args: []string{"-o", "out"}, wantErr: "has no .hoist-output marker"},
		{name: "o a dangling symlink", kind: "output", files: map[string]string{"proj/compose.yaml": hostileWeb}, setup: symlink("{root}/nowhere", "proj/out"), args: []string{"-o", "out"}, wantErr: "symlink whose target cannot be resolved"},
		{name: "o a symlink to the project", kind: "output", files: map[string]string{"proj/compose.yaml": hostileWeb}, setup: symlink("{root}/proj", "link"), dir: ".", args: []string{"-f", "proj/compose.yaml", "-o", "link"}, wantErr: "which hoist must not replace"},
		{name: "o a symlink to previous output", kind: "output", files: map[string]string{"proj/compose.yaml": hostileWeb}, setup: both(hoistOutput("real"), symlink("{root}/real", "proj/out")), args: []string{"-o", "out"}, check: func(t *testing.T, root string) {
			if fi, err := os.Lstat(filepath.Join(root, "proj", "out")); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
				t.Errorf("the symlink was replaced: %v", err)
			}
			if _, err := os.Stat(filepath.Join(root, "real", "07-deployment-web.yaml")); err != nil {
				t.Errorf("the target holds no output: %v", err)
			}
		}},
		{name: "o a file", kind: "output", files: map[string]string{"proj/compose.yaml": hostileWeb, "proj/out": "data"}, args: []string{"-o", "out"}, wantErr: "exists and is not a directory"},
		{name: "o output plus a user file", kind: "output", files: map[string]string{"proj/compose.yaml": hostileWeb}, setup: both(hoistOutput("proj/out"), func(t *testing.T, root string) {
			writeFile(t, filepath.Join(root, "proj/out/NOTES.md"), "mine")
		}), args: []string{"-o", "out"}, wantErr: "holds NOTES.md, which hoist did not write"},
		{name: "o output with an edited file", kind: "output", files: map[string]string{"proj/compose.yaml": hostileWeb}, setup: both(hoistOutput("proj/out"), func(t *testing.T, root string) {
			writeFile(t, filepath.Join(root, "proj/out/07-deployment-web.yaml"), "edited")
		}), args: []string{"-o", "out"}, wantErr: "which changed since hoist wrote it"},
		{name: "o a forged marker", kind: "output", files: map[string]string{"proj/compose.yaml": hostileWeb, "proj/out/.hoist-output": "hello\n", "proj/out/a.yaml": "x: y\n"}, args: []string{"-o", "out"}, wantErr: "has no .hoist-output marker"},
		{name: "o user files in templates", kind: "output", files: map[string]string{"proj/compose.yaml": hostileWeb, "proj/out/templates/mine.yaml": "x: y\n"}, args: []string{"-o", "out"}, wantErr: "has no .hoist-output marker"},
		{name: "o an empty directory", kind: "output", files: map[string]string{"proj/compose.yaml": hostileWeb}, setup: func(t *testing.T, root string) {
			if err := os.Mkdir(filepath.Join(root, "proj/out"), 0o755); err != nil {
				t.Fatal(err)
			}
		}, args: []string{"-o", "out"}},
		{name: "o previous output is replaced", kind: "output", files: map[string]string{"proj/compose.yaml": hostileWeb}, setup: hoistOutput("proj/out"), args: []string{"-o", "out", "--format", "kustomize"}, check: func(t *testing.T, root string) {
			if _, err := os.Stat(filepath.Join(root, "proj/out/kustomization.yaml")); err != nil {
				t.Error(err)
			}
		}},
		{name: "report is a directory", kind: "output", files: map[string]string{"proj/compose.yaml": hostileWeb, "proj/out/keep.txt": "x\n"}, args: []string{"--report", "out"}, wantErr: "writing report out: a directory; --report names a file"},
		{name: "report over the compose file", kind: "output", files: map[string]string{"proj/compose.yaml": hostileWeb}, args: []string{"--report", "compose.yaml"}, wantErr: "is not a hoist report"},

		// 2. Host files, through every file the project reads.
		{name: "env_file passwd by dots", kind: "host", files: map[string]string{"proj/compose.yaml": svc("    env_file: ../../../../../../../../etc/passwd\n")}, wantErr: "services.web.env_file: /etc/passwd: outside the project directory"},
		{name: "env_file passwd", kind: "host", files: map[string]string{"proj/compose.yaml": svc("    env_file: /etc/passwd\n")}, wantErr: "outside the project directory"},
		{name: "env_file environ", kind: "host", files: map[string]string{"proj/compose.yaml": svc("    env_file: /proc/self/environ\n")}, wantErr: "services.web.env_file: /proc/self/environ: a symlink to /proc/"},
		{name: "env_file long syntax", kind: "host", files: map[string]string{"proj/compose.yaml": svc("    env_file:\n      - path: /etc/passwd\n        required: false\n")}, wantErr: "outside the project directory"},
		{name: "env_file interpolated", kind: "host", files: map[string]string{"proj/compose.yaml": svc("    env_file: ${EVIL}\n")}, env: []string{"EVIL=/etc/passwd"}, wantErr: "outside the project directory"},
		{name: "env_file symlink out", kind: "host", files: map[string]string{"proj/compose.yaml": svc("    env_file: link.env\n")}, setup: symlink("/etc/passwd", "proj/link.env"), wantErr: "a symlink to /etc/passwd, outside"},
		{name: "label_file passwd", kind: "host", files: map[string]string{"proj/compose.yaml": svc("    label_file: /etc/passwd\n")}, wantErr: "services.web.label_file: /etc/passwd: outside"},
		{name: "pre_start env_file", kind: "host", files: map[string]string{"proj/compose.yaml": svc("    pre_start:\n      - command: [\"true\"]\n        env_file: /etc/passwd\n")}, wantErr: "services.web.pre_start[0].env_file: /etc/passwd: outside"},
		{name: "job env_file", kind: "host", files: map[string]string{"proj/compose.yaml": "jobs:\n  once:\n    image: busybox\n    triggers:\n      manual: true\n    env_file: /proc/self/environ\n"}, wantErr: "outside the project directory"},
		{name: "include outside", kind: "host", files: map[string]string{"proj/compose.yaml": "include:\n  - ../outside.yaml\n" + hostileWeb, "outside.yaml": "services:\n  o:\n    image: x\n"}, wantErr: "include: {root}/outside.yaml: outside the project directory"},
		{name: "include passwd", kind: "host", files: map[string]string{"proj/compose.yaml": "include:\n  - /etc/passwd\n" + hostileWeb}, wantErr: "include: /etc/passwd: outside"},
		{name: "include env_file outside", kind: "host", files: map[string]string{"proj/compose.yaml": "include:\n  - path: inc.yaml\n    env_file: /etc/passwd\n" + hostileWeb, "proj/inc.yaml": "services:\n  o:\n    image: x\n"}, wantErr: "include.env_file: /etc/passwd: outside"},
		{name: "include nested outside", kind: "host", files: map[string]string{"proj/compose.yaml": "include:\n  - sub/inc.yaml\n" + hostileWeb, "proj/sub/inc.yaml": "include:\n  - ../../outside.yaml\nservices:\n  o:\n    image: x\n", "outside.yaml": "services:\n  p:\n    image: x\n"}, wantErr: "outside the project directory"},
		{name: "extends outside", kind: "host", files: map[string]string{"proj/compose.yaml": svc("    extends:\n      file: ../outside.yaml\n      service: o\n"), "outside.yaml": "services:\n  o:\n    image: x\n"}, wantErr: "services.web.extends.file: {root}/outside.yaml: outside"},
		{name: "env-file flag passwd", kind: "host", files: map[string]string{"proj/compose.yaml": hostileWeb}, args: []string{"--env-file", "/etc/passwd"}, wantErr: "--env-file: /etc/passwd: outside"},
		{name: "env-file flag outside", kind: "host", files: map[string]string{"proj/compose.yaml": hostileWeb, "outside.env": "A=b\n"}, args: []string{"--env-file", "../outside.env"}, wantErr: "--env-file: {root}/outside.env: outside"},
		{name: "dotenv symlink to passwd", kind: "host", files: map[string]string{"proj/compose.yaml": hostileWeb}, setup: symlink("/etc/passwd", "proj/.env"), wantErr: ".env: {root}/proj/.env: a symlink to /etc/passwd, outside"},
		{name: "config file outside", kind: "host", files: map[string]string{"proj/compose.yaml": svc("    configs: [c]\nconfigs:\n  c:\n    file: /etc/passwd\n")}, wantErr: "outside the project directory"},
		{name: "allow-host-paths reads outside", kind: "host", files: map[string]string{"proj/compose.yaml": svc("    env_file: ../outside.env\n"), "outside.env": "FROM_OUTSIDE=yes\n"}, args: []string{"--allow-host-paths"}, wantOut: "FROM_OUTSIDE"},

		// 3. Special files, checked before they are read.
		{name: "env_file fifo", kind: "special", files: map[string]string{"proj/compose.yaml": svc("    env_file: pipe\n")}, setup: fifo("proj/pipe"), wantErr: "services.web.env_file: {root}/proj/pipe: a named pipe, not a regular file"},
		{name: "dotenv fifo", kind: "special", files: map[string]string{"proj/compose.yaml": hostileWeb}, setup: fifo("proj/.env"), wantErr: ".env: {root}/proj/.env: a named pipe"},
		{name: "label_file fifo", kind: "special", files: map[string]string{"proj/compose.yaml": svc("    label_file: pipe\n")}, setup: fifo("proj/pipe"), wantErr: "label_file: {root}/proj/pipe: a named pipe"},
		{name: "env-file flag fifo", kind: "special", files: map[string]string{"proj/compose.yaml": hostileWeb}, setup: fifo("proj/pipe"), args: []string{"--env-file", "pipe"}, wantErr: "--env-file: {root}/proj/pipe: a named pipe"},
		{name: "include fifo", kind: "special", files: map[string]string{"proj/compose.yaml": "include:\n  - pipe\n" + hostileWeb}, setup: fifo("proj/pipe"), wantErr: "include: {root}/proj/pipe: a named pipe"},
		{name: "extends fifo", kind: "special", files: map[string]string{"proj/compose.yaml": svc("    extends:\n      file: pipe\n      service: x\n")}, setup: fifo("proj/pipe"), wantErr: "extends.file: {root}/proj/pipe: a named pipe"},
		{name: "compose file fifo", kind: "special", files: map[string]string{"proj/x": ""}, setup: fifo("proj/compose.yaml"), wantErr: "compose file: {root}/proj/compose.yaml: a named pipe"},
		{name: "env_file dev zero allowed", kind: "special", files: map[string]string{"proj/compose.yaml": svc("    env_file: /dev/zero\n")}, args: []string{"--allow-host-paths"}, wantErr: "/dev/zero: a character device, not a regular file"},
		{name: "env_file symlink to urandom", kind: "special", files: map[string]string{"proj/compose.yaml": svc("    env_file: rand.env\n")}, setup: symlink("/dev/urandom", "proj/rand.env"), args: []string{"--allow-host-paths"}, wantErr: "a symlink to /dev/urandom, a character device"},
		{name: "label_file dev zero", kind: "special", files: map[string]string{"proj/compose.yaml": svc("    label_file: /dev/zero\n")}, args: []string{"--allow-host-paths"}, wantErr: "a character device"},
		{name: "include dev urandom", kind: "special", files: map[string]string{"proj/compose.yaml": "include:\n  - /dev/urandom\n" + hostileWeb}, args: []string{"--allow-host-paths"}, wantErr: "include: /dev/urandom: a character device"},
		{name: "compose file dev zero", kind: "special", files: map[string]string{"proj/x": ""}, args: []string{"-f", "/dev/zero"}, wantErr: "compose file: /dev/zero: a character device"},
		{name: "env_file a directory", kind: "special", files: map[string]string{"proj/compose.yaml": svc("    env_file: sub\n"), "proj/sub/x": ""}, wantErr: "services.web.env_file: {root}/proj/sub: a directory"},
		{name: "env_file too big", kind: "special", files: map[string]string{"proj/compose.yaml": svc("    env_file: big.env\n"), "proj/big.env": "A=" + big(5<<20) + "\n"}, wantErr: "over the limit of 4194304"},
		{name: "compose file too big", kind: "special", files: map[string]string{"proj/compose.yaml": hostileWeb + "x-big: " + big(5<<20) + "\n"}, wantErr: "over the limit of 4194304"},
		{name: "stdin too big", kind: "special", files: map[string]string{"proj/x": ""}, args: []string{"-f", "-"}, stdin: hostileWeb + "x-big: " + big(5<<20) + "\n", wantErr: "standard input: more than 4194304 bytes"},

		// 4. Numbers that narrow into int32 fields.
		{name: "replicas overflow", kind: "numbers", files: map[string]string{"proj/compose.yaml": svc("    deploy:\n      replicas: 99999999999\n")}, wantErr: `service "web": deploy.replicas: 99999999999 is out of range`},
		{name: "replicas exponent overflow", kind: "numbers", files: map[string]string{"proj/compose.yaml": svc("    deploy:\n      replicas: 1e30\n")}, wantErr: "services.web.deploy.replicas: 1e30 does not fit a 64-bit integer"},
		{name: "port exponent overflow", kind: "numbers", files: map[string]string{"proj/compose.yaml": svc("    ports:\n      - target: 1e19\n")}, wantErr: "services.web.ports[0].target: 1e19 does not fit a 64-bit integer"},
		{name: "mem_limit float", kind: "numbers", files: map[string]string{"proj/compose.yaml": svc("    mem_limit: 1e6\n")}, wantErr: "services.web.mem_limit: 1e6 is not a whole number of bytes"},
		{name: "tmpfs size float", kind: "numbers", files: map[string]string{"proj/compose.yaml": svc("    volumes:\n      - type: tmpfs\n        target: /run\n        tmpfs:\n          size: 1.5\n")}, wantErr: "services.web.volumes[0].tmpfs.size: 1.5 is not a whole number of bytes"},
		{name: "x-kubernetes number overflow", kind: "numbers", files: map[string]string{"proj/compose.yaml": svc("    x-kubernetes:\n      autoscale: {max: 3000000000}\n")}, wantErr: `service "web": x-kubernetes.autoscale.max: 3000000000 is out of range for a 32-bit integer (at most 2147483647)`},
		{name: "scale overflow", kind: "numbers", files: map[string]string{"proj/compose.yaml": svc("    scale: 3000000000\n")}, wantErr: `service "web": scale: 3000000000 is out of range`},
		{name: "job completions overflow", kind: "numbers", files: map[string]string{"proj/compose.yaml": "services:\n  once:\n    image: busybox\n    restart: \"no\"\n    deploy:\n      replicas: 4294967297\n"}, wantErr: "deploy.replicas: 4294967297 is out of range"},
		{name: "interval overflow", kind: "numbers", files: map[string]string{"proj/compose.yaml": svc("    healthcheck:\n      test: [\"CMD\", \"true\"]\n      interval: 1000000h\n")}, wantErr: "healthcheck.interval: 1000000h0m0s is out of range"},
		{name: "timeout overflow", kind: "numbers", files: map[string]string{"proj/compose.yaml": svc("    healthcheck:\n      test: [\"CMD\", \"true\"]\n      timeout: 900000h\n")}, wantErr: "healthcheck.timeout"},
		{name: "start_period over start_interval", kind: "numbers", files: map[string]string{"proj/compose.yaml": svc("    healthcheck:\n      test: [\"CMD\", \"true\"]\n      start_period: 2000000h\n      start_interval: 1ms\n")}, wantErr: "healthcheck.start_period: 2000000h0m0s over a start_interval of 1s needs a failureThreshold"},
		{name: "retries overflow", kind: "numbers", files: map[string]string{"proj/compose.yaml": svc("    healthcheck:\n      test: [\"CMD\", \"true\"]\n      retries: 99999999999\n")}, wantErr: "healthcheck.retries: 99999999999 is out of range"},
		{name: "max_attempts overflow", kind: "numbers", files: map[string]string{"proj/compose.yaml": "services:\n  once:\n    image: busybox\n    deploy:\n      restart_policy:\n        condition: on-failure\n        max_attempts: 99999999999\n"}, wantErr: "deploy.restart_policy.max_attempts: 99999999999 is out of range"},
		{name: "parallelism overflow", kind: "numbers", files: map[string]string{"proj/compose.yaml": svc("    deploy:\n      update_config:\n        parallelism: 99999999999\n")}, wantErr: "deploy.update_config.parallelism"},
		{name: "max_replicas_per_node overflow", kind: "numbers", files: map[string]string{"proj/compose.yaml": svc("    deploy:\n      placement:\n        max_replicas_per_node: 99999999999\n")}, wantErr: "deploy.placement.max_replicas_per_node"},
		{name: "negative stop_grace_period", kind: "numbers", files: map[string]string{"proj/compose.yaml": svc("    stop_grace_period: -5s\n")}, wantErr: "stop_grace_period: -5s must not be negative"},
		{name: "target port overflow", kind: "numbers", files: map[string]string{"proj/compose.yaml": svc("    ports:\n      - target: 70000\n")}, wantErr: "ports: target port 70000"},
		{name: "integer beyond int64", kind: "numbers", files: map[string]string{"proj/compose.yaml": svc("    shm_size: 99999999999999999999\n")}, wantErr: "services.web.shm_size: 99999999999999999999 does not fit a 64-bit integer"},
		{name: "memory that wraps", kind: "numbers", files: map[string]string{"proj/compose.yaml": svc("    mem_limit: 99999999999999g\n")}, wantErr: "mem_limit: -9223372036854775808 bytes: want a size from 0 to 8 EiB"},
		{name: "tmpfs size that wraps", kind: "numbers", files: map[string]string{"proj/compose.yaml": svc("    volumes:\n      - type: tmpfs\n        target: /t\n        tmpfs: {size: 99999999999999999g}\n")}, wantErr: "volumes[0].tmpfs.size"},
		{name: "kompose interval overflow", kind: "numbers", files: map[string]string{"proj/compose.yaml": svc("    labels:\n      kompose.service.healthcheck.readiness.interval: 1000000h\n      kompose.service.healthcheck.readiness.test: \"true\"\n")}, wantErr: "readiness.interval: 1000000h is out of range"},
		{name: "negative cpus", kind: "numbers", files: map[string]string{"proj/compose.yaml": svc("    cpus: -1\n")}, wantErr: `service "web": cpus: -1 is not a number of CPUs`},
		{name: "replicas at the int32 limit", kind: "numbers", files: map[string]string{"proj/compose.yaml": svc("    deploy:\n      replicas: 2147483647\n")}, wantOut: "replicas: 2147483647"},

		// 5. Names and sizes the API server refuses.
		{name: "63-character StatefulSet NodePort", kind: "limits", files: map[string]string{"proj/compose.yaml": "services:\n  " + long("a", 63) + ":\n    image: nginx\n    ports: [\"80\"]\n    x-kubernetes:\n      workload: statefulset\n"}, args: []string{"--service-type", "NodePort"}, wantErr: "must be no more than 52 characters"},
		{name: "53-character StatefulSet", kind: "limits", files: map[string]string{"proj/compose.yaml": "services:\n  " + long("b", 53) + ":\n    image: nginx\n    x-kubernetes:\n      workload: statefulset\n"}, wantErr: "must be no more than 52 characters"},
		{name: "52-character StatefulSet NodePort", kind: "limits", files: map[string]string{"proj/compose.yaml": "services:\n  " + long("c", 52) + ":\n    image: nginx\n    ports: [\"80\"]\n    x-kubernetes:\n      workload: statefulset\n"}, args: []string{"--service-type", "NodePort"}, wantOut: long("c", 52) + "-published"},
		{name: "3 MB environment value", kind: "limits", files: map[string]string{"proj/compose.yaml": svc("    env_file: big.env\n"), "proj/big.env": "BIG=" + big(3<<20) + "\n"}, wantErr: `service "web": environment: 3145731 bytes (the largest, BIG`},
		{name: "2 MB inline config content", kind: "limits", files: map[string]string{"proj/compose.yaml": svc("    configs: [c]\nconfigs:\n  c:\n    content: " + big(2<<20) + "\n")}, wantErr: `config "c": content holds 2097152 bytes`},
		{name: "huge annotations", kind: "limits", files: map[string]string{"proj/compose.yaml": svc("    labels:\n      a: " + big(150000) + "\n      b: " + big(150000) + "\n")}, wantErr: "metadata.annotations: Too long"},
		{name: "object over 1.5 MiB", kind: "limits", files: map[string]string{"proj/compose.yaml": svc("    command: [\"" + big(900000) + "\", \"" + big(900000) + "\"]\n")}, wantErr: "over the limit of 1572864 for an object"},
		{name: "control character in image", kind: "limits", files: map[string]string{"proj/compose.yaml": "services:\n  web:\n    image: \"nginx\\x7f\"\n"}, wantErr: "holds the control character U+007F"},
		{name: "long CronJob name", kind: "limits", files: map[string]string{"proj/compose.yaml": "jobs:\n  " + long("j", 60) + ":\n    image: busybox\n    triggers:\n      schedule:\n        - cron: \"0 * * * *\"\n"}, wantErr: "CronJob name"},
		{name: "service name starts with a digit", kind: "limits", files: map[string]string{"proj/compose.yaml": "services:\n  1web:\n    image: nginx\n"}, wantErr: "must start with a letter"},

		// 6. Slow loads are bounded.
		{name: "9000 levels deep", kind: "slow", files: map[string]string{"proj/compose.yaml": deep(9000)}, wantErr: "YAML nested more than 100 levels deep"},
		{name: "2000 levels deep", kind: "slow", files: map[string]string{"proj/compose.yaml": deep(2000)}, wantErr: "YAML nested more than 100 levels deep"},
		{name: "99 levels deep", kind: "slow", files: map[string]string{"proj/compose.yaml": deep(99)}, wantOut: "kind: Deployment"},
		{name: "alias bomb", kind: "slow", files: map[string]string{"proj/compose.yaml": bomb.String()}, wantErr: "more than 250000 YAML nodes once aliases are expanded"},
		{name: "reset in an aliased anchor", kind: "slow", files: map[string]string{"proj/compose.yaml": reset.String()}, wantErr: "YAML nodes once aliases are expanded"},
		{name: "1000 documents", kind: "slow", files: map[string]string{"proj/compose.yaml": docs(1000)}, wantErr: "more than 32 YAML documents"},
		{name: "32 documents", kind: "slow", files: map[string]string{"proj/compose.yaml": docs(32)}, wantOut: "name: s31"},
		{name: "deep include", kind: "slow", files: map[string]string{"proj/compose.yaml": "include:\n  - inc.yaml\n" + hostileWeb, "proj/inc.yaml": deep(500)}, wantErr: "inc.yaml: YAML nested more than 100 levels deep"},
		{name: "bomb in extends", kind: "slow", files: map[string]string{"proj/compose.yaml": svc("    extends:\n      file: base.yaml\n      service: web\n"), "proj/base.yaml": bomb.String()}, wantErr: "base.yaml: more than 250000 YAML nodes"},
		{name: "include cycle", kind: "slow", files: map[string]string{"proj/compose.yaml": "include:\n  - compose.yaml\n" + hostileWeb}, wantErr: "include cycle detected"},

		// 9. Messages name what is wrong.
		{name: "healthcheck test without CMD", kind: "messages", files: map[string]string{"proj/compose.yaml": svc("    healthcheck:\n      test: [\"BOGUS\"]\n")}, wantErr: `compose.yaml: services.web.healthcheck.test: "BOGUS": a test list must start with "CMD", "CMD-SHELL" or "NONE"`},
		{name: "empty compose file", kind: "messages", files: map[string]string{"proj/compose.yaml": "# nothing yet\n"}, wantErr: "proj/compose.yaml: empty compose file (no services or other keys)"},
		{name: "env file unterminated value not echoed", kind: "messages", files: map[string]string{"proj/compose.yaml": svc("    env_file: app.env\n"), "proj/app.env": "A=1\nDB_PASSWORD=\"" + hostileSecret + "\nB=2\n"}, wantErr: "app.env: line 4: unterminated quoted value (its text is not shown)"},
		{name: "env file bad name not echoed", kind: "messages", files: map[string]string{"proj/compose.yaml": svc("    env_file: app.env\n"), "proj/app.env": "DB-PASS!=" + hostileSecret + "\n"}, wantErr: `app.env: line 1: unexpected character "!" in variable name (its text is not shown)`},
		{name: "binary env file", kind: "messages", files: map[string]string{"proj/compose.yaml": svc("    env_file: app.env\n"), "proj/app.env": "\x7fELF" + strings.Repeat("\x00\x01\x02", 20000)}, wantErr: `app.env: line 1: unexpected character "\x7f" in variable name (its text is not shown)`},
		{name: "include a non-compose file", kind: "messages", files: map[string]string{"proj/compose.yaml": "include:\n  - notes.txt\n" + hostileWeb, "proj/notes.txt": "hello world\n"}, wantErr: "include: {root}/proj/notes.txt: not a compose file"},
		{name: "extends a non-compose file", kind: "messages", files: map[string]string{"proj/compose.yaml": svc("    extends:\n      file: list.yaml\n      service: x\n"), "proj/list.yaml": "- a\n- b\n"}, wantErr: "services.web.extends.file: {root}/proj/list.yaml: not a compose file: its top-level YAML value is a list"},
		{name: "compose file not a mapping", kind: "messages", files: map[string]string{"proj/compose.yaml": "just text\n"}, wantErr: "compose file: {root}/proj/compose.yaml: not a compose file"},
		{name: "cpus inf", kind: "messages", files: map[string]string{"proj/compose.yaml": svc("    cpus: .inf\n")}, wantErr: "services.web.cpus: .inf is not a finite number"},
		{name: "limits cpus nan", kind: "messages", files: map[string]string{"proj/compose.yaml": svc("    deploy:\n      resources:\n        limits:\n          cpus: .nan\n")}, wantErr: "services.web.deploy.resources.limits.cpus: .nan is not a finite number"},
		{name: "invalid host port", kind: "messages", files: map[string]string{"proj/compose.yaml": svc("    ports: [\"99999:80\"]\n")}, wantErr: "services.web.ports: Invalid hostPort: 99999"},
		{name: "invalid protocol", kind: "messages", files: map[string]string{"proj/compose.yaml": svc("    ports: [\"80/xyz\"]\n")}, wantErr: "services.web.ports: Invalid proto: xyz"},
		{name: "missing include", kind: "messages", files: map[string]string{"proj/compose.yaml": "include:\n  - nope.yaml\n" + hostileWeb}, wantErr: "include: {root}/proj/nope.yaml: no such file or directory"},
		{name: "missing extends file", kind: "messages", files: map[string]string{"proj/compose.yaml": svc("    extends: {file: nope.yaml, service: a}\n")}, wantErr: "services.web.extends.file: {root}/proj/nope.yaml: no such file"},
		{name: "missing label_file", kind: "messages", files: map[string]string{"proj/compose.yaml": svc("    label_file: nope.labels\n")}, wantErr: "services.web.label_file: {root}/proj/nope.labels: no such file"},
		{name: "syntax error in an include", kind: "messages", files: map[string]string{"proj/compose.yaml": "include:\n  - bad.yaml\n" + hostileWeb, "proj/bad.yaml": "services: [a\n"}, wantErr: "{root}/proj/bad.yaml: yaml:"},
		{name: "invalid expose", kind: "messages", files: map[string]string{"proj/compose.yaml": svc("    expose: [\"99999\"]\n")}, wantErr: `service "web": expose`},
	}
	kinds := map[string]int{}
	for _, tc := range tests {
		kinds[tc.kind]++
	}
	t.Logf("%d hostile cases by kind: %v", len(tests), kinds)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			for p, content := range tc.files {
				p = filepath.Join(root, p)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(strings.ReplaceAll(content, "{root}", root)), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.MkdirAll(filepath.Join(root, "proj"), 0o755); err != nil {
				t.Fatal(err)
			}
			if tc.setup != nil {
				tc.setup(t, root)
			}
			dir := filepath.Join(root, "proj")
			if tc.dir != "" {
				dir = filepath.Join(root, tc.dir)
			}
			before := snapshot(t, root)
			args := []string{"convert", "-q"}
			for _, a := range tc.args {
				args = append(args, strings.ReplaceAll(a, "{root}", root))
			}
			r := runBounded(t, dir, tc.stdin, tc.env, args...)
			for _, s := range []string{r.stdout, r.stderr} {
				if strings.Contains(s, hostileSecret) || strings.Contains(s, "root:x:0:0") {
					t.Fatalf("host content in the output: %.200q", s)
				}
			}
			if tc.wantErr != "" {
				want := strings.ReplaceAll(tc.wantErr, "{root}", realDir(t, root))
				if r.code != 1 || r.stdout != "" || strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "error: ") || !strings.Contains(r.stderr, want) {
					t.Fatalf("exit %d, stdout %.100q, stderr %.500q; want one error line containing %q", r.code, r.stdout, r.stderr, want)
				}
				if after := snapshot(t, root); !equalSnapshots(before, after) {
					t.Fatalf("a failed run changed files: before %v, after %v", keys(before), keys(after))
				}
				return
			}
			if r.code != 0 || !strings.Contains(r.stdout, tc.wantOut) {
				t.Fatalf("exit %d, stderr %.500q, stdout %.300q; want success containing %q", r.code, r.stderr, r.stdout, tc.wantOut)
			}
			if tc.check != nil {
				tc.check(t, root)
			}
		})
	}
}

// TestInterruptLoad sends SIGINT and SIGTERM while a large project
// loads: hoist exits 130 at once, not when the loader is done.
func TestInterruptLoad(t *testing.T) {
	var b strings.Builder
	b.WriteString("services:\n")
	for i := range 3000 {
		fmt.Fprintf(&b, "  s%d:\n    image: nginx\n    environment: {A: b}\n    labels: {x: y}\n", i)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	// How long the whole load takes here.
	start := time.Now()
	full := runHoist(t, dir, "", nil, "convert", "-q")
	total := time.Since(start)
	if full.code != 0 {
		t.Fatalf("exit %d: %s", full.code, full.stderr)
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		cmd := testcluster.Command(context.Background(), t, hoistBin, dir, nil, "convert", "-q")
		var errOut bytes.Buffer
		cmd.Stderr = &errOut
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(total / 5)
		sent := time.Now()
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		code := testcluster.ExitCode(cmd.Wait())
		took := time.Since(sent)
		if code != 130 || errOut.String() != "error: interrupted\n" {
			t.Errorf("%v: exit %d, stderr %q; want 130 and error: interrupted", sig, code, errOut.String())
		}
		if took > 2*time.Second || took > total/2 {
			t.Errorf("%v: exited %s after the signal (the whole run takes %s)", sig, took, total)
		}
		t.Logf("%v: exited %s after the signal; the whole run takes %s", sig, took, total)
	}
	// Later, once the project is loaded: still 130, and the output
	// directory is not written.
	out := filepath.Join(t.TempDir(), "out")
	cmd := testcluster.Command(context.Background(), t, hoistBin, dir, nil, "convert", "-q", "-o", out)
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(total * 3 / 4)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := testcluster.ExitCode(cmd.Wait()); code != 130 || errOut.String() != "error: interrupted\n" {
		t.Errorf("SIGINT after the load: exit %d, stderr %q; want 130 and error: interrupted", code, errOut.String())
	}
	if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("SIGINT after the load: %s was written (%v)", out, err)
	}
}

// runBounded runs the binary like runHoist, failing the test when the run
// takes more than hostileTimeout or more than hostileMaxRSS of memory.
func runBounded(t *testing.T, dir, stdin string, env []string, args ...string) runResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hostileTimeout)
	defer cancel()
	cmd := testcluster.Command(ctx, t, hoistBin, dir, append([]string{"HOIST_TOKEN=" + hostileSecret}, env...), args...)
	start := time.Now()
	stdout, stderr, code := testcluster.Run(t, cmd, stdin)
	if ctx.Err() != nil {
		t.Fatalf("hoist %v: still running after %s", args, hostileTimeout)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && ru.Maxrss*1024 > hostileMaxRSS {
		t.Fatalf("hoist %v: used %d MiB of memory, over %d", args, ru.Maxrss/1024, hostileMaxRSS>>20)
	}
	if d := time.Since(start); d > hostileTimeout {
		t.Fatalf("hoist %v took %s", args, d)
	}
	return runResult{stdout: stdout, stderr: stderr, code: code}
}

func realDir(t *testing.T, p string) string {
	r, err := filepath.EvalSymlinks(p)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// snapshot records every path under root with its type and content (a
// symlink's target; nothing for special files).
func snapshot(t *testing.T, root string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			m[rel] = "symlink:" + target
		case d.IsDir():
			m[rel] = "dir"
		case d.Type().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			m[rel] = "file:" + string(b)
		default:
			m[rel] = "special"
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func equalSnapshots(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// writeFile writes a file for a test's setup.
func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
