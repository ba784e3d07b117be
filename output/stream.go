package output

import (
	"bytes"
	"encoding/json"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Marshal serialises objects, in the order given, as a YAML stream or as
// a JSON v1 List. Map keys come out sorted, so equal input gives equal
// bytes.
func Marshal(objs []*unstructured.Unstructured, f Format) ([]byte, error) {
	var buf bytes.Buffer
	switch f {
	case FormatJSON:
		items := make([]map[string]any, len(objs))
		for i, o := range objs {
			items[i] = o.Object
		}
		b, err := json.MarshalIndent(map[string]any{"apiVersion": "v1", "kind": "List", "items": items}, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("marshalling JSON: %w", err)
		}
		buf.Write(b)
		buf.WriteByte('\n')
	case FormatYAML, "":
		w := yamlWriter{buf: &buf}
		for i, o := range objs {
			if i > 0 {
				buf.WriteString("---\n")
			}
			if err := w.object(o.Object); err != nil {
				return nil, fmt.Errorf("marshalling %s %s: %w", o.GetKind(), o.GetName(), err)
			}
		}
	default:
		return nil, invalidf("format %q", f)
	}
	return buf.Bytes(), nil
}
