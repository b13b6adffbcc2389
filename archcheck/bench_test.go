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
