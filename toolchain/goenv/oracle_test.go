package goenv

import (
	"encoding/json"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nativego/nativego/internal/testenv"
)

// A fakeRoot is a GOROOT of its own made for the oracle tests: a copy of
// the real go binary (so that the go command finds this tree as its
// GOROOT from its own location), pkg/tool, a go.env the test edits, and
// the buildcfg defaults file.
type fakeRoot struct {
	dir, goCmd string
	realGoEnv  []byte
}

func newFakeRoot(t *testing.T, goTool, real string) *fakeRoot {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "goroot")
	tc := filepath.Join(dir, "pkg", "tool", "host")
	for _, d := range []string{filepath.Join(dir, "bin"), tc, filepath.Join(dir, "src", "internal", "buildcfg")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	goCmd := filepath.Join(dir, "bin", filepath.Base(goTool))
	// A hard link costs nothing and is as good as a copy: the go command
	// finds its GOROOT from os.Executable, which names the link.
	if err := os.Link(goTool, goCmd); err != nil {
		copyFile(t, goTool, goCmd, 0o755)
	}
	copyFile(t, filepath.Join(real, "src", "internal", "buildcfg", "zbootstrap.go"),
		filepath.Join(dir, "src", "internal", "buildcfg", "zbootstrap.go"), 0o644)
	copyFile(t, filepath.Join(real, "go.env"), filepath.Join(dir, "go.env"), 0o644)
	b, err := os.ReadFile(filepath.Join(dir, "go.env"))
	if err != nil {
		t.Fatal(err)
	}
	return &fakeRoot{dir: dir, goCmd: goCmd, realGoEnv: b}
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// An oracleCase is one generated configuration.
type oracleCase struct {
	name    string
	env     map[string]string // added to the base environment; "\x00" deletes a base entry
	user    string            // contents of the user file at $HOME/.config/go/env; "" for none
	goEnv   *string           // contents of $GOROOT/go.env; nil keeps the release's
	files   map[string]string // more files, relative to the case's directory
	workDir string            // relative to the case's directory
	note    string            // a substring Env.Notes must contain
	// realGo runs the real go command, with the case's GOROOT pointing at
	// the copy, instead of the copy.
	realGo bool
	// noCache names the variables in the go env command, for
	// configurations without a build cache, where "go env" without names
	// fails computing GOGCCFLAGS.
	noCache bool
}

func ptr(s string) *string { return &s }

var oracleCases = []oracleCase{
	{name: "defaults"},
	{name: "user-file", user: "GOPROXY=http://127.0.0.1:9/mod\nGOPRIVATE=corp.example\n"},
	{name: "env-shadows-user-file", user: "GOPROXY=http://127.0.0.1:9/user\n", env: map[string]string{"GOPROXY": "http://127.0.0.1:9/env"}},
	{name: "empty-env-does-not-override", user: "GOPROXY=off\nGOFLAGS=-mod=mod\n", env: map[string]string{"GOPROXY": "", "GOFLAGS": ""}},
	{name: "goenv-off", user: "GOPROXY=off\n", env: map[string]string{"GOENV": "off"}},
	{name: "goenv-custom", env: map[string]string{"GOENV": "{dir}/custom.env"}, files: map[string]string{"custom.env": "GOSUMDB=off\nGOINSECURE=*.corp.example\n"}},
	{name: "goenv-missing-file", env: map[string]string{"GOENV": "{dir}/nothing-here"}},
	{name: "edited-go-env", goEnv: ptr("GOPROXY=off\nGOSUMDB=off\nGOTOOLCHAIN=local\n"), note: "go.env:1 sets GOPROXY=off, not the release's value"},
	{name: "user-equals-go-env", user: "GOTOOLCHAIN=local\n", goEnv: ptr("GOPROXY=direct\nGOTOOLCHAIN=local\n")},
	{name: "go-env-without-keys", goEnv: ptr("# nothing\n"), user: "GOTOOLCHAIN=local\n"},
	{name: "empty-user-line-hides-go-env", user: "GOPROXY=\n"},
	{name: "gopath-in-environment", env: map[string]string{"GOPATH": "{dir}/gp"}, note: "GOPATH is set in the process environment"},
	{name: "gopath-in-user-file", user: "GOPATH={dir}/gp1:{dir}/gp2\n"},
	{name: "gomodcache-in-user-file", user: "GOMODCACHE={dir}/mc\n"},
	{name: "gocache-relative", env: map[string]string{"GOCACHE": "relative/cache"}, noCache: true},
	{name: "gocache-off", user: "GOCACHE=off\n", noCache: true},
	{name: "xdg-dirs", env: map[string]string{"XDG_CONFIG_HOME": "{dir}/xdgconfig", "XDG_CACHE_HOME": "{dir}/xdgcache"},
		files: map[string]string{"xdgconfig/go/env": "GOPRIVATE=x.example\n"}},
	{name: "no-home", env: map[string]string{"HOME": "\x00"}, noCache: true},
	{name: "goarch-arm64-in-user-file", user: "GOARCH=arm64\n"},
	{name: "goarm64-in-environment", env: map[string]string{"GOARCH": "arm64", "GOARM64": "v8.2"}},
	{name: "goamd64-v3", env: map[string]string{"GOAMD64": "v3"}},
	{name: "goos-windows", user: "GOOS=windows\n"},
	{name: "cgo-disabled-in-file", user: "CGO_ENABLED=0\n"},
	{name: "no-c-compiler", env: map[string]string{"PATH": "{goroot}/bin"}},
	{name: "cc-set", env: map[string]string{"CC": "clang -fno-x", "CXX": "clang++"}},
	{name: "cgo-flags", env: map[string]string{"CGO_CFLAGS": "  -O2   -g  '-DX=a b'", "CGO_LDFLAGS": "-s", "PKG_CONFIG": "pkgconf --static"}},
	{name: "go111module-off", env: map[string]string{"GO111MODULE": "off"}},
	{name: "go111module-auto", user: "GO111MODULE=auto\n"},
	{name: "in-module", files: map[string]string{"mod/go.mod": "module example.com/m\n\ngo 1.26\n", "mod/sub/x.go": "package sub\n"}, workDir: "mod/sub"},
	{name: "in-workspace", files: map[string]string{"ws/go.work": "go 1.26\n\nuse ./m\n", "ws/m/go.mod": "module example.com/m\n\ngo 1.26\n"}, workDir: "ws/m"},
	{name: "gowork-off", env: map[string]string{"GOWORK": "off"}, files: map[string]string{"w/go.work": "go 1.26\n"}, workDir: "w"},
	{name: "godebug-and-flags", env: map[string]string{"GODEBUG": "http2client=0", "GOFLAGS": "-mod=mod -trimpath"}, user: "GODEBUG=ignored=1\n"},
	{name: "private-defaults-noproxy", user: "GOPRIVATE=*.corp.example,git.example/team\nGONOSUMDB=other.example\n"},
	{name: "toolchain-settings", user: "GOTOOLCHAIN=path\nGOAUTH=off\nGOVCS=*:git\nGOTMPDIR={dir}\nGOBIN={dir}/bin\n"},
	{name: "telemetry-off", files: map[string]string{"home/.config/go/telemetry/mode": "off 2024-01-02\n"}},
	{name: "gccgo-named", env: map[string]string{"GCCGO": "my-gccgo"}, user: "AR=llvm-ar\n"},
	{name: "fips-and-experiment", env: map[string]string{"GOFIPS140": "latest", "GOEXPERIMENT": "jsonv2,nogreenteagc"}},
	{name: "goroot-in-environment", env: map[string]string{"GOROOT": "{goroot}/", "PATH": "/usr/bin:/bin"}, realGo: true},
	{name: "goroot-in-user-file", user: "GOROOT={goroot}\n", env: map[string]string{"PATH": "/usr/bin:/bin"}, realGo: true},
	{name: "goroot-in-both", user: "GOROOT={realroot}\n", env: map[string]string{"GOROOT": "{goroot}", "PATH": "/usr/bin:/bin"}, realGo: true,
		note: "GOROOT is set both in the environment and in the user file"},
	{name: "comments-and-junk-in-user-file", user: "# comment\n\nlowercase=1\nGOPROXY = direct\nGONOPROXY=a.example\r\nGOPROXY=http://127.0.0.1:9/last\n"},
}

// TestResolveMatchesGoEnv is the oracle test: for each generated
// configuration, every key of "go env -json" (but GOGCCFLAGS) must equal
// Resolve's value, and "go env -changed -json" must list exactly the
// variables Resolve calls changed, with the same values.
func TestResolveMatchesGoEnv(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command 80 times")
	}
	goTool := testenv.GoTool(t)
	realRoot := testenv.GOROOT(t)
	// The copy of the go binary is linked to from every case's GOROOT.
	shared := filepath.Join(t.TempDir(), "go")
	copyFile(t, goTool, shared, 0o755)
	sharedCache := filepath.Join(t.TempDir(), "go-build")
	warm := exec.CommandContext(t.Context(), goTool, "env", "-json")
	warm.Env = append(os.Environ(), "GOCACHE="+sharedCache, "GOTOOLCHAIN=local")
	warm.Dir = t.TempDir()
	testenv.Run(t, warm)
	for _, tc := range oracleCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := newFakeRoot(t, shared, realRoot)
			dir := t.TempDir()
			expand := func(s string) string {
				return strings.NewReplacer("{dir}", dir, "{goroot}", root.dir, "{realroot}", realRoot).Replace(s)
			}
			home := filepath.Join(dir, "home")
			// Every case's default build cache is the same warm one: a cold
			// cache makes "go env" run the C compiler to probe its flags
			// (for GOGCCFLAGS), seconds per case on a loaded machine.
			if err := os.MkdirAll(filepath.Join(home, ".cache"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(sharedCache, filepath.Join(home, ".cache", "go-build")); err != nil {
				t.Fatal(err)
			}
			env := map[string]string{
				"HOME": home,
				"PATH": root.dir + "/bin:/usr/bin:/bin",
				// Keep the go command from switching toolchains: the
				// cases that set GOTOOLCHAIN set it to this release.
				"GOTOOLCHAIN": "local",
			}
			// A telemetry child outliving "go env" would race the removal
			// of home; TestTelemetryDefault covers the default mode.
			testenv.QuietTelemetry(t, home)
			if tc.user != "" {
				writeFile(t, filepath.Join(home, ".config", "go", "env"), expand(tc.user))
			}
			for k, v := range tc.files {
				writeFile(t, filepath.Join(dir, k), expand(v))
			}
			for k, v := range tc.env {
				if v == "\x00" {
					delete(env, k)
					continue
				}
				env[k] = expand(v)
			}
			if strings.Contains(tc.user, "GOTOOLCHAIN") || strings.Contains(tc.name, "go-env") {
				delete(env, "GOTOOLCHAIN") // let the files decide; they say local or path
			}
			goEnv := root.realGoEnv
			if tc.goEnv != nil {
				goEnv = []byte(*tc.goEnv)
			}
			if err := os.WriteFile(filepath.Join(root.dir, "go.env"), goEnv, 0o644); err != nil {
				t.Fatal(err)
			}
			work := filepath.Join(dir, tc.workDir)
			if err := os.MkdirAll(work, 0o755); err != nil {
				t.Fatal(err)
			}
			var environ []string
			for _, k := range slices.Sorted(maps.Keys(env)) {
				environ = append(environ, k+"="+env[k])
			}

			cfg := &Config{Environ: environ, Dir: work}
			goCmd := root.goCmd
			if tc.realGo {
				goCmd, cfg.GoCommand = goTool, goTool
			}
			var names []string
			if tc.noCache {
				names = slices.DeleteFunc(slices.Clone(goCommandVars), func(k string) bool {
					return !slices.Contains(goEnvVars, k) || costlyVars[k]
				})
			}
			want := goEnvJSON(t, goCmd, work, environ, append([]string{"-json"}, names...)...)
			wantChanged := goEnvJSON(t, goCmd, work, environ, append([]string{"-changed", "-json"}, names...)...)

			got, err := Resolve(cfg)
			if err != nil {
				t.Fatal(err)
			}
			gotAll := map[string]string{}
			gotChanged := map[string]string{}
			for _, v := range got.Vars {
				if names != nil && !slices.Contains(names, v.Name) {
					continue
				}
				gotAll[v.Name] = v.Value
				if v.Changed {
					gotChanged[v.Name] = v.Value
				}
			}
			delete(want, "GOGCCFLAGS")
			delete(wantChanged, "GOGCCFLAGS")
			if diff := cmp.Diff(want, gotAll); diff != "" {
				t.Errorf("go env -json vs Resolve (-go +Resolve):\n%s", diff)
			}
			if diff := cmp.Diff(wantChanged, gotChanged); diff != "" {
				t.Errorf("go env -changed -json vs Resolve (-go +Resolve):\n%s", diff)
			}
			if tc.note != "" && !slices.ContainsFunc(got.Notes, func(n Note) bool { return strings.Contains(n.Message, tc.note) }) {
				t.Errorf("Notes = %q, want one mentioning %q", got.Notes, tc.note)
			}
			if t.Failed() {
				for _, v := range got.Vars {
					t.Logf("%s=%q  %s", v.Name, v.Value, v.Origin)
				}
			}
		})
	}
}

