package convert

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
)

// serviceUsage is how the other services of a project use one service.
// It decides whether a service whose restart policy would make a Job runs
// once or runs as a long-lived service (decideWorkload).
type serviceUsage struct {
	// startedBy is a service that waits for it to start or be healthy
	// (depends_on, short form or service_started/service_healthy, links).
	startedBy string
	// completedBy is a service that waits for it with
	// service_completed_successfully.
	completedBy string
	// reachedBy is a service whose environment, command, entrypoint or
	// healthcheck names it as a host (mentionsHost).
	reachedBy string
}

// projectUsage is the usage of every service by the others, each field
// naming the first such service in name order.
func projectUsage(p *types.Project) map[string]serviceUsage {
	m := map[string]serviceUsage{}
	names := p.ServiceNames()
	isService := make(map[string]bool, len(names))
	for _, n := range names {
		isService[n] = true
	}
	for _, user := range names {
		svc := p.Services[user]
		joined := map[string]bool{}
		for _, ref := range []string{svc.NetworkMode, svc.Ipc, svc.Pid, svc.Uts, svc.Cgroup} {
			if name, ok := strings.CutPrefix(ref, types.ServicePrefix); ok {
				joined[name] = true
			}
		}
		for _, dep := range slices.Sorted(maps.Keys(svc.DependsOn)) {
			if joined[dep] {
				continue // shares its namespaces, not a client of it
			}
			u := m[dep]
			switch svc.DependsOn[dep].Condition {
			case types.ServiceConditionCompletedSuccessfully:
				if u.completedBy == "" {
					u.completedBy = user
				}
			default:
				if u.startedBy == "" {
					u.startedBy = user
				}
			}
			m[dep] = u
		}
		// One pass over the service's texts, then a look-up per name found:
		// linear in the project, not services x services scans.
		found := mentionedHosts(serviceTexts(&svc))
		for _, v := range svc.Environment {
			if v != nil {
				found[*v] = true
			}
		}
		for other := range found {
			if other == user || !isService[other] || m[other].reachedBy != "" {
				continue
			}
			u := m[other]
			u.reachedBy = user
			m[other] = u
		}
	}
	return m
}

// longRunning says why a service that its restart policy would make a Job
// is a long-running service that others reach, or "" when it looks
// one-shot: others wait for it to start or be healthy, it has a
// healthcheck, network aliases, or another service names it as a host.
func (c *converter) longRunning(svc *types.ServiceConfig, use serviceUsage) string {
	switch {
	case use.startedBy != "":
		return fmt.Sprintf("service %q depends on it", use.startedBy)
	case c.hasReadiness(svc):
		return "it has a healthcheck"
	case use.reachedBy != "":
		return fmt.Sprintf("service %q reaches it by name", use.reachedBy)
	}
	for _, net := range slices.Sorted(maps.Keys(svc.Networks)) {
		if n := svc.Networks[net]; n != nil && len(n.Aliases) > 0 {
			return fmt.Sprintf("it has networks.%s.aliases", net)
		}
	}
	return ""
}

// serviceTexts are the strings of a service that may name another
// service's host: environment values, command, entrypoint and healthcheck
// test.
func serviceTexts(svc *types.ServiceConfig) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(svc.Environment)) {
		if v := svc.Environment[k]; v != nil {
			out = append(out, *v)
		}
	}
	out = append(out, svc.Command...)
	out = append(out, svc.Entrypoint...)
	if hc := svc.HealthCheck; hc != nil {
		out = append(out, hc.Test...)
	}
	return out
}

// mentionsHost reports whether a text names host as a network address:
// "<host>:<digit>" (host:port), "//<host>" (a URL's authority) or
// "@<host>" (user@host, an Erlang node name such as rabbit@rabbit), with
// no host-name character right before or after the name.
func mentionsHost(texts []string, host string) bool {
	return mentionedHosts(texts)[host]
}

// mentionedHosts returns every name the texts mention as a network
// address, in the sense of mentionsHost: a maximal run of host-name
// characters preceded by "//" or "@", or followed by ":<digit>".
func mentionedHosts(texts []string) map[string]bool {
	found := map[string]bool{}
	for _, t := range texts {
		for start := 0; start < len(t); {
			if !isHostChar(t[start]) {
				start++
				continue
			}
			end := start
			for end < len(t) && isHostChar(t[end]) {
				end++
			}
			if strings.HasSuffix(t[:start], "//") || start > 0 && t[start-1] == '@' ||
				end+1 < len(t) && t[end] == ':' && t[end+1] >= '0' && t[end+1] <= '9' {
				found[t[start:end]] = true
			}
			start = end
		}
	}
	return found
}

func isHostChar(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '-' || b == '.' || b == '_'
}
