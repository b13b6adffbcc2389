package archcheck

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nativego/nativego/internal/testenv"
)

// universalInputs returns real thin Mach-O files by name: Go-built darwin
// executables and llc-compiled objects for the CPUs Go has no darwin port
// for (i386, x86_64h, armv7, armv7k, arm64e, arm64_32).
func universalInputs(t *testing.T) map[string]string {
	t.Helper()
	m := map[string]string{
		"arm64":          testenv.Build(t, testenv.BuildSpec{GOOS: "darwin", GOARCH: "arm64"}),
		"amd64":          testenv.Build(t, testenv.BuildSpec{GOOS: "darwin", GOARCH: "amd64"}),
		"arm64-stripped": testenv.Build(t, testenv.BuildSpec{GOOS: "darwin", GOARCH: "arm64", Flags: []string{"-ldflags=-s -w"}}),
	}
	dir := t.TempDir()
	for name, triple := range map[string]string{
		"i386.o": "i386-apple-macosx10.6", "x86_64.o": "x86_64-apple-macosx10.9", "x86_64h.o": "x86_64h-apple-macosx10.12",
		"armv7.o": "armv7-apple-ios9.0", "armv7k.o": "armv7k-apple-watchos5.0", "arm64.o": "arm64-apple-ios14.0",
		"arm64e.o": "arm64e-apple-ios14.0", "arm64_32.o": "arm64_32-apple-watchos5.0",
	} {
		m[name] = llcObject(t, dir, triple)
	}
	return m
}

// writeUniversalFile runs WriteUniversal on the named files into a new
// file and returns its path.
func writeUniversalFile(t *testing.T, paths []string, opts *UniversalOptions) (string, error) {
	t.Helper()
	var rs []io.ReaderAt
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		rs = append(rs, f)
	}
	out := filepath.Join(t.TempDir(), "universal")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return out, WriteUniversal(f, rs, opts)
}

func lipoCreate(t *testing.T, paths []string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "lipo")
	runTool(t, mustHaveLLVM(t, "llvm-lipo"), append(append([]string{"-create"}, paths...), "-output", out)...)
	return out
}

var universalCases = []struct {
	name   string
	inputs []string
}{
	{"go arm64 and amd64", []string{"arm64", "amd64"}},
	{"go amd64 and arm64", []string{"amd64", "arm64"}},
	{"one slice", []string{"arm64"}},
	{"objects of every apple cpu", []string{"arm64e.o", "armv7.o", "arm64_32.o", "i386.o", "x86_64h.o", "arm64.o", "armv7k.o", "x86_64.o"}},
	{"objects reversed", []string{"x86_64.o", "armv7k.o", "arm64.o", "x86_64h.o", "i386.o", "arm64_32.o", "armv7.o", "arm64e.o"}},
	{"executables and objects", []string{"arm64e.o", "amd64", "armv7.o", "arm64", "i386.o"}},
}

