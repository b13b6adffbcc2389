package archcheck

import (
	"bytes"
	"errors"
	"runtime"
	"testing"

	"github.com/nativego/nativego/internal/testenv"
)

// FuzzGoInfo feeds NewFile, and so readGoInfo for every slice, arbitrary
// bytes grown from real Go binaries: whole, without symbols, with the
// build-info magic scrubbed, and cut short. It must never panic, and must
// allocate in proportion to the input, not to what the input claims.
func FuzzGoInfo(f *testing.F) {
	sw := []string{"-ldflags=-s -w"}
	for _, spec := range []testenv.BuildSpec{
		{GOOS: "linux", GOARCH: "amd64", Flags: sw},
		{GOOS: "darwin", GOARCH: "arm64", Flags: sw},
		{GOOS: "windows", GOARCH: "amd64", Flags: sw},
		{GOOS: "linux", GOARCH: "ppc64"}, // big-endian, with symbols
	} {
		b := testenv.BuildBytes(f, spec)
		f.Add(b)
		scrubbed := bytes.Clone(b)
		if i := bytes.Index(scrubbed, []byte("\xff Go buildinf:")); i >= 0 {
			clear(scrubbed[i : i+14])
		}
		f.Add(scrubbed)
		f.Add(b[:64<<10])
		f.Add(b[:4<<10])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		file, err := NewFile(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, s := range file.Slices {
			g, err := readGoInfo(s)
			if err == nil && (g == nil || g.Version == "") {
				t.Errorf("readGoInfo = %+v without an error", g)
			}
			if g != nil && errors.Is(err, ErrNoBuildInfo) {
				t.Errorf("readGoInfo = %+v and %v; ErrNoBuildInfo comes without info", g, err)
			}
		}
		var buf bytes.Buffer
		if err := WriteVersionM(&buf, "fuzz", file); err != nil && buf.Len() > 0 {
			t.Errorf("WriteVersionM wrote %d bytes and failed: %v", buf.Len(), err)
		}
		runtime.ReadMemStats(&after)
		// debug/buildinfo searches in 1 MiB chunks and saferio reads in
		// 10 MiB ones; beyond those, allocation must follow the input.
		if alloc, limit := after.TotalAlloc-before.TotalAlloc, uint64(64<<20+32*len(data)); alloc > limit {
			t.Errorf("allocated %d bytes for a %d-byte input (limit %d)", alloc, len(data), limit)
		}
	})
}
