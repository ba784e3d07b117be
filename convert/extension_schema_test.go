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

// TestTolerations: the API server's rules for tolerations, which the
// schema cannot express, are errors naming the entry.
func TestTolerations(t *testing.T) {
	t.Parallel()
	tol := func(m map[string]any) map[string]any { return map[string]any{"tolerations": []any{m}} }
	for _, tc := range []struct {
		name string
		raw  map[string]any
		want string
	}{
		{name: "exists", raw: tol(map[string]any{"operator": "Exists"})},
		{name: "equal", raw: tol(map[string]any{"key": "dedicated", "value": "db", "effect": "NoSchedule"})},
		{name: "noexecute seconds", raw: tol(map[string]any{"key": "k", "effect": "NoExecute", "tolerationSeconds": 30})},
		{name: "exists with value", raw: tol(map[string]any{"key": "x", "operator": "Exists", "value": "v"}), want: `x-kubernetes.tolerations[0]: value "v": a toleration with operator Exists has no value`},
		{name: "no key", raw: tol(map[string]any{"operator": "Equal", "value": "z"}), want: "x-kubernetes.tolerations[0]: a toleration without a key must have operator Exists (it tolerates every taint)"},
		{name: "bad value", raw: tol(map[string]any{"key": "k", "value": "not valid!"}), want: `x-kubernetes.tolerations[0]: value "not valid!" is not a valid label value`},
		{name: "bad key", raw: tol(map[string]any{"key": "a b", "operator": "Exists"}), want: `x-kubernetes.tolerations[0]: key "a b" is not a valid label key`},
		{name: "seconds without NoExecute", raw: tol(map[string]any{"key": "k", "effect": "NoSchedule", "tolerationSeconds": 30}), want: "x-kubernetes.tolerations[0]: tolerationSeconds needs effect NoExecute"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := decodeExtension(tc.raw)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if tc.want == "" && got != "" || tc.want != "" && !strings.HasPrefix(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
