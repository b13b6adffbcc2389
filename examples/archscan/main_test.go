package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nativego/nativego/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestMain(m *testing.M) { testenv.Main(m) }

// lipo is the LLVM lipo that assembles the universal test file; CI
// installs llvm-14.
const lipo = "/usr/lib/llvm-14/bin/llvm-lipo"

func mustHaveLipo(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(lipo); err != nil {
		if testenv.InCI() {
			t.Fatalf("CI=true but %s is missing (Debian package llvm-14): %v", lipo, err)
		}
		t.Skipf("%s is missing (Debian package llvm-14): %v", lipo, err)
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o755); err != nil {
		t.Fatal(err)
	}
}

// plantTree lays out real cross-compiled binaries, a universal file made
// by lipo from two of them, an app bundle and a text file.
func plantTree(t *testing.T) string {
	t.Helper()
	mustHaveLipo(t)
	root := t.TempDir()
	bins := map[string]string{}
	for _, p := range []struct{ goos, goarch string }{
		{"darwin", "arm64"}, {"darwin", "amd64"}, {"linux", "amd64"}, {"linux", "arm64"}, {"windows", "amd64"},
	} {
		bin := testenv.Build(t, testenv.BuildSpec{GOOS: p.goos, GOARCH: p.goarch})
		bins[p.goos+"/"+p.goarch] = bin
		copyFile(t, bin, filepath.Join(root, "bin", p.goos+"-"+p.goarch))
	}
	cmd := exec.CommandContext(t.Context(), lipo, "-create", "-output", filepath.Join(root, "bin", "universal"),
		bins["darwin/amd64"], bins["darwin/arm64"])
	testenv.Run(t, cmd)
	copyFile(t, bins["darwin/amd64"], filepath.Join(root, "Foo.app", "Contents", "MacOS", "Foo"))
	if err := os.WriteFile(filepath.Join(root, "README"), []byte("not an executable\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// project keeps the fields of a JSON line that do not change with the Go
// release that built the binaries (sizes and offsets do), nor with the
// details other parts of archcheck add to slices.
func project(t *testing.T, out []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	for line := range bytes.Lines(out) {
		var l struct {
			Path    string   `json:"path"`
			Format  string   `json:"format"`
			Verdict string   `json:"verdict"`
			Reasons []string `json:"reasons"`
			Bundle  string   `json:"bundle,omitempty"`
			Error   string   `json:"error,omitempty"`
			Slices  []struct {
				Arch string `json:"arch"`
				CPU  string `json:"cpu"`
				Type string `json:"type"`
			} `json:"slices"`
		}
		if err := json.Unmarshal(line, &l); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		b, _ := json.Marshal(l)
		buf.Write(b)
		buf.WriteByte('\n')
	}
	return buf.Bytes()
}

func TestGolden(t *testing.T) {
	root := plantTree(t)
	tests := []struct {
		name     string
		args     []string
		wantCode int
	}{
		{"darwin-arm64", []string{"-target", "darwin/arm64"}, 0},
		{"darwin-arm64-foreign", []string{"-foreign", "-target", "darwin/arm64"}, 0},
		{"linux-arm64-fail", []string{"-target", "linux/arm64", "-fail-on-foreign"}, 1},
		{"windows-arm64-json", []string{"-json", "-target", "windows/arm64"}, 0},
		{"darwin-amd64-json-foreign", []string{"-json", "-foreign", "-target", "darwin/amd64"}, 0},
		{"skip-bin", []string{"-target", "darwin/arm64", "-skip", "bin", "-fail-on-foreign"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(&stdout, &stderr, append(tt.args, root))
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.wantCode, stderr.Bytes())
			}
			out := stdout.Bytes()
			if slices.Contains(tt.args, "-json") {
				out = project(t, out)
			}
			out = bytes.ReplaceAll(out, []byte(root), []byte("$ROOT"))
			golden := filepath.Join("testdata", tt.name+".golden")
			if *update {
				if err := os.WriteFile(golden, out, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(out)); diff != "" {
				t.Errorf("output differs from %s (-want +got):\n%s", golden, diff)
			}
		})
	}
}

func TestUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"no directory", nil, 2},
		{"bad target", []string{"-target", "darwin", "."}, 2},
		{"unknown flag", []string{"-bogus", "."}, 2},
		{"help", []string{"-h"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if got := run(&stdout, &stderr, tt.args); got != tt.want {
				t.Errorf("run(%q) = %d, want %d; stderr:\n%s", tt.args, got, tt.want, stderr.Bytes())
			}
			if stdout.Len() != 0 {
				t.Errorf("usage output went to stdout: %q", stdout.Bytes())
			}
		})
	}
}

// machOFiles lists the Mach-O files under root that are not object files
// (such as the race detector's .syso: nothing to run, so never foreign),
// outside testdata directories, as file(1) sees them.
func machOFiles(t *testing.T, root string) []string {
	t.Helper()
	fileCmd, err := exec.LookPath("file")
	if err != nil {
		t.Skipf("file(1) is the oracle and is missing (Debian package file): %v", err)
	}
	var names []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && d.Name() == "testdata" {
			return filepath.SkipDir
		}
		if err == nil && d.Type().IsRegular() {
			names = append(names, p)
		}
		return err
	})
	list := filepath.Join(t.TempDir(), "names")
	if err := os.WriteFile(list, []byte(strings.Join(names, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), fileCmd, "--print0", "-f", list)
	out := testenv.Run(t, cmd)
	var macho []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		name, desc, ok := strings.Cut(sc.Text(), "\x00")
		if ok && strings.Contains(desc, "Mach-O") && !strings.Contains(desc, " object") {
			macho = append(macho, name)
		}
	}
	slices.Sort(macho)
	return macho
}

// TestOfficialToolchain is the acceptance case: over the official
// darwin/amd64 distribution, archscan -foreign -target darwin/arm64 lists
// every Mach-O file in it (as file(1) finds them) as translated; over the
// darwin/arm64 distribution it lists nothing. The source tree's testdata
// directories are skipped: they hold deliberately foreign ELF, PE and
// Mach-O samples (i386, objects) that archscan rightly lists too.
func TestOfficialToolchain(t *testing.T) {
	for _, tt := range []struct {
		goarch    string
		wantCode  int
		translate bool
	}{
		{"amd64", 1, true},
		{"arm64", 0, false},
	} {
		t.Run(tt.goarch, func(t *testing.T) {
			dir := testenv.Toolchain(t, testenv.OfficialVersion, "darwin", tt.goarch)
			var stdout, stderr bytes.Buffer
			code := run(&stdout, &stderr, []string{"-json", "-foreign", "-fail-on-foreign", "-skip", "testdata", "-target", "darwin/arm64", dir})
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.wantCode, stderr.Bytes())
			}
			var got []string
			for line := range bytes.Lines(stdout.Bytes()) {
				var l struct{ Path, Verdict, Error string }
				if err := json.Unmarshal(line, &l); err != nil {
					t.Fatal(err)
				}
				if l.Verdict != "translated" || l.Error != "" {
					t.Errorf("%s: verdict %s, error %q; want translated", l.Path, l.Verdict, l.Error)
				}
				got = append(got, l.Path)
			}
			slices.Sort(got)
			var want []string
			if tt.translate {
				want = machOFiles(t, dir)
				if len(want) == 0 {
					t.Fatalf("file(1) found no Mach-O file in %s", dir)
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("files listed as foreign differ from file(1)'s Mach-O files (-want +got):\n%s", diff)
			}
		})
	}
}
