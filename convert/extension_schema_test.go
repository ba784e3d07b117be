package convert

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// TestSchemaMatchesGoTypes keeps x-kubernetes.schema.json and the Go types
// that decode x-kubernetes equal: every json field of the Go types is a
// schema property and every schema property a json field, at every depth.
func TestSchemaMatchesGoTypes(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(SchemaFile, &doc); err != nil {
		t.Fatal(err)
	}
	defs := doc["$defs"].(map[string]any)
	resolve := func(node map[string]any) map[string]any {
		for {
			ref, ok := node["$ref"].(string)
			if !ok {
				return node
			}
			node = defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
		}
	}
	leaf := map[reflect.Type]bool{
		reflect.TypeFor[json.RawMessage]():    true,
		reflect.TypeFor[intstr.IntOrString](): true,
	}
	var walk func(path string, typ reflect.Type, node map[string]any)
	walk = func(path string, typ reflect.Type, node map[string]any) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice {
			if leaf[typ] {
				return
			}
			typ = typ.Elem()
			if items, ok := node["items"].(map[string]any); ok {
				node = items
			}
		}
		node = resolve(node)
		if typ.Kind() != reflect.Struct || leaf[typ] {
			return
		}
		props, _ := node["properties"].(map[string]any)
		var goKeys []string
		for _, f := range reflect.VisibleFields(typ) {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || name == "-" || name == "" {
				continue
			}
			goKeys = append(goKeys, name)
			sub, ok := props[name].(map[string]any)
			if !ok {
				continue
			}
			walk(path+"."+name, f.Type, sub)
		}
		var schemaKeys []string
		for k := range props {
			schemaKeys = append(schemaKeys, k)
		}
		slices.Sort(goKeys)
		slices.Sort(schemaKeys)
		if diff := cmp.Diff(goKeys, schemaKeys); diff != "" {
			t.Errorf("%s: Go type %s and the schema differ (-go +schema):\n%s", path, typ, diff)
		}
		if node["additionalProperties"] != false {
			t.Errorf("%s: the schema must set additionalProperties: false", path)
		}
	}
	walk(ExtensionKey, reflect.TypeFor[Extension](), doc)

	// A top-level volume's block.
	vol := resolve(defs["volume"].(map[string]any))
	walk("volumes.*."+ExtensionKey, reflect.TypeFor[VolumeExtension](), vol)
	size := vol["properties"].(map[string]any)["size"].(map[string]any)
	if size["pattern"] != quantityPattern {
		t.Errorf("volume size pattern %q, want quantityPattern %q", size["pattern"], quantityPattern)
	}
}

// TestSchemaErrors checks the wording of schema errors: one line, naming
// every offending key path.
func TestSchemaErrors(t *testing.T) {
	tests := []struct {
		name string
		raw  any
		want string
	}{
		{name: "valid", raw: map[string]any{"autoscale": map[string]any{"max": 3}}},
		{name: "wrong type", raw: map[string]any{"autoscale": map[string]any{"max": "3"}}, want: "x-kubernetes.autoscale.max: want integer, got string"},
		{name: "unknown key", raw: map[string]any{"replicas": 2}, want: "x-kubernetes.replicas: unknown key"},
		{name: "not an object", raw: "deployment", want: "x-kubernetes: want object, got string"},
		{name: "port name", raw: map[string]any{"probes": map[string]any{"tcpSocket": map[string]any{"port": "http"}}}},
		{name: "port bool", raw: map[string]any{"probes": map[string]any{"tcpSocket": map[string]any{"port": true}}}, want: "x-kubernetes.probes.tcpSocket.port: want integer or string, got boolean"},
		{name: "several", raw: map[string]any{"labels": map[string]any{"a": []any{}}, "nodeSelector": 1}, want: `x-kubernetes.labels.a: want string, got array; x-kubernetes.nodeSelector: want object, got number`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := validateExtension(schemaExtension, tc.raw)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
