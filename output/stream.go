package output

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Marshal serialises objects, in the order given, as a YAML stream or as
// a JSON v1 List. Map keys come out sorted, so equal input gives equal
// bytes.
func Marshal(objs []*unstructured.Unstructured, f Format) ([]byte, error) {
	var buf bytes.Buffer
	if err := Write(&buf, objs, f); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Write writes the bytes of Marshal to w, one object at a time: only the
// text of the object being written is held in memory, not the whole
// stream (a 1000-service project's YAML is about 5 MB, and a buffer
// grown by doubling holds up to twice that). On an error, what was
// written before it is an incomplete stream.
func Write(w io.Writer, objs []*unstructured.Unstructured, f Format) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	var buf bytes.Buffer
	switch f {
	case FormatJSON:
		// json.MarshalIndent of {"apiVersion", "items", "kind"} (keys
		// sorted), with the items written one by one at their indent.
		bw.WriteString("{\n  \"apiVersion\": \"v1\",\n  \"items\": [")
		for i, o := range objs {
			b, err := json.MarshalIndent(o.Object, "    ", "  ")
			if err != nil {
				return fmt.Errorf("marshalling JSON: %w", err)
			}
			if i > 0 {
				bw.WriteByte(',')
			}
			bw.WriteString("\n    ")
			bw.Write(b)
		}
		if len(objs) > 0 {
			bw.WriteString("\n  ")
		}
		bw.WriteString("],\n  \"kind\": \"List\"\n}\n")
	case FormatYAML, "":
		yw := yamlWriter{buf: &buf}
		for i, o := range objs {
			buf.Reset()
			if i > 0 {
				buf.WriteString("---\n")
			}
			if err := yw.object(o.Object); err != nil {
				return fmt.Errorf("marshalling %s %s: %w", o.GetKind(), o.GetName(), err)
			}
			if _, err := bw.Write(buf.Bytes()); err != nil {
				return err
			}
		}
	default:
		return invalidf("format %q", f)
	}
	return bw.Flush()
}
