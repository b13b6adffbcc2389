package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/nativego/nativego/archcheck"
	"github.com/nativego/nativego/internal/report"
	"github.com/nativego/nativego/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func TestMain(m *testing.M) { testenv.Main(m) }

// officialFiles lists every file in bin/ and pkg/tool/<goos>_<goarch>/ of
// the official darwin distribution for goarch.
func officialFiles(t *testing.T, goarch string) (root string, files []string) {
	t.Helper()
	root = testenv.Toolchain(t, testenv.OfficialVersion, "darwin", goarch)
	for _, dir := range []string{"bin", filepath.Join("pkg", "tool", "darwin_"+goarch)} {
		entries, err := os.ReadDir(filepath.Join(root, dir))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			files = append(files, filepath.Join(root, dir, e.Name()))
		}
	}
	return root, files
}

func runInspect(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(&out, &errb, args)
	return out.String(), errb.String(), code
}

// goVersionM runs the oracle.
func goVersionM(t *testing.T, file string) (string, error) {
	cmd := testenv.GoCommand(t, "version", "-m", file)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	return string(out), err
}

// TestOfficialToolchains is acceptance item 2 of the archcheck issue:
// every file in bin/ and pkg/tool/ of both official darwin distributions
// has the architecture, type and Go version that `go version -m` reports,
// and is native (arm64) or translated (amd64) on darwin/arm64.
func TestOfficialToolchains(t *testing.T) {
	for goarch, want := range map[string]string{"arm64": "native", "amd64": "translated"} {
		t.Run(goarch, func(t *testing.T) {
			_, files := officialFiles(t, goarch)
			stdout, stderr, code := runInspect(t, append([]string{"-json", "-target", "darwin/arm64"}, files...)...)
			if wantCode := map[string]int{"native": 0, "translated": 1}[want]; code != wantCode {
				t.Errorf("exit %d, want %d; stderr: %s", code, wantCode, stderr)
			}
			lines := strings.Split(strings.TrimSpace(stdout), "\n")
			if len(lines) != len(files) {
				t.Fatalf("%d JSON lines for %d files", len(lines), len(files))
			}
			for i, line := range lines {
				var l report.Line
				if err := json.Unmarshal([]byte(line), &l); err != nil {
					t.Fatal(err)
				}
				oracle, err := goVersionM(t, files[i])
				if err != nil {
					t.Fatalf("go version -m %s: %v", files[i], err)
				}
				if l.Path != files[i] || l.Format != "macho" || len(l.Slices) != 1 {
					t.Fatalf("%s: path %q format %q with %d slices", files[i], l.Path, l.Format, len(l.Slices))
				}
				s := l.Slices[0]
				if !strings.Contains(oracle, "\tbuild\tGOARCH="+s.Arch+"\n") {
					t.Errorf("%s: arch %q, go version -m says:\n%s", files[i], s.Arch, oracle)
				}
				if s.Go == nil || !strings.HasPrefix(oracle, files[i]+": "+s.Go.Version+"\n") {
					t.Errorf("%s: Go info %+v, go version -m says:\n%s", files[i], s.Go, firstLine(oracle))
				}
				if s.Type != archcheck.TypeExecutable {
					t.Errorf("%s: type %v, want executable", files[i], s.Type)
				}
				if l.Verdict != want {
					t.Errorf("%s: verdict %s, want %s (reasons %q)", files[i], l.Verdict, want, l.Reasons)
				}
			}
		})
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// TestVersionMParity is acceptance item 3: inspect -m prints exactly what
// go version -m prints, for the official darwin binaries and the
// cross-compiled matrix.
func TestVersionMParity(t *testing.T) {
	var files []string
	for _, goarch := range []string{"arm64", "amd64"} {
		_, f := officialFiles(t, goarch)
		files = append(files, f...)
	}
	// One build per executable format and byte order: archcheck's own
	// tests check the library's parity over the whole testenv.Matrix, and
	// each platform costs a standard-library build on a cold cache.
	for _, p := range [][2]string{{"darwin", "arm64"}, {"linux", "amd64"}, {"linux", "s390x"}, {"windows", "arm64"}} {
		files = append(files, testenv.Build(t, testenv.BuildSpec{GOOS: p[0], GOARCH: p[1]}))
	}
	for _, file := range files {
		want, err := goVersionM(t, file)
		if err != nil {
			t.Fatalf("go version -m %s: %v", file, err)
		}
		got, stderr, code := runInspect(t, "-m", file)
		if code != 0 || got != want {
			t.Errorf("inspect -m %s: exit %d, stderr %q\n got: %q\nwant: %q", file, code, stderr, got, want)
		}
	}
}

// TestSignature is acceptance item 4: a darwin/arm64 binary is ad-hoc
// signed and valid; with one byte of its text changed it is reported as
// having an invalid signature, which macOS kills at exec.
func TestSignature(t *testing.T) {
	path := testenv.Build(t, testenv.BuildSpec{GOOS: "darwin", GOARCH: "arm64"})
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := archcheck.NewFile(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	entry := f.Slices[0].MachO.EntryOffset
	tampered := bytes.Clone(data)
	tampered[entry+1] ^= 0xff
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "good"), filepath.Join(dir, "bad")
	if err := os.WriteFile(good, data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, tampered, 0o755); err != nil {
		t.Fatal(err)
	}
	stdout, _, code := runInspect(t, "-json", "-target", "darwin/arm64", good, bad)
	if code != 1 {
		t.Errorf("exit %d, want 1 (one file will not run)", code)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	var g, b report.Line
	if err := json.Unmarshal([]byte(lines[0]), &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &b); err != nil {
		t.Fatal(err)
	}
	sig := g.Slices[0].MachO.Signature
	if sig == nil || sig.Kind != archcheck.SignatureAdHoc || !sig.Valid || g.Verdict != "native" {
		t.Errorf("untouched: signature %+v, verdict %s; want valid ad-hoc, native", sig, g.Verdict)
	}
	sig = b.Slices[0].MachO.Signature
	page := int(entry+1) / sig.PageSize
	if sig.Valid || len(sig.BadPages) != 1 || sig.BadPages[0] != page || b.Verdict != "incompatible" {
		t.Errorf("tampered: signature valid=%v bad pages %v (want [%d]), verdict %s", sig.Valid, sig.BadPages, page, b.Verdict)
	}
	if !strings.Contains(strings.Join(b.Reasons, "\n"), "Killed: 9") {
		t.Errorf("tampered: reasons %q do not predict the kill", b.Reasons)
	}
}

// TestGolden checks the text and JSON output on fixed inputs: the official
// darwin gofmt of each architecture, judged for darwin/arm64.
func TestGolden(t *testing.T) {
	arm, _ := officialFiles(t, "arm64")
	amd, _ := officialFiles(t, "amd64")
	files := []string{filepath.Join(arm, "bin", "gofmt"), filepath.Join(amd, "bin", "gofmt")}
	normalize := strings.NewReplacer(arm, "$ARM64ROOT", amd, "$AMD64ROOT")
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"text", []string{"-target", "darwin/arm64"}},
		{"json", []string{"-json", "-target", "darwin/arm64"}},
		{"linux-target", []string{"-target", "linux/arm64"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runInspect(t, append(tt.args, files...)...)
			got := normalize.Replace(stdout) + "--- stderr\n" + normalize.Replace(stderr) + "--- exit " + string(rune('0'+code)) + "\n"
			golden := filepath.Join("testdata", tt.name+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s (run with -update to accept):\n%s", golden, got)
			}
		})
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"-m", "-json", "x"}, {"-target", "darwin"}, {"-nosuchflag"}, {"-host", "file"}} {
		if _, _, code := runInspect(t, args...); code != 2 {
			t.Errorf("inspect %q: exit %d, want 2", args, code)
		}
	}
	missing := filepath.Join(t.TempDir(), "missing")
	_, stderr, code := runInspect(t, missing)
	if code != 1 || !strings.Contains(stderr, missing) {
		t.Errorf("missing file: exit %d, stderr %q; want 1 and the path", code, stderr)
	}
}

