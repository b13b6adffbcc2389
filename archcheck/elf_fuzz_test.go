package archcheck

import (
	"bytes"
	"errors"
	"os"
	"testing"

	"github.com/nativego/nativego/internal/testenv"
)

// checkSliceErr fails t unless every error joined into err is a
// *FormatError or a *ParserPanicError: the only kinds of problem a
// malformed input may cause.
func checkSliceErr(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			checkSliceErr(t, e)
		}
		return
	}
	var fe *FormatError
	var pe *ParserPanicError
	if !errors.As(err, &fe) && !errors.As(err, &pe) {
		t.Errorf("error %T %v is neither a *FormatError nor a *ParserPanicError", err, err)
	}
}

// FuzzELF feeds mutated ELF files to NewFile and readELF. The seeds are
// megabytes long, and the fuzzer spends its whole time minimizing each new
// interesting input unless told not to; run it as
//
//	go test -run '^$' -fuzz '^FuzzELF$' -fuzztime 60s -fuzzminimizetime 100x -parallel 1 ./archcheck/
func FuzzELF(f *testing.F) {
	for _, spec := range []testenv.BuildSpec{
		{GOOS: "linux", GOARCH: "amd64", Flags: []string{"-ldflags=-s -w"}},
		{GOOS: "linux", GOARCH: "arm64", Flags: []string{"-buildmode=pie", "-ldflags=-s -w"}},
		{GOOS: "freebsd", GOARCH: "amd64", Flags: []string{"-ldflags=-s -w"}},
	} {
		data := testenv.BuildBytes(f, spec)
		f.Add(data)
	}
	// A cgo binary, which needs glibc symbol versions, with its section
	// headers stripped as sstrip leaves it: the dynamic table, strings and
	// version needs are found through PT_DYNAMIC and PT_LOAD alone.
	if _, err := hostGCC(); err == nil {
		data := testenv.BuildBytes(f, cgoSpec("-ldflags=-s -w"))
		f.Add(stripSectionHeaders(f, data))
	}
	// A small real shared library with a dynamic section, symbol
	// versions both defined and needed, and an interpreter-less ET_DYN.
	for _, p := range []string{"/usr/lib/x86_64-linux-gnu/libdl.so.2", "/usr/lib/x86_64-linux-gnu/libz.so.1"} {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	// libz again without its section headers.
	if data, err := os.ReadFile("/usr/lib/x86_64-linux-gnu/libz.so.1"); err == nil {
		f.Add(stripSectionHeaders(f, data))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if ff, err := NewFile(bytes.NewReader(data)); err == nil {
			for _, s := range ff.Slices {
				checkSliceErr(t, s.Err)
				if s.ELF != nil && (s.ELF.EntryOffset < -1) {
					t.Errorf("EntryOffset = %d", s.ELF.EntryOffset)
				}
			}
		}
		// Also past a header the fast path would have rejected, and
		// through a reader that cannot tell its size, where only the data
		// present bounds the reads.
		s := &Slice{r: bytes.NewReader(data), format: FormatELF, SliceHeader: SliceHeader{Size: int64(len(data))}}
		_, err := readELF(s)
		checkSliceErr(t, err)
		s = &Slice{r: sizeHidden{bytes.NewReader(data)}, format: FormatELF, SliceHeader: SliceHeader{Size: -1}}
		_, err = readELF(s)
		checkSliceErr(t, err)
	})
}
