package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nativego/nativego/archcheck"
	"github.com/nativego/nativego/internal/testenv"
	"github.com/nativego/nativego/toolchain"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestMain(m *testing.M) { testenv.Main(m) }

// appleSilicon is an M2 Mac as archcheck.DetectHost describes one: the
// values recorded from sysctl on macOS 15 (hw.optional.arm64=1,
// hw.perflevel0.physicalcpu=4, hw.perflevel1.physicalcpu=4, 16 KiB pages)
// with Rosetta 2 installed.
var appleSilicon = archcheck.Host{
	OS: "darwin", Arch: "arm64", HardwareArch: "arm64",
	OSVersion: "15.5", CPU: "Apple M2", PerformanceCores: 4, EfficiencyCores: 4,
	PageSize: 16384, GOARM64: "v8.5",
	Runners: []archcheck.Runner{{Arch: "amd64", Name: "rosetta", Translate: true}},
}

// intelGoOnAppleSilicon sets up, in a temporary HOME, what a Mac user
// gets by installing the Intel build of Go with golang.org/dl, first on
// PATH, and injects the facts of an Apple Silicon Mac. bin/go is a real
// darwin/amd64 Go program: Discover reads its headers and build
// information, and never runs it.
func intelGoOnAppleSilicon(t *testing.T) {
	home := t.TempDir()
	version := runtime.Version() // what the fake bin/go's build information says
	if strings.ContainsAny(version, " -") {
		t.Skipf("a development toolchain (%s) makes no release tree", version)
	}
	root := filepath.Join(home, "sdk", version)
	prog := testenv.Build(t, testenv.BuildSpec{GOOS: "darwin", GOARCH: "amd64"})
	data, err := os.ReadFile(prog)
	if err != nil {
		t.Fatal(err)
	}
	// The release's go.env, from the go command running the test.
	goEnv, err := os.ReadFile(filepath.Join(testenv.GOROOT(t), "go.env"))
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string][]byte{
		"go.env":            goEnv,
		"bin/go":            data,
		"VERSION":           []byte(version + "\ntime 2026-11-04T17:03:19Z\n"),
		".unpacked-success": nil,
	} {
		name = filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, content, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	facts, err := json.Marshal(appleSilicon)
	if err != nil {
		t.Fatal(err)
	}
	factsFile := filepath.Join(t.TempDir(), "apple-m2.json")
	if err := os.WriteFile(factsFile, facts, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(hostFactsEnv, factsFile)
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	testenv.QuietTelemetry(t, home) // no telemetry child may outlive a go command run here
	t.Setenv("PATH", filepath.Join(root, "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
	for _, v := range []string{"GOROOT", "GOPATH", "GOMODCACHE", "GOBIN", "GOENV", "GOTOOLCHAIN", "GOFLAGS"} {
		t.Setenv(v, "")
	}
}

// TestRosetta runs the real command with an Intel go first on PATH of an
// Apple Silicon Mac: verify must fail and say it is a Rosetta problem.
func TestRosetta(t *testing.T) {
	intelGoOnAppleSilicon(t)
	var stdout, stderr bytes.Buffer
	code := run(&stdout, &stderr, []string{"-json", "-offline", "-quick"})
	if code != 1 {
		t.Errorf("exit %d, want 1; stderr:\n%s", code, stderr.String())
	}
	var r verifyReport
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("%v\n%s", err, stdout.String())
	}
	if r.Toolchains == nil || r.Toolchains.Verdict != verdictFail {
		t.Fatalf("toolchains section %+v, want verdict fail", r.Toolchains)
	}
	var found bool
	for _, c := range r.Toolchains.Checks {
		if c.Name == "rosetta-toolchain" {
			found = true
			if c.Verdict != verdictFail || !c.Required || !strings.Contains(c.Message, "Rosetta 2") || !strings.Contains(c.Fix, "darwin-arm64") {
				t.Errorf("rosetta-toolchain check %+v: want a required failure naming Rosetta 2 with a darwin-arm64 fix", c)
			}
		}
	}
	if !found {
		t.Errorf("no rosetta-toolchain check among %+v", r.Toolchains.Checks)
	}
	if r.Verdict != verdictFail {
		t.Errorf("report verdict %q, want fail", r.Verdict)
	}
	if r.Integrity.Verdict != verdictSkipped {
		t.Errorf("integrity %q with -offline, want skipped", r.Integrity.Verdict)
	}
}

// TestShape is the golden test of the report's shape: the sections in
// order, the keys of the JSON object and of each section, the order of
// the text and Markdown reports, and the JUnit suites. Values are not
// compared: they are this machine's.
func TestShape(t *testing.T) {
	intelGoOnAppleSilicon(t)
	junit := filepath.Join(t.TempDir(), "verify.xml")
	var got bytes.Buffer
	for _, args := range [][]string{{"-json"}, {}, {"-markdown"}} {
		args = append(args, "-offline", "-quick", "-junit", junit)
		var stdout, stderr bytes.Buffer
		if code := run(&stdout, &stderr, args); code != 1 {
			t.Fatalf("verify %q: exit %d, want 1; stderr:\n%s", args, code, stderr.String())
		}
		fmt.Fprintf(&got, "# verify %s\n", strings.Join(args[:len(args)-2], " "))
		switch {
		case len(args) > 0 && args[0] == "-json":
			writeJSONShape(t, &got, stdout.Bytes())
		default:
			writeTextShape(&got, stdout.String())
		}
		data, err := os.ReadFile(junit)
		if err != nil {
			t.Fatal(err)
		}
		writeJUnitShape(t, &got, data)
	}
	golden := filepath.Join("testdata", "shape.golden")
	if *update {
		if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got.String()); diff != "" {
		t.Errorf("report shape (-want +got):\n%s", diff)
	}
}

// writeJSONShape writes the object's keys in order, and each section's.
func writeJSONShape(t *testing.T, w io.Writer, data []byte) {
	dec := json.NewDecoder(bytes.NewReader(data))
	keys := func(dec *json.Decoder) []string {
		var out []string
		if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
			t.Fatalf("want an object, got %v %v", tok, err)
		}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, tok.(string))
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				t.Fatal(err)
			}
		}
		return out
	}
	top := keys(dec)
	fmt.Fprintf(w, "keys: %s\n", strings.Join(top, " "))
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		t.Fatal(err)
	}
	for _, k := range top {
		if raw := obj[k]; len(raw) > 0 && raw[0] == '{' {
			fmt.Fprintf(w, "%s: %s\n", k, strings.Join(keys(json.NewDecoder(bytes.NewReader(raw))), " "))
			var s section
			if err := json.Unmarshal(raw, &s); err != nil {
				t.Fatal(err)
			}
			for _, c := range s.Checks {
				if _, ok := verdictRank[c.Verdict]; !ok {
					t.Errorf("%s: check %s has verdict %q", k, c.Name, c.Verdict)
				}
			}
		}
	}
}