// TestHostUnderQEMU is the emulation test of the scan issue: inspect built
// for linux/arm64 and run under qemu-aarch64 on an amd64 machine reports
// that it is emulated, runs as arm64, on amd64 hardware.
func TestHostUnderQEMU(t *testing.T) {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("needs a linux/amd64 machine to emulate arm64 on")
	}
	qemu := testenv.QEMU(t, "arm64")
	exe := filepath.Join(t.TempDir(), "inspect-arm64")
	cmd := testenv.GoCommand(t, "build", "-o", exe, ".")
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	testenv.Run(t, cmd)
	out := testenv.Run(t, exec.CommandContext(t.Context(), qemu, exe, "-host", "-json"))
	var h archcheck.Host
	if err := json.Unmarshal(out, &h); err != nil {
		t.Fatalf("%v in %s", err, out)
	}
	if !h.Emulated || h.Arch != "arm64" || h.HardwareArch != "amd64" || !strings.HasPrefix(h.Emulator, "qemu-") {
		t.Errorf("under qemu: emulated=%v arch=%s hardware_arch=%s emulator=%q; want true, arm64, amd64, qemu-*",
			h.Emulated, h.Arch, h.HardwareArch, h.Emulator)
	}
	t.Logf("host report under qemu: %s", out)
}
