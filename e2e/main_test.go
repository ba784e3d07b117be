package e2e

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/hoist-dev/hoist/internal/testcluster"
)

// hoistBin is the hoist binary, built once for the package.
var hoistBin string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "hoist-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	hoistBin = filepath.Join(dir, "hoist")
	build := exec.Command("go", "build", "-o", hoistBin, "../cmd/hoist")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building hoist:", err)
		os.Exit(1)
	}
	code := testcluster.MainRealNode(m)
	os.RemoveAll(dir)
	os.Exit(code)
}
