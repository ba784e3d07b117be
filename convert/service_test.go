package convert

import (
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// An explicit node port outside the default range is kept and warns: a
// default API server refuses it, one with a wider
// --service-node-port-range takes it. (The goldens are dry-run on a
// default API server, so this case is not one of them.)
func TestNodePortOutsideRange(t *testing.T) {
	t.Parallel()
	web := types.ServiceConfig{Name: "web"}
	web.Image = "nginx"
	web.Ports = []types.ServicePortConfig{{Target: 80, Published: "8080", Protocol: "tcp"}}
	web.Extensions = types.Extensions{ExtensionKey: map[string]any{"service": map[string]any{"type": "NodePort", "nodePort": 80}}}
	p := &types.Project{Name: "p", Services: types.Services{"web": web}}
	res, err := Convert(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var warned bool
	for _, w := range res.Warnings {
		if w.Key == ExtensionKey+".service.nodePort" && strings.Contains(w.Message, "80 is outside the default node port range") {
			warned = true
		}
	}
	if !warned {
		t.Errorf("no warning about node port 80 in %v", res.Warnings)
	}
	for _, o := range res.Objects {
		if o.GetKind() == "Service" && o.GetName() == "web-published" {
			ports, _, _ := unstructured.NestedSlice(o.Object, "spec", "ports")
			if len(ports) != 1 || ports[0].(map[string]any)["nodePort"] != int64(80) {
				t.Errorf("web-published ports = %v, want nodePort 80", ports)
			}
			return
		}
	}
	t.Error("no Service web-published")
}