// goEnvVars are the variables "go env" prints; costlyVars those it
// computes only when printing everything or asked for them.
var (
	goEnvVars = []string{"AR", "CC", "CGO_CFLAGS", "CGO_CPPFLAGS", "CGO_CXXFLAGS", "CGO_ENABLED", "CGO_FFLAGS",
		"CGO_LDFLAGS", "CXX", "GCCGO", "GO111MODULE", "GOAMD64", "GOARCH", "GOAUTH", "GOBIN", "GOCACHE",
		"GOCACHEPROG", "GODEBUG", "GOENV", "GOEXE", "GOEXPERIMENT", "GOFIPS140", "GOFLAGS", "GOHOSTARCH",
		"GOHOSTOS", "GOINSECURE", "GOMOD", "GOMODCACHE", "GONOPROXY", "GONOSUMDB", "GOOS", "GOPATH",
		"GOPRIVATE", "GOPROXY", "GOROOT", "GOSUMDB", "GOTELEMETRY", "GOTELEMETRYDIR", "GOTMPDIR",
		"GOTOOLCHAIN", "GOTOOLDIR", "GOVCS", "GOVERSION", "GOWORK", "PKG_CONFIG"}
	costlyVars = map[string]bool{"CGO_CFLAGS": true, "CGO_CPPFLAGS": true, "CGO_CXXFLAGS": true,
		"CGO_FFLAGS": true, "CGO_LDFLAGS": true, "PKG_CONFIG": true, "GOGCCFLAGS": true}
)

func writeFile(t *testing.T, name, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// goEnvJSON runs the go command's env subcommand with exactly environ.
func goEnvJSON(t *testing.T, goCmd, dir string, environ []string, args ...string) map[string]string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), goCmd, append([]string{"env"}, args...)...)
	cmd.WaitDelay = 10 * time.Second
	cmd.Dir = dir
	cmd.Env = environ
	out := testenv.Run(t, cmd)
	m := map[string]string{}
	if len(strings.TrimSpace(string(out))) == 0 {
		return m
	}
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("go env %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return m
}
