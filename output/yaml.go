package output

import (
	"bytes"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"sigs.k8s.io/yaml"
)

// yamlWriter writes unstructured objects as the exact bytes
// sigs.k8s.io/yaml.Marshal produces (yaml.v2 block style, keys in yaml.v2's
// order), several times faster: it walks the map directly instead of going
// through JSON, a YAML parse and a reflective encode. Strings it cannot
// prove plain are quoted by sigs.k8s.io/yaml itself (remembered per
// string), and anything outside the common subset (multi-line or long
// spaced strings, floats, unknown types) falls back to sigs.k8s.io/yaml
// for the whole object. TestYAMLMatchesSigsYAML and FuzzYAML hold the two
// equal.
//
// Why hand-written (issue 11 measured go.yaml.in/yaml/v3 v3.0.5 encoding
// the same maps directly, Encoder with SetIndent(2), no JSON round trip):
// the library's output is not the bytes kubectl and sigs.k8s.io/yaml
// write (it indents sequences under their key and quotes and folds
// differently), so it matched 0 of the 132 convert goldens; and it is
// slower. The 1000-service benchmark project (internal/benchgen, 5,103
// objects), `go test -bench . -benchmem -benchtime 3x` on the 2-core
// development machine while it was shared (load average 16-22, so the
// times are inflated; bytes and allocations are exact):
//
//	compose-go load        26.5 s/op  1,663.5 MB/op  27,403,382 allocs/op
//	convert                 5.65 s/op   198.5 MB/op   2,710,723 allocs/op
//	YAML, this writer       0.51 s/op    73.8 MB/op     500,126 allocs/op
//	YAML, yaml.v3           3.64 s/op   479.9 MB/op   1,343,096 allocs/op
//
// hoist's own share (convert + YAML) is 23% of the load time with this
// writer and 35% with yaml.v3 (0.70 s against 3.8 s, 18%, on a quiet
// machine, see the README): the library would not keep it within 10% of
// the load, so the writer stays.
type yamlWriter struct {
	buf    *bytes.Buffer
	ok     bool
	quoted map[string]string
}

// object appends one object to the buffer.
func (w *yamlWriter) object(obj map[string]any) error {
	start := w.buf.Len()
	w.ok = true
	w.mapBody(obj, 0, false)
	if w.ok {
		return nil
	}
	w.buf.Truncate(start)
	b, err := yaml.Marshal(obj)
	if err != nil {
		return err
	}
	w.buf.Write(b)
	return nil
}

func (w *yamlWriter) pad(n int) {
	for range n {
		w.buf.WriteByte(' ')
	}
}

// mapBody writes the entries of m at indent; with inline the first entry
// continues the current line (after "- ").
func (w *yamlWriter) mapBody(m map[string]any, indent int, inline bool) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return yamlKeyLess(keys[i], keys[j]) })
	for i, k := range keys {
		if !inline || i > 0 {
			w.pad(indent)
		}
		if len(k) > 100 {
			// yaml.v2 writes keys over 128 bytes as "? key".
			w.ok = false
			return
		}
		w.scalar(k, indent)
		w.buf.WriteByte(':')
		switch v := m[k].(type) {
		case map[string]any:
			if len(v) == 0 {
				w.buf.WriteString(" {}\n")
				continue
			}
			w.buf.WriteByte('\n')
			w.mapBody(v, indent+2, false)
		case []any:
			if len(v) == 0 {
				w.buf.WriteString(" []\n")
				continue
			}
			w.buf.WriteByte('\n')
			w.seqBody(v, indent, false)
		case string:
			w.buf.WriteByte(' ')
			w.str(v, strContext{col: indent + len(k) + 2, indent: indent, key: k})
			w.buf.WriteByte('\n')
		default:
			w.buf.WriteByte(' ')
			w.scalar(v, indent+len(k)+2)
			w.buf.WriteByte('\n')
		}
	}
}

// seqBody writes the items of l at indent, kubectl style: a list under a
// key is not indented further than the key.
func (w *yamlWriter) seqBody(l []any, indent int, inline bool) {
	for i, e := range l {
		if !inline || i > 0 {
			w.pad(indent)
		}
		w.buf.WriteString("- ")
		switch e := e.(type) {
		case map[string]any:
			if len(e) == 0 {
				w.buf.WriteString("{}\n")
				continue
			}
			w.mapBody(e, indent+2, true)
		case []any:
			if len(e) == 0 {
				w.buf.WriteString("[]\n")
				continue
			}
			w.seqBody(e, indent+2, true)
		case string:
			w.str(e, strContext{col: indent + 2, indent: indent, item: true})
			w.buf.WriteByte('\n')
		default:
			w.scalar(e, indent+2)
			w.buf.WriteByte('\n')
		}
	}
}

// scalar writes v starting at column col.
func (w *yamlWriter) scalar(v any, col int) {
	switch v := v.(type) {
	case string:
		w.str(v, strContext{col: col})
	case int64:
		w.buf.WriteString(strconv.FormatInt(v, 10))
	case int32:
		w.buf.WriteString(strconv.FormatInt(int64(v), 10))
	case int:
		w.buf.WriteString(strconv.Itoa(v))
	case bool:
		w.buf.WriteString(strconv.FormatBool(v))
	case nil:
		w.buf.WriteString("null")
	default:
		w.ok = false
	}
}

// strContext is where a string goes: the column it starts at, and for a
// mapping value or sequence item, the indentation and key of its entry.
// Keys (no entry context) cannot be folded.
type strContext struct {
	col    int
	indent int
	key    string
	item   bool
}

