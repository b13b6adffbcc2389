package goenv

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// Every parser is fuzzed: none may panic, and each keeps its own
// invariants. Seeds are real values from the issue tracker's reports and
// from go.env files.

func FuzzParseEnvFile(f *testing.F) {
	f.Add([]byte("# go.env\nGOPROXY=https://proxy.example,direct\nGOSUMDB=sum.example\nGOTOOLCHAIN=auto\n"))
	f.Add([]byte("GOFLAGS=-mod=mod\r\nGOPROXY = direct\n=x\nlower=1\nGOPRIVATE="))
	f.Fuzz(func(t *testing.T, data []byte) {
		ef := ParseEnvFile("env", data)
		for _, s := range ef.Settings {
			if s.Key == "" && !strings.HasPrefix(string(data), "=") {
				// A key is never empty: lines must start with A-Z.
				t.Errorf("empty key in %+v", s)
			}
			if strings.Contains(s.Key, "=") || strings.Contains(s.Value, "\n") {
				t.Errorf("bad setting %+v", s)
			}
		}
	})
}

func FuzzParseGOPROXY(f *testing.F) {
	for _, s := range []string{"https://proxy.example,direct", "https://a.test|https://b.test,off", "off", "direct",
		" , ", "proxy.example/path", "https://u:p@x.test,direct", "file:///srv/proxy", "file://host/x", "DIRECT", "ftp://x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		list, probs := ParseGOPROXY(v)
		for i, e := range list {
			if (e.Direct() || e.Off()) && i != len(list)-1 {
				t.Errorf("%q: %s is not last in %+v", v, e.URL, list)
			}
		}
		if len(list) == 0 && !hasSeverity(probs, Error) {
			t.Errorf("%q: no entries and no error", v)
		}
	})
}

func FuzzParseGOSUMDB(f *testing.F) {
	for _, s := range []string{"off", "", "company-sumdb https://sumdb.internal.company",
		"sum.corp.example+4d3c2b1a+AfakeKeyIsNotValid", "a b c", "x+1+2 ://bad"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		db, probs := ParseGOSUMDB(v)
		if db.Name != "" && hasSeverity(probs, Error) {
			t.Errorf("%q: a name (%q) and an error", v, db.Name)
		}
	})
}

func FuzzParsePatterns(f *testing.F) {
	for _, s := range []string{"corp.example, git.corp.example/team/", "*corp*", "[a-", "https://u:p@git.corp.example",
		"example.com/m@v1.0.0", "*", "a//", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		pats, probs := ParsePatterns("GOPRIVATE", v)
		for _, p := range probs {
			if strings.Contains(p.Fix, "@") && strings.Contains(v, "://") {
				t.Errorf("%q: fix %q keeps user information", v, p.Fix)
			}
		}
		_ = pats
		Match(v, "example.com/a/b")
	})
}

func FuzzParseGOFLAGS(f *testing.F) {
	for _, s := range []string{"-ldflags='-s -w'", "'-ldflags=-s -w'", "-mod=mod -trimpath", "-mod mod", `-tags="a b"`,
		"-count=1 -'x", "--race", "-=x", "'unterminated", "-buildvcs=auto", "-ldflags='-X main.v=1'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		flags, _ := ParseGOFLAGS(v)
		if len(flags) > len(v) {
			t.Errorf("%q: %d flags", v, len(flags))
		}
	})
}

func FuzzSplitQuoted(f *testing.F) {
	for _, s := range []string{"-O2 -g", `'-DX=a b' "y z"`, "'", "a\tb\nc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		words, err := SplitQuoted(v)
		if err != nil || slices.Contains(words, "") {
			return // an empty word joins to nothing, as in cmd/internal/quoted.Join
		}
		j, err := JoinQuoted(words)
		if err != nil {
			return // a word with both kinds of quote cannot be joined
		}
		again, err := SplitQuoted(j)
		if err != nil || strings.Join(again, "\x00") != strings.Join(words, "\x00") {
			t.Errorf("%q: split %q, joined %q, split again %q (%v)", v, words, j, again, err)
		}
	})
}

func FuzzParseGOTOOLCHAIN(f *testing.F) {
	for _, s := range []string{"local", "auto", "path", "go1.22", "go1.22.0+auto", "go1.21rc1+path", "go1.20", "bash", "go1.26.1+x", "local+auto", "go1.2.3-corp"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		ts, _ := ParseGOTOOLCHAIN(v)
		if ts.Mode != "" && ts.Mode != "auto" && ts.Mode != "path" {
			t.Errorf("%q: mode %q", v, ts.Mode)
		}
	})
}

func FuzzCheckValues(f *testing.F) {
	for _, s := range []string{"v3", "v8.2,lse", "7,softfloat", "~/go", "relative", "/usr/local/go/x", "netrc;git /repo", "off;netrc", "cmd --token=abc;"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		for _, name := range []string{"GOAMD64", "GOARM64", "GOARM", "GO386"} {
			CheckArchVar(name, v)
		}
		CheckDir("GOPATH", v, "/usr/local/go", "linux")
		for _, fd := range CheckGOAUTH(v) {
			if strings.Contains(fd.Message, "abc") && strings.Contains(v, "--token=abc") {
				t.Errorf("%q: secret in %q", v, fd.Message)
			}
		}
	})
}

func FuzzRedact(f *testing.F) {
	for _, s := range []string{"https://bob:pw@x.test,direct", "cmd --token secret; netrc", "Authorization: Bearer abc", "GOAUTH=netrc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		r := Redact(v)
		if Redact(r) != r {
			t.Errorf("Redact is not idempotent on %q: %q then %q", v, r, Redact(r))
		}
		if utf8.ValidString(v) && !utf8.ValidString(r) {
			t.Errorf("Redact(%q) = %q is not UTF-8", v, r)
		}
		RedactVar("GOAUTH", v)
	})
}

func FuzzSuggest(f *testing.F) {
	for _, s := range []string{"GONOSUMCHECK", "GOPRIVTE", "GOFALGS", "GO_PROXY", "GOPATH", "GOPASS"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if s, ok := Suggest(v); ok && s != "" && !isKnown(s) {
			t.Errorf("Suggest(%q) = %q, not a known variable", v, s)
		}
	})
}
