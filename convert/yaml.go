package convert

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
		w.str(v, col)
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

// str writes a string, starting at column col, plain when yaml.v2 would,
// else as yaml.v2 quotes it.
func (w *yamlWriter) str(s string, col int) {
	if plainSafe(s) {
		w.buf.WriteString(s)
		return
	}
	q, ok := w.quoted[s]
	if !ok {
		// yaml.v2 writes multi-line strings as literal blocks indented
		// by context: leave those to it.
		if !utf8.ValidString(s) || strings.ContainsAny(s, "\n\r\u0085\u2028\u2029") {
			w.ok = false
			return
		}
		b, err := yaml.Marshal(s)
		if err != nil || bytes.IndexByte(b, '\n') != len(b)-1 {
			w.ok = false
			return
		}
		q = string(b[:len(b)-1])
		if w.quoted == nil {
			w.quoted = map[string]string{}
		}
		w.quoted[s] = q
	}
	// yaml.v2 folds a scalar at a space once the line passes 80 columns;
	// a line that ends before that cannot fold.
	if col+len(q) > 76 && strings.ContainsAny(s, " \t") {
		w.ok = false
		return
	}
	w.buf.WriteString(q)
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
