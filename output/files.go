package output

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/hoist-dev/hoist/convert"
)

// File is one file of a directory output: a path relative to the output
// directory, with forward slashes, and its content.
type File struct {
	Path string
	Data []byte
}

// Files lays objects out as a directory: one file per object for yaml and
// json, plus kustomization.yaml for kustomize, or a Helm chart. name is the
// project name, used for the chart. The files are sorted by path, and equal
// input gives equal bytes.
func Files(objs []*unstructured.Unstructured, f Format, name string) ([]File, error) {
	switch f {
	case FormatHelm:
		return helmChart(objs, name)
	case FormatYAML, FormatJSON, FormatKustomize, "":
	default:
		return nil, invalidf("format %q", f)
	}
	ext := ".yaml"
	if f == FormatJSON {
		ext = ".json"
	}
	var files []File
	var resources []any
	for _, o := range objs {
		var (
			b   []byte
			err error
		)
		if f == FormatJSON {
			b, err = jsonObject(o)
		} else {
			b, err = Marshal([]*unstructured.Unstructured{o}, FormatYAML)
		}
		if err != nil {
			return nil, err
		}
		p := objectFileName(o) + ext
		files = append(files, File{Path: p, Data: b})
		resources = append(resources, p)
	}
	if f == FormatKustomize {
		// Resources stay in the apply order: kustomize keeps it.
		b, err := marshalMap(map[string]any{
			"apiVersion": "kustomize.config.k8s.io/v1beta1",
			"kind":       "Kustomization",
			"resources":  resources,
		})
		if err != nil {
			return nil, err
		}
		files = append(files, File{Path: "kustomization.yaml", Data: b})
	}
	sortFiles(files)
	return files, nil
}

// objectFileName is "<rank>-<kind>-<name>": the rank of the kind in the
// total order keeps `kubectl apply -f DIR`, which reads files by name, in
// dependency order, and a new object never renames the others.
func objectFileName(o *unstructured.Unstructured) string {
	return fmt.Sprintf("%02d-%s-%s", convert.KindRank(o.GetKind()), strings.ToLower(o.GetKind()), o.GetName())
}

func jsonObject(o *unstructured.Unstructured) ([]byte, error) {
	b, err := json.MarshalIndent(o.Object, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("marshalling %s %s: %w", o.GetKind(), o.GetName(), err)
	}
	return append(b, '\n'), nil
}

func marshalMap(m map[string]any) ([]byte, error) {
	return Marshal([]*unstructured.Unstructured{{Object: m}}, FormatYAML)
}

// deepCopy copies an object's content.
func deepCopy(o *unstructured.Unstructured) map[string]any {
	return runtime.DeepCopyJSON(o.Object)
}

func sortFiles(files []File) {
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
}
