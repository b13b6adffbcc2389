package sqlload

import (
	"net/url"
	"slices"
	"strings"
)

// Redacted replaces each secret in a redacted DSN, as url.URL.Redacted does.
const Redacted = "xxxxx"

// RedactDSN returns dsn with its secrets (passwords, tokens) replaced by
// [Redacted], so that it can be printed. It understands
//
//   - URLs, such as postgres://user:secret@host/db?sslpassword=secret:
//     the password of the user information and sensitive query parameters;
//   - libpq key=value connection strings, such as
//     host=/tmp user=u password='it\'s secret' (quoted values with
//     backslash escapes as libpq reads them);
//   - other DSNs with query parameters (file:test.db?_auth_pass=secret)
//     or user information (user:secret@tcp(host)/db, MySQL's form).
//
// Keys are sensitive when their lowercased name is one of password,
// passwd, pwd, pass, sslpassword, _auth_pass, secret, token,
// access_token, auth_token and api_key. Malformed input is redacted
// generously rather than risk printing a secret: when a libpq string
// cannot be parsed, everything from the first sensitive key on is
// replaced.
func RedactDSN(dsn string) string {
	spans := secretSpans(dsn)
	if len(spans) == 0 {
		return dsn
	}
	var b strings.Builder
	b.Grow(len(dsn))
	last := 0
	for _, s := range spans {
		b.WriteString(dsn[last:s.start])
		b.WriteString(Redacted)
		last = s.end
	}
	b.WriteString(dsn[last:])
	return b.String()
}

// Secrets returns the secrets in dsn as they are written and as a driver
// would decode them (URL escapes and libpq quoting undone), longest
// first, so that callers can scrub them from text that does not come
// from RedactDSN, such as a driver's error message.
func Secrets(dsn string) []string {
	var out []string
	for _, s := range secretSpans(dsn) {
		raw := dsn[s.start:s.end]
		out = append(out, raw)
		if s.decode != nil {
			if d, ok := s.decode(raw); ok && d != raw {
				out = append(out, d)
			}
		}
	}
	slices.SortFunc(out, func(a, b string) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return strings.Compare(a, b)
	})
	out = slices.Compact(out)
	return slices.DeleteFunc(out, func(s string) bool { return s == "" })
}

// minScrub is the shortest secret Scrub replaces in free text: a one- or
// two-byte password would turn every word holding it to noise.
const minScrub = 3

// Scrub returns text with dsn, and every secret of dsn at least three
// bytes long, replaced: the DSN by its redacted form, each secret by
// [Redacted].
func Scrub(text, dsn string) string {
	if dsn != "" {
		text = strings.ReplaceAll(text, dsn, RedactDSN(dsn))
	}
	for _, s := range Secrets(dsn) {
		if len(s) >= minScrub {
			text = strings.ReplaceAll(text, s, Redacted)
		}
	}
	return text
}

// A span is a secret at dsn[start:end]; decode, when not nil, returns the
// value the driver would see.
type span struct {
	start, end int
	decode     func(string) (string, bool)
}

var sensitiveKeys = []string{
	"password", "passwd", "pwd", "pass", "sslpassword", "_auth_pass",
	"secret", "token", "access_token", "auth_token", "api_key",
}

func sensitive(key string) bool {
	return slices.Contains(sensitiveKeys, strings.ToLower(strings.TrimSpace(key)))
}

// secretSpans returns the secrets of dsn in order, not overlapping.
func secretSpans(dsn string) []span {
	if i := strings.Index(dsn, "://"); i > 0 && isScheme(dsn[:i]) {
		return urlSpans(dsn, i+len("://"))
	}
	if looksLikeKeyValue(dsn) {
		return keyValueSpans(dsn)
	}
	return urlSpans(dsn, 0)
}

// isScheme reports whether s is a URL scheme (RFC 3986 section 3.1).
func isScheme(s string) bool {
	for i, c := range []byte(s) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return s != ""
}

// looksLikeKeyValue reports whether s starts like a libpq connection
// string: a key of word characters, optional spaces, and '='.
func looksLikeKeyValue(s string) bool {
	s = strings.TrimLeft(s, " \t\n\r\f\v")
	i := 0
	for i < len(s) && (isWord(s[i])) {
		i++
	}
	if i == 0 {
		return false
	}
	s = strings.TrimLeft(s[i:], " \t\n\r\f\v")
	return strings.HasPrefix(s, "=")
}

func isWord(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_'
}

