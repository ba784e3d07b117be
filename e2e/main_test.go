package e2e

import (
	"flag"
	"fmt"
	"os"
	"testing"

	"github.com/hoist-dev/hoist/internal/testcluster"
)

// hoistBin is the hoist binary, built once for the package.
var hoistBin string

func TestMain(m *testing.M) {
	flag.Parse()
	bin, cleanup, err := testcluster.BuildHoist("v0.0.0-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	hoistBin = bin
	code := testcluster.MainRealNode(m)
	cleanup()
	os.Exit(code)
}
