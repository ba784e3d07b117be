package e2e

import (
	"flag"
	"os"
	"testing"

	"github.com/hoist-dev/hoist/internal/testcluster"
)

// hoistBin is the hoist binary, built once for the package.
var hoistBin string

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(testcluster.WithHoist(m, "v0.0.0-e2e", &hoistBin, testcluster.MainRealNode))
}
