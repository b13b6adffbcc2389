package archcheck

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/nativego/nativego/internal/testenv"
)

// withoutSectionHeaders writes a copy of an ELF file with its section
// header table removed (stripSectionHeaders), as sstrip-like tools leave
// it: the loader and the go command still read the file through its
// program headers.
func withoutSectionHeaders(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), filepath.Base(path)+".nosections")
	if err := os.WriteFile(out, stripSectionHeaders(t, b), 0o755); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestGoEvidence checks the section-table shortcut against the go
// command: whatever it rules out, go version -m must fail on, and what it
// cannot rule out is read in full.
func TestGoEvidence(t *testing.T) {
	tests := []struct {
		name string
		path func(t *testing.T) string
		want goEvidence
	}{
		{"go linux/amd64", func(t *testing.T) string {
			return testenv.Build(t, testenv.BuildSpec{GOOS: "linux", GOARCH: "amd64"})
		}, goPresent},
		{"go linux/arm64 -s -w", func(t *testing.T) string {
			return testenv.Build(t, testenv.BuildSpec{GOOS: "linux", GOARCH: "arm64", Flags: []string{"-ldflags=-s -w"}})
		}, goPresent},
		{"go darwin/arm64", func(t *testing.T) string {
			return testenv.Build(t, testenv.BuildSpec{GOOS: "darwin", GOARCH: "arm64"})
		}, goPresent},
		{"go linux/amd64 cgo", func(t *testing.T) string {
			mustHaveGCC(t)
			return testenv.Build(t, testenv.BuildSpec{GOOS: "linux", GOARCH: "amd64", CGO: true, Source: cgoProgram})
		}, goPresent},
		{"go linux/amd64 without section headers", func(t *testing.T) string {
			return withoutSectionHeaders(t, testenv.Build(t, testenv.BuildSpec{GOOS: "linux", GOARCH: "amd64"}))
		}, goUnknown},
		{"official darwin/arm64 go", func(t *testing.T) string {
			return filepath.Join(testenv.Toolchain(t, testenv.OfficialVersion, "darwin", "arm64"), "bin", "go")
		}, goPresent},
		{"C ls", func(t *testing.T) string {
			p, err := exec.LookPath("ls")
			if err != nil {
				t.Skip(err)
			}
			return p
		}, goAbsent},
		{"C libc", systemFile("/usr/lib/x86_64-linux-gnu/libc.so.6"), goAbsent},
		{"C ls without section headers", func(t *testing.T) string {
			p, err := exec.LookPath("ls")
			if err != nil {
				t.Skip(err)
			}
			return withoutSectionHeaders(t, p)
		}, goUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.path(t)
			s := openSlice0(t, path)
			if s.goEv != tt.want {
				t.Errorf("section evidence = %d, want %d", s.goEv, tt.want)
			}
			out, isGo := goVersionM(t, path)
			if isGo != (s.Go != nil) {
				t.Errorf("go version -m reads it: %v (%q); archcheck GoInfo = %+v", isGo, out, s.Go)
			}
			if isGo {
				if want := goVersionJSON(t, path).GoVersion; s.Go.Version != want {
					t.Errorf("Go version %q, go version -m says %q", s.Go.Version, want)
				}
			}
		})
	}
}
