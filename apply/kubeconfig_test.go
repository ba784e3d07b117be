package apply

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// An empty kubeconfig names the files that were read, not client-go's
// KUBERNETES_MASTER advice.
func TestConnectWithoutKubeconfig(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nonexistent")
	t.Setenv("KUBECONFIG", missing)
	t.Setenv("HOME", t.TempDir())
	_, err := Connect(context.Background(), ConnectOptions{})
	if err == nil || !strings.Contains(err.Error(), "no cluster configured in "+missing) || strings.Contains(err.Error(), "KUBERNETES_MASTER") {
		t.Fatalf("Connect without a kubeconfig: %v", err)
	}
}

// A kubeconfig that is not a regular file, or is huge, is a one-line error
// before client-go reads it: /dev/zero would fill memory and a FIFO would
// block forever.
func TestKubeconfigSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(dir, "huge")
	if err := os.WriteFile(huge, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(huge, MaxKubeconfigSize+1); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", t.TempDir())
	for _, tc := range []struct{ env, flag, want string }{
		{env: "/dev/zero", want: "reading kubeconfig /dev/zero: not a regular file"},
		{env: filepath.Join(dir, "missing") + ":" + fifo, want: "reading kubeconfig " + fifo + ": not a regular file"},
		{flag: dir, want: "reading kubeconfig " + dir + ": not a regular file"},
		{flag: huge, want: "over the limit of 16777216"},
		{flag: filepath.Join(dir, "missing"), want: "no such file or directory"},
	} {
		t.Setenv("KUBECONFIG", tc.env)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := Connect(ctx, ConnectOptions{Kubeconfig: tc.flag})
		cancel()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("KUBECONFIG=%q --kubeconfig %q: %v, want %q", tc.env, tc.flag, err, tc.want)
		}
		if _, err := ResolveNamespace(ConnectOptions{Kubeconfig: tc.flag}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ResolveNamespace: KUBECONFIG=%q --kubeconfig %q: %v, want %q", tc.env, tc.flag, err, tc.want)
		}
	}
}
