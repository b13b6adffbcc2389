package goenv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nativego/nativego/archcheck"
)

// TestWhyMisconfigurations has one case per misconfiguration listed
// under "Why" in issue 8 (but the vendoring and go mod verify ones, which
// belong to the module audits): each must be caught with its fix, and a
// fix that is a complete go env command must, when run, make the finding
// go away.
func TestWhyMisconfigurations(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(s *testSetup)
		id      string
		fix     string // a substring the fix must contain
		noRerun bool   // the fix has a placeholder or is not a go env command
	}{
		{name: "gosumdb-name-and-url-without-key", id: "GOSUMDB-NO-KEY",
			setup: func(s *testSetup) { s.user("GOSUMDB=company-sumdb https://sumdb.internal.company\n") },
			fix:   "go env -w 'GOSUMDB=company-sumdb+<hash>+<key> https://sumdb.internal.company'", noRerun: true},
		{name: "goproxy-without-fallback-for-private-modules", id: "GOPROXY-NO-DIRECT",
			setup: func(s *testSetup) { s.user("GOPROXY=https://athens.corp.example\n") },
			fix:   "go env -w GOPROXY=https://athens.corp.example,direct"},
		{name: "goproxy-comma-is-not-failover", id: "GOPROXY-COMMA",
			setup: func(s *testSetup) { s.user("GOPROXY=https://a.corp.example,https://b.corp.example,direct\n") },
			fix:   "GOPROXY=https://a.corp.example|https://b.corp.example,direct"},
		{name: "pattern-space-after-comma", id: "PATTERN-SPACE",
			setup: func(s *testSetup) { s.user("GOPRIVATE=corp.example, git.corp.example/team\n") },
			fix:   "go env -w GOPRIVATE=corp.example,git.corp.example/team"},
		{name: "pattern-trailing-slash", id: "PATTERN-TRAILING-SLASH",
			setup: func(s *testSetup) { s.user("GONOSUMDB=git.corp.example/team/\n") },
			fix:   "go env -w GONOSUMDB=git.corp.example/team"},
		{name: "pattern-star-does-not-cross-slash", id: "PATTERN-STAR-SLASH",
			setup: func(s *testSetup) { s.user("GOPRIVATE=*corp*\n") }, noRerun: true},
		{name: "goflags-ldflags-quotes", id: "GOFLAGS-QUOTE",
			setup: func(s *testSetup) { s.user("GOFLAGS=-ldflags='-s -w'\n") },
			fix:   `go env -w "GOFLAGS='-ldflags=-s -w'"`},
		{name: "gosumdb-off-with-toolchain-downloads", id: "GOSUMDB-OFF-TOOLCHAIN",
			setup: func(s *testSetup) { s.user("GOSUMDB=off\n") }, fix: "go env -u GOSUMDB"},
		{name: "gopath-equals-goroot", id: "GOPATH-IN-GOROOT",
			setup: func(s *testSetup) { s.user("GOPATH=" + s.goroot + "\n") }, fix: "go env -u GOPATH"},
		{name: "gopath-inside-goroot", id: "GOPATH-IN-GOROOT",
			setup: func(s *testSetup) { s.user("GOPATH=" + s.goroot + "/gopath\n") }, fix: "go env -u GOPATH"},
		{name: "empty-variable-does-not-override-env-file", id: "ENV-EMPTY-NO-OVERRIDE",
			setup: func(s *testSetup) { s.user("GOFLAGS=-mod=mod\n").set("GOFLAGS", "") }, fix: "go env -u GOFLAGS"},
		{name: "go-env-w-shadowed-by-environment", id: "ENV-SHADOWS-FILE",
			setup: func(s *testSetup) {
				s.user("GOPROXY=https://athens.corp.example,direct\n").set("GOPROXY", "direct")
			},
			fix: "unset GOPROXY", noRerun: true},
		{name: "proxy-credentials-in-env-file", id: "CREDENTIALS-IN-ENV-FILE",
			setup: func(s *testSetup) { s.user("GOPROXY=https://bob:hunter2@athens.corp.example,direct\n") },
			fix:   "go env -u GOPROXY"},
		{name: "proxy-credentials-in-url", id: "GOPROXY-CREDENTIALS",
			setup: func(s *testSetup) { s.set("GOPROXY", "https://bob:hunter2@athens.corp.example,direct") },
			fix:   "GOPROXY=https://athens.corp.example,direct", noRerun: true},
		{name: "typo-gonosumcheck", id: "UNKNOWN-VAR",
			setup: func(s *testSetup) { s.user("GONOSUMCHECK=corp.example\n") },
			fix:   "go env -u GONOSUMCHECK && go env -w GONOSUMDB=corp.example"},
		{name: "typo-goprivte-in-environment", id: "UNKNOWN-VAR",
			setup: func(s *testSetup) { s.set("GOPRIVTE", "corp.example") },
			fix:   "export GOPRIVATE=corp.example; unset GOPRIVTE", noRerun: true},
		{name: "gotoolchain-language-version", id: "GOTOOLCHAIN-LANGUAGE-VERSION",
			setup: func(s *testSetup) { s.set("GOTOOLCHAIN", "go1.22") },
			fix:   "go env -w GOTOOLCHAIN=go1.22.0", noRerun: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSetup(t)
			tc.setup(s)
			f, ok := findID(s.lint(), tc.id)
			if !ok {
				t.Fatalf("no %s finding; got:\n%v", tc.id, s.lint())
			}
			if !strings.Contains(f.Fix, tc.fix) {
				t.Errorf("%s fix = %q, want it to contain %q", tc.id, f.Fix, tc.fix)
			}
			if f.Message == "" || f.Var == "" || f.Origin == "" {
				t.Errorf("finding lacks message, variable or origin: %+v", f)
			}
			if tc.noRerun || testing.Short() {
				return
			}
			s.runFix(f.Fix)
			if f2, still := findID(s.lint(), tc.id); still && f2.Message == f.Message {
				t.Errorf("after running the fix %q, %s is still reported: %s", f.Fix, tc.id, f2.Message)
			}
		})
	}
}

