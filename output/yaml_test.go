package output

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

// yamlCases are strings whose YAML form is easy to get wrong.
var yamlCases = []string{
	"", " ", "plain", "with space", "true", "True", "yes", "no", "on", "off", "y", "N", "null", "~",
	"1", "0755", "1.5", "1e3", "0x1F", ".inf", "-", "-x", "--", "---", "...", "a: b", "a:b", "#x",
	"x #y", "x ", " x", "*/*", "&a", "!tag", "%x", "@x", "`x`", "'q'", "\"dq\"", "{a}", "[a]",
	"a,b", "?x", "|", ">", "$$(hostname)", "$(VAR)", "ünïcödé", "日本語", "tab\there", "nginx:1.27",
	"/bin/sh", "http://localhost:8080/healthz", "a:", "a:b", "a::b", "a,b", "x=y", "a+b", "a@b", "a%b", "a~b",
	"postgres://db:5432/app", "registry.example.com/team/svc:1.0", "--port", "250m", "512Mi", "1Gi", "1", "curl -f http://localhost || exit 1",
	"a long value with spaces that is longer than eighty characters when indented deeply enough",
	"Storefront web frontend for the shop app", "twenty chars w space", "a b", "a b c d e f g h i j k l",
	"multi\nline", "trailing\n", "cr\rhere", "<<", "=", "12:30", "1:20:30", "+1", "0o17", "0b101",
	"Host(`example.com`) && PathPrefix(`/api`)", "\x00nul", "\u2028sep", "é", "a\u00a0b",
	"until nc -z -w 2 svc-0001 8080 >/dev/null 2>&1; do echo waiting for svc-0001:8080; sleep 2; done",
	"cp -RL '/hoist/seed/data' '/hoist/seed/main.py' /hoist/target/ && chmod -R a+rwX /hoist/target && echo done with it all",
	"server {\n    listen 80;\n    location / {\n        proxy_pass http://wordpress;\n    }\n}\n",
	"  leading spaces\nsecond line", "a\n\nb", "line with trailing space \nnext", "x\n", "\n", "a\tb\nc",
	"a: very long value with spaces: and colons: that goes past the eighty column limit for sure",
	"'quoted' words and \"double quotes\" in a long line that yaml has to fold somewhere after eighty",
}

// TestYAMLMatchesSigsYAML checks the fast writer against sigs.k8s.io/yaml
// byte for byte, for tricky scalars in every position and for key order.
func TestYAMLMatchesSigsYAML(t *testing.T) {
	t.Parallel()
	for _, s := range yamlCases {
		checkYAML(t, yamlDoc(s))
	}
	checkYAML(t, map[string]any{
		"a10": 1, "a9": 2, "a09": 3, "b": []any{}, "c": map[string]any{}, "A": nil, "_x": true,
		"1": "one", "app.kubernetes.io/name": "x", "app.kubernetes.io/part-of": "y", "z-2": int64(-5),
		"nested": []any{[]any{"a", "b"}, []any{}, map[string]any{}, []any{map[string]any{"k": "v", "l": []any{"x"}}}},
		"float":  1.5,
	})
}

// yamlDoc puts s as a key and as a value at many depths and columns.
func yamlDoc(s string) map[string]any {
	doc := map[string]any{
		"key":  s,
		s:      "value",
		"list": []any{s, map[string]any{"name": s, "value": s}},
		"deep": map[string]any{"deeper": map[string]any{"deepest": []any{map[string]any{"command": []any{s, s}}}}},
	}
	nested := doc
	for i := range 12 {
		next := map[string]any{"k": s, "a-longer-key-name": s, "l": []any{s}}
		nested[fmt.Sprintf("level%d", i)] = next
		nested = next
	}
	return doc
}

// TestYAMLFastPathForLongStrings: long spaced and multi-line values, such
// as wait commands and config files, are written in place without falling
// back to sigs.k8s.io/yaml for the whole object.
func TestYAMLFastPathForLongStrings(t *testing.T) {
	t.Parallel()
	long := "until nc -z -w 2 svc-0001 8080 >/dev/null 2>&1; do echo waiting for svc-0001:8080; sleep 2; done"
	doc := map[string]any{
		"data": map[string]any{"default.conf": "server {\n    listen 80;\n}\n", "x.sh": "  indented\nscript"},
		"spec": map[string]any{"initContainers": []any{map[string]any{"command": []any{"sh", "-c", long}, "name": "wait"}}},
		"note": long,
	}
	var got bytes.Buffer
	w := yamlWriter{buf: &got}
	w.ok = true
	w.mapBody(doc, 0, false)
	if !w.ok {
		t.Fatal("fell back to sigs.k8s.io/yaml for the whole object")
	}
	checkYAML(t, doc)
}

func checkYAML(t *testing.T, doc map[string]any) {
	t.Helper()
	want, wantErr := yaml.Marshal(doc)
	var got bytes.Buffer
	w := yamlWriter{buf: &got}
	err := w.object(doc)
	if wantErr != nil || err != nil {
		if (wantErr == nil) != (err == nil) {
			t.Fatalf("sigs.k8s.io/yaml error %v, marshalYAML error %v", wantErr, err)
		}
		return
	}
	if diff := cmp.Diff(string(want), got.String()); diff != "" {
		t.Errorf("marshalYAML differs from sigs.k8s.io/yaml (-want +got):\n%s", diff)
	}
}

func FuzzYAML(f *testing.F) {
	for _, s := range yamlCases {
		f.Add(s, "key")
	}
	f.Fuzz(func(t *testing.T, s, k string) {
		doc := yamlDoc(s)
		doc[k] = []any{s, k}
		checkYAML(t, doc)
	})
}