func TestWriteUniversalMatchesLipo(t *testing.T) {
	mustHaveLLVM(t, "llvm-lipo")
	files := universalInputs(t)
	for _, tc := range universalCases {
		t.Run(tc.name, func(t *testing.T) {
			var paths []string
			for _, n := range tc.inputs {
				paths = append(paths, files[n])
			}
			got, err := writeUniversalFile(t, paths, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := lipoCreate(t, paths)
			compareFiles(t, want, got)
		})
	}
}

// compareFiles fails t unless the two files are identical, showing the
// llvm-otool -f view of both when they are not.
func compareFiles(t *testing.T, wantPath, gotPath string) {
	t.Helper()
	want, err := os.ReadFile(wantPath)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(gotPath)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(want, got) {
		return
	}
	i := 0
	for i < len(want) && i < len(got) && want[i] == got[i] {
		i++
	}
	otool := mustHaveLLVM(t, "llvm-otool")
	t.Errorf("output (%d bytes) differs from llvm-lipo's (%d bytes) first at offset %#x; fat headers (-lipo +ours):\n%s",
		len(got), len(want), i, cmp.Diff(string(runTool(t, otool, "-f", wantPath)), string(runTool(t, otool, "-f", gotPath))))
}

// TestWriteUniversalFat64 checks FAT_MAGIC_64 output. llvm-lipo 14 has
// no -fat64, so the oracle is its 32-bit output: the same slices at the
// same offsets (both headers end far below the first 4 KiB boundary),
// which llvm-objdump --universal-headers and llvm-lipo -archs must read back the same way.
func TestWriteUniversalFat64(t *testing.T) {
	objdump := mustHaveLLVM(t, "llvm-objdump")
	lipo := mustHaveLLVM(t, "llvm-lipo")
	files := universalInputs(t)
	for _, tc := range universalCases {
		t.Run(tc.name, func(t *testing.T) {
			var paths []string
			for _, n := range tc.inputs {
				paths = append(paths, files[n])
			}
			got, err := writeUniversalFile(t, paths, &UniversalOptions{Fat64: true})
			if err != nil {
				t.Fatal(err)
			}
			want := lipoCreate(t, paths)

			// llvm-otool -f prints 0xcafebabe for either magic; the
			// verbose form names it.
			headers := func(p string) string {
				return string(runTool(t, objdump, "--macho", "--universal-headers", p))
			}
			fatWant := strings.Replace(headers(want), "fat_magic FAT_MAGIC\n", "fat_magic FAT_MAGIC_64\n", 1)
			if diff := cmp.Diff(fatWant, headers(got)); diff != "" {
				t.Errorf("llvm-objdump --universal-headers mismatch (-lipo +ours):\n%s", diff)
			}
			if w, g := runTool(t, lipo, "-archs", want), runTool(t, lipo, "-archs", got); !bytes.Equal(w, g) {
				t.Errorf("llvm-lipo -archs: ours %q, lipo's %q", g, w)
			}

			// Past the headers the files must be identical, and each
			// slice NewFile finds must be one input, byte for byte.
			wantData, _ := os.ReadFile(want)
			gotData, _ := os.ReadFile(got)
			f, err := NewFile(bytes.NewReader(gotData))
			if err != nil {
				t.Fatal(err)
			}
			if f.Format != FormatMachOFat || len(f.Slices) != len(paths) {
				t.Fatalf("NewFile: %v with %d slices, want %d universal slices", f.Format, len(f.Slices), len(paths))
			}
			first := f.Slices[0].Offset
			if !bytes.Equal(wantData[first:], gotData[first:]) {
				t.Errorf("data after offset %#x differs from llvm-lipo's", first)
			}
			inputs := map[string]bool{}
			for _, p := range paths {
				b, _ := os.ReadFile(p)
				inputs[string(b)] = true
			}
			for _, s := range f.Slices {
				if s.Err != nil {
					t.Errorf("%s slice: %v", s.CPU, s.Err)
				}
				if !inputs[string(gotData[s.Offset:s.Offset+s.Size])] {
					t.Errorf("%s slice at %#x is none of the inputs", s.CPU, s.Offset)
				}
			}
		})
	}
}

// sizeHidden hides the Size method of a reader, as a network-backed
// io.ReaderAt would not have one.
type sizeHidden struct{ io.ReaderAt }

func TestWriteUniversalErrors(t *testing.T) {
	lipo := mustHaveLLVM(t, "llvm-lipo")
	files := universalInputs(t)
	elf := testenv.Build(t, testenv.BuildSpec{GOOS: "linux", GOARCH: "amd64"})
	fat := lipoCreate(t, []string{files["amd64"], files["arm64"]})
	open := func(p string) io.ReaderAt {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	tests := []struct {
		name    string
		paths   []string
		readers []io.ReaderAt // when set, used instead of opening paths
		lipoErr bool          // llvm-lipo -create refuses the same paths
		is      error
		msg     string
	}{
		{name: "elf input", paths: []string{files["arm64"], elf}, lipoErr: true, is: ErrNotExecutable},
		{name: "universal input", paths: []string{fat, files["i386.o"]}, msg: "itself universal"},
		{name: "same cpu", paths: []string{files["arm64"], files["arm64-stripped"]}, lipoErr: true, msg: "both arm64"},
		{name: "same cpu objects", paths: []string{files["x86_64.o"], files["amd64"]}, lipoErr: true, msg: "both x86_64"},
		{name: "no inputs", msg: "at least one"},
		{name: "size unknown", readers: []io.ReaderAt{sizeHidden{open(files["arm64"])}}, msg: "cannot tell its size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := tt.readers
			if rs == nil {
				for _, p := range tt.paths {
					rs = append(rs, open(p))
				}
			}
			var out bytes.Buffer
			err := WriteUniversal(&out, rs, nil)
			if err == nil {
				t.Fatal("WriteUniversal succeeded")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v does not wrap %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not say %q", err, tt.msg)
			}
			if out.Len() != 0 {
				t.Errorf("%d bytes written before the error", out.Len())
			}
			if tt.lipoErr {
				args := append(append([]string{"-create"}, tt.paths...), "-output", filepath.Join(t.TempDir(), "out"))
				if b, err := exec.CommandContext(t.Context(), lipo, args...).CombinedOutput(); err == nil {
					t.Errorf("llvm-lipo accepted what WriteUniversal refused:\n%s", b)
				}
			}
		})
	}
}

// TestWriteUniversalBeyond4GiB pads a real amd64 executable to just under
// 4 GiB with a sparse hole, so that the arm64 slice after it starts beyond
// what a 32-bit fat_arch can say: llvm-lipo refuses, and so must
// WriteUniversal unless asked for Fat64.
func TestWriteUniversalBeyond4GiB(t *testing.T) {
	lipo := mustHaveLLVM(t, "llvm-lipo")
	if testing.Short() {
		t.Skip("streams 4 GiB in -short mode")
	}
	amd := testenv.Build(t, testenv.BuildSpec{GOOS: "darwin", GOARCH: "amd64"})
	arm := testenv.Build(t, testenv.BuildSpec{GOOS: "darwin", GOARCH: "arm64"})
	data, err := os.ReadFile(amd)
	if err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(t.TempDir(), "big-amd64")
	if err := os.WriteFile(big, data, 0o644); err != nil {
		t.Fatal(err)
	}
	const size = 1<<32 - 1<<12 // fits a 32-bit size; the next slice's offset does not
	if err := os.Truncate(big, size); err != nil {
		t.Skipf("cannot make a sparse %d-byte file here: %v", int64(size), err)
	}

	args := []string{"-create", big, arm, "-output", filepath.Join(t.TempDir(), "out")}
	if b, err := exec.CommandContext(t.Context(), lipo, args...).CombinedOutput(); err == nil {
		t.Errorf("llvm-lipo accepted a slice beyond 4 GiB in a 32-bit header:\n%s", b)
	}
	bigF, armF := openFile(t, big), openFile(t, arm)
	var out countWriter
	err = WriteUniversal(&out, []io.ReaderAt{bigF, armF}, nil)
	if err == nil || !strings.Contains(err.Error(), "Fat64") {
		t.Errorf("32-bit header: err = %v, want one suggesting Fat64", err)
	}
	if out.n != 0 {
		t.Errorf("%d bytes written before the error", out.n)
	}

	// Streaming the 4 GiB hole takes tens of seconds on a shared machine;
	// the header is what matters, so stop the copy once it is written.
	out = countWriter{limit: 4096}
	err = WriteUniversal(&out, []io.ReaderAt{bigF, armF}, &UniversalOptions{Fat64: true})
	if !errors.Is(err, errWriterFull) {
		t.Fatalf("Fat64: err = %v, want the writer's own error", err)
	}
	armSize, _ := armF.Seek(0, io.SeekEnd)
	entries, err := readFatArchs(bytes.NewReader(out.head), out.head, -1)
	if err != nil {
		t.Fatalf("reading back the Fat64 header: %v", err)
	}
	// lipo's layout: x86_64 first at the first 4 KiB boundary, then arm64
	// at the first 16 KiB boundary after it, which is exactly 2^32.
	got := fmt.Sprint(entries)
	want := fmt.Sprint([]fatArch{
		{cpu: cpuTypeX86_64, subtype: 3, offset: 1 << 12, size: size, align: 12},
		{cpu: cpuTypeArm64, subtype: 0, offset: 1 << 32, size: armSize, align: 14},
	})
	if got != want {
		t.Errorf("Fat64 header entries:\n got %s\nwant %s", got, want)
	}
}

func openFile(t *testing.T, p string) *os.File {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

var errWriterFull = errors.New("test writer is full")

// countWriter counts what is written and keeps the first bytes; with a
// limit, it fails once it holds that many.
type countWriter struct {
	n     int64
	head  []byte
	limit int
}

func (w *countWriter) Write(p []byte) (int, error) {
	if w.limit > 0 && len(w.head) >= w.limit {
		return 0, errWriterFull
	}
	if room := 4096 - len(w.head); room > 0 {
		w.head = append(w.head, p[:min(room, len(p))]...)
	}
	w.n += int64(len(p))
	return len(p), nil
}
