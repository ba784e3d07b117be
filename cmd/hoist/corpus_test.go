package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// corpusDir holds real-world compose projects kept by the team outside
// this repository; the test runs when it is present.
const corpusDir = "../../../shared/corpus"

// TestCorpus converts every project of the conformance corpus: entries in
// EXPECTED_FAILURES.tsv must fail with a one-line error, all others must
// convert. It logs a table of the results.
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
	var table strings.Builder
	for _, entry := range paths {
		files := strings.Split(entry, " + ")
		args := []string{"convert", "-q"}
		for _, f := range files {
			args = append(args, "-f", filepath.Join(root, f))
		}
		r := runHoist(t, filepath.Join(root, filepath.Dir(files[0])), "", nil, args...)
		_, wantFail := expected[entry]
		status := "ok"
		switch {
		case wantFail && r.code == 0:
			t.Errorf("%s: converted, but EXPECTED_FAILURES.tsv says it must fail (%s)", entry, expected[entry])
			status = "UNEXPECTED SUCCESS"
		case wantFail:
			status = "rejected as expected"
			if strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "error: ") {
				t.Errorf("%s: want a one-line error, got:\n%s", entry, r.stderr)
			}
		case r.code != 0:
			t.Errorf("%s: exit %d: %s", entry, r.code, r.stderr)
			status = "FAILED"
		case r.stdout == "":
			t.Errorf("%s: no objects", entry)
			status = "EMPTY"
		}
		fmt.Fprintf(&table, "%-24s %s\n", status, entry)
	}
	t.Logf("corpus results:\n%s", table.String())
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
