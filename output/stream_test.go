package output_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/hoist-dev/hoist/convert"
	"github.com/hoist-dev/hoist/output"
)

// TestJSONListIsMarshalIndent checks that the JSON List, written one item
// at a time, is exactly json.MarshalIndent of the whole List, for every
// golden case and for no objects at all.
func TestJSONListIsMarshalIndent(t *testing.T) {
	cases := map[string][]*unstructured.Unstructured{"empty": {}}
	for name, res := range goldenObjects(t) {
		cases[name] = res.Objects
	}
	for name, objs := range cases {
		items := make([]map[string]any, len(objs))
		for i, o := range objs {
			items[i] = o.Object
		}
		want, err := json.MarshalIndent(map[string]any{"apiVersion": "v1", "kind": "List", "items": items}, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, '\n')
		got, err := output.Marshal(objs, output.FormatJSON)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: JSON List differs from json.MarshalIndent (-want +got):\n%s", name, cmp.Diff(string(want), string(got)))
		}
	}
}

// TestWriteRejectsUnknownFormat checks that an unknown format is an
// invalid-input error and writes nothing.
func TestWriteRejectsUnknownFormat(t *testing.T) {
	var out bytes.Buffer
	err := output.Write(&out, goldenObjects(t)["namespace"].Objects, "toml")
	if !errors.Is(err, convert.ErrInvalid) || out.Len() > 0 {
		t.Errorf("format toml: error %v, %d bytes written; want convert.ErrInvalid and nothing", err, out.Len())
	}
}
