package archcheck

import (
	"context"
	"errors"
	"iter"
	"path"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Errors a scan reports in ScanResult.Err for paths it did not examine.
// Callers test for them with errors.Is; the message names the path.
var (
	// ErrNotRegular: a named pipe, socket, device, or a symbolic link to
	// one. Scan never opens what the walk listed as such, so it cannot
	// block on a pipe or trigger a device's side effects. A regular file
	// replaced by one before Scan opens it is opened without waiting
	// (O_NONBLOCK) and reported too; on Linux the batched read may take
	// up to 8 bytes from such a pipe, or wait 2 s on one whose writer is
	// silent before giving up on it.
	ErrNotRegular = errors.New("not a regular file")

	// ErrSymlinkLoop: a followed symbolic link leads back to a directory
	// already on the path being walked.
	ErrSymlinkLoop = errors.New("symbolic link loop")

	// ErrTooLarge: an executable larger than ScanOptions.MaxFileSize,
	// identified but not parsed.
	ErrTooLarge = errors.New("file larger than the scan's size limit")
)

// ScanOptions configures Scan. The zero value scans every file under
// the roots with a worker pool and a descriptor budget sized for this
// machine, judging each executable for the running platform.
type ScanOptions struct {
	// Workers is how many files are examined at once; 0 means
	// 2*GOMAXPROCS, which keeps the cores busy while some workers wait in
	// system calls. It is lowered to fit MaxOpenFiles. Measured over a
	// warm Debian /usr (126,756 files, 2 cores, io_uring batches), three
	// runs each: 1 worker 0.79-0.97 s, 2: 0.65-0.68 s, 4: 0.62-0.66 s,
	// 8: 0.62-0.67 s, 16: 0.67-0.73 s.
	Workers int

	// MaxOpenFiles bounds the descriptors the scan holds open at once,
	// directories and files together. 0 derives it from the process's
	// descriptor limit (RLIMIT_NOFILE on Unix), using at most half of it,
	// so a scan under `ulimit -n 64` leaves the rest of the program room.
	// The least is 2: a directory being read and a file being examined.
	MaxOpenFiles int

	// FollowSymlinks follows symbolic links below the roots, as find -L
	// does: a link back to a directory on the current path is reported
	// with ErrSymlinkLoop instead of being entered. A directory reachable
	// through several links is scanned once per link. Roots that are
	// symbolic links are always followed.
	FollowSymlinks bool

	// OneFilesystem stays on the file system of each root, as find
	// -xdev does: directories on other file systems are not entered. It
	// has no effect where the platform does not expose device numbers
	// (Windows).
	OneFilesystem bool

	// Skip holds path.Match patterns. A pattern without a slash is
	// matched against each file's and directory's base name; a pattern
	// with a slash against its slash-separated path relative to its root.
	// Skipped directories are not entered. A malformed pattern makes
	// Scan fail before it starts.
	Skip []string

	// MaxFileSize, when positive, is the largest executable that is
	// parsed. Every file is still identified with one small read; larger
	// executables are reported with ErrTooLarge.
	MaxFileSize int64

	// OnlyNonNative drops results for files that run natively on Host and
	// for files with nothing to run (objects, dSYMs, core dumps). Errors
	// are kept: a file that could not be read is not known to be native.
	OnlyNonNative bool

	// HeaderOnly judges executables from their headers alone, without
	// the full parse: faster, but the details and Go information in
	// Slice are left empty and verdicts rest on architecture only.
	HeaderOnly bool

	// Host is the machine verdicts are for; nil means the platform the
	// scan runs on (Target(runtime.GOOS, runtime.GOARCH)).
	Host *Host

	// Progress, when set, is called about every 100 ms while the scan
	// runs, from the goroutine ranging over the results and never during
	// the loop body, so it needs no locking of its own.
	Progress func(ScanProgress)
}

// ScanProgress counts a scan's work so far.
type ScanProgress struct {
	Files      int64 // regular files opened and identified
	Bytes      int64 // bytes read to identify them: at most one page each
	Candidates int64 // files in an executable format, then parsed
	Errors     int64 // paths reported with an error
}

// A ScanResult is one file found by Scan: an executable in any format
// archcheck reads, or a path that could not be examined (Err set).
type ScanResult struct {
	Path string // the root joined with the path below it

	// Bundle is the innermost enclosing Apple bundle directory (.app,
	// .framework, .appex, .xpc, .bundle, .plugin, .kext), "" if none.
	// OuterBundle is the outermost one: for a helper in
	// Foo.app/Contents/Frameworks/Bar.framework, Bundle is Bar.framework
	// and OuterBundle is Foo.app. Both are paths like Path.
	Bundle      string
	OuterBundle string

	// File holds the headers and, unless HeaderOnly, the details. Its
	// file is closed once the result is produced, so its slices' readers
	// return os.ErrClosed. File is nil when Err is set.
	File *File

	// Assessment is Assess(File, Host); its verdict is NotExecutable when
	// File is nil.
	Assessment Assessment

	// Err says why the path could not be examined: a permission error, a
	// file that vanished during the scan, ErrNotRegular, ErrSymlinkLoop,
	// ErrTooLarge, or a *FormatError for a malformed executable.
	Err error
}

// Scan walks the trees at roots and yields a result for every executable
// file below them, in no particular order, and one for every path it
// could not examine. Ordinary files are identified with one small read and
// not reported; only executables are parsed.
//
// Problems with single paths are results, never the end of the scan. The
// sequence's error is non-nil only once, last, when the scan could not
// start (a malformed Skip pattern) or ctx ended it early. Breaking out of
// the loop stops the scan; either way every descriptor is closed and every
// goroutine has exited when the loop ends.
//
//	for r, err := range archcheck.Scan(ctx, []string{"/Applications"}, archcheck.ScanOptions{OnlyNonNative: true}) {
//		if err != nil {
//			return err
//		}
//		if r.Err != nil {
//			log.Print(r.Err)
//			continue
//		}
//		fmt.Println(r.Path, r.Assessment.Verdict)
//	}
func Scan(ctx context.Context, roots []string, opts ScanOptions) iter.Seq2[*ScanResult, error] {
	return func(yield func(*ScanResult, error) bool) {
		for _, p := range opts.Skip {
			if _, err := path.Match(p, ""); err != nil {
				yield(nil, errors.Join(errors.New("archcheck: bad skip pattern "+strings.TrimSpace(p)), err))
				return
			}
		}
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		s := newScanner(ctx, opts)
		go s.run(roots)

		var tick <-chan time.Time
		if opts.Progress != nil {
			t := time.NewTicker(100 * time.Millisecond)
			defer t.Stop()
			tick = t.C
		}
		stopped := false
		for {
			select {
			case r, ok := <-s.results:
				if !ok {
					if opts.Progress != nil {
						opts.Progress(s.progress())
					}
					if err := context.Cause(ctx); err != nil && !stopped {
						yield(nil, err)
					}
					return
				}
				if stopped || ctx.Err() != nil {
					continue // cancelled: drain without yielding
				}
				if !yield(r, nil) {
					// Stop the workers and drain what they had in flight,
					// so that nothing is left running or open.
					stopped = true
					cancel()
				}
			case <-tick:
				if !stopped {
					opts.Progress(s.progress())
				}
			}
		}
	}
}

// A scanner is one running Scan: a walker goroutine feeding file paths to
// a pool of workers, all sending results to one channel.
//
// The descriptor budget is split: each worker holds at most one file open
// at a time, and dirTokens holds one token for each of the rest, which
// the walker takes to read a directory and may leave with the directory
// while the workers open its files (see keepDir). The workers never wait
// for a token, so they always make progress and give directories back.
type scanner struct {
	ctx       context.Context
	opts      ScanOptions
	host      *Host
	ring      bool // workers try io_uring (see scan_batch.go)
	dirTokens chan struct{}
	jobs      chan []job
	results   chan *ScanResult

	files, bytes, candidates, errors atomic.Int64
}

func newScanner(ctx context.Context, opts ScanOptions) *scanner {
	maxOpen := opts.MaxOpenFiles
	if maxOpen <= 0 {
		maxOpen = defaultMaxOpenFiles()
	}
	maxOpen = max(maxOpen, 2) // a directory being read, a file being examined
	workers := opts.Workers
	if workers <= 0 {
		workers = 2 * runtime.GOMAXPROCS(0)
	}
	workers = max(min(workers, maxOpen-1), 1)
	// With io_uring each worker also holds its ring's descriptor (the
	// files a ring opens take none), when that leaves a directory token.
	perWorker := 1
	ring := maxOpen-2*workers >= 1
	if ring {
		perWorker = 2
	}
	opts.Workers, opts.MaxOpenFiles = workers, maxOpen
	host := opts.Host
	if host == nil {
		host = Target(runtime.GOOS, runtime.GOARCH)
	}
	return &scanner{
		ctx:       ctx,
		opts:      opts,
		host:      host,
		ring:      ring,
		dirTokens: make(chan struct{}, maxOpen-perWorker*workers),
		// Buffers decouple the walker from the workers; their size only
		// trades memory for smoothness.
		jobs:    make(chan []job, 16),
		results: make(chan *ScanResult, 64),
	}
}

func (s *scanner) progress() ScanProgress {
	return ScanProgress{Files: s.files.Load(), Bytes: s.bytes.Load(), Candidates: s.candidates.Load(), Errors: s.errors.Load()}
}

// run walks the roots while the workers examine files, and closes
// results once all of them are done.
func (s *scanner) run(roots []string) {
	var wg sync.WaitGroup
	for range s.opts.Workers {
		wg.Go(s.newWorker().run)
	}
	w := walker{s: s}
	for _, root := range roots {
		if s.ctx.Err() != nil {
			break
		}
		w.walkRoot(root)
	}
	close(s.jobs)
	wg.Wait()
	close(s.results)
}

// acquireDir takes a directory token, or reports false when the scan is
// cancelled first.
func (s *scanner) acquireDir() bool {
	select {
	case s.dirTokens <- struct{}{}:
		return true
	case <-s.ctx.Done():
		return false
	}
}

func (s *scanner) releaseDir() { <-s.dirTokens }

// keepDir reports whether a directory just read (whose token the walker
// holds) may stay open for its files to be opened relative to it: only
// while another token is left for the walker to read the next directory
// without waiting for the workers. Only the walker takes tokens, so the
// answer can only become more generous before it acts on it.
func (s *scanner) keepDir() bool { return len(s.dirTokens) < cap(s.dirTokens) }

// send delivers a result, or drops it when the scan is cancelled.
func (s *scanner) send(r *ScanResult) {
	if r.Err != nil {
		s.errors.Add(1)
	}
	select {
	case s.results <- r:
	case <-s.ctx.Done():
	}
}

// sendErr reports a path that could not be examined.
func (s *scanner) sendErr(path, bundle, outer string, err error) {
	s.send(&ScanResult{Path: path, Bundle: bundle, OuterBundle: outer, Err: err,
		Assessment: Assessment{Verdict: NotExecutable, Slice: -1}})
}
