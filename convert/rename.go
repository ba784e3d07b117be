package convert

import (
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
)

// Renamed services: a compose name that is not a DNS-1123 label (orders_db,
// Web) becomes another Kubernetes name (orders-db, web). Clients on the
// compose network used the compose name; in the cluster only the new one
// resolves (DNS ignores case, so a change of case alone still resolves).
//
// Every renamed service warns with both names. References to an old name
// in the project's own environment values, command, entrypoint and
// healthcheck test are rewritten where they are clearly a host: after
// "//" or "@" (a URL's authority), before ":<port>", after a host option
// (-h, --host), or the whole value
// of a variable whose name says host, address or server. Each rewrite
// warns; any other mention is reported, not rewritten (POSTGRES_DB:
// orders_db names a database, not the host).

// renames maps each compose name whose Kubernetes name differs other than
// in case to that name.
func (c *converter) renames() map[string]string {
	m := map[string]string{}
	for name, obj := range c.plan.names {
		if strings.ToLower(name) != obj {
			m[name] = obj
		}
	}
	return m
}

// warnRenamed warns about every service whose Kubernetes name differs
// from its compose name.
func (c *converter) warnRenamed() {
	for _, name := range c.project.ServiceNames() {
		obj := c.plan.names[name]
		switch {
		case obj == name:
		case strings.ToLower(name) == obj:
			c.warn(name, "name", "approximated: the service is named %q in the cluster; DNS ignores case, so clients that use %q still reach it", obj, name)
		default:
			c.warn(name, "name", "approximated: %q is not a valid Kubernetes name: the service is named %q in the cluster, and %q does not resolve there (references in the project's environment and commands are rewritten where they are clearly a host)", name, obj, name)
		}
	}
}

// hostishVar matches variable names whose whole value is a host name.
var hostishVar = regexp.MustCompile(`(?i)(HOST|ADDR|SERVER|SERVERS|ENDPOINT|BROKERS?)$`)

// rewriteRenamed returns svc with references to renamed services
// rewritten, warning for each, or svc itself when there are none.
func (c *converter) rewriteRenamed(svc *types.ServiceConfig) *types.ServiceConfig {
	ren := c.renames()
	if len(ren) == 0 {
		return svc
	}
	olds := slices.Sorted(maps.Keys(ren))
	cp := *svc
	changed := false
	rewrite := func(key, varName, v string) string {
		out := v
		for _, old := range olds {
			var rewritten, mentioned bool
			out, rewritten, mentioned = rewriteHost(out, old, ren[old], varName)
			if rewritten {
				changed = true
				c.warn(svc.Name, key, "approximated: host %q (service %q) rewritten to its Kubernetes name %q", old, old, ren[old])
			}
			if mentioned {
				c.warn(svc.Name, key, "approximated: mentions %q, the compose name of service %q, which is %q in the cluster; not clearly a host, so not rewritten", old, old, ren[old])
			}
		}
		return out
	}
	if len(svc.Environment) > 0 {
		env := types.MappingWithEquals{}
		for _, k := range slices.Sorted(maps.Keys(svc.Environment)) {
			v := svc.Environment[k]
			if v != nil {
				nv := rewrite("environment."+k, k, *v)
				v = &nv
			}
			env[k] = v
		}
		cp.Environment = env
	}
	list := func(key string, l []string) []string {
		if l == nil {
			return nil
		}
		out := make([]string, len(l))
		for i, a := range l {
			// A host option and its value can be two arguments
			// ("psql", "-h", "orders_db"): read them together.
			if i > 0 && slices.Contains(hostFlags, l[i-1]) {
				out[i] = strings.TrimPrefix(rewrite(key, "", l[i-1]+" "+a), l[i-1]+" ")
				continue
			}
			out[i] = rewrite(key, "", a)
		}
		return out
	}
	cp.Entrypoint = list("entrypoint", svc.Entrypoint)
	cp.Command = list("command", svc.Command)
	if hc := svc.HealthCheck; hc != nil && len(hc.Test) > 1 {
		h := *hc
		h.Test = append(types.HealthCheckTest{hc.Test[0]}, list("healthcheck.test", hc.Test[1:])...)
		cp.HealthCheck = &h
	}
	if !changed {
		return svc
	}
	return &cp
}

// rewriteHost rewrites the mentions of old in s that are clearly a host to
// repl. It reports whether it rewrote any, and whether other mentions
// remain. varName, when set, is the variable whose value s is.
func rewriteHost(s, old, repl, varName string) (string, bool, bool) {
	if !strings.Contains(s, old) {
		return s, false, false
	}
	if s == old && varName != "" && hostishVar.MatchString(varName) {
		return repl, true, false
	}
	var b strings.Builder
	rewrote, other := false, false
	rest := s
	for {
		i := strings.Index(rest, old)
		if i < 0 {
			b.WriteString(rest)
			break
		}
		before, after := rest[:i], rest[i+len(old):]
		prefix := b.String() + before
		switch {
		case len(prefix) > 0 && isNameByte(prefix[len(prefix)-1]), len(after) > 0 && isNameByte(after[0]):
			// Part of a longer word.
			b.WriteString(before + old)
		case strings.HasSuffix(prefix, "//") || strings.HasSuffix(prefix, "@") || portFollows(after) || hostFlagBefore(prefix):
			b.WriteString(before + repl)
			rewrote = true
		default:
			b.WriteString(before + old)
			other = true
		}
		rest = after
	}
	return b.String(), rewrote, other
}

func isNameByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_' || b == '-' || b == '.'
}

// hostFlagBefore reports whether s ends with a host option: "-h ",
// "--host " or "--host=" (pg_isready, mysql, redis-cli and friends).
func hostFlagBefore(s string) bool {
	for _, f := range []string{"-h ", "-h", "--host ", "--host=", "-H "} {
		if strings.HasSuffix(s, f) && (len(s) == len(f) || s[len(s)-len(f)-1] == ' ') {
			return true
		}
	}
	return false
}

// hostFlags are the host options whose value may be the next argument.
var hostFlags = []string{"-h", "--host", "-H"}

// portFollows reports whether s starts with ":<digit>".
func portFollows(s string) bool {
	return len(s) > 1 && s[0] == ':' && s[1] >= '0' && s[1] <= '9'
}
