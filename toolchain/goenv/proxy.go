package goenv

import (
	"net"
	"net/url"
	"path"
	"path/filepath"
	"strings"
)

// A ProxyEntry is one step of a GOPROXY list.
type ProxyEntry struct {
	// URL is the proxy's base URL, "direct" or "off". A bare host has
	// had "https://" added, as the go command adds it.
	URL string `json:"url"`
	// FallBackOnError is true when the entry is followed by '|': the next
	// entry is tried after any error. After ',' the next entry is tried
	// only when this one answers 404 or 410.
	FallBackOnError bool `json:"fall_back_on_error"`
}

// Direct reports whether e fetches from version control directly.
func (e ProxyEntry) Direct() bool { return e.URL == "direct" }

// Off reports whether e disallows downloads.
func (e ProxyEntry) Off() bool { return e.URL == "off" }

// ParseGOPROXY splits GOPROXY as cmd/go/internal/modfetch.proxyList does:
// entries separated by ',' or '|', spaces around them trimmed, empty ones
// skipped, "direct" and "off" ending the list, and "https://" added to
// bare hosts (words with a '.', ':' or '/' but no ":/" that are not
// absolute paths). It returns the entries the go command would use and the
// problems found, of which those of severity Error are ones the go command
// rejects.
func ParseGOPROXY(v string) ([]ProxyEntry, []Finding) {
	var list []ProxyEntry
	var probs []Finding
	add := func(sev Severity, id, msg, fix string) {
		probs = append(probs, Finding{ID: id, Severity: sev, Var: "GOPROXY", Message: msg, Fix: fix})
	}
	if strings.TrimSpace(v) == "" {
		if v == "" {
			add(Error, "GOPROXY-EMPTY", "GOPROXY is empty: no layer sets it, so $GOROOT/go.env lacks its line (a packager removed it?) and every module download fails with \"GOPROXY list is not the empty string, but contains no entries\"",
				setFix("GOPROXY", "https://<proxy>,direct"))
		} else {
			add(Error, "GOPROXY-NO-ENTRIES", "GOPROXY contains only separators and spaces; the go command fails with \"GOPROXY list is not the empty string, but contains no entries\"", unsetFix("GOPROXY"))
		}
		return nil, probs
	}
	rest := v
	ended, endPos := "", 0
	for rest != "" {
		var u string
		fallBack := false
		if i := strings.IndexAny(rest, ",|"); i >= 0 {
			u, fallBack, rest = rest[:i], rest[i] == '|', rest[i+1:]
		} else {
			u, rest = rest, ""
		}
		u = strings.TrimSpace(u)
		if u == "" {
			continue
		}
		if ended != "" {
			add(Warning, "GOPROXY-AFTER-"+strings.ToUpper(ended), "entry "+quote(Redact(u))+" comes after \""+ended+"\", which ends the list: the go command never tries it",
				setFix("GOPROXY", Redact(strings.TrimRight(v[:endPos], ",| "))))
			continue
		}
		if u == "off" || u == "direct" {
			list = append(list, ProxyEntry{URL: u})
			ended, endPos = u, len(v)-len(rest)
			continue
		}
		if lower := strings.ToLower(u); lower == "off" || lower == "direct" {
			add(Error, "GOPROXY-BAD-URL", quote(u)+" is not a keyword: only lower-case \"direct\" and \"off\" are; the go command rejects it as a URL without a scheme",
				setFix("GOPROXY", strings.Replace(v, u, lower, 1)))
			continue
		}
		if strings.ContainsAny(u, ".:/") && !strings.Contains(u, ":/") && !filepath.IsAbs(u) && !path.IsAbs(u) {
			u = "https://" + u
		}
		if msg := checkProxyURL(u); msg != "" {
			add(Error, "GOPROXY-BAD-URL", msg, setFix("GOPROXY", "https://<proxy>,direct"))
			continue
		}
		pu, _ := url.Parse(u)
		if pu.User != nil {
			add(Warning, "GOPROXY-CREDENTIALS", "proxy URL "+quote(Redact(u))+" carries credentials, which end up in shell history, CI logs and \"go env\" output; put them in ~/.netrc (GOAUTH=netrc, the default) or a GOAUTH command",
				setFix("GOPROXY", Redact(stripUserinfo(v))))
		}
		if pu.Scheme == "http" && !isLoopback(pu.Hostname()) {
			add(Warning, "GOPROXY-PLAIN-HTTP", "proxy "+quote(Redact(u))+" is reached over plain HTTP: anyone on the path can read and alter module downloads (the checksum database still catches altered public modules)",
				setFix("GOPROXY", Redact(strings.Replace(v, "http://", "https://", 1))))
		}
		list = append(list, ProxyEntry{URL: u, FallBackOnError: fallBack})
	}
	if len(list) == 0 && !hasSeverity(probs, Error) {
		add(Error, "GOPROXY-NO-ENTRIES", "GOPROXY contains no usable entries", unsetFix("GOPROXY"))
	}
	return list, probs
}

// checkProxyURL is modfetch.newProxyRepo's check of a proxy base URL:
// https, http or a path-only file URL. It returns "" when u is fine.
func checkProxyURL(u string) string {
	pu, err := url.Parse(u)
	if err != nil {
		return "proxy URL " + quote(Redact(u)) + " does not parse: " + Redact(err.Error())
	}
	switch pu.Scheme {
	case "http", "https":
		if pu.Host == "" {
			return "proxy URL " + quote(Redact(u)) + " has no host"
		}
	case "file":
		if *pu != (url.URL{Scheme: pu.Scheme, Path: pu.Path, RawPath: pu.RawPath}) {
			return "file:// proxy URL " + quote(Redact(u)) + " has elements other than a path; write file:///abs/path"
		}
	case "":
		return "proxy " + quote(Redact(u)) + " has no scheme: a single word is reserved for \"direct\" and \"off\"; write https://" + Redact(u) + " or a full URL"
	default:
		return "proxy URL " + quote(Redact(u)) + " has scheme " + quote(pu.Scheme) + "; the go command accepts https, http and file"
	}
	return ""
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// stripUserinfo removes the user information of every URL in s.
func stripUserinfo(s string) string {
	return userinfoRE.ReplaceAllString(s, "${1}")
}

func hasSeverity(fs []Finding, s Severity) bool {
	for _, f := range fs {
		if f.Severity == s {
			return true
		}
	}
	return false
}

func quote(s string) string { return `"` + s + `"` }
