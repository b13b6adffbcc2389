package goenv

import (
	"maps"
	"slices"
	"strings"
)

// Lint checks the settings of env and returns its findings, most severe
// first, then by variable and ID. It reads no files and runs nothing;
// AuditArch adds the checks that look at the machine.
func Lint(env *Env) []Finding {
	l := &linter{env: env}
	l.values()
	l.layers()
	l.combinations()
	for _, n := range env.Notes {
		l.add(Finding{ID: "GO-INCONSISTENT", Severity: Info, Var: n.Var, Message: "the go command's own rules are inconsistent here: " + n.Message})
	}
	return sortFindings(l.out)
}

type linter struct {
	env *Env
	out []Finding
}

// add records f, filling in the origin of its variable and redacting it.
func (l *linter) add(f Finding) {
	if f.Origin == "" && f.Var != "" {
		if v, ok := l.env.Lookup(f.Var); ok {
			f.Origin = v.Origin.String()
		}
	}
	f.Message = Redact(f.Message)
	f.Fix = Redact(f.Fix)
	f.Origin = Redact(f.Origin)
	l.out = append(l.out, f)
}

func (l *linter) addAll(fs []Finding) {
	for _, f := range fs {
		l.add(f)
	}
}

// values parses each variable with its parser.
func (l *linter) values() {
	e := l.env
	_, probs := ParseGOPROXY(e.Get("GOPROXY"))
	l.addAll(probs)
	_, probs = ParseGOSUMDB(e.Get("GOSUMDB"))
	if e.Get("GOSUMDB") == "off" && l.isGOROOTValue("GOSUMDB") {
		probs = nil // the packager's choice; still noted by GOSUMDB-OFF-TOOLCHAIN
	}
	l.addAll(probs)
	for _, name := range patternVars {
		v, _ := e.Lookup(name)
		if v.Origin.Rule == "$GOPRIVATE" {
			continue // reported under GOPRIVATE
		}
		_, probs := ParsePatterns(name, v.Value)
		l.addAll(probs)
	}
	if e.Get("GOINSECURE") != "" {
		l.add(Finding{ID: "GOINSECURE-SET", Severity: Warning, Var: "GOINSECURE", Message: "GOINSECURE lets modules matching " + quote(e.Get("GOINSECURE")) + " be fetched over plain HTTP or with unverified certificates; they are still checked against the checksum database unless GONOSUMDB also matches", Fix: unsetFix("GOINSECURE")})
	}
	_, probs = ParseGOFLAGS(e.Get("GOFLAGS"))
	l.addAll(probs)
	_, probs = ParseGOTOOLCHAIN(e.Get("GOTOOLCHAIN"))
	l.addAll(probs)
	goroot := e.Get("GOROOT")
	goos := e.Toolchain.GOOS
	for _, name := range []string{"GOPATH", "GOMODCACHE", "GOCACHE"} {
		v, _ := e.Lookup(name)
		if name == "GOCACHE" && v.Value == "off" && v.Origin.Rule != "" && v.Origin.Source != FromDefault {
			// A relative GOCACHE resolved to off: report the relative value.
			if raw := l.rawValue(name); raw != "" && raw != "off" {
				l.addAll(CheckDir(name, raw, goroot, goos))
				continue
			}
		}
		l.addAll(CheckDir(name, v.Value, goroot, goos))
	}
	if e.Get("GOPATH") == "" {
		l.add(Finding{ID: "GOPATH-UNSET", Severity: Warning, Var: "GOPATH", Message: "GOPATH is empty (no $HOME, or $HOME/go is GOROOT): the go command cannot place the module cache, and downloads fail", Fix: setFix("GOPATH", "$HOME/go")})
	}
	l.addAll(CheckGOAUTH(e.Get("GOAUTH")))
	for _, name := range []string{"GOAMD64", "GOARM64", "GOARM", "GO386"} {
		if raw := l.rawValue(name); raw != "" {
			l.addAll(CheckArchVar(name, raw))
		}
	}
	switch m := e.Get("GO111MODULE"); m {
	case "", "on", "auto":
	case "off":
		l.add(Finding{ID: "GO111MODULE-OFF", Severity: Warning, Var: "GO111MODULE", Message: "GO111MODULE=off selects GOPATH mode, which ignores go.mod and is deprecated", Fix: unsetFix("GO111MODULE")})
	default:
		l.add(Finding{ID: "GO111MODULE-INVALID", Severity: Error, Var: "GO111MODULE", Message: "GO111MODULE " + quote(m) + " is invalid: use on, off, auto or leave it unset; the go command fails with \"unknown environment setting\"", Fix: unsetFix("GO111MODULE")})
	}
	if e.UserFileErr != nil {
		l.add(Finding{ID: "GOENV-UNREADABLE", Severity: Warning, Var: "GOENV", Message: "the user env file could not be read: " + e.UserFileErr.Error()})
	}
}

