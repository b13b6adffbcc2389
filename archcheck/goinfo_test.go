package archcheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nativego/nativego/internal/testenv"
)

// goVersion is the version of the go command that builds the test
// binaries, which is what their runtime.buildVersion holds.
var goVersion struct {
	once sync.Once
	v    string
}

func builderGoVersion(t *testing.T) string {
	t.Helper()
	goVersion.once.Do(func() {
		cmd := testenv.GoCommand(t, "env", "GOVERSION")
		cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local")
		goVersion.v = strings.TrimSpace(string(testenv.Run(t, cmd)))
	})
	if goVersion.v == "" {
		t.Fatal("go env GOVERSION printed nothing")
	}
	return goVersion.v
}

// goVersionJSON is the oracle's parsed build information:
// `go version -m -json path`.
func goVersionJSON(t *testing.T, path string) *debug.BuildInfo {
	t.Helper()
	cmd := testenv.GoCommand(t, "version", "-m", "-json", path)
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local", "GOFLAGS=")
	var bi debug.BuildInfo
	if err := json.Unmarshal(testenv.Run(t, cmd), &bi); err != nil {
		t.Fatal(err)
	}
	return &bi
}

func openSlice0(t *testing.T, path string) *Slice {
	t.Helper()
	f, err := Open(path)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { f.Close() })
	return f.Slices[0]
}

// TestGoInfoFields checks the lifted fields against the settings the
// go command reports for the same file.
func TestGoInfoFields(t *testing.T) {
	tests := []struct {
		name string
		spec testenv.BuildSpec
	}{
		{"linux-amd64-v3", testenv.BuildSpec{GOOS: "linux", GOARCH: "amd64", Env: []string{"GOAMD64=v3"}}},
		{"linux-arm-6-trimpath", testenv.BuildSpec{GOOS: "linux", GOARCH: "arm", Env: []string{"GOARM=6"}, Flags: []string{"-trimpath"}}},
		{"darwin-arm64-ldflags", testenv.BuildSpec{GOOS: "darwin", GOARCH: "arm64", Env: []string{"GOARM64=v9.0,lse"}, Flags: []string{"-ldflags=-s -X main.x=y"}}},
		{"windows-386", testenv.BuildSpec{GOOS: "windows", GOARCH: "386"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bin := testenv.Build(t, tt.spec)
			want := goVersionJSON(t, bin)
			s := openSlice0(t, bin)
			if s.Err != nil {
				t.Errorf("Slice.Err = %v", s.Err)
			}
			g := s.Go
			if g == nil {
				t.Fatal("no GoInfo")
			}
			if diff := cmp.Diff(want, g.BuildInfo); diff != "" {
				t.Errorf("BuildInfo differs from go version -m -json (-want +got):\n%s", diff)
			}
			setting := map[string]string{}
			for _, st := range want.Settings {
				setting[st.Key] = st.Value
			}
			cgo := setting["CGO_ENABLED"] == "1"
			wantFields := []string{want.GoVersion, want.Path, setting["GOOS"], setting["GOARCH"], setting["GOAMD64"],
				setting["GOARM64"], setting["GOARM"], setting["-ldflags"], setting["-trimpath"]}
			trim := ""
			if g.Trimpath {
				trim = "true"
			}
			gotFields := []string{g.Version, g.Path, g.GOOS, g.GOARCH, g.GOAMD64, g.GOARM64, g.GOARM, g.Ldflags, trim}
			if diff := cmp.Diff(wantFields, gotFields); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
			if g.CGO == nil || *g.CGO != cgo {
				t.Errorf("CGO = %v, want %v", g.CGO, cgo)
			}
			if g.GOARCH != s.Arch {
				t.Errorf("GOARCH setting %q disagrees with the header's %q", g.GOARCH, s.Arch)
			}
			// JSON round trip: VersionM formats the exported fields.
			b, err := json.Marshal(g)
			if err != nil {
				t.Fatal(err)
			}
			var back GoInfo
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(g.VersionM("x"), back.VersionM("x")); diff != "" {
				t.Errorf("VersionM after a JSON round trip (-want +got):\n%s", diff)
			}
		})
	}
}

