package apply

import (
	"flag"
	"os"
	"testing"

	"github.com/hoist-dev/hoist/internal/testcluster"
)

// TestMain starts the local control plane only for the benchmarks: the
// package's tests do not need it (the apply behaviour is tested against the
// cluster from cmd/hoist).
func TestMain(m *testing.M) {
	os.Exit(testcluster.MainIf(m, func() bool {
		f := flag.Lookup("test.bench")
		return f != nil && f.Value.String() != ""
	}))
}
