package output

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/hoist-dev/hoist/convert"
)

// A Helm chart whose templates, rendered with the chart's own values,
// give exactly the objects of the plain output. values.yaml holds, per
// service (keyed by object name): image and tag, replicas, resources and
// autoscale. The templates use Go template built-ins (index, if, printf)
// and one function of helm's (sprig's int64): helm reads every number of
// values.yaml as a float64, which a bare {{ }} prints as 1e+06 from a
// million on, which no integer field takes. The tests render them with
// text/template and that one function.

type placeholders struct {
	n    int
	expr map[string]string
}

// put returns a placeholder for expr: a plain YAML scalar no real value
// holds, replaced by expr after marshalling.
func (p *placeholders) put(expr string) string {
	token := fmt.Sprintf("hoist-helm-value-%d-x9q", p.n)
	p.n++
	p.expr[token] = expr
	return token
}

func helmChart(objs []*unstructured.Unstructured, project string) ([]File, error) {
	name, err := convert.ObjectName(project)
	if err != nil {
		return nil, fmt.Errorf("chart name: %w", err)
	}
	services := map[string]map[string]any{}
	var files []File
	for _, o := range objs {
		obj := deepCopy(o)
		ph := &placeholders{expr: map[string]string{}}
		svc := o.GetLabels()[convert.LabelName]
		v := services[svc]
		newValues := func() map[string]any {
			if v == nil {
				v = map[string]any{}
				services[svc] = v
			}
			return v
		}
		kind := o.GetKind()
		podSpecPath := convert.PodSpecPath(kind)
		switch {
		case podSpecPath != nil && svc != "":
			vals := newValues()
			if r, ok, _ := unstructured.NestedFieldNoCopy(obj, "spec", "replicas"); ok && (kind == "Deployment" || kind == "StatefulSet") {
				vals["replicas"] = r
				_ = unstructured.SetNestedField(obj, ph.put("{{ int64 $v.replicas }}"), "spec", "replicas")
			}
			podSpec, _, _ := unstructured.NestedMap(obj, podSpecPath...)
			helmContainers(podSpec, svc, vals, ph)
			if err := unstructured.SetNestedMap(obj, podSpec, podSpecPath...); err != nil {
				return nil, err
			}
		case kind == "HorizontalPodAutoscaler" && svc != "":
			vals := newValues()
			as := map[string]any{}
			if m, ok, _ := unstructured.NestedFieldNoCopy(obj, "spec", "minReplicas"); ok {
				as["min"] = m
				_ = unstructured.SetNestedField(obj, ph.put("{{ int64 $v.autoscale.min }}"), "spec", "minReplicas")
			}
			if m, ok, _ := unstructured.NestedFieldNoCopy(obj, "spec", "maxReplicas"); ok {
				as["max"] = m
				_ = unstructured.SetNestedField(obj, ph.put("{{ int64 $v.autoscale.max }}"), "spec", "maxReplicas")
			}
			metrics, _, _ := unstructured.NestedSlice(obj, "spec", "metrics")
			for _, m := range metrics {
				mm, _ := m.(map[string]any)
				res, _ := mm["resource"].(map[string]any)
				target, _ := res["target"].(map[string]any)
				metric, _ := res["name"].(string)
				if u, ok := target["averageUtilization"]; ok && (metric == "cpu" || metric == "memory") {
					as[metric] = u
					target["averageUtilization"] = ph.put("{{ int64 $v.autoscale." + metric + " }}")
				}
			}
			_ = unstructured.SetNestedSlice(obj, metrics, "spec", "metrics")
			vals["autoscale"] = as
		}
		b, err := marshalMap(obj)
		if err != nil {
			return nil, err
		}
		text := strings.ReplaceAll(string(b), "{{", `{{ "{{" }}`)
		for token, expr := range ph.expr {
			text = strings.ReplaceAll(text, token, expr)
		}
		if len(ph.expr) > 0 {
			text = fmt.Sprintf("{{- $v := index .Values.services %q }}\n", svc) + text
		}
		files = append(files, File{Path: "templates/" + objectFileName(o) + ".yaml", Data: []byte(text)})
	}
	chart, err := marshalMap(map[string]any{
		"apiVersion":  "v2",
		"name":        name,
		"description": fmt.Sprintf("Kubernetes objects of the compose project %s, converted by hoist", project),
		"type":        "application",
		"version":     "0.1.0",
	})
	if err != nil {
		return nil, err
	}
	svcValues := map[string]any{}
	for k, v := range services {
		svcValues[k] = v
	}
	values, err := marshalMap(map[string]any{"services": svcValues})
	if err != nil {
		return nil, err
	}
	var head bytes.Buffer
	head.WriteString("# Per service, by Kubernetes name: image and tag, replicas, container\n# resources and autoscaler bounds. Rendered unchanged, the chart gives the\n# same objects as `hoist convert`.\n")
	head.Write(values)
	files = append(files,
		File{Path: "Chart.yaml", Data: chart},
		File{Path: "values.yaml", Data: head.Bytes()},
	)
	sortFiles(files)
	return files, nil
}

// helmContainers puts the main container's image and resources into
// values. Other containers that run the same image (pre_start hooks, seed
// containers) follow the same value.
func helmContainers(podSpec map[string]any, svc string, vals map[string]any, ph *placeholders) {
	containers, _ := podSpec["containers"].([]any)
	var image string
	for _, c := range containers {
		cm, _ := c.(map[string]any)
		if cm["name"] != svc {
			continue
		}
		image, _ = cm["image"].(string)
		repo, tag := splitImage(image)
		vals["image"], vals["tag"] = repo, tag
		if res, ok := cm["resources"].(map[string]any); ok && len(res) > 0 {
			vals["resources"] = runtimeCopy(res)
			for _, kind := range slices.Sorted(maps.Keys(res)) {
				quantities, _ := res[kind].(map[string]any)
				for _, q := range slices.Sorted(maps.Keys(quantities)) {
					quantities[q] = ph.put(fmt.Sprintf("{{ printf \"%%q\" (printf \"%%v\" (index $v.resources %q %q)) }}", kind, q))
				}
			}
		}
	}
	if image == "" {
		return
	}
	expr := ph.put("{{ $v.image }}{{ if $v.tag }}:{{ $v.tag }}{{ end }}")
	for _, field := range []string{"initContainers", "containers"} {
		list, _ := podSpec[field].([]any)
		for _, c := range list {
			if cm, _ := c.(map[string]any); cm["image"] == image {
				cm["image"] = expr
			}
		}
	}
}

// splitImage splits an image reference into repository and tag; a digest
// stays in the repository.
func splitImage(ref string) (repo, tag string) {
	if strings.Contains(ref, "@") {
		return ref, ""
	}
	slash := strings.LastIndex(ref, "/")
	if colon := strings.LastIndex(ref, ":"); colon > slash {
		return ref[:colon], ref[colon+1:]
	}
	return ref, ""
}

func runtimeCopy(m map[string]any) map[string]any {
	return deepCopy(&unstructured.Unstructured{Object: m})
}
