//go:build integration

package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"

	"github.com/hoist-dev/hoist/internal/testcluster"
)

// TestConvertGoldensAcceptedByServer sends every convert golden
// (convert/testdata/*/want.yaml) to the API server as a server-side dry run
// apply, each case in its own namespace, so every mapping is checked by the
// real server and not only by our reading of the API.
func TestConvertGoldensAcceptedByServer(t *testing.T) {
	// Skips without a cluster as every cluster test does; fails when
	// TestMain did not start one.
	cl := clusterClients(t, testcluster.Kubeconfig(t))
	dyn := cl.dyn
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(cl.discovery))

	goldens, err := filepath.Glob(filepath.Join("..", "..", "convert", "testdata", "*", "want.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	examples, err := filepath.Glob(filepath.Join("..", "..", "examples", "*", "k8s.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(goldens) == 0 || len(examples) == 0 {
		t.Fatal("no convert goldens or examples found")
	}
	for _, path := range append(goldens, examples...) {
		name := filepath.Base(filepath.Dir(path))
		if filepath.Base(path) == "k8s.yaml" {
			name = "example-" + name
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			objs, err := decodeObjects(b)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if len(objs) == 0 {
				return
			}
			ns := goldenNamespace(name)
			cl.namespace(t, ns)
			for _, obj := range objs {
				gvk := obj.GroupVersionKind()
				m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
				if err != nil {
					t.Errorf("case %s: %s %s: %v", name, gvk.Kind, obj.GetName(), err)
					continue
				}
				ri := dyn.Resource(m.Resource)
				var client dynamic.ResourceInterface = ri
				if m.Scope.Name() == meta.RESTScopeNameNamespace {
					// Into the case's namespace, whatever -n the case used.
					obj.SetNamespace(ns)
					client = ri.Namespace(ns)
				}
				_, err = client.Apply(context.Background(), obj.GetName(), obj, metav1.ApplyOptions{
					FieldManager: "hoist-golden-test", Force: true, DryRun: []string{metav1.DryRunAll},
				})
				if err != nil {
					t.Errorf("case %s: %s %s rejected by the API server: %v", name, gvk.Kind, obj.GetName(), err)
				}
			}
		})
	}
}

// decodeObjects reads a YAML stream of objects.
func decodeObjects(b []byte) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
	var out []*unstructured.Unstructured
	for {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, err
		}
		if len(m) == 0 {
			continue
		}
		out = append(out, &unstructured.Unstructured{Object: m})
	}
}

// goldenNamespace is a valid, unique namespace name for a golden case.
func goldenNamespace(name string) string {
	ns := "golden-" + strings.Trim(strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, strings.ToLower(name)), "-")
	if len(ns) > validation.DNS1123LabelMaxLength {
		ns = strings.TrimRight(ns[:validation.DNS1123LabelMaxLength], "-")
	}
	return ns
}
