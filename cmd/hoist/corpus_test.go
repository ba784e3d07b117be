//go:build integration

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/hoist-dev/hoist/convert"
	"github.com/hoist-dev/hoist/internal/testcluster"
)

// corpusDir holds real-world compose projects kept by the team outside
// this repository; the test runs when it is present.
const corpusDir = "../../../shared/corpus"

// corpusResult is one row of the corpus table.
type corpusResult struct {
	entry                       string
	services, objects, warnings int
	result                      string
}

// TestCorpus converts every project of the conformance corpus: entries in
// EXPECTED_FAILURES.tsv must fail with a one-line error, all others must
// convert and be accepted by the API server (hoist apply --dry-run=server
// into a fresh namespace per entry). It logs a table of the results.
func TestCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("corpus conversion is not a short test")
	}
	root, err := filepath.Abs(corpusDir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "INDEX.tsv")); err != nil {
		t.Skipf("no corpus at %s", root)
	}
	expected := readTSV(t, filepath.Join(root, "EXPECTED_FAILURES.tsv"))
	entries := readTSV(t, filepath.Join(root, "INDEX.tsv"))
	paths := make([]string, 0, len(entries))
	for p := range entries {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for p := range expected {
		if _, ok := entries[p]; !ok {
			t.Errorf("EXPECTED_FAILURES.tsv lists %s, which INDEX.tsv does not", p)
		}
	}

	cl := clusterClients(t, testcluster.Kubeconfig(t))
	var mu sync.Mutex
	results := map[string]corpusResult{}
	t.Run("entries", func(t *testing.T) {
		for i, entry := range paths {
			t.Run(entry, func(t *testing.T) {
				t.Parallel()
				res := corpusEntry(t, root, entry, expected, cl, fmt.Sprintf("corpus-%03d", i))
				mu.Lock()
				results[entry] = res
				mu.Unlock()
			})
		}
	})

	width := len("entry")
	for _, entry := range paths {
		width = max(width, len(entry))
	}
	var table strings.Builder
	fmt.Fprintf(&table, "%-*s %8s %7s %8s  %s\n", width, "entry", "services", "objects", "warnings", "result")
	for _, entry := range paths {
		r, ok := results[entry]
		if !ok {
			r = corpusResult{entry: entry, result: "not run"}
		}
		fmt.Fprintf(&table, "%-*s %8d %7d %8d  %s\n", width, entry, r.services, r.objects, r.warnings, r.result)
	}
	t.Logf("corpus results:\n%s", table.String())
}

// corpusEntry converts one entry, applies it with a server-side dry run
// and returns its row.
func corpusEntry(t *testing.T, root, entry string, expected map[string]string, cl *testCluster, ns string) corpusResult {
	res := corpusResult{entry: entry}
	files := strings.Split(entry, " + ")
	var fileArgs []string
	for _, f := range files {
		fileArgs = append(fileArgs, "-f", filepath.Join(root, f))
	}
	dir := filepath.Join(root, filepath.Dir(files[0]))
	report := filepath.Join(t.TempDir(), "report.json")
	r := runHoist(t, dir, "", nil, append([]string{"convert", "-q", "--report", report}, fileArgs...)...)
	why, wantFail := expected[entry]
	switch {
	case wantFail && r.code == 0:
		t.Errorf("%s: converted, but EXPECTED_FAILURES.tsv says it must fail (%s)", entry, why)
		res.result = "UNEXPECTED SUCCESS"
		return res
	case wantFail:
		res.result = "rejected as expected"
		if strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "error: ") {
			t.Errorf("%s: want a one-line error, got:\n%s", entry, r.stderr)
		}
		return res
	case r.code != 0:
		t.Errorf("%s: convert exit %d: %s", entry, r.code, r.stderr)
		res.result = "CONVERT FAILED"
		return res
	case r.stdout == "":
		t.Errorf("%s: no objects", entry)
		res.result = "EMPTY"
		return res
	}
	var rep convert.Report
	if b, err := os.ReadFile(report); err != nil {
		t.Errorf("%s: reading the report: %v", entry, err)
	} else if err := json.Unmarshal(b, &rep); err != nil {
		t.Errorf("%s: the report is not JSON: %v", entry, err)
	}
	res.services, res.objects, res.warnings = len(rep.Services), rep.Summary.Objects, rep.Summary.Warnings
	cl.namespace(t, ns)
	args := append([]string{"apply", "-q", "--dry-run=server", "-n", ns}, fileArgs...)
	a := runHoist(t, dir, "", []string{"KUBECONFIG=" + cl.kubeconfig}, args...)
	if a.code != 0 {
		t.Errorf("%s: the API server rejected it (namespace %s):\n%s", entry, ns, a.stderr)
		res.result = "REJECTED BY SERVER"
		return res
	}
	res.result = "ok (server dry run)"
	return res
}

var namespaces = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}

// testCluster is the test cluster's kubeconfig and clients.
type testCluster struct {
	kubeconfig string
	dyn        dynamic.Interface
	discovery  discovery.DiscoveryInterface
}

// clusterClients are the clients of the test cluster at kubeconfig kc.
func clusterClients(t *testing.T, kc string) *testCluster {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", kc)
	if err != nil {
		t.Fatal(err)
	}
	cfg.QPS, cfg.Burst = 200, 400
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &testCluster{kubeconfig: kc, dyn: dyn, discovery: disc}
}

// namespace creates a namespace for one test.
func (c *testCluster) namespace(t *testing.T, name string) {
	t.Helper()
	ns := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": name},
	}}
	if _, err := c.dyn.Resource(namespaces).Create(context.Background(), ns, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating namespace %s: %v", name, err)
	}
}

// readTSV maps the first column of a TSV file with a header to the second.
func readTSV(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if cols[0] == "" {
			continue
		}
		second := ""
		if len(cols) > 1 {
			second = cols[1]
		}
		rows[cols[0]] = second
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}
