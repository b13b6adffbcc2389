package archcheck

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nativego/nativego/internal/testenv"
)

// goVersionM runs the oracle, `go version -m path`, and returns its
// standard output and whether it succeeded.
func goVersionM(t *testing.T, path string) (stdout string, ok bool) {
	t.Helper()
	cmd := testenv.GoCommand(t, "version", "-m", path)
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local", "GOFLAGS=")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if _, exit := err.(*exec.ExitError); !exit {
			t.Fatalf("go version -m %s: %v", path, err)
		}
		return string(out), false
	}
	return string(out), true
}

// ourVersionM is WriteVersionM on the named file.
func ourVersionM(t *testing.T, path string) (string, error) {
	t.Helper()
	f, err := Open(path)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	defer f.Close()
	var buf bytes.Buffer
	err = WriteVersionM(&buf, path, f)
	if err != nil && buf.Len() > 0 {
		t.Errorf("WriteVersionM(%s) wrote %q and failed with %v; it must write nothing when it fails", path, buf.String(), err)
	}
	return buf.String(), err
}

// checkParity compares WriteVersionM with the go command on path.
func checkParity(t *testing.T, path string) {
	t.Helper()
	want, ok := goVersionM(t, path)
	got, err := ourVersionM(t, path)
	switch {
	case ok && err != nil:
		t.Errorf("go version -m succeeds on %s but WriteVersionM failed: %v", path, err)
	case !ok && err == nil:
		t.Errorf("go version -m fails on %s but WriteVersionM succeeded", path)
	case !ok && !errors.Is(err, ErrNoBuildInfo):
		t.Errorf("WriteVersionM(%s) error %v does not wrap ErrNoBuildInfo", path, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("WriteVersionM(%s) differs from go version -m (-want +got):\n%s", path, diff)
	}
}

func TestVersionMMatrix(t *testing.T) {
	for _, p := range testenv.Matrix {
		t.Run(p.GOOS+"-"+p.GOARCH, func(t *testing.T) {
			checkParity(t, testenv.Build(t, testenv.BuildSpec{GOOS: p.GOOS, GOARCH: p.GOARCH}))
		})
	}
}

func TestVersionMVariants(t *testing.T) {
	tests := []struct {
		name string
		spec testenv.BuildSpec
	}{
		{"trimpath", testenv.BuildSpec{GOOS: "linux", GOARCH: "arm", Env: []string{"GOARM=6"}, Flags: []string{"-trimpath"}}},
		{"ldflags-s-w", testenv.BuildSpec{GOOS: "darwin", GOARCH: "arm64", Flags: []string{"-ldflags=-s -w"}}},
		// -X values with spaces and quotes make build settings that
		// BuildInfo.String must quote.
		{"ldflags-X-quoted", testenv.BuildSpec{GOOS: "windows", GOARCH: "amd64", Flags: []string{`-ldflags=-X 'main.v=a b"c' -s`}}},
		{"goamd64-v3", testenv.BuildSpec{GOOS: "linux", GOARCH: "amd64", Env: []string{"GOAMD64=v3"}}},
		{"goarm-5", testenv.BuildSpec{GOOS: "linux", GOARCH: "arm", Env: []string{"GOARM=5"}}},
		{"goarm64-v9.0", testenv.BuildSpec{GOOS: "darwin", GOARCH: "arm64", Env: []string{"GOARM64=v9.0,lse"}}},
		{"cgo", testenv.BuildSpec{GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, CGO: true}},
		{"pie", testenv.BuildSpec{GOOS: "linux", GOARCH: "amd64", Flags: []string{"-buildmode=pie"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.spec.CGO {
				if _, err := exec.LookPath("cc"); err != nil {
					t.Skipf("cgo build needs a C compiler: %v", err)
				}
			}
			checkParity(t, testenv.Build(t, tt.spec))
		})
	}
}

// buildModule writes files into a new directory and runs go build there
// with env, returning the binary's path. Unlike testenv.Build it can lay
// out several modules and a git repository.
func buildModule(t *testing.T, files map[string]string, setup func(dir string), env ...string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if setup != nil {
		setup(dir)
	}
	out := filepath.Join(t.TempDir(), "prog")
	cmd := testenv.GoCommand(t, "build", "-o", out, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local", "GOFLAGS=", "GOPROXY=off", "GOWORK=off", "CGO_ENABLED=0")
	cmd.Env = append(cmd.Env, env...)
	testenv.Run(t, cmd)
	return out
}

func TestVersionMDeps(t *testing.T) {
	// A dependency replaced by a local directory: a "dep" line followed
	// by a "=>" line, with no download.
	files := map[string]string{
		"go.mod": "module example.com/withdeps\n\ngo 1.26\n\nrequire example.com/dep v1.2.3\n\nreplace example.com/dep v1.2.3 => ./dep\n",
		"main.go": `package main

import "example.com/dep"

func main() { println(dep.Hello()) }
`,
		"dep/go.mod": "module example.com/dep\n\ngo 1.26\n",
		"dep/dep.go": "package dep\n\nfunc Hello() string { return \"hello\" }\n",
	}
	for _, target := range []struct{ goos, goarch string }{{"darwin", "arm64"}, {"linux", "amd64"}} {
		t.Run(target.goos+"-"+target.goarch, func(t *testing.T) {
			bin := buildModule(t, files, nil, "GOOS="+target.goos, "GOARCH="+target.goarch)
			checkParity(t, bin)
			f, err := Open(bin)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			g := f.Slices[0].Go
			if diff := cmp.Diff(goVersionJSON(t, bin).Deps, g.BuildInfo.Deps); diff != "" {
				t.Errorf("BuildInfo.Deps (-want +got):\n%s", diff)
			}
			if len(g.Deps) != 1 || g.Deps[0].Path != "example.com/dep" || g.Deps[0].Replace == nil || g.Deps[0].Replace.Path != "./dep" {
				t.Errorf("Deps = %+v, want example.com/dep replaced by ./dep", g.Deps)
			}
		})
	}
}

func TestVersionMVCS(t *testing.T) {
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skipf("vcs settings need git: %v", err)
	}
	files := map[string]string{
		"go.mod":  "module example.com/vcs\n\ngo 1.26\n",
		"main.go": testenv.Program,
	}
	for _, modified := range []bool{false, true} {
		t.Run(fmt.Sprintf("modified=%v", modified), func(t *testing.T) {
			setup := func(dir string) {
				gitEnv := append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
					"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com",
					"GIT_AUTHOR_DATE=2026-01-02T03:04:05Z", "GIT_COMMITTER_DATE=2026-01-02T03:04:05Z")
				for _, args := range [][]string{{"init", "-q"}, {"add", "."}, {"commit", "-q", "-m", "x"}} {
					cmd := exec.CommandContext(t.Context(), git, args...)
					cmd.Dir, cmd.Env = dir, gitEnv
					if out, err := cmd.CombinedOutput(); err != nil {
						t.Fatalf("git %v: %v\n%s", args, err, out)
					}
				}
				if modified {
					if err := os.WriteFile(filepath.Join(dir, "extra.go"), []byte("package main\n"), 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			bin := buildModule(t, files, setup, "GOFLAGS=-buildvcs=true")
			checkParity(t, bin)
			f, err := Open(bin)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			g := f.Slices[0].Go
			if g.VCS != "git" || len(g.VCSRevision) != 40 || g.VCSTime != "2026-01-02T03:04:05Z" || g.VCSModified == nil || *g.VCSModified != modified {
				t.Errorf("vcs fields = %q %q %q %v, want git, a 40-digit revision, the commit time and modified=%v",
					g.VCS, g.VCSRevision, g.VCSTime, g.VCSModified, modified)
			}
		})
	}
}

// TestVersionMOfficial compares every binary of the official darwin
// distributions; these were built by the release's own go command, with
// its settings, not by the one running the tests.
func TestVersionMOfficial(t *testing.T) {
	for _, goarch := range []string{"arm64", "amd64"} {
		t.Run("darwin-"+goarch, func(t *testing.T) {
			root := testenv.Toolchain(t, testenv.OfficialVersion, "darwin", goarch)
			var paths []string
			for _, dir := range []string{"bin", filepath.Join("pkg", "tool", "darwin_"+goarch)} {
				ents, err := os.ReadDir(filepath.Join(root, dir))
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range ents {
					if e.Type().IsRegular() {
						paths = append(paths, filepath.Join(root, dir, e.Name()))
					}
				}
			}
			if len(paths) < 10 {
				t.Fatalf("found only %d files in bin/ and pkg/tool/: %q", len(paths), paths)
			}
			for _, p := range paths {
				t.Run(filepath.Base(p), func(t *testing.T) { checkParity(t, p) })
			}
		})
	}
}

// writeUniversal joins thin Mach-O files into a universal file the way
// lipo does: a big-endian fat_header and fat_arch (or fat_arch_64)
// entries from mach-o/fat.h, each slice aligned to 2^14.
func writeUniversal(t *testing.T, fat64 bool, thin ...string) string {
	t.Helper()
	const align = 14
	var hdr, body bytes.Buffer
	magic := uint32(fatMagic)
	if fat64 {
		magic = fatMagic64
	}
	binary.Write(&hdr, binary.BigEndian, [2]uint32{magic, uint32(len(thin))})
	off := int64(1 << align)
	for _, p := range thin {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		cpu, sub := binary.LittleEndian.Uint32(b[4:]), binary.LittleEndian.Uint32(b[8:])
		if fat64 {
			binary.Write(&hdr, binary.BigEndian, struct {
				CPU, Sub      uint32
				Off, Size     uint64
				Align, Resrvd uint32
			}{cpu, sub, uint64(off), uint64(len(b)), align, 0})
		} else {
			binary.Write(&hdr, binary.BigEndian, [5]uint32{cpu, sub, uint32(off), uint32(len(b)), align})
		}
		for int64(body.Len())+1<<align < off {
			body.WriteByte(0)
		}
		body.Write(b)
		off += int64(len(b))
		off = (off + 1<<align - 1) &^ (1<<align - 1)
	}
	out := make([]byte, 1<<align, 1<<align+body.Len())
	copy(out, hdr.Bytes())
	out = append(out, body.Bytes()...)
	path := filepath.Join(t.TempDir(), "universal")
	if err := os.WriteFile(path, out, 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestVersionMUniversal checks that a universal file prints like the go
// command (first slice only, and a failure on 64-bit universal headers,
// which debug/macho rejects) while every slice gets its own GoInfo.
func TestVersionMUniversal(t *testing.T) {
	arm := testenv.Build(t, testenv.BuildSpec{GOOS: "darwin", GOARCH: "arm64"})
	// -X makes the slices' build settings differ without compiling the
	// standard library again, as -trimpath would.
	amd := testenv.Build(t, testenv.BuildSpec{GOOS: "darwin", GOARCH: "amd64", Flags: []string{"-ldflags=-X main.slice=amd64"}})
	for _, fat64 := range []bool{false, true} {
		t.Run(fmt.Sprintf("fat64=%v", fat64), func(t *testing.T) {
			uni := writeUniversal(t, fat64, arm, amd)
			checkParity(t, uni)
			f, err := Open(uni)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if len(f.Slices) != 2 {
				t.Fatalf("got %d slices, want 2", len(f.Slices))
			}
			for i, thin := range []string{arm, amd} {
				want, _ := goVersionM(t, thin)
				want = strings.Replace(want, thin, "slice", 1)
				if got := f.Slices[i].Go.VersionM("slice"); got != want {
					t.Errorf("slice %d: VersionM differs from go version -m on the thin file (-want +got):\n%s", i, cmp.Diff(want, got))
				}
			}
		})
	}
}

// TestVersionMNotGo pins that a file the go command cannot read prints
// nothing on stdout, here and there.
func TestVersionMNotGo(t *testing.T) {
	ls, err := exec.LookPath("ls")
	if err != nil {
		t.Skip(err)
	}
	if _, err := os.Stat(ls); errors.Is(err, fs.ErrNotExist) {
		t.Skip(err)
	}
	checkParity(t, ls)
}