// writeTextShape writes the section lines of a text or Markdown report:
// each section's name, without its verdict or time.
func writeTextShape(w io.Writer, out string) {
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 0:
		case strings.HasPrefix(line, "#"):
			fmt.Fprintf(w, "%s %s\n", f[0], strings.TrimSuffix(f[1], ":"))
		case !strings.HasPrefix(line, " ") && !strings.HasPrefix(line, "|") && !strings.HasPrefix(line, "-") && !strings.HasPrefix(line, ">"):
			fmt.Fprintf(w, "%s\n", strings.TrimSuffix(f[0], ":"))
		}
	}
}

func writeJUnitShape(t *testing.T, w io.Writer, data []byte) {
	var suites junitSuites
	if err := xml.Unmarshal(data, &suites); err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	var names []string
	for _, s := range suites.Suites {
		names = append(names, s.Name)
		if s.Tests != len(s.Cases) {
			t.Errorf("suite %s: tests=%d, %d testcases", s.Name, s.Tests, len(s.Cases))
		}
	}
	if suites.Failures == 0 {
		t.Errorf("junit: no failures for a failing run")
	}
	fmt.Fprintf(w, "junit suites: %s\n", strings.Join(names, " "))
}

// TestThisMachine runs every section for real: the host's own go builds
// a native program, and the sections fill their details.
func TestThisMachine(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and measures programs; skipped in -short mode")
	}
	testenv.GoTool(t)
	var stdout, stderr bytes.Buffer
	code := run(&stdout, &stderr, []string{"-json", "-offline", "-quick"})
	var r verifyReport
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("%v\n%s", err, stdout.String())
	}
	for _, s := range r.sections() {
		if s.Verdict == verdictFail {
			t.Logf("%s failed on this machine: %q", s.Name, s.Reasons)
		}
		if s.Name != "integrity" && s.Name != "performance" && s.Verdict == verdictSkipped {
			t.Errorf("%s skipped: %q", s.Name, s.Reasons)
		}
	}
	if want := map[bool]int{true: 1, false: 0}[r.Verdict == verdictFail]; code != want {
		t.Errorf("exit %d with verdict %s, want %d", code, r.Verdict, want)
	}
	var host bytes.Buffer
	for _, c := range r.Build.Checks {
		if c.Name == "host-build" && c.Verdict != verdictOK {
			t.Errorf("host build: %s", c.Message)
		}
		fmt.Fprintln(&host, c.Verdict, c.Name, c.Message)
	}
	t.Logf("build section:\n%s", host.String())
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{{"extra"}, {"-nosuchflag"}, {"-json", "-markdown"}, {"-quick", "-full"}} {
		var stdout, stderr bytes.Buffer
		if code := run(&stdout, &stderr, args); code != 2 || !strings.Contains(stderr.String(), "usage: verify") {
			t.Errorf("verify %q: exit %d, stderr %q; want 2 and usage", args, code, stderr.String())
		}
	}
}

func TestBadHostFacts(t *testing.T) {
	name := filepath.Join(t.TempDir(), "facts.json")
	os.WriteFile(name, []byte(`{"os": "darwin"`), 0o644)
	t.Setenv(hostFactsEnv, name)
	var stdout, stderr bytes.Buffer
	if code := run(&stdout, &stderr, nil); code != 2 || !strings.Contains(stderr.String(), hostFactsEnv) {
		t.Errorf("exit %d, stderr %q; want 2 naming %s", code, stderr.String(), hostFactsEnv)
	}
}

// TestIntegrityUnreachable checks that a checksum database that cannot be
// reached skips the integrity section instead of failing verify. The
// proxy is a loopback port nothing listens on.
func TestIntegrityUnreachable(t *testing.T) {
	if testing.Short() {
		t.Skip("hashes a whole GOROOT; skipped in -short mode")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	t.Setenv("GOPROXY", "http://"+addr)
	t.Setenv("GOFLAGS", "")
	v := &verifier{active: &toolchain.Install{Root: testenv.GOROOT(t), Source: toolchain.SourceOfficial}}
	s := &section{Name: "integrity"}
	v.checkIntegrity(t.Context(), s)
	s.finish(time.Now())
	if s.Verdict != verdictSkipped || s.failed() {
		t.Errorf("integrity with an unreachable proxy: %s %+v, want skipped", s.Verdict, s.Checks)
	}
	t.Logf("%q", s.Reasons)
}
