package goenv

import (
	"go/version"
	"path/filepath"
	"strconv"
	"strings"
)

// A ToolchainSetting is a parsed GOTOOLCHAIN.
type ToolchainSetting struct {
	// Min is the toolchain to use at least: "local", or a name such as
	// "go1.26.1".
	Min string `json:"min"`
	// Mode is "" (use Min exactly), "auto" (switch to a newer toolchain a
	// go.mod or go.work asks for, downloading it) or "path" (switch, but
	// only to one found on PATH).
	Mode string `json:"mode,omitempty"`
}

// Downloads reports whether the setting can make the go command download
// a toolchain (which always consults the checksum database).
func (t ToolchainSetting) Downloads(local string) bool {
	return t.Mode == "auto" || (t.Min != "local" && t.Min != local && t.Mode != "path")
}

// toolchainVersion is gover.FromToolchain: the Go version of a toolchain
// name such as "go1.26.1" or "go1.26.1-corp", "" for none.
func toolchainVersion(name string) string {
	if strings.ContainsAny(name, `\/`) {
		return ""
	}
	var v string
	if s, ok := strings.CutPrefix(name, "go"); ok {
		v = s
	} else if _, s, ok := strings.Cut(name, "-go"); ok {
		v = s
	} else {
		return ""
	}
	if i := strings.IndexAny(v, "-+ "); i >= 0 {
		v = v[:i]
	}
	if !version.IsValid("go" + v) {
		return ""
	}
	return v
}

// ParseGOTOOLCHAIN parses GOTOOLCHAIN as cmd/go/internal/toolchain.Select
// does: local, auto, path, <name>, <name>+auto or <name>+path (and
// local+auto, local+path). It reports names the go command rejects and
// names no toolchain module exists for, such as "go1.22" (a language
// version; the release is go1.22.0).
func ParseGOTOOLCHAIN(v string) (ToolchainSetting, []Finding) {
	var probs []Finding
	add := func(sev Severity, id, msg, fix string) {
		probs = append(probs, Finding{ID: id, Severity: sev, Var: "GOTOOLCHAIN", Message: msg, Fix: fix})
	}
	switch v {
	case "":
		add(Warning, "GOTOOLCHAIN-EMPTY", "GOTOOLCHAIN is empty: $GOROOT/go.env lacks its line, so the go command never switches toolchains, whatever go.mod asks", setFix("GOTOOLCHAIN", "auto"))
		return ToolchainSetting{Min: "local"}, probs
	case "auto", "path":
		return ToolchainSetting{Min: "local", Mode: v}, probs
	case "local":
		return ToolchainSetting{Min: "local"}, probs
	}
	min, mode, plus := strings.Cut(v, "+")
	if plus && mode != "auto" && mode != "path" {
		add(Error, "GOTOOLCHAIN-BAD-SUFFIX", "GOTOOLCHAIN suffix "+quote("+"+mode)+" is invalid: only +auto and +path exist", setFix("GOTOOLCHAIN", min+"+auto"))
		return ToolchainSetting{Min: "local"}, probs
	}
	ts := ToolchainSetting{Min: min, Mode: mode}
	if min == "local" {
		return ts, probs
	}
	ver := toolchainVersion(min)
	if ver == "" {
		add(Error, "GOTOOLCHAIN-BAD-NAME", "GOTOOLCHAIN "+quote(v)+" does not name a toolchain: use local, auto, path, or a name such as go1.26.1, optionally followed by +auto or +path", setFix("GOTOOLCHAIN", "auto"))
		return ToolchainSetting{Min: "local"}, probs
	}
	if version.Lang("go"+ver) == "go"+ver && version.Compare("go"+ver, "go1.21") >= 0 {
		// "go1.22" is a language version; releases from Go 1.21 on are
		// named go1.22.0, go1.22rc1 and so on.
		add(Error, "GOTOOLCHAIN-LANGUAGE-VERSION", quote(min)+" is a language version, not a toolchain: the first release of it is "+min+".0, and the go command fails with \"invalid toolchain: "+min+" is a language version but not a toolchain version\"",
			setFix("GOTOOLCHAIN", min+".0"+plusMode(mode)))
	} else if version.Compare("go"+ver, "go1.21") < 0 && (mode == "" || mode == "auto") {
		add(Error, "GOTOOLCHAIN-TOO-OLD", "toolchain "+min+" predates Go 1.21, the first release published as a downloadable toolchain module; the go command cannot switch to it",
			setFix("GOTOOLCHAIN", "local"))
	}
	return ts, probs
}

func plusMode(m string) string {
	if m == "" {
		return ""
	}
	return "+" + m
}

