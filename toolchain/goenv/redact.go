package goenv

import (
	"regexp"
	"strings"
)

// The redaction marker replaces credentials in every output.
const redacted = "xxxxx"

// userinfoRE finds the user information of URLs inside longer strings:
// GOPROXY lists, GOAUTH commands, free text.
var userinfoRE = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://)([^/@\s,|]*)@`)

// secretWordRE finds words that look like secrets handed to a command:
// --token=..., password=..., Authorization: Bearer ....
// The keyword must start a word, so that GOAUTH=netrc stays readable.
var secretWordRE = regexp.MustCompile(`(?i)((?:^|[^A-Za-z0-9])(?:token|password|passwd|secret|apikey|api[-_]key|bearer|basic|credential)[A-Za-z_-]*(?:\s*[=:]\s*|\s+))([^\s;,|'"]+)`)

// Redact returns s with credentials replaced by "xxxxx": the user
// information of any URL in it (as url.URL.Redacted does for the password,
// but the user name too, which for tokens is often the secret), and the
// value after words such as token=, password= or Bearer. It is applied to
// every value this package puts into a message, finding or output.
func Redact(s string) string {
	if s == "" {
		return s
	}
	s = userinfoRE.ReplaceAllString(s, "${1}"+redacted+"@")
	s = secretWordRE.ReplaceAllStringFunc(s, func(m string) string {
		sub := secretWordRE.FindStringSubmatch(m)
		if sub[2] == redacted {
			return m
		}
		return sub[1] + redacted
	})
	return s
}

// hasCredentials reports whether the value of name carries something
// RedactVar removes.
func hasCredentials(name, s string) bool { return RedactVar(name, s) != s }

// secretKeyRE matches variable names that hold secrets by convention.
var secretKeyRE = regexp.MustCompile(`(?i)(TOKEN|PASSWORD|PASSWD|SECRET|APIKEY|API_KEY|CREDENTIAL)`)

// RedactVar returns the value of the variable name as it may be shown:
// Redact's result, with the arguments of GOAUTH commands other than
// netrc, git and off hidden too (they are where tokens go), and the whole
// value of variables whose names say they hold secrets (GITHUB_TOKEN, a
// line a user added to the go env file).
func RedactVar(name, value string) string {
	if value == "" {
		return value
	}
	if secretKeyRE.MatchString(name) {
		return redacted
	}
	if name == "GOAUTH" {
		return redactGOAUTH(value)
	}
	return Redact(value)
}

// redactGOAUTH keeps the program name, flags without values and absolute
// paths of each custom GOAUTH command, and replaces the other words.
func redactGOAUTH(v string) string {
	cmds := strings.Split(v, ";")
	for i, c := range cmds {
		words := strings.Fields(c)
		if len(words) == 0 || words[0] == "netrc" || words[0] == "off" || words[0] == "git" {
			cmds[i] = Redact(c)
			continue
		}
		for j := 1; j < len(words); j++ {
			w := words[j]
			switch {
			case strings.HasPrefix(w, "-") && !strings.Contains(w, "="):
			case strings.HasPrefix(w, "-"):
				k, _, _ := strings.Cut(w, "=")
				words[j] = k + "=" + redacted
			case strings.HasPrefix(w, "/") && !strings.Contains(w, "@"):
			default:
				words[j] = redacted
			}
		}
		lead := ""
		if strings.HasPrefix(c, " ") {
			lead = " "
		}
		cmds[i] = lead + Redact(strings.Join(words, " "))
	}
	return strings.Join(cmds, ";")
}
