// Command integration-tests runs exactly the tests that need the local
// control plane: the Test functions declared in files built only with
// -tags integration (make test-integration). The selection is computed, not
// kept by hand: for each package it compares the test files go list
// reports with and without the tag, parses the files only the tagged
// build has, and runs their tests with go test -tags integration -run
// '^(TestA|TestB)$' in that package alone.
//
//	go run ./hack/integration-tests [-list] [packages] [-- go test flags]
//
// -list prints "package TestName" lines and runs nothing. Packages
// default to ./...; a package without such a file (e2e, whose whole
// package needs the real node, has make e2e) is not run.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// tag is the build tag of the files whose tests need the cluster.
const tag = "integration"

// pkg is the part of go list -json this command reads.
type pkg struct {
	ImportPath   string
	Dir          string
	TestGoFiles  []string
	XTestGoFiles []string
}

func main() {
	list := flag.Bool("list", false, "print the selected tests, one \"package TestName\" a line, and run nothing")
	flag.Parse()
	patterns, testFlags := flag.Args(), []string(nil)
	if i := slices.Index(patterns, "--"); i >= 0 {
		patterns, testFlags = patterns[:i], patterns[i+1:]
	} else if i := slices.IndexFunc(patterns, func(a string) bool { return strings.HasPrefix(a, "-") }); i >= 0 {
		// flag.Parse took the "--" of a command line without packages.
		patterns, testFlags = patterns[:i], patterns[i:]
	}
	if len(patterns) == 0 {
		patterns = []string{"./..."}
	}
	selected, err := selectTests(patterns)
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration-tests:", err)
		os.Exit(1)
	}
	if *list {
		for _, s := range selected {
			for _, t := range s.tests {
				fmt.Printf("%s %s\n", s.pkg, t)
			}
		}
		return
	}
	if len(selected) == 0 {
		fmt.Fprintln(os.Stderr, "integration-tests: no test file is built only with -tags "+tag)
		os.Exit(1)
	}
	failed := false
	for _, s := range selected {
		args := append([]string{"test", "-tags", tag}, testFlags...)
		args = append(args, "-run", "^("+strings.Join(s.tests, "|")+")$", s.pkg)
		fmt.Fprintf(os.Stderr, "go %s\n", strings.Join(args, " "))
		cmd := exec.Command("go", args...)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			failed = true
		}
	}
	if failed {
		os.Exit(1)
	}
}

// selection is a package and its tests that need the cluster.
type selection struct {
	pkg   string
	tests []string
}

// selectTests lists, per package, the tests declared in files that only
// the tagged build has.
func selectTests(patterns []string) ([]selection, error) {
	tagged, err := goList(patterns, "-tags", tag)
	if err != nil {
		return nil, err
	}
	plain, err := goList(patterns)
	if err != nil {
		return nil, err
	}
	var out []selection
	for _, p := range tagged {
		without := map[string]bool{}
		for _, q := range plain {
			if q.ImportPath == p.ImportPath {
				for _, f := range append(q.TestGoFiles, q.XTestGoFiles...) {
					without[f] = true
				}
			}
		}
		var tests []string
		for _, f := range append(p.TestGoFiles, p.XTestGoFiles...) {
			if without[f] {
				continue
			}
			names, err := testFuncs(filepath.Join(p.Dir, f))
			if err != nil {
				return nil, err
			}
			tests = append(tests, names...)
		}
		if len(tests) > 0 {
			slices.Sort(tests)
			out = append(out, selection{pkg: p.ImportPath, tests: tests})
		}
	}
	return out, nil
}

// goList runs go list -json with flags on the patterns.
func goList(patterns []string, flags ...string) ([]pkg, error) {
	// -e: a package with only tagged files has none without the tag.
	args := append(append([]string{"list", "-e", "-json"}, flags...), patterns...)
	var stderr bytes.Buffer
	cmd := exec.Command("go", args...)
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(b))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			return pkgs, nil
		} else if err != nil {
			return nil, fmt.Errorf("reading go list output: %w", err)
		}
		pkgs = append(pkgs, p)
	}
}

// testFuncs are the names of the file's Test functions, by go test's rule:
// func TestXxx(*testing.T), where Xxx does not start with a lower-case
// letter.
func testFuncs(path string) ([]string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Recv != nil || fn.Type.Params.NumFields() != 1 {
			continue
		}
		name, ok := strings.CutPrefix(fn.Name.Name, "Test")
		if !ok {
			continue
		}
		if r, _ := utf8.DecodeRuneInString(name); name != "" && unicode.IsLower(r) {
			continue
		}
		if name == "Main" {
			continue
		}
		names = append(names, fn.Name.Name)
	}
	return names, nil
}