// darwinARM64Host is a recorded Apple Silicon Mac (archcheck's
// testdata/host/darwin-m4.txt, as DetectHost reported it).
func darwinARM64Host() *archcheck.Host {
	h := archcheck.Target("darwin", "arm64")
	h.GOARM64 = "v8.6"
	return h
}

// TestGOARCHInEnvFileOnAppleSilicon is the "GOARCH=amd64 left in the env
// file of an Apple Silicon Mac" case: AuditArch, given that Mac's facts,
// must report it with the fix.
func TestGOARCHInEnvFileOnAppleSilicon(t *testing.T) {
	s := newSetup(t)
	s.user("GOARCH=amd64\n")
	env := s.resolve()
	// The resolved toolchain is this machine's; describe it as the Mac's
	// native darwin/arm64 go command.
	env.Toolchain.GOOS, env.Toolchain.GOARCH = "darwin", "arm64"
	fs, err := AuditArch(t.Context(), env, &ArchOptions{Host: darwinARM64Host(), NoRunCC: true})
	if err != nil {
		t.Fatal(err)
	}
	f, ok := findID(fs, "ARCH-GOARCH-IN-ENV-FILE")
	if !ok {
		t.Fatalf("no ARCH-GOARCH-IN-ENV-FILE finding; got %v", fs)
	}
	if f.Fix != "go env -u GOARCH" || !strings.Contains(f.Message, "Rosetta") {
		t.Errorf("finding = %+v", f)
	}
}

func TestIntelHomebrewFirstOnPATH(t *testing.T) {
	s := newSetup(t)
	s.set("PATH", "/usr/local/bin:/opt/homebrew/bin:/usr/bin:/bin")
	env := s.resolve()
	fs, err := AuditArch(t.Context(), env, &ArchOptions{Host: darwinARM64Host(), NoRunCC: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := findID(fs, "ARCH-PATH-INTEL-HOMEBREW"); !ok {
		t.Errorf("no ARCH-PATH-INTEL-HOMEBREW finding; got %v", fs)
	}
	s.set("PATH", "/opt/homebrew/bin:/usr/local/bin:/usr/bin")
	fs, _ = AuditArch(t.Context(), s.resolve(), &ArchOptions{Host: darwinARM64Host(), NoRunCC: true})
	if f, ok := findID(fs, "ARCH-PATH-INTEL-HOMEBREW"); ok {
		t.Errorf("native Homebrew first: unexpected %v", f)
	}
}

func TestGoCommandForeignArch(t *testing.T) {
	s := newSetup(t)
	env := s.resolve()
	env.Toolchain.GOOS, env.Toolchain.GOARCH = "darwin", "amd64"
	fs, err := AuditArch(t.Context(), env, &ArchOptions{Host: darwinARM64Host(), NoRunCC: true})
	if err != nil {
		t.Fatal(err)
	}
	f, ok := findID(fs, "ARCH-GO-FOREIGN")
	if !ok || !strings.Contains(f.Message, "rosetta") {
		t.Errorf("ARCH-GO-FOREIGN = %+v, %v; all: %v", f, ok, fs)
	}
}

// TestTelemetryDefault resolves GOTELEMETRY without a mode file: local,
// by default. The oracle cases turn telemetry off (testenv.QuietTelemetry)
// so that no telemetry child outlives their go commands; this checks
// without running the go command what they no longer show.
func TestTelemetryDefault(t *testing.T) {
	s := newSetup(t)
	if err := os.Remove(filepath.Join(s.home, ".config", "go", "telemetry", "mode")); err != nil {
		t.Fatal(err)
	}
	v, ok := s.resolve().Lookup("GOTELEMETRY")
	if !ok || v.Value != "local" || v.Origin.Source != FromDefault {
		t.Errorf("GOTELEMETRY = %+v, %v; want local from a default rule", v, ok)
	}
}
