package apply

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
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
