package archcheck

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/nativego/nativego/internal/testenv"
)

// splicedReader reads as code followed by sig, without copying either:
// the fuzz target swaps the signature of a real binary for its input.
type splicedReader struct {
	code, sig []byte
}

func (r *splicedReader) Size() int64 { return int64(len(r.code) + len(r.sig)) }

func (r *splicedReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	n := 0
	for n < len(p) {
		at := off + int64(n)
		var src []byte
		switch {
		case at < int64(len(r.code)):
			src = r.code[at:]
		case at < r.Size():
			src = r.sig[at-int64(len(r.code)):]
		default:
			return n, io.EOF
		}
		n += copy(p[n:], src)
	}
	return n, nil
}

// FuzzCodeSignature replaces the code signature of a real binary with
// the fuzz input and reads it back. The binaries, and the seeds, are a
// linker-signed darwin/arm64 build (ad-hoc) and the official darwin/arm64
// gofmt (certificate-signed, with requirements and a CMS blob); which
// picks the binary, so the fuzzer may also cross them. It checks that readCodeSignature never panics, returns
// either a result or a *FormatError, and allocates no more than a small
// multiple of its input plus one page buffer.
func FuzzCodeSignature(f *testing.F) {
	type base struct {
		code    []byte // the bytes before the signature
		dataOff uint32
	}
	var bases []base
	add := func(name string) {
		off, size, ok := codeSigCmd(f, name)
		if !ok {
			f.Fatalf("%s has no LC_CODE_SIGNATURE", name)
		}
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(len(bases)), b[off:off+size])
		bases = append(bases, base{code: b[:off], dataOff: off})
	}
	add(testenv.Build(f, testenv.BuildSpec{GOOS: "darwin", GOARCH: "arm64"}))
	if !testing.Short() {
		root := testenv.Toolchain(f, testenv.OfficialVersion, "darwin", "arm64")
		add(filepath.Join(root, "bin", "gofmt"))
	}

	f.Fuzz(func(t *testing.T, which uint8, sig []byte) {
		if len(sig) > 1<<20 {
			t.Skip("signature larger than 1 MiB")
		}
		b := bases[int(which)%len(bases)]
		r := &splicedReader{code: b.code, sig: sig}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		cs, err := readCodeSignature(r, 0x1000, b.dataOff, uint32(len(sig)))
		runtime.ReadMemStats(&after)
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v (%T) is not a *FormatError", err, err)
			}
			if cs != nil {
				t.Fatalf("returned %+v with error %v", cs, err)
			}
		} else if cs.Valid && (len(cs.BadPages) > 0 || len(cs.BadSpecialSlots) > 0) {
			t.Fatalf("Valid with bad pages %v, special slots %v", cs.BadPages, cs.BadSpecialSlots)
		}
		// One page buffer (at most 64 KiB), the signature itself, and
		// what crypto/x509 makes of the certificates in it.
		if alloc, limit := after.TotalAlloc-before.TotalAlloc, uint64(128<<10+16*len(sig)); alloc > limit {
			t.Fatalf("allocated %d bytes for a %d-byte signature; want at most %d", alloc, len(sig), limit)
		}
	})
}
