package convert

import (
	"iter"
	"maps"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
)

// Report says, for every service and every compose key it sets, whether
// hoist mapped, approximated or dropped it, and why. It is built from the
// same facts as the warnings.
//
// Which warnings are about which key: a warning about key K belongs to the
// most specific reported key that is K or a parent of K (so
// "sysctls.vm.max_map_count" belongs to "sysctls"); a wildcard
// ("labels.kompose.hpa.*") or a parent of reported keys ("models" when
// "models.llm" is reported) belongs to each key it covers, as a whole. A warning that matches no reported key is reported as a
// key of its own.
//
// The status of a key:
//   - mapped: no warning is about it;
//   - dropped: the whole key has no effect: every warning about it is a
//     drop (Warning.Dropped) of the key itself, not of a part of it (a
//     more specific key, or Warning.Partial);
//   - approximated: anything else, including keys only parts of which are
//     dropped (one environment variable, one sysctl).
type Report struct {
	Project string `json:"project"`
	// Services are sorted by name.
	Services []ServiceReport `json:"services"`
	// ProjectKeys are the top-level entries (networks, volumes, configs,
	// secrets, jobs, models, one per name; x-kubernetes keys) and
	// project-level warnings, sorted by key.
	ProjectKeys []KeyReport `json:"projectKeys,omitempty"`
	Summary     Summary     `json:"summary"`
}

// ServiceReport is what happened to one service's keys.
type ServiceReport struct {
	Name string `json:"name"`
	// Keys are sorted: compose keys, kompose labels as labels.<label> and
	// x-kubernetes keys (project defaults included) as x-kubernetes.<key>.
	Keys []KeyReport `json:"keys"`
}

// KeyReport is what happened to one key.
type KeyReport struct {
	Key string `json:"key"`
	// Status is mapped, approximated or dropped.
	Status string `json:"status"`
	// To is what a mapped key becomes, from the mapping table.
	To string `json:"to,omitempty"`
	// Why lists the warnings about the key, in the order they were
	// raised; a warning about a part of the key starts with its path.
	Why []string `json:"why,omitempty"`
}

// Summary counts the report's keys by status.
type Summary struct {
	Objects      int `json:"objects"`
	Warnings     int `json:"warnings"`
	Mapped       int `json:"mapped"`
	Approximated int `json:"approximated"`
	Dropped      int `json:"dropped"`
}

// The statuses of a KeyReport.
const (
	StatusMapped       = "mapped"
	StatusApproximated = "approximated"
	StatusDropped      = "dropped"
)

// NewReport builds the report of a conversion.
func NewReport(p *types.Project, res *Result) *Report {
	r := &Report{Project: p.Name, Services: []ServiceReport{}}
	byService := map[string][]Warning{}
	for _, w := range res.Warnings {
		byService[w.Service] = append(byService[w.Service], w)
	}
	for _, name := range p.ServiceNames() {
		svc := p.Services[name]
		keys := map[string]string{}
		for _, k := range presentKeys(&svc) {
			keys[k] = ""
			if rule, ok := serviceKeys[k]; ok && rule.status == keyMapped {
				keys[k] = rule.to
			}
		}
		for l := range svc.Labels {
			if isKomposeLabel(l) {
				keys["labels."+l] = ""
			}
		}
		for _, raw := range []any{p.Extensions[ExtensionKey], svc.Extensions[ExtensionKey]} {
			extensionReportKeys(keys, raw)
		}
		r.Services = append(r.Services, ServiceReport{Name: name, Keys: keyReports(keys, byService[name])})
	}

	keys := map[string]string{}
	add := func(section string, names iter.Seq[string]) {
		for k := range names {
			keys[section+"."+k] = ""
		}
	}
	add("networks", maps.Keys(p.Networks))
	add("volumes", maps.Keys(p.Volumes))
	add("configs", maps.Keys(p.Configs))
	add("secrets", maps.Keys(p.Secrets))
	add("jobs", maps.Keys(p.Jobs))
	add("models", maps.Keys(p.Models))
	extensionReportKeys(keys, p.Extensions[ExtensionKey])
	r.ProjectKeys = keyReports(keys, byService[""])

	r.Summary.Objects = len(res.Objects)
	r.Summary.Warnings = len(res.Warnings)
	count := func(keys []KeyReport) {
		for _, k := range keys {
			switch k.Status {
			case StatusMapped:
				r.Summary.Mapped++
			case StatusApproximated:
				r.Summary.Approximated++
			default:
				r.Summary.Dropped++
			}
		}
	}
	for _, s := range r.Services {
		count(s.Keys)
	}
	count(r.ProjectKeys)
	return r
}

// extensionReportKeys adds the keys of an x-kubernetes block, with what
// the mapped ones become.
func extensionReportKeys(keys map[string]string, raw any) {
	m, ok := raw.(map[string]any)
	if !ok {
		return
	}
	for k := range m {
		to := ""
		for _, e := range extensionKeys {
			if (e.key == k || strings.HasPrefix(e.key, k+".")) && e.status == keyMapped {
				to = e.to
				break
			}
		}
		keys[ExtensionKey+"."+k] = to
	}
}

// keyReports gives each key (mapped to its mapping-table text) its
// warnings and status.
func keyReports(keys map[string]string, warnings []Warning) []KeyReport {
	type note struct {
		w     Warning
		whole bool // about the key itself, not a part of it
	}
	notes := map[string][]note{}
	sorted := slices.Sorted(maps.Keys(keys))
	for _, w := range warnings {
		// A wildcard ("labels.kompose.hpa.*") is about each key it covers.
		if parent, ok := strings.CutSuffix(w.Key, ".*"); ok {
			matched := false
			for _, k := range sorted {
				if isKeyPrefix(parent, k) {
					notes[k] = append(notes[k], note{w, true})
					matched = true
				}
			}
			if matched {
				continue
			}
		}
		// The warning's key or its most specific reported parent.
		owner := ""
		for _, k := range sorted {
			if isKeyPrefix(k, w.Key) && len(k) > len(owner) {
				owner = k
			}
		}
		if owner != "" {
			notes[owner] = append(notes[owner], note{w, owner == w.Key})
			continue
		}
		// A parent of reported keys: about each of them as a whole.
		matched := false
		for _, k := range sorted {
			if isKeyPrefix(w.Key, k) {
				notes[k] = append(notes[k], note{w, true})
				matched = true
			}
		}
		if !matched {
			keys[w.Key] = ""
			notes[w.Key] = append(notes[w.Key], note{w, true})
		}
	}
	out := []KeyReport{}
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		kr := KeyReport{Key: k, Status: StatusMapped}
		ns := notes[k]
		dropped := len(ns) > 0
		for _, n := range ns {
			msg := n.w.Message
			if n.w.Key != k {
				msg = n.w.Key + ": " + msg
			}
			kr.Why = append(kr.Why, msg)
			if !n.w.Dropped || n.w.Partial || !n.whole {
				dropped = false
			}
		}
		switch {
		case dropped:
			kr.Status = StatusDropped
		case len(ns) > 0:
			kr.Status = StatusApproximated
		default:
			kr.To = keys[k]
		}
		out = append(out, kr)
	}
	return out
}

// isKeyPrefix reports whether key path p is k or a parent of k.
func isKeyPrefix(p, k string) bool {
	return k == p || strings.HasPrefix(k, p+".") || strings.HasPrefix(k, p+"[")
}
