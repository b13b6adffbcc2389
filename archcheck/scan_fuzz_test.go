package archcheck

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/nativego/nativego/internal/testenv"
)

// FuzzScanSniff feeds files through the scan's fast path (one sniffed
// page served by prefixReader, then the parse) and checks it agrees with
// Open on the same bytes: same acceptance, same format and slices.
func FuzzScanSniff(f *testing.F) {
	for _, p := range scanPlatforms {
		b := testenv.BuildBytes(f, testenv.BuildSpec{GOOS: p.GOOS, GOARCH: p.GOARCH})
		f.Add(b[:min(len(b), 8192)]) // headers; keeps the corpus small
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "input")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		w := newScanner(t.Context(), ScanOptions{}).newWorker()
		got, gotErr := w.examineFile(job{name: p})
		want, wantErr := Open(p)
		if want != nil {
			defer want.Close()
		}
		if (want == nil) != (got == nil) {
			t.Fatalf("Open: %v, %v; scan: %v, %v", want, wantErr, got, gotErr)
		}
		if want == nil {
			return
		}
		if want.Format != got.Format || len(want.Slices) != len(got.Slices) {
			t.Fatalf("Open: %v with %d slices; scan: %v with %d", want.Format, len(want.Slices), got.Format, len(got.Slices))
		}
		for i := range want.Slices {
			if want.Slices[i].SliceHeader != got.Slices[i].SliceHeader {
				t.Errorf("slice %d: Open %+v, scan %+v", i, want.Slices[i].SliceHeader, got.Slices[i].SliceHeader)
			}
		}
	})
}
