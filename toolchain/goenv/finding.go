package goenv

import (
	"fmt"
	"strings"
)

// Severity ranks a Finding.
type Severity int

const (
	// Info describes a setting that is unusual but works as written.
	Info Severity = iota
	// Warning marks a setting that works, but probably not as intended,
	// or that weakens security.
	Warning
	// Error marks a setting the go command rejects, or one that makes it
	// fail or silently ignore what the user asked for.
	Error
)

var severityNames = [...]string{Info: "info", Warning: "warning", Error: "error"}

// String returns the severity's name: "info", "warning" or "error".
func (s Severity) String() string {
	if s >= 0 && int(s) < len(severityNames) {
		return severityNames[s]
	}
	return fmt.Sprintf("Severity(%d)", int(s))
}

// MarshalText encodes s as its name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText decodes a name written by MarshalText.
func (s *Severity) UnmarshalText(b []byte) error {
	for i, n := range severityNames {
		if string(b) == n {
			*s = Severity(i)
			return nil
		}
	}
	return fmt.Errorf("goenv: unknown severity %q", b)
}

// A Finding is one problem with the environment, with a fix a person can
// run. Every string in it is redacted of credentials.
type Finding struct {
	// ID names the kind of problem, stable across releases, such as
	// "GOSUMDB-NO-KEY"; scripts may match on it.
	ID       string   `json:"id"`
	Severity Severity `json:"severity"`
	Var      string   `json:"var"`    // the variable at fault; "" for the environment as a whole
	Origin   string   `json:"origin"` // where its value came from, as Origin.String formats it
	Message  string   `json:"message"`
	// Fix is the exact command, or edit, that resolves the problem, with
	// placeholders in <angle brackets> explained in Message.
	Fix string `json:"fix,omitempty"`
}

// String formats f on one line, with its fix on a second, indented.
func (f Finding) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", f.Severity, f.ID)
	if f.Var != "" {
		fmt.Fprintf(&b, " %s", f.Var)
	}
	if f.Origin != "" {
		fmt.Fprintf(&b, " (%s)", f.Origin)
	}
	fmt.Fprintf(&b, ": %s", f.Message)
	if f.Fix != "" {
		fmt.Fprintf(&b, "\n\tfix: %s", f.Fix)
	}
	return b.String()
}

// shellQuote quotes s for a POSIX shell when needed, for fixes.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=,+@%", r))
	}) < 0 {
		return s
	}
	if strings.ContainsRune(s, '\'') && !strings.ContainsAny(s, "$`\\\"!") {
		return `"` + s + `"`
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// setFix is the command that sets name to value with "go env -w".
func setFix(name, value string) string {
	return "go env -w " + shellQuote(name+"="+value)
}

// unsetFix is the command that removes name from the user file.
func unsetFix(name string) string { return "go env -u " + name }
