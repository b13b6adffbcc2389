package goenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nativego/nativego/archcheck"
	"github.com/nativego/nativego/internal/testenv"
)

// A testSetup is a generated environment: a home directory, a user env
// file, and a GOROOT of its own (the real go binary's tree for the
// buildcfg defaults, but a go.env the test writes) selected with GOROOT.
type testSetup struct {
	t       *testing.T
	dir     string
	home    string
	goroot  string
	goCmd   string
	userEnv string
	env     map[string]string
}

// releaseGoEnv is a go.env as releases ship it, with the registry names
// read from the real go.env rather than written here.
func releaseGoEnvText(t *testing.T) string {
	b, err := os.ReadFile(filepath.Join(testenv.GOROOT(t), "go.env"))
	if err != nil {
		t.Fatal(err)
	}
	f := ParseEnvFile("go.env", b)
	proxy, _ := f.Lookup("GOPROXY")
	sumdb, _ := f.Lookup("GOSUMDB")
	return "# go.env as shipped\nGOPROXY=" + proxy.Value + "\nGOSUMDB=" + sumdb.Value + "\nGOTOOLCHAIN=auto\n"
}

func newSetup(t *testing.T) *testSetup {
	t.Helper()
	goCmd := testenv.GoTool(t)
	dir := t.TempDir()
	s := &testSetup{t: t, dir: dir, home: filepath.Join(dir, "home"), goroot: filepath.Join(dir, "goroot"), goCmd: goCmd}
	s.userEnv = filepath.Join(s.home, ".config", "go", "env")
	testenv.QuietTelemetry(t, s.home) // the fixes run the go command with this HOME
	writeFile(t, filepath.Join(s.goroot, "go.env"), releaseGoEnvText(t))
	if err := os.MkdirAll(filepath.Join(s.goroot, "pkg", "tool"), 0o755); err != nil {
		t.Fatal(err)
	}
	s.env = map[string]string{
		"HOME":   s.home,
		"PATH":   filepath.Dir(goCmd) + ":/usr/bin:/bin",
		"GOROOT": s.goroot,
	}
	return s
}

func (s *testSetup) user(text string) *testSetup {
	writeFile(s.t, s.userEnv, text)
	return s
}

func (s *testSetup) set(kv ...string) *testSetup {
	for i := 0; i+1 < len(kv); i += 2 {
		s.env[kv[i]] = kv[i+1]
	}
	return s
}

func (s *testSetup) environ() []string {
	var out []string
	for k, v := range s.env {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}

func (s *testSetup) resolve() *Env {
	s.t.Helper()
	env, err := Resolve(&Config{Environ: s.environ(), Dir: s.dir, GoCommand: s.goCmd})
	if err != nil {
		s.t.Fatal(err)
	}
	return env
}

func (s *testSetup) lint() []Finding {
	return Lint(s.resolve())
}

// runFix runs a fix that is a go env command, in the setup's environment,
// as a person would paste it into a shell.
func (s *testSetup) runFix(fix string) {
	s.t.Helper()
	fix, _, _ = strings.Cut(fix, "   #")
	cmd := exec.CommandContext(s.t.Context(), "/bin/sh", "-c", fix)
	cmd.Env = s.environ()
	cmd.Dir = s.dir
	cmd.WaitDelay = 10 * time.Second
	if out, err := cmd.CombinedOutput(); err != nil {
		s.t.Fatalf("fix %q: %v\n%s", fix, err, out)
	}
}

func findID(fs []Finding, id string) (Finding, bool) {
	for _, f := range fs {
		if f.ID == id {
			return f, true
		}
	}
	return Finding{}, false
}

// Host is archcheck.Host, for brevity in tests.
type Host = archcheck.Host

func hostOf(goos, goarch string) *Host { return archcheck.Target(goos, goarch) }

var osEnviron = os.Environ
