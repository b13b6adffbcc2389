package archcheck

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/nativego/nativego/internal/testenv"
)

// largeBinary is the official darwin/arm64 compiler, about 27 MB: a large
// real binary with build information, symbols and a code signature.
func largeBinary(b *testing.B) string {
	dir := testenv.Toolchain(b, testenv.OfficialVersion, "darwin", "arm64")
	return filepath.Join(dir, "pkg", "tool", "darwin_arm64", "compile")
}

// BenchmarkOpen measures the full read of a large binary: headers, load
// commands, code signature verification and Go build information.
func BenchmarkOpen(b *testing.B) {
	path := largeBinary(b)
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	for b.Loop() {
		f, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}

// BenchmarkReadHeader measures the fast path on the same file, opened
// once: the cost per file of a scan that only needs the architectures.
func BenchmarkReadHeader(b *testing.B) {
	f, err := os.Open(largeBinary(b))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadHeader(f); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIdentify measures format identification from a prefix.
func BenchmarkIdentify(b *testing.B) {
	prefix := []byte{0xcf, 0xfa, 0xed, 0xfe, 0x0c, 0x00, 0x00, 0x01}
	b.ReportAllocs()
	for b.Loop() {
		if Identify(prefix) != FormatMachO {
			b.Fatal("not Mach-O")
		}
	}
}

// BenchmarkReadELF measures Open on large system shared libraries, whose
// dynamic string and symbol tables run to megabytes: libstdc++.so.6, and
// the largest shared object in the multiarch library directory (libLLVM
// on a Debian machine with LLVM installed).
func BenchmarkReadELF(b *testing.B) {
	dir := multiarchLibDir()
	if dir == "" {
		b.Skip("no multiarch library directory for this GOARCH")
	}
	libs := []struct{ name, path string }{
		{"libstdc++", filepath.Join(dir, "libstdc++.so.6")},
		{"largest", largestSharedObject(dir)},
	}
	for _, lib := range libs {
		b.Run(lib.name, func(b *testing.B) {
			fi, err := os.Stat(lib.path)
			if lib.path == "" || err != nil {
				b.Skipf("%s: not on this system: %v", lib.name, err)
			}
			b.SetBytes(fi.Size())
			b.ReportAllocs()
			for b.Loop() {
				f, err := Open(lib.path)
				if err != nil {
					b.Fatal(err)
				}
				if s := f.Slices[0]; s.ELF == nil || s.Err != nil {
					b.Fatalf("ELF = %v, Err = %v", s.ELF, s.Err)
				}
				f.Close()
			}
		})
	}
}