// rawValue returns the value of name as set in a layer, before defaults.
func (l *linter) rawValue(name string) string {
	if v := l.env.Environment[name]; v != "" {
		return v
	}
	if s, ok := l.env.UserFile.Lookup(name); ok {
		return s.Value
	}
	if s, ok := l.env.GOROOTFile.Lookup(name); ok {
		return s.Value
	}
	return ""
}

func (l *linter) isGOROOTValue(name string) bool {
	v, _ := l.env.Lookup(name)
	return v.Origin.Source == FromGOROOTFile
}

// layers checks how the layers interact: shadowed go env -w values,
// empty variables that override nothing, unknown and mistyped names,
// credentials stored in the user file.
func (l *linter) layers() {
	e := l.env
	for _, v := range e.Vars {
		if v.Origin.Source == FromEnvironment {
			for _, h := range v.Hidden {
				if h.Origin.Source == FromUserFile && h.Value != v.Value {
					l.add(Finding{ID: "ENV-SHADOWS-FILE", Severity: Warning, Var: v.Name, Origin: v.Origin.String(),
						Message: "\"go env -w " + v.Name + "=" + RedactVar(v.Name, h.Value) + "\" (" + h.Origin.String() + ") is shadowed by the process environment's " + v.Name + "=" + RedactVar(v.Name, v.Value) + ", which wins; go env -w warns about this only when it writes",
						Fix:     "unset " + v.Name + "   # in the shell profile that exports it; or: " + unsetFix(v.Name)})
				}
			}
		}
		if v.EmptyInEnvironment && (v.Origin.Source == FromUserFile || v.Origin.Source == FromGOROOTFile) && v.Value != "" {
			fix := unsetFix(v.Name)
			if v.Origin.Source == FromGOROOTFile {
				fix = setFix(v.Name, "<value>") + "   # go.env's value can only be replaced, e.g. GOPROXY=direct or GOSUMDB=off"
			}
			l.add(Finding{ID: "ENV-EMPTY-NO-OVERRIDE", Severity: Warning, Var: v.Name,
				Message: v.Name + " is set to the empty string in the process environment, which the go command treats as unset: the value " + quote(RedactVar(v.Name, v.Value)) + " from " + v.Origin.String() + " still applies",
				Fix:     fix})
		}
	}
	if f := e.UserFile; f != nil {
		for _, s := range f.Settings {
			origin := Origin{Source: FromUserFile, File: f.Name, Line: s.Line}.String()
			if hasCredentials(s.Key, s.Value) {
				l.add(Finding{ID: "CREDENTIALS-IN-ENV-FILE", Severity: Error, Var: s.Key, Origin: origin,
					Message: "the go env file stores a credential in plain text in " + s.Key + " (" + RedactVar(s.Key, s.Value) + "); anyone who can read the file or \"go env\" output has it. Store it in ~/.netrc (GOAUTH=netrc) or behind a GOAUTH command, then rotate it",
					Fix:     unsetFix(s.Key)})
			}
			key := s.Key
			if t := strings.TrimSpace(key); t != key {
				l.add(Finding{ID: "ENV-FILE-KEY-SPACE", Severity: Error, Var: t, Origin: origin,
					Message: "line " + quote(key+"=...") + " has spaces in its key; the go command reads no spaces, so it sets nothing named " + t,
					Fix:     setFix(t, strings.TrimSpace(RedactVar(t, s.Value)))})
				continue
			}
			if strings.HasSuffix(s.Value, "\r") {
				l.add(Finding{ID: "ENV-FILE-CR", Severity: Warning, Var: key, Origin: origin,
					Message: key + " ends in a carriage return (the file has Windows line endings); the go command keeps it as part of the value",
					Fix:     setFix(key, strings.TrimSuffix(RedactVar(key, s.Value), "\r"))})
			}
			if sug, unknown := Suggest(key); unknown {
				msg := key + " in the go env file is not a go command variable; the go command ignores it"
				fix := unsetFix(key)
				if sug != "" {
					msg += "; did you mean " + sug + "?"
					fix += " && " + setFix(sug, RedactVar(sug, s.Value))
				}
				l.add(Finding{ID: "UNKNOWN-VAR", Severity: Warning, Var: key, Origin: origin, Message: msg, Fix: fix})
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(e.Environment)) {
		if !isGoVarName(k) {
			continue
		}
		if sug, unknown := Suggest(k); unknown && sug != "" {
			l.add(Finding{ID: "UNKNOWN-VAR", Severity: Warning, Var: k, Origin: "env",
				Message: k + " in the environment is not a go command variable; the go command ignores it; did you mean " + sug + "?",
				Fix:     "export " + sug + "=" + shellQuote(RedactVar(sug, e.Environment[k])) + "; unset " + k})
		}
	}
}

// combinations checks settings that are fine alone and wrong together.
func (l *linter) combinations() {
	e := l.env
	tc, _ := ParseGOTOOLCHAIN(e.Get("GOTOOLCHAIN"))
	if (e.Get("GOSUMDB") == "off" || Match(e.Get("GONOSUMDB"), "golang.org/toolchain")) && tc.Downloads(e.Toolchain.Version) {
		l.add(Finding{ID: "GOSUMDB-OFF-TOOLCHAIN", Severity: Warning, Var: "GOSUMDB",
			Message: "GOSUMDB=off (or GONOSUMDB covering golang.org/toolchain) while GOTOOLCHAIN=" + e.Get("GOTOOLCHAIN") + " may download toolchains: those downloads always consult the checksum database, so they fail with \"checksum database disabled by GOSUMDB=off\"",
			Fix:     unsetFix("GOSUMDB") + "   # or pin the toolchain: " + setFix("GOTOOLCHAIN", "local")})
	}
	list, _ := ParseGOPROXY(e.Get("GOPROXY"))
	hasDirect := slices.ContainsFunc(list, ProxyEntry.Direct)
	hasOff := slices.ContainsFunc(list, ProxyEntry.Off)
	if len(list) > 0 && !hasDirect && !hasOff && e.Get("GONOPROXY") == "" {
		l.add(Finding{ID: "GOPROXY-NO-DIRECT", Severity: Warning, Var: "GOPROXY",
			Message: "GOPROXY has no \"direct\" entry and GONOPROXY/GOPRIVATE are empty: a module the proxies do not serve (a private one) cannot be fetched at all. End the list with \",direct\", or name private modules in GOPRIVATE so they bypass the proxy",
			Fix:     setFix("GOPROXY", Redact(e.Get("GOPROXY"))+",direct")})
	}
	for i := 0; i+1 < len(list); i++ {
		if !list[i].FallBackOnError && !list[i].Direct() && !list[i].Off() && !list[i+1].Off() && !list[i+1].Direct() {
			next := list[i+1].URL
			l.add(Finding{ID: "GOPROXY-COMMA", Severity: Info, Var: "GOPROXY",
				Message: "after " + Redact(list[i].URL) + " comes a ',': " + Redact(next) + " is tried only when it answers 404 or 410, not when it is down or fails; use '|' for failover on any error",
				Fix:     setFix("GOPROXY", Redact(strings.Replace(e.Get("GOPROXY"), list[i].URL+",", list[i].URL+"|", 1)))})
		}
	}
	if priv := e.Get("GOPRIVATE"); priv != "" {
		for _, name := range []string{"GONOPROXY", "GONOSUMDB"} {
			if v, _ := e.Lookup(name); v.Origin.Source != FromDefault && v.Value != priv {
				l.add(Finding{ID: "GOPRIVATE-OVERRIDDEN", Severity: Info, Var: name,
					Message: name + " is set, so GOPRIVATE (" + quote(priv) + ") no longer applies to it: " + name + " alone decides"})
			}
		}
	}
}

// sortFindings orders findings most severe first, then by variable, ID
// and message, so output is stable.
func sortFindings(fs []Finding) []Finding {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		if a.Severity != b.Severity {
			return int(b.Severity) - int(a.Severity)
		}
		if c := strings.Compare(a.Var, b.Var); c != 0 {
			return c
		}
		if c := strings.Compare(a.ID, b.ID); c != 0 {
			return c
		}
		return strings.Compare(a.Message, b.Message)
	})
	return fs
}
