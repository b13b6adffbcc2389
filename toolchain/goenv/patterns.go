package goenv

import (
	"path"
	"strings"

	"golang.org/x/mod/module"
)

// patternVars are the variables that hold module path patterns.
var patternVars = []string{"GOPRIVATE", "GONOPROXY", "GONOSUMDB", "GOINSECURE"}

// ParsePatterns splits the value of a pattern variable (GOPRIVATE,
// GONOPROXY, GONOSUMDB, GOINSECURE) as module.MatchPrefixPatterns does —
// comma-separated path.Match globs, each matched against as many leading
// elements of a module path as it has itself, one trailing slash dropped,
// empty entries skipped, nothing trimmed — and reports the patterns that
// silently never match or match more than meant.
func ParsePatterns(name, v string) ([]string, []Finding) {
	var pats []string
	var probs []Finding
	add := func(sev Severity, id, msg, fix string) {
		probs = append(probs, Finding{ID: id, Severity: sev, Var: name, Message: msg, Fix: fix})
	}
	var fixed []string
	changed := false
	for _, raw := range strings.Split(v, ",") {
		p := raw
		if p == "" {
			continue
		}
		pats = append(pats, p)
		good := p
		if t := strings.TrimSpace(p); t != p {
			good = t
			add(Error, "PATTERN-SPACE", "pattern "+quote(p)+" has spaces around it; the go command does not trim them, so it never matches a module path", "")
		}
		if _, s, ok := strings.Cut(good, "://"); ok {
			good = s
			add(Error, "PATTERN-SCHEME", "pattern "+quote(Redact(p))+" starts with a URL scheme; patterns match module paths, which have none, so it never matches", "")
			// User information of a URL pasted as a pattern: drop it, and
			// never echo it.
			host, _, _ := strings.Cut(good, "/")
			if i := strings.LastIndexByte(host, '@'); i >= 0 {
				good = good[i+1:]
			}
		}
		if i := strings.IndexByte(good, '@'); i >= 0 {
			add(Error, "PATTERN-VERSION", "pattern "+quote(Redact(p))+" contains '@'; patterns match module paths without versions, so it never matches", "")
			good = good[:i]
		}
		if strings.HasSuffix(good, "/") {
			trimmed := strings.TrimRight(good, "/")
			if strings.HasSuffix(good, "//") {
				add(Error, "PATTERN-TRAILING-SLASH", "pattern "+quote(p)+" ends in more than one slash; only one is dropped, so it never matches", "")
			} else {
				add(Warning, "PATTERN-TRAILING-SLASH", "pattern "+quote(p)+" ends in a slash: the go command drops one today, but releases whose golang.org/x/mod predates the fix for golang/go#48513 never match it", "")
			}
			good = trimmed
		}
		if _, err := path.Match(good, ""); err != nil {
			add(Error, "PATTERN-MALFORMED", "pattern "+quote(p)+" is not a valid glob ("+err.Error()+"); the go command ignores it silently", "")
			good = ""
		}
		if good != "" {
			first, _, _ := strings.Cut(good, "/")
			switch {
			case first == "*" && !strings.Contains(good, "/"):
				add(Warning, "PATTERN-MATCHES-ALL", "pattern "+quote(p)+" matches every module: nothing goes through the proxy or the checksum database for "+name, "")
			case strings.Contains(first, "*") && !strings.Contains(first, "."):
				add(Warning, "PATTERN-STAR-SLASH", "in pattern "+quote(p)+", '*' does not cross '/': the first element is matched against the host part of module paths (such as github.com) only, so \"*corp*\" does not match github.com/corp-team/x; write the host and path, such as github.com/corp-team", "")
			case !strings.Contains(first, ".") && !strings.ContainsAny(first, "*?["):
				add(Info, "PATTERN-NO-DOT", "pattern "+quote(p)+" has no dot in its first element; module paths normally start with a host name, so it matches only GOPATH-style or local paths", "")
			}
		}
		if good != p {
			changed = true
		}
		if good != "" {
			fixed = append(fixed, good)
		}
	}
	if changed {
		fix := setFix(name, strings.Join(fixed, ","))
		for i := range probs {
			if probs[i].Fix == "" && probs[i].Severity >= Warning && probs[i].ID != "PATTERN-MATCHES-ALL" && probs[i].ID != "PATTERN-STAR-SLASH" {
				probs[i].Fix = fix
			}
		}
	}
	return pats, probs
}

// Match reports whether the module path matches the pattern list, with
// module.MatchPrefixPatterns, the function the go command uses.
func Match(patterns, modulePath string) bool {
	return module.MatchPrefixPatterns(patterns, modulePath)
}
