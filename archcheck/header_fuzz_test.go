package archcheck

import (
	"bytes"
	"errors"
	"os"
	"testing"

	"github.com/nativego/nativego/internal/testenv"
)

// FuzzReadHeader feeds the fast path arbitrary bytes, seeded with the
// first kilobytes of real binaries of every format. It must not panic, and
// it must agree with the full parse on the format.
func FuzzReadHeader(f *testing.F) {
	for _, p := range []struct{ GOOS, GOARCH string }{
		{"darwin", "arm64"}, {"darwin", "amd64"}, {"linux", "amd64"}, {"linux", "ppc64"}, {"windows", "arm64"}, {"windows", "386"},
	} {
		path := testenv.Build(f, testenv.BuildSpec{GOOS: p.GOOS, GOARCH: p.GOARCH, Flags: []string{"-ldflags=-s -w"}})
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data[:min(len(data), 8192)])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := ReadHeader(bytes.NewReader(data))
		if err != nil {
			var fe *FormatError
			if !errors.Is(err, ErrNotExecutable) && !errors.As(err, &fe) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if len(h.Slices) == 0 {
			t.Fatal("no error and no slices")
		}
		if Identify(data) != h.Format {
			t.Fatalf("Identify = %v, ReadHeader = %v", Identify(data), h.Format)
		}
	})
}
