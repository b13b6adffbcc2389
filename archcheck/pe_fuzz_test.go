package archcheck

import (
	"bytes"
	"os"
	"testing"

	"github.com/nativego/nativego/internal/testenv"
)

// FuzzPE feeds mutated PE images to NewFile and readPE; run it like
// FuzzELF, with -fuzzminimizetime 100x.
func FuzzPE(f *testing.F) {
	for _, spec := range []testenv.BuildSpec{
		{GOOS: "windows", GOARCH: "amd64", Flags: []string{"-ldflags=-s -w"}},
		{GOOS: "windows", GOARCH: "arm64", Flags: []string{"-ldflags=-s -w"}},
		{GOOS: "windows", GOARCH: "386", Flags: []string{"-ldflags=-s -w -H=windowsgui"}},
	} {
		data := testenv.BuildBytes(f, spec)
		f.Add(data)
	}
	// pip's MSVC-built launchers, when present, are small real images
	// with several imported DLLs and a load configuration.
	for _, p := range distlibLaunchers() {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if ff, err := NewFile(bytes.NewReader(data)); err == nil {
			for _, s := range ff.Slices {
				checkSliceErr(t, s.Err)
				if s.PE != nil && s.PE.EntryOffset < -1 {
					t.Errorf("EntryOffset = %d", s.PE.EntryOffset)
				}
			}
		}
		s := &Slice{r: bytes.NewReader(data), format: FormatPE, SliceHeader: SliceHeader{Size: int64(len(data))}}
		_, err := readPE(s)
		checkSliceErr(t, err)
	})
}
