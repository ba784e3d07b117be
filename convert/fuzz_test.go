package convert_test

import (
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	metavalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"

	"github.com/hoist-dev/hoist/convert"
	"github.com/hoist-dev/hoist/load"
	"github.com/hoist-dev/hoist/output"
)

// corpusDir is the team's conformance corpus, used as extra seeds when it
// is there.
const corpusDir = "/work/shared/corpus"

// fuzzSecret is in the fuzzing process's environment: it must never reach
// the output (the loader gets an empty environment, and /proc/self/environ
// is outside the project).
const fuzzSecret = "hoist-fuzz-secret-6c1f0e"

// FuzzConvert runs the whole path on arbitrary bytes as a compose file:
// load (with its file checks and YAML limits), host paths, convert, then
// every output format. Any input must give a one-line error or objects
// whose names, labels and numbers the API server accepts, YAML that reads
// back equal to the objects, and JSON likewise; never a panic, a hang or
// host content.
func FuzzConvert(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*", "compose.yaml"))
	if _, err := os.Stat(corpusDir); err == nil {
		_ = filepath.WalkDir(corpusDir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
				seeds = append(seeds, p)
			}
			return nil
		})
	}
	for _, p := range seeds {
		if b, err := os.ReadFile(p); err == nil && len(b) < 1<<20 {
			f.Add(b)
		}
	}
	f.Add([]byte("services:\n  web:\n    image: nginx\n    env_file: /proc/self/environ\n"))
	f.Add([]byte("services:\n  web:\n    image: nginx\n    deploy:\n      replicas: 99999999999\n"))
	f.Add([]byte("services:\n  web:\n    image: nginx\nx-deep: " + strings.Repeat("[", 120) + strings.Repeat("]", 120) + "\n"))
	f.Add([]byte("x-a: &a [x, x, x]\nx-b: &b [*a, *a, *a]\nservices:\n  web:\n    image: nginx\n    x-r: *b\n"))
	f.Add([]byte("services:\n  " + strings.Repeat("s", 63) + ":\n    image: nginx\n    ports: [\"80\"]\n    x-kubernetes:\n      workload: statefulset\n"))
	f.Add([]byte("services:\n  web:\n    image: nginx\n    cpus: .inf\n    ports: [\"99999:80/xyz\"]\n    healthcheck:\n      test: [CMD, \"true\"]\n      interval: 1000000h\n"))
	f.Add([]byte("include:\n  - /etc/passwd\nservices:\n  web:\n    image: nginx\n    label_file: /etc/passwd\n    extends: {file: /dev/zero, service: x}\n"))
	os.Setenv("HOIST_FUZZ_SECRET", fuzzSecret)
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		file := filepath.Join(dir, "compose.yaml")
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		// Generous bounds: -race on a busy machine is slow; a hang is not.
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		start := time.Now()
		p, err := load.Project(ctx, load.Options{Files: []string{file}, Environ: []string{}, ProjectName: "fuzz"})
		if time.Since(start) > 60*time.Second {
			t.Fatalf("loading took %s", time.Since(start))
		}
		if err != nil {
			oneLine(t, err)
			return
		}
		opts := convert.Options{}
		if opts.HostPaths, err = load.HostPaths(p); err != nil {
			oneLine(t, err)
			return
		}
		res, err := convert.Convert(p, opts)
		if err != nil {
			oneLine(t, err)
			return
		}
		for _, o := range res.Objects {
			checkFuzzObject(t, o)
		}
		for _, w := range res.Warnings {
			if s := w.String(); strings.Contains(s, "\n") {
				t.Errorf("warning on several lines: %q", s)
			}
		}
		out, err := output.Marshal(res.Objects, output.FormatYAML)
		if err != nil {
			t.Fatalf("marshalling YAML: %v", err)
		}
		if strings.Contains(string(out), fuzzSecret) {
			t.Fatalf("the process environment reached the output")
		}
		var back []any
		for _, doc := range strings.Split(string(out), "\n---\n") {
			if strings.TrimSpace(doc) == "" {
				continue
			}
			var v any
			if err := yaml.Unmarshal([]byte(doc), &v); err != nil {
				t.Fatalf("YAML output does not read back: %v\n%s", err, doc)
			}
			back = append(back, v)
		}
		if len(back) != len(res.Objects) {
			t.Fatalf("YAML output holds %d documents, want %d", len(back), len(res.Objects))
		}
		for i, o := range res.Objects {
			if want := normalize(t, o.Object); !reflect.DeepEqual(normalize(t, back[i]), want) {
				t.Fatalf("YAML of %s %s does not read back equal", o.GetKind(), o.GetName())
			}
		}
		js, err := output.Marshal(res.Objects, output.FormatJSON)
		if err != nil {
			t.Fatalf("marshalling JSON: %v", err)
		}
		var list struct {
			Items []any `json:"items"`
		}
		if err := json.Unmarshal(js, &list); err != nil || len(list.Items) != len(res.Objects) {
			t.Fatalf("JSON output does not read back: %v", err)
		}
		for _, format := range []output.Format{output.FormatYAML, output.FormatJSON, output.FormatKustomize, output.FormatHelm} {
			if _, err := output.Files(res.Objects, format, p.Name); err != nil {
				t.Fatalf("%s files: %v", format, err)
			}
		}
	})
}

func oneLine(t *testing.T, err error) {
	t.Helper()
	if msg := err.Error(); strings.Contains(msg, "\n") || msg == "" {
		t.Fatalf("error is not one line: %q", msg)
	}
	if strings.Contains(err.Error(), fuzzSecret) {
		t.Fatalf("the process environment reached an error")
	}
}

// normalize makes JSON-equal values deep-equal (numbers as float64).
func normalize(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkFuzzObject checks what the API server would: a valid name, valid
// labels, and no negative number anywhere.
func checkFuzzObject(t *testing.T, o *unstructured.Unstructured) {
	t.Helper()
	name := o.GetName()
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		t.Fatalf("%s name %q: %v", o.GetKind(), name, errs)
	}
	if o.GetKind() == "Service" {
		if errs := validation.IsDNS1035Label(name); len(errs) > 0 {
			t.Fatalf("Service name %q: %v", name, errs)
		}
	}
	if errs := metavalidation.ValidateLabels(o.GetLabels(), field.NewPath("metadata", "labels")); len(errs) > 0 {
		t.Fatalf("%s %s labels: %v", o.GetKind(), name, errs)
	}
	if m, ok, _ := unstructured.NestedStringMap(o.Object, "spec", "template", "metadata", "labels"); ok {
		if errs := metavalidation.ValidateLabels(m, field.NewPath("spec", "template", "metadata", "labels")); len(errs) > 0 {
			t.Fatalf("%s %s pod labels: %v", o.GetKind(), name, errs)
		}
	}
	var walk func(v any, path string)
	walk = func(v any, path string) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				walk(e, path+"."+k)
			}
		case []any:
			for _, e := range x {
				walk(e, path+"[]")
			}
		case int64:
			if x < 0 {
				t.Fatalf("%s %s: %s is negative: %d", o.GetKind(), name, path, x)
			}
		case float64:
			if x < 0 {
				t.Fatalf("%s %s: %s is negative: %g", o.GetKind(), name, path, x)
			}
		}
	}
	walk(o.Object, "")
}