// zeroBuildInfoMagic overwrites every 16-byte-aligned "\xff Go buildinf:"
// in a copy of path, as a tool that scrubs build information does, and
// returns the copy.
func zeroBuildInfoMagic(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	magic := []byte("\xff Go buildinf:")
	n := 0
	for i := 0; i+len(magic) <= len(b); i += 16 {
		if bytes.Equal(b[i:i+len(magic)], magic) {
			clear(b[i : i+len(magic)])
			n++
		}
	}
	if n == 0 {
		t.Fatalf("%s: no build-info magic to zero", path)
	}
	out := filepath.Join(t.TempDir(), filepath.Base(path)+".scrubbed")
	if err := os.WriteFile(out, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return out
}

// stripped runs binutils strip on a copy of path.
func stripped(t *testing.T, path string) string {
	t.Helper()
	strip, err := exec.LookPath("strip")
	if err != nil {
		t.Skipf("binutils strip not installed: %v", err)
	}
	out := filepath.Join(t.TempDir(), filepath.Base(path)+".stripped")
	cmd := exec.CommandContext(t.Context(), strip, "-o", out, path)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("strip %s: %v\n%s", path, err, b)
	}
	return out
}

// TestGoInfoRecovered covers binaries whose build information is gone:
// the go command must fail on them, and archcheck must still name the
// version of the go command that built them.
func TestGoInfoRecovered(t *testing.T) {
	sw := []string{"-ldflags=-s -w"}
	tests := []struct {
		name     string
		spec     testenv.BuildSpec
		strip    bool
		wantGOOS string
	}{
		{"linux-amd64-s-w", testenv.BuildSpec{GOOS: "linux", GOARCH: "amd64", Flags: sw}, false, ""},
		{"darwin-arm64-s-w", testenv.BuildSpec{GOOS: "darwin", GOARCH: "arm64", Flags: sw}, false, "darwin"},
		{"windows-amd64-s-w", testenv.BuildSpec{GOOS: "windows", GOARCH: "amd64", Flags: sw}, false, "windows"},
		// With symbols, runtime.buildVersion is found by name.
		{"linux-arm64-symbols", testenv.BuildSpec{GOOS: "linux", GOARCH: "arm64"}, false, ""},
		{"darwin-amd64-symbols", testenv.BuildSpec{GOOS: "darwin", GOARCH: "amd64"}, false, "darwin"},
		{"windows-386-symbols", testenv.BuildSpec{GOOS: "windows", GOARCH: "386"}, false, "windows"},
		{"linux-s390x-s-w", testenv.BuildSpec{GOOS: "linux", GOARCH: "s390x", Flags: sw}, false, ""},
		{"linux-mips-s-w", testenv.BuildSpec{GOOS: "linux", GOARCH: "mips", Flags: sw}, false, ""},
		{"freebsd-amd64-s-w", testenv.BuildSpec{GOOS: "freebsd", GOARCH: "amd64", Flags: sw}, false, "freebsd"},
		{"linux-amd64-strip", testenv.BuildSpec{GOOS: "linux", GOARCH: "amd64"}, true, ""},
		{"linux-386-strip", testenv.BuildSpec{GOOS: "linux", GOARCH: "386"}, true, ""}, // the host's binutils strip reads x86 only
		// An experiment is part of the version the runtime reports.
		{"linux-amd64-experiment", testenv.BuildSpec{GOOS: "linux", GOARCH: "amd64", Flags: sw, Env: []string{"GOEXPERIMENT=nogreenteagc"}}, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bin := testenv.Build(t, tt.spec)
			if tt.strip {
				bin = stripped(t, bin)
				// strip keeps .go.buildinfo: the go command still reads it.
				checkParity(t, bin)
				if g := openSlice0(t, bin).Go; g == nil || g.Recovered {
					t.Fatalf("after strip: GoInfo = %+v, want build information", g)
				}
			}
			want := goVersionJSON(t, bin).GoVersion
			if !strings.HasPrefix(want, builderGoVersion(t)) {
				t.Fatalf("build information says %q, go env GOVERSION %q", want, builderGoVersion(t))
			}
			scrubbed := zeroBuildInfoMagic(t, bin)
			if out, ok := goVersionM(t, scrubbed); ok || out != "" {
				t.Fatalf("go version -m still reads the scrubbed file: ok=%v %q", ok, out)
			}
			checkParity(t, scrubbed)
			s := openSlice0(t, scrubbed)
			if s.Err != nil {
				t.Errorf("Slice.Err = %v", s.Err)
			}
			// Which way the version was found: by symbol, or by
			// scanning after finding the pclntab.
			img, err := openGoImage(s)
			if err != nil {
				t.Fatal(err)
			}
			if gotSym, wantSym := img.versionSym != 0, !tt.strip && !slices.Contains(tt.spec.Flags, "-ldflags=-s -w"); gotSym != wantSym {
				t.Errorf("runtime.buildVersion symbol found = %v, want %v", gotSym, wantSym)
			}
			if first, _, err := img.findPclntab(); first == "" || err != nil {
				t.Errorf("findPclntab = %q, %v; want a release range", first, err)
			}
			wantInfo := &GoInfo{Version: want, Recovered: true, GOOS: tt.wantGOOS, GOARCH: tt.spec.GOARCH}
			if diff := cmp.Diff(wantInfo, s.Go); diff != "" {
				t.Errorf("GoInfo (-want +got):\n%s", diff)
			}
		})
	}
}