// str writes a string plain when yaml.v2 would, else as yaml.v2 quotes,
// folds or block-writes it in that place.
func (w *yamlWriter) str(s string, at strContext) {
	if plainSafe(s) {
		w.buf.WriteString(s)
		return
	}
	q, ok := w.quoted[s]
	if !ok {
		if !utf8.ValidString(s) {
			w.ok = false
			return
		}
		multiLine := strings.ContainsAny(s, "\n\r\u0085\u2028\u2029")
		if !multiLine {
			b, err := yaml.Marshal(s)
			if err != nil || bytes.IndexByte(b, '\n') != len(b)-1 {
				multiLine = true
			} else {
				q = string(b[:len(b)-1])
			}
		}
		if multiLine {
			// yaml.v2 writes multi-line strings as literal blocks indented
			// by context.
			w.inPlace(s, at)
			return
		}
		if w.quoted == nil {
			w.quoted = map[string]string{}
		}
		w.quoted[s] = q
	}
	// yaml.v2 folds a scalar at a space once the line passes 80 columns;
	// a line that ends before that cannot fold.
	if at.col+len(q) > 76 && strings.ContainsAny(s, " \t") {
		w.inPlace(s, at)
		return
	}
	w.buf.WriteString(q)
}

// inPlace writes a string that yaml.v2 folds or block-writes depending on
// where it stands: it has sigs.k8s.io/yaml write the same entry, at the
// same indentation under single-key mappings, and copies the scalar's
// text. Only the scalar goes through the slow path, not its object.
func (w *yamlWriter) inPlace(s string, at strContext) {
	if !at.item && at.key == "" {
		w.ok = false
		return
	}
	var v any = map[string]any{at.key: s}
	wraps := at.indent / 2
	if at.item {
		v, wraps = []any{s}, at.indent/2+1
	}
	for range wraps {
		v = map[string]any{"a": v}
	}
	b, err := yaml.Marshal(v)
	if err != nil {
		w.ok = false
		return
	}
	out := string(b)
	for i := range wraps {
		line := strings.Repeat(" ", 2*i) + "a:\n"
		if !strings.HasPrefix(out, line) {
			w.ok = false
			return
		}
		out = out[len(line):]
	}
	prefix := strings.Repeat(" ", at.indent)
	if at.item {
		prefix += "- "
	} else {
		key, ok := w.keyText(at.key)
		if !ok {
			w.ok = false
			return
		}
		prefix += key + ": "
	}
	text, ok := strings.CutPrefix(out, prefix)
	if !ok || !strings.HasSuffix(text, "\n") {
		w.ok = false
		return
	}
	w.buf.WriteString(text[:len(text)-1])
}

// keyText is how the writer writes a mapping key.
func (w *yamlWriter) keyText(k string) (string, bool) {
	if plainSafe(k) {
		return k, true
	}
	if q, ok := w.quoted[k]; ok {
		return q, true
	}
	return "", false
}

// yamlSpecial are the letter-initial words YAML 1.1 reads as something
// other than a string.
var yamlSpecial = map[string]bool{
	"y": true, "Y": true, "yes": true, "Yes": true, "YES": true,
	"n": true, "N": true, "no": true, "No": true, "NO": true,
	"true": true, "True": true, "TRUE": true, "false": true, "False": true, "FALSE": true,
	"on": true, "On": true, "ON": true, "off": true, "Off": true, "OFF": true,
	"null": true, "Null": true, "NULL": true,
}

// plainSafe reports whether s is certainly written plain by yaml.v2: a
// letter or "/" first, then only letters, digits and "_./-:,=+@%~", no
// ":" at the end, and not a YAML 1.1 boolean or null. Letter-initial plain
// scalars resolve to nothing but those words, and these characters are
// indicators only at the start, before a space or, for ":", at the end.
func plainSafe(s string) bool {
	if s == "" || yamlSpecial[s] || s[len(s)-1] == ':' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '/':
		case i > 0 && (c >= '0' && c <= '9' || strings.IndexByte("_./-:,=+@%~", c) >= 0):
		default:
			return false
		}
	}
	return true
}

// yamlKeyLess is yaml.v2's order of string map keys: letters before other
// characters, and runs of digits compared as numbers.
func yamlKeyLess(a, b string) bool {
	if isASCIILetters(a) && isASCIILetters(b) {
		return a < b
	}
	ar, br := []rune(a), []rune(b)
	for i := 0; i < len(ar) && i < len(br); i++ {
		if ar[i] == br[i] {
			continue
		}
		al, bl := unicode.IsLetter(ar[i]), unicode.IsLetter(br[i])
		if al && bl {
			return ar[i] < br[i]
		}
		if al || bl {
			return bl
		}
		var ai, bi int
		var an, bn int64
		if ar[i] == '0' || br[i] == '0' {
			for j := i - 1; j >= 0 && unicode.IsDigit(ar[j]); j-- {
				if ar[j] != '0' {
					an, bn = 1, 1
					break
				}
			}
		}
		for ai = i; ai < len(ar) && unicode.IsDigit(ar[ai]); ai++ {
			an = an*10 + int64(ar[ai]-'0')
		}
		for bi = i; bi < len(br) && unicode.IsDigit(br[bi]); bi++ {
			bn = bn*10 + int64(br[bi]-'0')
		}
		if an != bn {
			return an < bn
		}
		if ai != bi {
			return ai < bi
		}
		return ar[i] < br[i]
	}
	return len(ar) < len(br)
}

func isASCIILetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}
