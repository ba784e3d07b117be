package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/hoist-dev/hoist/internal/testcluster"
)

// The tests of this package run the built binary. Those that need the
// local control plane are in files built only with -tags integration
// (make test-integration runs exactly those); their helpers are in
// kube_test.go. The helpers below serve both.

var update = flag.Bool("update", false, "rewrite golden files and example manifests")

// hoistBin is the binary built once for the tests that run it.
var hoistBin string

const testVersion = "v0.0.0-test"

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(testcluster.WithHoist(m, testVersion, &hoistBin, testcluster.Main))
}

type runResult struct {
	stdout, stderr string
	code           int
}

// runHoist runs the binary in dir with a clean environment plus env.
func runHoist(t *testing.T, dir, stdin string, env []string, args ...string) runResult {
	t.Helper()
	cmd := testcluster.Command(context.Background(), t, hoistBin, dir, env, args...)
	stdout, stderr, code := testcluster.Run(t, cmd, stdin)
	return runResult{stdout: stdout, stderr: stderr, code: code}
}

// lines splits output into lines, without the empty last one.
func lines(s string) []string {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// withoutWarnings is stderr without hoist's "Warning: " lines.
func withoutWarnings(stderr string) string {
	var out []string
	for _, l := range strings.SplitAfter(stderr, "\n") {
		if !strings.HasPrefix(l, "Warning: ") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "")
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
