package convert

import (
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/compose-spec/compose-go/v2/types"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Secrets in environment: which variables look secret, the warning about
// plain ones, and --env-secrets, which moves them into a Secret.

// secretWords are the parts of a variable name that make it look secret.
var secretWords = map[string]bool{
	"PASSWORD": true, "PASSWORDS": true, "PASSWD": true, "PASS": true, "PASSPHRASE": true, "PWD": true,
	"SECRET": true, "SECRETS": true, "TOKEN": true, "TOKENS": true,
	"KEY": true, "KEYS": true, "APIKEY": true, "CREDENTIAL": true, "CREDENTIALS": true, "CREDS": true,
	"PRIVATE": true, "AUTH": true,
}

// notSecret are whole names that contain a secret word but are not.
var notSecret = map[string]bool{"PWD": true, "OLDPWD": true}

// pathWords end names that hold where a secret is, not the secret:
// POSTGRES_PASSWORD_FILE, TLS_KEY_PATH.
var pathWords = map[string]bool{"FILE": true, "PATH": true, "DIR": true}

// looksSecret reports whether an environment variable's name suggests a
// secret: one of its words (split at "_", "-", "." and lower-to-upper case
// changes) is a secret word, or it contains PASSWORD or PASSWD. API_KEY
// and dbPassword look secret; KEYBOARD, MONKEY, PWD and names ending in
// _FILE, _PATH or _DIR (where a secret is) do not.
func looksSecret(name string) bool {
	upper := strings.ToUpper(name)
	words := nameWords(name)
	if notSecret[upper] || len(words) > 1 && pathWords[strings.ToUpper(words[len(words)-1])] {
		return false
	}
	if strings.Contains(upper, "PASSWORD") || strings.Contains(upper, "PASSWD") {
		return true
	}
	for _, w := range words {
		if secretWords[strings.ToUpper(w)] {
			return true
		}
	}
	return false
}

func nameWords(name string) []string {
	var words []string
	var cur []rune
	var prev rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, string(cur))
			cur = nil
		}
	}
	for _, r := range name {
		switch {
		case r == '_' || r == '-' || r == '.':
			flush()
		case unicode.IsUpper(r) && unicode.IsLower(prev):
			flush()
			cur = append(cur, r)
		default:
			cur = append(cur, r)
		}
		prev = r
	}
	flush()
	return words
}

// urlPassword matches a URL whose authority carries a password:
// scheme://user:password@host.
var urlPassword = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:[^/\s@]+@`)

// minSecretLen is the shortest secret value looked for inside other
// values: shorter ones ("1", "yes") would match by chance.
const minSecretLen = 4

// secretValues maps the values of the project's secret-looking
// environment variables (compose has already interpolated them into
// every value that uses them) to a variable that holds each.
func secretValues(p *types.Project) map[string]string {
	vals := map[string]string{}
	for _, name := range p.ServiceNames() {
		env := p.Services[name].Environment
		for _, k := range slices.Sorted(maps.Keys(env)) {
			if v := env[k]; v != nil && len(*v) >= minSecretLen && looksSecret(k) {
				if _, ok := vals[*v]; !ok {
					vals[*v] = k
				}
			}
		}
	}
	return vals
}

// holdsSecret reports whether a value carries a secret: it contains the
// value of a secret-looking variable (a URL built from
// ${POSTGRES_PASSWORD}), or it is a URL with a password.
func (c *converter) holdsSecret(v string) bool {
	return c.secretIn(v) != "" || urlPassword.MatchString(v)
}

// secretIn names a secret-looking variable whose value v contains, or "".
func (c *converter) secretIn(v string) string {
	vals := c.plan.secretValues
	for _, sv := range slices.Sorted(maps.Keys(vals)) {
		if strings.Contains(v, sv) {
			return vals[sv]
		}
	}
	return ""
}

// warnPlainValue warns when value, which goes into a non-Secret object
// (where: "a label", "ConfigMap \"x\""), carries the value of a
// secret-looking variable: labels, annotations and ConfigMaps are
// readable by whoever can read the workload or the namespace's
// configuration, and labels are indexed and shown by every listing.
func (c *converter) warnPlainValue(service, key, where, value string) {
	if v := c.secretIn(value); v != "" {
		c.warn(service, key, "approximated: carries the value of %s in plain text in %s; leave secrets out of it", v, where)
	}
}

// warnPlainData is warnPlainValue for the files of a ConfigMap.
func (c *converter) warnPlainData(service, key, configMap string, d *fileData) {
	for _, f := range d.files {
		if v := c.secretIn(string(f.data)); v != "" {
			c.warn(service, key, "approximated: %q carries the value of %s in plain text in ConfigMap %q; make it a secret instead", f.key, v, configMap)
			return
		}
	}
}

// warnPlainSecrets warns when a command, entrypoint or probe of the
// container carries a secret in plain text: the pod spec is readable by
// whoever can read the workload.
func (c *converter) warnPlainSecrets(s *svcCtx, ctr *corev1.Container) {
	check := func(key string, l []string) {
		for _, a := range l {
			if v := c.secretIn(a); v != "" {
				c.warn(s.svc.Name, key, "approximated: carries the value of %s in plain text in the pod spec; refer to the variable instead ($$%s in a shell)", v, v)
				return
			}
			if urlPassword.MatchString(a) {
				c.warn(s.svc.Name, key, "approximated: carries a URL with a password in plain text in the pod spec; pass it in an environment variable instead")
				return
			}
		}
	}
	check("entrypoint", ctr.Command)
	check("command", ctr.Args)
	if p := ctr.ReadinessProbe; p != nil && p.Exec != nil {
		check("healthcheck.test", p.Exec.Command)
	} else if p := ctr.LivenessProbe; p != nil && p.Exec != nil {
		check("healthcheck.test", p.Exec.Command)
	}
}

// envSecrets moves environment variables into the Secret <service>-env
// (by --env-secrets: secret-looking names, all, or none) and references
// them with secretKeyRef. Besides secret-looking names, a value that
// carries a secret (another secret variable's value, a URL with a
// password) goes there too, and a command or probe that carries one
// warns. The Secret holds the raw compose value: values from a Secret are
// not expanded by Kubernetes.
func (c *converter) envSecrets(s *svcCtx, ctr *corev1.Container) error {
	mode := c.opts.EnvSecrets
	if mode == EnvSecretsNone {
		return nil
	}
	name := uniqueName(c.store.secretNames, truncName(s.name, "-env"), nameOwner{ownerEnv, s.svc.Name})
	data := map[string][]byte{}
	taken := map[string]bool{}
	for i := range ctr.Env {
		e := &ctr.Env[i]
		if e.ValueFrom != nil {
			continue
		}
		raw := s.svc.Environment[e.Name]
		if raw == nil {
			continue
		}
		if mode != EnvSecretsAll && !looksSecret(e.Name) && !c.holdsSecret(*raw) {
			continue
		}
		key := uniqueKey(taken, safeKey(e.Name))
		data[key] = []byte(*raw)
		e.Value = ""
		e.ValueFrom = &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: name},
			Key:                  key,
		}}
	}
	c.warnPlainSecrets(s, ctr)
	if len(data) == 0 {
		delete(c.store.secretNames, name)
		return nil
	}
	c.add(&corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: c.objectMeta(s, name),
		Type:       corev1.SecretTypeOpaque,
		Data:       data,
	})
	return nil
}
