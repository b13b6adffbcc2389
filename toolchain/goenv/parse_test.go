package goenv

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nativego/nativego/internal/testenv"
)

func ids(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.ID)
	}
	slices.Sort(out)
	return out
}

func TestParseGOPROXY(t *testing.T) {
	tests := []struct {
		v    string
		want []ProxyEntry
		ids  []string
	}{
		{"https://a.test,direct", []ProxyEntry{{URL: "https://a.test"}, {URL: "direct"}}, nil},
		{"https://a.test|https://b.test", []ProxyEntry{{URL: "https://a.test", FallBackOnError: true}, {URL: "https://b.test"}}, nil},
		{"a.test/path , direct, https://never.test", []ProxyEntry{{URL: "https://a.test/path"}, {URL: "direct"}}, []string{"GOPROXY-AFTER-DIRECT"}},
		{"goproxy,direct", []ProxyEntry{{URL: "direct"}}, []string{"GOPROXY-BAD-URL"}},
		{"DIRECT", nil, []string{"GOPROXY-BAD-URL"}},
		{"http://proxy.corp.example", []ProxyEntry{{URL: "http://proxy.corp.example"}}, []string{"GOPROXY-PLAIN-HTTP"}},
		{"http://127.0.0.1:8080", []ProxyEntry{{URL: "http://127.0.0.1:8080"}}, nil},
		{"file://host/srv", nil, []string{"GOPROXY-BAD-URL"}},
		{"", nil, []string{"GOPROXY-EMPTY"}},
		{" , ", nil, []string{"GOPROXY-NO-ENTRIES"}},
	}
	for _, tc := range tests {
		got, probs := ParseGOPROXY(tc.v)
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("ParseGOPROXY(%q) (-want +got):\n%s", tc.v, diff)
		}
		if diff := cmp.Diff(tc.ids, ids(probs)); diff != "" {
			t.Errorf("ParseGOPROXY(%q) findings (-want +got):\n%s", tc.v, diff)
		}
	}
}

func TestParseGOSUMDB(t *testing.T) {
	tests := []struct {
		v, name string
		ids     []string
	}{
		{"off", "", []string{"GOSUMDB-OFF"}},
		{"company-sumdb https://sumdb.internal.company", "", []string{"GOSUMDB-NO-KEY"}},
		{"sum.corp.example+00000000+AAAA", "", []string{"GOSUMDB-BAD-KEY"}},
		{"a b c", "", []string{"GOSUMDB-FIELDS"}},
		{"", "", []string{"GOSUMDB-EMPTY"}},
	}
	for _, tc := range tests {
		db, probs := ParseGOSUMDB(tc.v)
		if db.Name != tc.name || !slices.Equal(ids(probs), tc.ids) {
			t.Errorf("ParseGOSUMDB(%q) = %+v, %v; want name %q, %v", tc.v, db, ids(probs), tc.name, tc.ids)
		}
	}
	// The go command's own default, as its go.env names it, parses.
	goEnvFile := ParseEnvFile("go.env", []byte(releaseGoEnvText(t)))
	def, _ := goEnvFile.Lookup("GOSUMDB")
	if db, probs := ParseGOSUMDB(def.Value); db.Name != def.Value || len(probs) != 0 {
		t.Errorf("ParseGOSUMDB(default) = %+v, %v", db, probs)
	}
}

func TestParseGOTOOLCHAIN(t *testing.T) {
	tests := []struct {
		v    string
		want ToolchainSetting
		ids  []string
	}{
		{"local", ToolchainSetting{Min: "local"}, nil},
		{"auto", ToolchainSetting{Min: "local", Mode: "auto"}, nil},
		{"go1.26.1+path", ToolchainSetting{Min: "go1.26.1", Mode: "path"}, nil},
		{"go1.22", ToolchainSetting{Min: "go1.22"}, []string{"GOTOOLCHAIN-LANGUAGE-VERSION"}},
		{"go1.22+auto", ToolchainSetting{Min: "go1.22", Mode: "auto"}, []string{"GOTOOLCHAIN-LANGUAGE-VERSION"}},
		{"go1.20", ToolchainSetting{Min: "go1.20"}, []string{"GOTOOLCHAIN-TOO-OLD"}},
		{"go1.26.1+local", ToolchainSetting{Min: "local"}, []string{"GOTOOLCHAIN-BAD-SUFFIX"}},
		{"bash", ToolchainSetting{Min: "local"}, []string{"GOTOOLCHAIN-BAD-NAME"}},
		{"go1.26.1-corp", ToolchainSetting{Min: "go1.26.1-corp"}, nil},
	}
	for _, tc := range tests {
		got, probs := ParseGOTOOLCHAIN(tc.v)
		if got != tc.want || !slices.Equal(ids(probs), tc.ids) {
			t.Errorf("ParseGOTOOLCHAIN(%q) = %+v, %v; want %+v, %v", tc.v, got, ids(probs), tc.want, tc.ids)
		}
	}
}

