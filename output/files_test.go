package output_test

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"text/template"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/hoist-dev/hoist/convert"
	"github.com/hoist-dev/hoist/internal/goldencase"
	"github.com/hoist-dev/hoist/output"
)

// goldenObjects converts every convert golden case that converts without error.
func goldenObjects(t *testing.T) map[string]*convert.Result {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "convert", "testdata", "*", "want.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*convert.Result{}
	for _, f := range files {
		dir := filepath.Dir(f)
		opts, err := goldencase.Options(dir)
		if err != nil {
			t.Fatal(err)
		}
		res, err := goldencase.Convert(dir, opts)
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		out[filepath.Base(dir)] = res
	}
	if len(out) < 20 {
		t.Fatalf("found %d golden cases", len(out))
	}
	return out
}

// TestHelmChartRendersTheSameObjects renders the chart of every golden
// case with its own values.yaml and compares the result with the plain
// output. The templates use Go template built-ins and helm's int64, so
// text/template with helmFuncs renders them as helm does.
func TestHelmChartRendersTheSameObjects(t *testing.T) {
	for name, res := range goldenObjects(t) {
		t.Run(name, func(t *testing.T) {
			files, err := output.Files(res.Objects, output.FormatHelm, "my_project")
			if err != nil {
				t.Fatal(err)
			}
			byPath := map[string][]byte{}
			var templates []string
			for _, f := range files {
				byPath[f.Path] = f.Data
				if strings.HasPrefix(f.Path, "templates/") {
					templates = append(templates, f.Path)
				}
			}
			if !bytes.Contains(byPath["Chart.yaml"], []byte("name: my-project\n")) {
				t.Errorf("Chart.yaml:\n%s", byPath["Chart.yaml"])
			}
			var values map[string]any
			if err := yaml.Unmarshal(byPath["values.yaml"], &values); err != nil {
				t.Fatalf("values.yaml: %v", err)
			}
			if len(templates) != len(res.Objects) {
				t.Fatalf("%d templates for %d objects", len(templates), len(res.Objects))
			}
			byName := map[string]map[string]any{}
			for _, o := range res.Objects {
				byName[kindName(o.Object)] = o.Object
			}
			for _, p := range templates {
				tmpl, err := template.New(p).Option("missingkey=error").Funcs(helmFuncs).Parse(string(byPath[p]))
				if err != nil {
					t.Fatalf("%s: %v", p, err)
				}
				var out bytes.Buffer
				if err := tmpl.Execute(&out, map[string]any{"Values": values}); err != nil {
					t.Fatalf("%s: %v", p, err)
				}
				var got map[string]any
				if err := yaml.Unmarshal(out.Bytes(), &got); err != nil {
					t.Fatalf("%s renders invalid YAML: %v\n%s", p, err, out.String())
				}
				want := byName[kindName(got)]
				if want == nil {
					t.Fatalf("%s renders %s, which is not in the output", p, kindName(got))
				}
				delete(byName, kindName(got))
				wantJSON, _ := yaml.Marshal(want)
				var wantNorm map[string]any
				if err := yaml.Unmarshal(wantJSON, &wantNorm); err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(wantNorm, got); diff != "" {
					t.Errorf("%s renders differently (-want +got):\n%s", p, diff)
				}
			}
		})
	}
}

func kindName(obj map[string]any) string {
	u := unstructured.Unstructured{Object: obj}
	return u.GetKind() + "/" + u.GetName()
}

func TestHelmEscapesTemplateText(t *testing.T) {
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "tpl"},
		"data":     map[string]any{"page.html": "{{ .Title }} and {{"},
	}}
	files, err := output.Files([]*unstructured.Unstructured{obj}, output.FormatHelm, "p")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if f.Path != "templates/04-configmap-tpl.yaml" {
			continue
		}
		tmpl := template.Must(template.New("").Option("missingkey=error").Funcs(helmFuncs).Parse(string(f.Data)))
		var out bytes.Buffer
		if err := tmpl.Execute(&out, map[string]any{"Values": map[string]any{}}); err != nil {
			t.Fatal(err)
		}
		if want := "  page.html: '{{ .Title }} and {{'\n"; !strings.Contains(out.String(), want) {
			t.Errorf("rendered:\n%s\nwant a line %q", out.String(), want)
		}
		return
	}
	t.Fatalf("no ConfigMap template in %v", files)
}

func TestFilesKustomize(t *testing.T) {
	res := goldenObjects(t)["namespace"]
	res.Objects = res.Objects[:3]
	files, err := output.Files(res.Objects, output.FormatKustomize, "p")
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	var kustomization string
	for _, f := range files {
		paths = append(paths, f.Path)
		if f.Path == "kustomization.yaml" {
			kustomization = string(f.Data)
		}
	}
	want := []string{"00-namespace-shop.yaml", "06-service-web.yaml", "07-deployment-web.yaml", "kustomization.yaml"}
	if diff := cmp.Diff(want, paths); diff != "" {
		t.Errorf("paths (-want +got):\n%s", diff)
	}
	wantK := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- 00-namespace-shop.yaml\n- 06-service-web.yaml\n- 07-deployment-web.yaml\n"
	if diff := cmp.Diff(wantK, kustomization); diff != "" {
		t.Errorf("kustomization.yaml (-want +got):\n%s", diff)
	}
	// One file per object holds exactly the object's stream document.
	for i, f := range files[:len(files)-1] {
		b, err := output.Marshal(res.Objects[i:i+1], output.FormatYAML)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, f.Data) {
			t.Errorf("%s differs from the stream output", f.Path)
		}
	}
}

// helmFuncs are the functions of helm's (sprig's) that the templates use:
// int64 turns a value of values.yaml, which helm reads as a float64 (or an
// int64 from --set), into an integer.
var helmFuncs = template.FuncMap{"int64": func(v any) (int64, error) {
	switch x := v.(type) {
	case float64:
		return int64(x), nil
	case int64:
		return x, nil
	case int:
		return int64(x), nil
	}
	return 0, fmt.Errorf("int64 of %T", v)
}}

// TestHelmChartLargeCounts: helm reads a million replicas from values.yaml
// as the float64 1e+06; the chart still renders the integer.
func TestHelmChartLargeCounts(t *testing.T) {
	deploy := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "web", "labels": map[string]any{convert.LabelName: "web"}},
		"spec": map[string]any{"replicas": int64(1000000), "template": map[string]any{"spec": map[string]any{
			"containers": []any{map[string]any{"name": "web", "image": "nginx:1.27"}},
		}}},
	}}
	files, err := output.Files([]*unstructured.Unstructured{deploy}, output.FormatHelm, "p")
	if err != nil {
		t.Fatal(err)
	}
	byPath := map[string][]byte{}
	for _, f := range files {
		byPath[f.Path] = f.Data
	}
	var values map[string]any
	if err := yaml.Unmarshal(byPath["values.yaml"], &values); err != nil {
		t.Fatal(err)
	}
	for p, data := range byPath {
		if !strings.HasPrefix(p, "templates/") {
			continue
		}
		var out bytes.Buffer
		tmpl := template.Must(template.New(p).Option("missingkey=error").Funcs(helmFuncs).Parse(string(data)))
		if err := tmpl.Execute(&out, map[string]any{"Values": values}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "replicas: 1000000\n") {
			t.Errorf("%s renders:\n%s", p, out.String())
		}
	}
}