// urlSpans finds the password of the user information starting at
// dsn[from:] (if any) and sensitive query parameter values.
//
// It does not use url.Parse: DSNs in the wild hold passwords with
// unescaped '/', '?', '#' or '@', which url.Parse rejects or, worse,
// reads as a path. The user information ends at the last '@' of the
// part before the query; a password holding '?' or '#' is recognized when
// a ':' precedes that character and no '/' lies between them.
func urlSpans(dsn string, from int) []span {
	var spans []span
	rest := dsn[from:]
	q := strings.IndexAny(rest, "?#")
	head := rest
	if q >= 0 {
		head = rest[:q]
	}
	userEnd := -1
	if at := strings.LastIndexByte(head, '@'); at >= 0 {
		userEnd = at
	} else if q >= 0 {
		colon := strings.IndexByte(head, ':')
		if at := strings.LastIndexByte(rest, '@'); at > q && colon >= 0 && !strings.Contains(head, "/") {
			userEnd = at
		}
	}
	query := rest
	queryStart := from
	if userEnd >= 0 {
		userinfo := rest[:userEnd]
		// A URL without a scheme (user:pass@tcp(host)/db) has user
		// information only when it holds no '/': "file:/a@b" is a path.
		if from > 0 || !strings.Contains(userinfo, "/") {
			if c := strings.IndexByte(userinfo, ':'); c >= 0 && c+1 < len(userinfo) {
				spans = append(spans, span{from + c + 1, from + userEnd, pathUnescape})
			}
			query = rest[userEnd+1:]
			queryStart = from + userEnd + 1
		}
	}
	qs := strings.IndexByte(query, '?')
	if qs < 0 {
		return spans
	}
	off := queryStart + qs + 1
	params := query[qs+1:]
	if h := strings.IndexByte(params, '#'); h >= 0 {
		params = params[:h]
	}
	for len(params) > 0 {
		p := params
		n := strings.IndexAny(params, "&;")
		if n >= 0 {
			p = params[:n]
		}
		if eq := strings.IndexByte(p, '='); eq >= 0 {
			k, err := url.QueryUnescape(p[:eq])
			if err != nil {
				k = p[:eq]
			}
			if sensitive(k) && eq+1 < len(p) {
				spans = append(spans, span{off + eq + 1, off + len(p), queryUnescape})
			}
		}
		if n < 0 {
			break
		}
		off += n + 1
		params = params[n+1:]
	}
	return spans
}

func pathUnescape(s string) (string, bool) {
	d, err := url.PathUnescape(s)
	return d, err == nil
}

func queryUnescape(s string) (string, bool) {
	d, err := url.QueryUnescape(s)
	return d, err == nil
}

// keyValueSpans parses a libpq connection string as libpq's
// conninfo_parse does (src/interfaces/libpq/fe-connect.c): key, optional
// whitespace, '=', optional whitespace, then a value that is either
// single-quoted, with backslash escaping any character, or runs to the
// next whitespace, also with backslash escapes.
func keyValueSpans(s string) []span {
	var spans []span
	i := 0
	for {
		i = skipSpace(s, i)
		if i >= len(s) {
			return spans
		}
		keyStart := i
		for i < len(s) && s[i] != '=' && !isSpace(s[i]) {
			i++
		}
		key := s[keyStart:i]
		i = skipSpace(s, i)
		if i >= len(s) || s[i] != '=' {
			return malformed(s, keyStart, spans)
		}
		i = skipSpace(s, i+1)
		valStart := i
		if i < len(s) && s[i] == '\'' {
			i++
			closed := false
			for i < len(s) {
				if s[i] == '\\' {
					i += 2
					continue
				}
				if s[i] == '\'' {
					i++
					closed = true
					break
				}
				i++
			}
			if !closed {
				return malformed(s, keyStart, spans)
			}
		} else {
			for i < len(s) && !isSpace(s[i]) {
				if s[i] == '\\' {
					i++
				}
				i++
			}
		}
		i = min(i, len(s))
		if sensitive(key) && i > valStart {
			spans = append(spans, span{valStart, i, unquote})
		}
	}
}

// malformed ends a libpq parse that failed at from: if a sensitive key
// appears anywhere after it, everything from there on is a secret.
func malformed(s string, from int, spans []span) []span {
	lower := strings.ToLower(s[from:])
	for _, k := range sensitiveKeys {
		if strings.Contains(lower, k) {
			return append(spans, span{start: from, end: len(s)})
		}
	}
	return spans
}

// unquote undoes libpq's quoting of a value.
func unquote(v string) (string, bool) {
	if strings.HasPrefix(v, "'") && strings.HasSuffix(v, "'") && len(v) >= 2 {
		v = v[1 : len(v)-1]
	}
	if !strings.Contains(v, `\`) {
		return v, true
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) {
			i++
		}
		b.WriteByte(v[i])
	}
	return b.String(), true
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func skipSpace(s string, i int) int {
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return i
}
