package archcheck

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sync/atomic"
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

// A job is one regular file (or link to one) the walker found.
type job struct {
	// dir is the directory the file was listed in, whose descriptor it
	// is opened relative to; nil for a root or a followed link, whose
	// name is then a whole path.
	dir    *dirHandle
	name   string
	follow bool // the file may be a symbolic link to follow

	bundle, outer string
}

// path is the file's path as results report it.
func (j job) path() string {
	if j.dir == nil {
		return j.name
	}
	return filepath.Join(j.dir.path, j.name)
}

// A dirHandle is a listed directory, kept open for its files to be
// opened relative to it. It is closed, and its descriptor returned to the
// budget, when the last of its files has been examined.
type dirHandle struct {
	s    *scanner
	path string
	fd   int          // -1 when not kept open: its files are opened by path
	refs atomic.Int32 // files not yet examined, plus one while the walker lists
}

// done drops one reference, closing the directory with the last.
func (h *dirHandle) done() {
	if h != nil && h.refs.Add(-1) == 0 && h.fd >= 0 {
		closeDir(h.fd)
		h.fd = -1
		h.s.releaseDir()
	}
}

// A worker examines files, one at a time, or a batch at a time through
// io_uring where it can (see scan_batch.go).
type worker struct {
	s     *scanner
	buf   []byte        // the sniffed page, reused from file to file
	batch *batchSniffer // nil: every file takes the plain path

	// Counts not yet added to the scanner's: they are added once per
	// batch, so the workers do not contend for the counters file by file.
	files, bytes, candidates int64
}

func (s *scanner) newWorker() *worker { return &worker{s: s, buf: make([]byte, sniffSize)} }

// run examines files until the walker is done or the scan is cancelled.
func (w *worker) run() {
	s := w.s
	if s.ring {
		w.batch = newBatchSniffer()
		defer func() { w.batch.close() }()
	}
	plain := make([]bool, jobBatch)
	for batch := range s.jobs {
		batched := false
		if w.batch != nil && s.ctx.Err() == nil {
			if batched = w.identify(batch, plain); !batched {
				w.batch.close()
				w.batch = nil
			}
		}
		for i, j := range batch {
			var r *ScanResult
			// Once cancelled, drain, so the walker is never stuck sending.
			if s.ctx.Err() == nil && (!batched || plain[i]) {
				r = w.examine(j, !batched)
			}
			j.dir.done()
			if r != nil {
				s.send(r)
			}
		}
		s.files.Add(w.files)
		s.bytes.Add(w.bytes)
		s.candidates.Add(w.candidates)
		w.files, w.bytes, w.candidates = 0, 0, 0
	}
}

// examine identifies one file, and parses it if it is an executable. It
// returns nil for a file that is not an executable, or that OnlyNonNative
// filters out.
//
// hook says whether to call testHookOpen, which identify already called
// for the files of a batch.
func (w *worker) examine(j job, hook bool) *ScanResult {
	if hook && testHookOpen != nil {
		if closed := testHookOpen(j.path()); closed != nil {
			defer closed()
		}
	}
	f, err := w.examineFile(j)
	if err != nil {
		if errors.Is(err, ErrNotExecutable) {
			return nil
		}
		return &ScanResult{Path: j.path(), Bundle: j.bundle, OuterBundle: j.outer, Err: err,
			Assessment: Assessment{Verdict: NotExecutable, Slice: -1}}
	}
	if f == nil {
		return nil
	}
	r := &ScanResult{Path: j.path(), Bundle: j.bundle, OuterBundle: j.outer, File: f, Assessment: Assess(f, w.s.host)}
	if w.s.opts.OnlyNonNative && (r.Assessment.Verdict == Native || r.Assessment.Verdict == NotExecutable) {
		return nil
	}
	return r
}

// examineFile opens, identifies and if need be parses one file. It
// returns nil, nil for a file in no executable format.
//
// Only executables are stat'ed: the walker already saw a regular file,
// and a named pipe or directory swapped in since then fails the read
// (ESPIPE, EISDIR), which is when the file is looked at again to say
// what it has become.
func (w *worker) examineFile(j job) (*File, error) {
	s, buf := w.s, w.buf
	rf, err := j.open()
	if err != nil {
		return nil, err
	}
	defer rf.Close()
	n, err := rf.sniff(buf)
	w.files++
	w.bytes += int64(n)
	if err != nil {
		if _, serr := rf.regularSize(); serr != nil {
			return nil, serr
		}
		return nil, err
	}
	if Identify(buf[:n]) == FormatUnknown {
		return nil, nil
	}
	w.candidates++
	size, err := rf.regularSize()
	if err != nil {
		return nil, err
	}
	if s.opts.MaxFileSize > 0 && size > s.opts.MaxFileSize {
		return nil, fmt.Errorf("%s: %w (%d bytes)", j.path(), ErrTooLarge, size)
	}
	// The sniffed page answers the header reads, and NewFile's first
	// reads; only universal files and unusual layouts read the headers
	// again. NewFile keeps its reader for later reads of the slices, so
	// it gets its own copy of the page: the worker reuses buf for the
	// next file.
	pr := &prefixReader{prefix: buf[:n], r: rf, size: size}
	h, err := readHeader(pr, size)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", j.path(), err)
	}
	if s.opts.HeaderOnly || !runnable(h) {
		return fileFromHeader(h, rf, size), nil
	}
	pr.prefix = bytes.Clone(pr.prefix)
	f, err := NewFile(pr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", j.path(), err)
	}
	// Once the file is closed, reads of the first page must fail like
	// all the others.
	defer func() { pr.prefix = nil }()
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
