// Package saferio reads regions whose size comes from untrusted input
// without allocating more than the input can back.
//
// It follows the standard library's internal/saferio, which is not
// importable: a length read from a file header is only a claim, so large
// regions are read in chunks and the buffer grows only as data actually
// arrives. A header that claims 4 GiB in a 1 KiB file therefore costs at
// most one chunk, not 4 GiB.
package saferio

import (
	"errors"
	"io"
	"io/fs"
)

// Chunk is the most ReadAt allocates before any data has arrived.
// 10 MiB matches the standard library's internal/saferio.
const Chunk = 10 << 20

// ErrTooLarge is returned when a requested length cannot be represented
// as an int on this platform, or exceeds a caller's limit.
var ErrTooLarge = errors.New("saferio: length too large")

// ReadAt reads exactly n bytes at off from r.
//
// Reads shorter than n return io.ErrUnexpectedEOF (io.EOF only when n > 0
// and nothing could be read). A negative off or n is an error.
func ReadAt(r io.ReaderAt, off int64, n int64) ([]byte, error) {
	if off < 0 || n < 0 {
		return nil, ErrTooLarge
	}
	if int64(int(n)) != n || off > (1<<63-1)-n {
		return nil, ErrTooLarge
	}
	if n == 0 {
		return []byte{}, nil
	}
	if n <= Chunk {
		buf := make([]byte, n)
		got, err := r.ReadAt(buf, off)
		if got == len(buf) {
			return buf, nil
		}
		return nil, shortRead(got, err)
	}
	var buf []byte
	for len(buf) < int(n) {
		next := min(int(n)-len(buf), Chunk)
		buf = append(buf, make([]byte, next)...)
		part := buf[len(buf)-next:]
		got, err := r.ReadAt(part, off+int64(len(buf)-next))
		if got != next {
			if len(buf)-next+got == 0 {
				return nil, shortRead(0, err)
			}
			return nil, io.ErrUnexpectedEOF
		}
	}
	return buf, nil
}

func shortRead(got int, err error) error {
	switch {
	case got == 0 && (err == nil || err == io.EOF):
		return io.EOF
	case err == nil || err == io.EOF:
		return io.ErrUnexpectedEOF
	default:
		return err
	}
}

// SizeOf reports the size of r when r can tell it: values with a
// Size() int64 method (bytes.Reader, strings.Reader, io.SectionReader) or
// a Stat method (os.File). ok is false when the size is unknown.
func SizeOf(r io.ReaderAt) (size int64, ok bool) {
	switch v := r.(type) {
	case interface{ Size() int64 }:
		return v.Size(), true
	case interface{ Stat() (fs.FileInfo, error) }:
		fi, err := v.Stat()
		if err == nil {
			return fi.Size(), true
		}
	}
	return 0, false
}