func TestParsePatterns(t *testing.T) {
	tests := []struct {
		v   string
		ids []string
	}{
		{"corp.example,git.corp.example/team", nil},
		{"corp.example, git.corp.example", []string{"PATTERN-SPACE"}},
		{"git.corp.example/team/", []string{"PATTERN-TRAILING-SLASH"}},
		{"git.corp.example/team//", []string{"PATTERN-TRAILING-SLASH"}},
		{"*corp*", []string{"PATTERN-STAR-SLASH"}},
		{"*", []string{"PATTERN-MATCHES-ALL"}},
		{"[a-.example", []string{"PATTERN-MALFORMED"}},
		{"https://git.corp.example", []string{"PATTERN-SCHEME"}},
		{"example.com/m@v1.0.0", []string{"PATTERN-VERSION"}},
	}
	for _, tc := range tests {
		_, probs := ParsePatterns("GOPRIVATE", tc.v)
		if !slices.Equal(ids(probs), tc.ids) {
			t.Errorf("ParsePatterns(%q) = %v, want %v", tc.v, ids(probs), tc.ids)
		}
	}
	// What the pattern checks claim, module.MatchPrefixPatterns confirms.
	for _, c := range []struct {
		pats, path string
		match      bool
	}{
		{" corp.example", "corp.example/x", false},
		{"*corp*", "github.com/corp-team/x", false},
		{"github.com/corp-*", "github.com/corp-team/x", true},
		{"[a-", "a/b", false},
		{"git.corp.example/team//", "git.corp.example/team/x", false},
	} {
		if got := Match(c.pats, c.path); got != c.match {
			t.Errorf("Match(%q, %q) = %v, want %v", c.pats, c.path, got, c.match)
		}
	}
}

func TestCheckArchVar(t *testing.T) {
	for _, c := range []struct {
		name, v string
		ok      bool
	}{
		{"GOAMD64", "v3", true}, {"GOAMD64", "v5", false}, {"GOAMD64", "3", false},
		{"GOARM64", "v8.0", true}, {"GOARM64", "v9.5,lse,crypto", true}, {"GOARM64", "v8.10", false}, {"GOARM64", "v8.2,sve", false},
		{"GOARM", "7", true}, {"GOARM", "6,softfloat", true}, {"GOARM", "8", false},
		{"GO386", "sse2", true}, {"GO386", "387", false},
	} {
		if got := len(CheckArchVar(c.name, c.v)) == 0; got != c.ok {
			t.Errorf("CheckArchVar(%s, %q) ok = %v, want %v", c.name, c.v, got, c.ok)
		}
	}
}

func TestSuggest(t *testing.T) {
	for in, want := range map[string]string{"GONOSUMCHECK": "GONOSUMDB", "GOPRIVTE": "GOPRIVATE", "GOFALGS": "GOFLAGS", "GO_PROXY": "GOPROXY", "GOPASS": "", "GOOGLE_CLOUD_PROJECT": ""} {
		if got, _ := Suggest(in); got != want {
			t.Errorf("Suggest(%q) = %q, want %q", in, got, want)
		}
	}
	if _, unknown := Suggest("GOOGLE_CLOUD_PROJECT"); unknown {
		t.Errorf("GOOGLE_CLOUD_PROJECT reported unknown")
	}
	if _, unknown := Suggest("GOMAXPROCS"); unknown {
		t.Errorf("GOMAXPROCS reported unknown")
	}
}

// TestParseGOFLAGSMatchesGoCommand is an oracle test: for each GOFLAGS
// value, the go command (go list -m, which parses GOFLAGS like every
// subcommand but env and bug) fails exactly when ParseGOFLAGS reports an
// error of the kinds the go command rejects up front.
func TestParseGOFLAGSMatchesGoCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	goTool := testenv.GoTool(t)
	dir := t.TempDir()
	writeFile(t, dir+"/go.mod", "module example.com/m\n\ngo 1.26\n")
	for _, v := range []string{
		"-ldflags='-s -w'", "'-ldflags=-s -w'", "-mod=mod -trimpath", "-mod mod", "-count=1",
		"--trimpath", "-=x", "'unterminated", "-buildvcs=auto", "-ldflags='-X main.v=1'", "-nosuchflag",
		"trimpath", "-tags=a,b -race",
	} {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			cmd := exec.CommandContext(t.Context(), goTool, "list", "-m")
			cmd.Dir = dir
			// CGO_ENABLED=1: -race needs cgo, which is off by default
			// where no C compiler is installed; go list -m runs none.
			cmd.Env = append(cleanEnv(), "GOFLAGS="+v, "GOTOOLCHAIN=local", "GOENV=off", "CGO_ENABLED=1")
			cmd.WaitDelay = 10 * time.Second
			out, err := cmd.CombinedOutput()
			goFails := err != nil
			_, probs := ParseGOFLAGS(v)
			weFail := slices.ContainsFunc(probs, func(f Finding) bool {
				return f.Severity == Error && (f.ID == "GOFLAGS-NON-FLAG" || f.ID == "GOFLAGS-UNKNOWN" ||
					f.ID == "GOFLAGS-QUOTE" && !strings.Contains(f.Message, "are part of the value"))
			})
			if goFails != weFail {
				t.Errorf("GOFLAGS=%s: go list -m failed=%v (%s), ParseGOFLAGS errors=%v", v, goFails, strings.TrimSpace(string(out)), ids(probs))
			}
		})
	}
}

// cleanEnv is this process's environment without GO* variables.
func cleanEnv() []string {
	var out []string
	for _, kv := range osEnviron() {
		if !strings.HasPrefix(kv, "GO") {
			out = append(out, kv)
		}
	}
	return out
}
