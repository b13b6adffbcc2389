package archcheck

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/nativego/nativego/internal/testenv"
)

// formatFor is the executable format the Go linker writes for goos.
func formatFor(goos string) Format {
	switch goos {
	case "darwin", "ios":
		return FormatMachO
	case "windows":
		return FormatPE
	}
	return FormatELF
}

// firstSlice opens path, closed when t ends, and returns its first slice.
func firstSlice(t *testing.T, path string) *Slice {
	t.Helper()
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f.Slices[0]
}

// TestOpenMatrix opens a binary cross-compiled for every platform of the
// matrix and checks what the headers say against what was asked of the
// linker.
func TestOpenMatrix(t *testing.T) {
	for _, p := range testenv.Matrix {
		t.Run(p.GOOS+"-"+p.GOARCH, func(t *testing.T) {
			path := testenv.Build(t, testenv.BuildSpec{GOOS: p.GOOS, GOARCH: p.GOARCH})
			f, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if f.Format != formatFor(p.GOOS) {
				t.Errorf("Format = %v, want %v", f.Format, formatFor(p.GOOS))
			}
			if len(f.Slices) != 1 {
				t.Fatalf("%d slices, want 1", len(f.Slices))
			}
			s := f.Slices[0]
			if s.Arch != p.GOARCH {
				t.Errorf("Arch = %q (CPU %q), want %q", s.Arch, s.CPU, p.GOARCH)
			}
			if s.Type != TypeExecutable {
				t.Errorf("Type = %v, want executable", s.Type)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if f.Size != fi.Size() || s.Size != fi.Size() {
				t.Errorf("File.Size = %d, Slice.Size = %d; want %d", f.Size, s.Size, fi.Size())
			}

			// The fast path must agree with the full parse.
			r, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			h, err := ReadHeader(r)
			if err != nil {
				t.Fatal(err)
			}
			if h.Format != f.Format || len(h.Slices) != 1 || h.Slices[0] != s.SliceHeader {
				t.Errorf("ReadHeader = %+v, Open's header = %+v", h.Slices, s.SliceHeader)
			}
		})
	}
}

// TestPIEIsExecutable: an ELF position-independent executable has e_type
// ET_DYN like a shared library; the interpreter tells them apart.
func TestPIEIsExecutable(t *testing.T) {
	path := testenv.Build(t, testenv.BuildSpec{GOOS: "linux", GOARCH: "amd64", CGO: true, Flags: []string{"-buildmode=pie"}})
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.Slices[0].Type; got != TypeExecutable {
		t.Errorf("PIE Type = %v, want executable", got)
	}
	libc := "/lib/x86_64-linux-gnu/libc.so.6"
	if _, err := os.Stat(libc); err != nil {
		t.Skipf("no %s to compare with: %v", libc, err)
	}
	lf, err := Open(libc)
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	if got := lf.Slices[0].Type; got != TypeSharedLibrary {
		t.Errorf("%s Type = %v, want shared-library", libc, got)
	}
}

// TestNotExecutable checks that ordinary files are told apart from
// executables with ErrNotExecutable, including a Java class file, which
// shares the universal binary's magic number.
func TestNotExecutable(t *testing.T) {
	dir := t.TempDir()
	inputs := map[string][]byte{
		"empty":  nil,
		"text":   []byte("#!/bin/sh\necho hello\n"),
		"short":  []byte{0xca, 0xfe},
		"dos-mz": append([]byte("MZ"), make([]byte, 62)...),
	}
	if javac, err := exec.LookPath("javac"); err == nil {
		src := filepath.Join(dir, "Hello.java")
		if err := os.WriteFile(src, []byte("class Hello { public static void main(String[] a) {} }\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.CommandContext(t.Context(), javac, "-d", dir, src).CombinedOutput(); err != nil {
			t.Fatalf("javac: %v\n%s", err, out)
		}
		class, err := os.ReadFile(filepath.Join(dir, "Hello.class"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(class, []byte{0xca, 0xfe, 0xba, 0xbe}) {
			t.Fatalf("javac output does not start with 0xcafebabe")
		}
		inputs["java class"] = class
	} else {
		t.Logf("javac not installed; the Java class case is not covered: %v", err)
	}
	for name, data := range inputs {
		t.Run(name, func(t *testing.T) {
			if got := Identify(data); got != FormatUnknown && name != "dos-mz" {
				t.Errorf("Identify = %v, want unknown", got)
			}
			_, err := NewFile(bytes.NewReader(data))
			if !errors.Is(err, ErrNotExecutable) {
				t.Errorf("NewFile error = %v, want ErrNotExecutable", err)
			}
		})
	}
}

// TestTruncated cuts real binaries at every length inside their headers:
// each cut must give an error (or, past the headers, a File), never a panic.
func TestTruncated(t *testing.T) {
	for _, p := range []struct{ GOOS, GOARCH string }{{"darwin", "arm64"}, {"linux", "arm64"}, {"windows", "amd64"}, {"linux", "386"}} {
		path := testenv.Build(t, testenv.BuildSpec{GOOS: p.GOOS, GOARCH: p.GOARCH, Flags: []string{"-ldflags=-s -w"}})
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for n := 0; n < 4096 && n < len(data); n++ {
			f, err := NewFile(bytes.NewReader(data[:n]))
			if err == nil && len(f.Slices) == 0 {
				t.Errorf("%s/%s cut at %d: no error and no slices", p.GOOS, p.GOARCH, n)
			}
			var fe *FormatError
			if err != nil && !errors.Is(err, ErrNotExecutable) && !errors.As(err, &fe) {
				t.Errorf("%s/%s cut at %d: error %v is neither ErrNotExecutable nor *FormatError", p.GOOS, p.GOARCH, n, err)
			}
		}
	}
}