// CheckDir checks GOPATH (each entry), GOMODCACHE or GOCACHE against the
// go command's rules: absolute paths, no leading "~" (the shell does not
// expand it inside quotes, nor does the go command), and not GOROOT or a
// directory inside it.
func CheckDir(name, v, goroot string, goos string) []Finding {
	var probs []Finding
	add := func(sev Severity, id, msg, fix string) {
		probs = append(probs, Finding{ID: id, Severity: sev, Var: name, Message: msg, Fix: fix})
	}
	entries := []string{v}
	sep := ":"
	if goos == "windows" {
		sep = ";"
	}
	if name == "GOPATH" {
		entries = strings.Split(v, sep)
	}
	for _, e := range entries {
		if e == "" || (name == "GOCACHE" && e == "off") {
			continue
		}
		abs := filepath.IsAbs(e) || strings.HasPrefix(e, "/") || (goos == "windows" && len(e) > 2 && e[1] == ':')
		switch {
		case strings.HasPrefix(e, "~"):
			add(Error, name+"-TILDE", name+" entry "+quote(e)+" starts with '~', which neither the go command nor a quoted shell word expands", setFix(name, "$HOME"+e[1:]))
		case !abs:
			add(Error, name+"-RELATIVE", name+" entry "+quote(e)+" is relative; the go command requires absolute paths (for GOCACHE it silently turns the cache off)", setFix(name, "/absolute/path"))
		}
		if goroot != "" && abs && inside(e, goroot) {
			id, what := name+"-IN-GOROOT", "inside"
			if filepath.Clean(e) == filepath.Clean(goroot) {
				what = "equal to"
			}
			add(Error, id, name+" "+quote(e)+" is "+what+" GOROOT ("+goroot+"): the go command refuses GOPATH=$GOROOT (\"cannot set GOROOT as GOPATH\"), and anything written there mixes with, and is lost with, the toolchain's own files", unsetFix(name))
		}
	}
	if name == "GOCACHE" && v == "off" {
		add(Error, "GOCACHE-OFF", "GOCACHE=off has not been supported since Go 1.12: builds fail with \"build cache is disabled by GOCACHE=off, but required\"; for a clean build use an empty directory", unsetFix("GOCACHE"))
	}
	return probs
}

// inside reports whether dir is root or below it.
func inside(dir, root string) bool {
	rel, err := filepath.Rel(filepath.Clean(root), filepath.Clean(dir))
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// CheckGOAUTH checks GOAUTH as cmd/go/internal/auth.runGoAuth reads it:
// commands separated by ';', each "off", "netrc", "git <absolute dir>" or
// a command line; "off" only alone. Credentials in it are reported, and
// never echoed.
func CheckGOAUTH(v string) []Finding {
	var probs []Finding
	add := func(sev Severity, id, msg, fix string) {
		probs = append(probs, Finding{ID: id, Severity: sev, Var: "GOAUTH", Message: msg, Fix: fix})
	}
	cmds := strings.Split(v, ";")
	for _, c := range cmds {
		words := strings.Fields(c)
		if len(words) == 0 {
			add(Error, "GOAUTH-EMPTY-COMMAND", "GOAUTH has an empty command (a stray ';'?): the go command fails with \"GOAUTH encountered an empty command\"", "")
			continue
		}
		switch words[0] {
		case "off":
			if len(cmds) != 1 {
				add(Error, "GOAUTH-OFF-COMBINED", "GOAUTH=off cannot be combined with other methods", setFix("GOAUTH", "off"))
			}
		case "netrc":
		case "git":
			if len(words) != 2 || !filepath.IsAbs(words[1]) {
				add(Error, "GOAUTH-GIT-DIR", "GOAUTH method \"git\" takes exactly one absolute path, of a git working directory whose credential helper to ask", setFix("GOAUTH", "git /absolute/path/to/repo"))
			}
		default:
			if hasCredentials("GOAUTH", c) && (strings.Contains(c, "=") || len(words) > 1) {
				add(Warning, "GOAUTH-INLINE-SECRET", "a GOAUTH command carries what looks like a secret on its command line ("+Redact(strings.TrimSpace(RedactVar("GOAUTH", c)))+"): it is visible in \"go env\", in ps and in CI logs; let the command read it from a file or a keychain instead", "")
			}
		}
	}
	return probs
}

// archValues lists the accepted values of each microarchitecture
// variable (internal/buildcfg: goamd64, goarm64, goarm, go386).
var archValues = map[string][]string{
	"GOAMD64": {"v1", "v2", "v3", "v4"},
	"GO386":   {"sse2", "softfloat"},
	"GOARM":   {"5", "6", "7"},
}

// CheckArchVar checks a GOAMD64, GOARM64, GOARM or GO386 value against the
// forms the toolchain accepts.
func CheckArchVar(name, v string) []Finding {
	if v == "" {
		return nil
	}
	bad := func(msg string) []Finding {
		return []Finding{{ID: "ARCHVAR-INVALID", Severity: Error, Var: name, Message: name + " " + quote(v) + " is invalid: " + msg, Fix: unsetFix(name)}}
	}
	switch name {
	case "GOAMD64", "GO386":
		for _, ok := range archValues[name] {
			if v == ok {
				return nil
			}
		}
		return bad("use one of " + strings.Join(archValues[name], ", "))
	case "GOARM":
		base, fl, _ := strings.Cut(v, ",")
		if base != "5" && base != "6" && base != "7" || fl != "" && fl != "softfloat" && fl != "hardfloat" {
			return bad("use 5, 6 or 7, optionally followed by ,softfloat or ,hardfloat")
		}
	case "GOARM64":
		parts := strings.Split(v, ",")
		ok := false
		if s, found := strings.CutPrefix(parts[0], "v8."); found {
			n, err := strconv.Atoi(s)
			ok = err == nil && n >= 0 && n <= 9 && s == strconv.Itoa(n)
		} else if s, found := strings.CutPrefix(parts[0], "v9."); found {
			n, err := strconv.Atoi(s)
			ok = err == nil && n >= 0 && n <= 5 && s == strconv.Itoa(n)
		}
		for _, p := range parts[1:] {
			ok = ok && (p == "lse" || p == "crypto")
		}
		if !ok {
			return bad("use v8.0 to v8.9 or v9.0 to v9.5, optionally followed by ,lse and/or ,crypto")
		}
	}
	return nil
}
