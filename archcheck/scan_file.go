package archcheck

import (
	"errors"
	"fmt"
	"io"
)

// sniffSize is how much of each file a scan reads at once: one page, the
// same system call cost as the 64 bytes Identify needs, and enough to hold
// the headers ReadHeader then asks for in almost every thin file (ELF
// program headers follow the 64-byte ELF header; Go and MSVC put the PE
// header at e_lfanew 0x80 to 0x118), so most candidates cost one read.
const sniffSize = 4096

// testHookOpen, when set by a test, is called before each file is opened;
// the function it returns, if any, is called after the file is closed.
// Tests use it to change the tree between the walk and the open, and to
// count files open at once.
var testHookOpen func(path string) (closed func())

// work examines files until the walker is done or the scan is cancelled.
func (s *scanner) work() {
	buf := make([]byte, sniffSize)
	for batch := range s.jobs {
		for _, j := range batch {
			if s.ctx.Err() != nil {
				break // drain, so the walker is never stuck sending
			}
			if r := s.examine(j, buf); r != nil {
				s.send(r)
			}
		}
	}
}

// examine identifies one file, and parses it if it is an executable. It
// returns nil for a file that is not an executable, or that OnlyNonNative
// filters out.
func (s *scanner) examine(j job, buf []byte) *ScanResult {
	if !s.acquire() {
		return nil
	}
	defer s.release()
	if testHookOpen != nil {
		if closed := testHookOpen(j.path); closed != nil {
			defer closed()
		}
	}
	r := &ScanResult{Path: j.path, Bundle: j.bundle, OuterBundle: j.outer, Assessment: Assessment{Verdict: NotExecutable, Slice: -1}}
	f, err := s.examineFile(j, buf)
	if err != nil {
		if errors.Is(err, ErrNotExecutable) {
			return nil
		}
		r.Err = err
		return r
	}
	if f == nil {
		return nil
	}
	r.File = f
	r.Assessment = Assess(f, s.host)
	if s.opts.OnlyNonNative && (r.Assessment.Verdict == Native || r.Assessment.Verdict == NotExecutable) {
		return nil
	}
	return r
}

// examineFile opens, identifies and if need be parses one file. It
// returns nil, nil for a file in no executable format.
func (s *scanner) examineFile(j job, buf []byte) (*File, error) {
	rf, size, err := openRegular(j.path, j.follow)
	if err != nil {
		return nil, err
	}
	defer rf.Close()
	s.files.Add(1)
	s.bytes.Add(size)
	n, err := rf.ReadAt(buf, 0)
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("%s: %w", j.path, err)
	}
	if Identify(buf[:n]) == FormatUnknown {
		return nil, nil
	}
	s.candidates.Add(1)
	if s.opts.MaxFileSize > 0 && size > s.opts.MaxFileSize {
		return nil, fmt.Errorf("%s: %w (%d bytes)", j.path, ErrTooLarge, size)
	}
	// The sniffed page answers the header reads; only universal files
	// and unusual layouts read the file again.
	pr := &prefixReader{prefix: buf[:n], r: rf, size: size}
	h, err := readHeader(pr, size)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", j.path, err)
	}
	if s.opts.HeaderOnly || !runnable(h) {
		return fileFromHeader(h, rf, size), nil
	}
	// NewFile keeps its reader for later reads of the slices; give it the
	// file itself rather than the prefix reader, whose buffer the worker
	// reuses for the next file.
	f, err := NewFile(io.NewSectionReader(rf, 0, size))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", j.path, err)
	}
	return f, nil
}

// runnable reports whether any slice is something a loader runs, and so
// worth the full parse; objects, core dumps and dSYMs are judged from the
// header alone.
func runnable(h *Header) bool {
	for _, s := range h.Slices {
		switch s.Type {
		case TypeObject, TypeCore, TypeDebugSymbols, TypeUnknown, TypeOther:
		default:
			return true
		}
	}
	return false
}

// fileFromHeader makes a File of the header facts alone.
func fileFromHeader(h *Header, r io.ReaderAt, size int64) *File {
	f := &File{Format: h.Format, Size: size, Slices: make([]*Slice, len(h.Slices))}
	for i, sh := range h.Slices {
		f.Slices[i] = &Slice{SliceHeader: sh, r: io.NewSectionReader(r, sh.Offset, max(sh.Size, 0))}
	}
	return f
}

// A prefixReader serves reads inside the first bytes of a file from the
// buffer they were already read into, and the rest from the file.
type prefixReader struct {
	prefix []byte
	r      io.ReaderAt
	size   int64
}

func (p *prefixReader) Size() int64 { return p.size }

func (p *prefixReader) ReadAt(b []byte, off int64) (int, error) {
	if off >= 0 && off+int64(len(b)) <= int64(len(p.prefix)) {
		return copy(b, p.prefix[off:]), nil
	}
	if off >= 0 && int64(len(p.prefix)) == p.size && off+int64(len(b)) > p.size {
		// The whole file is in the buffer: answer short reads without
		// another system call.
		if off >= p.size {
			return 0, io.EOF
		}
		return copy(b, p.prefix[off:]), io.EOF
	}
	return p.r.ReadAt(b, off)
}
