package saferio

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestReadAt(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 3*Chunk/10+7)
	r := bytes.NewReader(data)
	tests := []struct {
		name    string
		off, n  int64
		wantErr error
	}{
		{name: "small", off: 3, n: 5},
		{name: "empty", off: 0, n: 0},
		{name: "several chunks", off: 1, n: int64(len(data)) - 1},
		{name: "past end", off: int64(len(data)), n: 1, wantErr: io.EOF},
		{name: "short small", off: int64(len(data)) - 2, n: 4, wantErr: io.ErrUnexpectedEOF},
		{name: "short large claim", off: 0, n: 1 << 40, wantErr: io.ErrUnexpectedEOF},
		{name: "negative", off: -1, n: 1, wantErr: ErrTooLarge},
		{name: "overflow", off: 1 << 62, n: 1 << 62, wantErr: ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadAt(r, tt.off, tt.n)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ReadAt(%d, %d) error = %v, want %v", tt.off, tt.n, err, tt.wantErr)
			}
			if err == nil && !bytes.Equal(got, data[tt.off:tt.off+tt.n]) {
				t.Fatalf("ReadAt(%d, %d) returned wrong bytes", tt.off, tt.n)
			}
		})
	}
}

// TestReadAtBoundedAllocation pins the property the package exists for: a
// claimed length far beyond the input costs at most one chunk.
func TestReadAtBoundedAllocation(t *testing.T) {
	r := bytes.NewReader(make([]byte, 1024))
	allocs := testing.AllocsPerRun(5, func() {
		if _, err := ReadAt(r, 0, 1<<40); err == nil {
			t.Fatal("ReadAt of 1 TiB from 1 KiB succeeded")
		}
	})
	if allocs > 2 {
		t.Errorf("ReadAt allocated %v times for a lying length; want at most 2", allocs)
	}
}

func TestSizeOf(t *testing.T) {
	if n, ok := SizeOf(bytes.NewReader(make([]byte, 7))); !ok || n != 7 {
		t.Errorf("SizeOf(bytes.Reader) = %d, %v; want 7, true", n, ok)
	}
	name := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(name, make([]byte, 11), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if n, ok := SizeOf(f); !ok || n != 11 {
		t.Errorf("SizeOf(*os.File) = %d, %v; want 11, true", n, ok)
	}
	if _, ok := SizeOf(struct{ io.ReaderAt }{f}); ok {
		t.Error("SizeOf of a bare ReaderAt reported a size")
	}
}