// TestGoInfoNotGo: a C program is not Go, and that is not an error.
func TestGoInfoNotGo(t *testing.T) {
	for _, name := range []string{"ls", "sh"} {
		t.Run(name, func(t *testing.T) {
			p, err := exec.LookPath(name)
			if err != nil {
				t.Skip(err)
			}
			if _, ok := goVersionM(t, p); ok {
				t.Skipf("%s is a Go binary here", p)
			}
			s := openSlice0(t, p)
			g, err := readGoInfo(s)
			if !errors.Is(err, ErrNoBuildInfo) || g != nil {
				t.Errorf("readGoInfo(%s) = %+v, %v; want nil, ErrNoBuildInfo", p, g, err)
			}
			if s.Go != nil || s.Err != nil {
				t.Errorf("Slice.Go = %+v, Slice.Err = %v; want nil, nil", s.Go, s.Err)
			}
		})
	}
}

// TestGoInfoRecoveredOfficial scrubs the build information of the
// official darwin go commands, linked by the system linker with cgo: the
// version must still come back, by symbol.
func TestGoInfoRecoveredOfficial(t *testing.T) {
	for _, goarch := range []string{"arm64", "amd64"} {
		t.Run("darwin-"+goarch, func(t *testing.T) {
			bin := filepath.Join(testenv.Toolchain(t, testenv.OfficialVersion, "darwin", goarch), "bin", "go")
			want := goVersionJSON(t, bin).GoVersion
			scrubbed := zeroBuildInfoMagic(t, bin)
			if out, ok := goVersionM(t, scrubbed); ok || out != "" {
				t.Fatalf("go version -m still reads the scrubbed file: ok=%v %q", ok, out)
			}
			s := openSlice0(t, scrubbed)
			wantInfo := &GoInfo{Version: want, Recovered: true, GOOS: "darwin", GOARCH: goarch}
			if diff := cmp.Diff(wantInfo, s.Go); diff != "" {
				t.Errorf("GoInfo (-want +got):\n%s", diff)
			}
		})
	}
}
