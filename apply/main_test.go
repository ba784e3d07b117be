package apply

import (
	"os"
	"testing"

	"github.com/hoist-dev/hoist/internal/testcluster"
)

func TestMain(m *testing.M) { os.Exit(testcluster.Main(m)) }
