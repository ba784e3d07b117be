package convert

import (
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
