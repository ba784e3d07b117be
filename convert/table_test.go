package convert

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestExtensionTablesMatchGoTypes keeps the README's x-kubernetes tables
// complete: every top-level json field of Extension and VolumeExtension
// has a row, and every row is a field.
func TestExtensionTablesMatchGoTypes(t *testing.T) {
	fields := func(typ reflect.Type) []string {
		var keys []string
		for _, f := range reflect.VisibleFields(typ) {
			if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); f.IsExported() && name != "" && name != "-" {
				keys = append(keys, name)
			}
		}
		slices.Sort(keys)
		return keys
	}
	var service, volume []string
	for _, e := range extensionKeys {
		k, _, _ := strings.Cut(e.key, ".")
		if !slices.Contains(service, k) {
			service = append(service, k)
		}
	}
	for _, e := range volumeExtensionKeys {
		volume = append(volume, e.key)
	}
	slices.Sort(service)
	slices.Sort(volume)
	if diff := cmp.Diff(fields(reflect.TypeFor[Extension]()), service); diff != "" {
		t.Errorf("extensionKeys and Extension differ (-go +table):\n%s", diff)
	}
	if diff := cmp.Diff(fields(reflect.TypeFor[VolumeExtension]()), volume); diff != "" {
		t.Errorf("volumeExtensionKeys and VolumeExtension differ (-go +table):\n%s", diff)
	}
}

// TestKeyCodeComplete keeps the code column of the README's mapping table
// true: every mapped key names at least one file, every entry is a key of
// the table, and every file exists.
func TestKeyCodeComplete(t *testing.T) {
	t.Parallel()
	want := map[string]bool{}
	for k, r := range serviceKeys {
		if r.status == keyMapped {
			want[k] = true
		}
	}
	for _, e := range extensionKeys {
		want[ExtensionKey+"."+e.key] = true
	}
	for _, e := range volumeExtensionKeys {
		want["volumes."+ExtensionKey+"."+e.key] = true
	}
	for k := range want {
		if len(keyCode[k]) == 0 {
			t.Errorf("key %q: no file in keyCode", k)
		}
	}
	for k, files := range keyCode {
		if !want[k] {
			t.Errorf("keyCode %q: not a mapped key of the table", k)
		}
		for _, f := range append(files, droppedKeyCode) {
			if _, err := os.Stat(filepath.Join("..", f)); err != nil {
				t.Errorf("keyCode %q: %v", k, err)
			}
		}
	}
}
