package metricsx

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"iter"
)

// maxTraceLine bounds the length of a line GCTraceReader holds in memory.
// A gctrace line is under 300 bytes (about 20 numbers of at most 19
// digits and 130 bytes of text); longer lines are the program's own
// output, which is passed through in pieces of this size.
const maxTraceLine = 64 << 10

// GCTraceStats counts what a GCTraceReader has read.
type GCTraceStats struct {
	Lines    int64 // lines read, gctrace or not
	Cycles   int64 // GC cycles returned by Scan, including repaired ones
	Repaired int64 // cycles whose line was torn by other output and put back together
	Torn     int64 // gctrace lines that could neither be parsed nor repaired, and were dropped

	// Periodic counts the runtime's "GC forced" lines: sysmon starts a
	// cycle when none has run for two minutes (forcegcperiod in
	// runtime/proc.go) and, under gctrace, says so on a line of its own.
	// Those cycles do not print "(forced)".
	Periodic int64

	// Scavenger counts the heap scavenger's trace lines: "scav ..."
	// lines from GODEBUG=scavtrace=1, and "scvg" lines of old releases.
	Scavenger int64

	Other int64 // lines of the program's own output
}

// GCTraceReader reads GC cycles from a stream holding GODEBUG=gctrace=1
// output, typically a Go program's standard error. It is
// Scanner-shaped:
//
//	r := metricsx.NewGCTraceReader(stderr, os.Stderr)
//	for r.Scan() {
//		c := r.Cycle()
//		fmt.Println(c.N, c.Pause())
//	}
//	if err := r.Err(); err != nil { ... }
//
// Whatever is not gctrace output is the program's own and is written to
// the other writer given to NewGCTraceReader, line by line as it arrives,
// so that the reader can sit between a program and a terminal. Scavenger
// lines are passed on too (the caller asked for them with scavtrace);
// the runtime's "GC forced" lines, which gctrace adds, are not.
//
// Malformed input is never fatal. A gctrace line torn by the program's
// own output, which the runtime cannot prevent (see the comment at the
// top of gctrace.go), arrives as the start of the gc line with the other
// output glued to its end, then possibly more lines of other output,
// then the rest of the gc line on a line of its own. The reader waits
// up to 64 lines for the rest, holding back the other output meanwhile,
// and puts the gc line back together at the first split point that
// makes it parse, passing the other output on in its order. A gctrace
// line it cannot mend is counted in Stats().Torn and passed on as it
// came; the runtime's printing thread can lose its CPU more than once in
// a line, and such lines stay torn. A gc line may also start in the
// middle of a line, after output that did not end with a newline, or be
// followed by output written before the runtime's own newline; both are
// read, and the output passed on as lines of its own. Since any line
// holding "gc " may be a torn gc line, such a line of the program's own
// is passed on only once the next line has arrived.
//
// Lines are counted in Stats().Lines; a line longer than 64 KiB, which
// cannot hold a gctrace line, is passed on in pieces of that size, each
// counted as a line.
type GCTraceReader struct {
	br    *bufio.Reader
	other io.Writer
	cycle GCCycle
	stats GCTraceStats
	err   error

	held      []byte // a gctrace line that did not parse, waiting for its continuation
	heldBuf   []byte // held's storage, reused
	heldLines int    // lines read since held
	pending   []byte // other output read since held, to be written after it
	scratch   []byte
	ends      []pieceEnd

	// head and try are parse targets that live as long as the reader:
	// the pieces table stores through func values, so a local GCCycle
	// would escape to the heap on every parse.
	head, try GCCycle

	lastN     uint64 // the number of the last cycle read, 0 before the first
	tornSince uint64 // torn lines given up on since that cycle
}

// NewGCTraceReader returns a reader of the gctrace output in r. Output
// that is not gctrace is written to other, which may be nil to drop it.
func NewGCTraceReader(r io.Reader, other io.Writer) *GCTraceReader {
	if other == nil {
		other = io.Discard
	}
	return &GCTraceReader{br: bufio.NewReaderSize(r, maxTraceLine), other: other}
}

// Cycle returns the cycle read by the last successful Scan.
func (r *GCTraceReader) Cycle() GCCycle { return r.cycle }

// Stats returns the counts so far.
func (r *GCTraceReader) Stats() GCTraceStats { return r.stats }

// Err returns the first error other than io.EOF met reading the input or
// writing the other output.
func (r *GCTraceReader) Err() error { return r.err }

// Scan advances to the next GC cycle, which Cycle then returns. It
// returns false at the end of the input or on an I/O error.
func (r *GCTraceReader) Scan() bool {
	for r.err == nil {
		line, err := r.br.ReadSlice('\n')
		if len(line) == 0 && err != nil {
			r.flushHeld()
			if err != io.EOF {
				r.setErr(err)
			}
			return false
		}
		nl := len(line) > 0 && line[len(line)-1] == '\n'
		if nl {
			line = line[:len(line)-1]
		} else if err == nil || errors.Is(err, bufio.ErrBufferFull) {
			// An overlong line: pass on this piece unchanged. A
			// gctrace line cannot be this long.
			r.flushHeld()
			r.stats.Lines++
			r.stats.Other++
			r.write(line, false)
			continue
		}
		r.stats.Lines++
		if r.held != nil {
			if hasGCStart(line) {
				// The runtime prints one gc line at a time: a
				// new one means the held line's rest is lost.
				// (Tried as a continuation, a whole gc line
				// would mend the held one with itself.)
				r.flushHeld()
			} else if r.repair(line) {
				return true
			} else {
				r.classify(line, nl) // into pending
				r.heldLines++
				if r.heldLines > maxHeldLines || len(r.pending) > maxPending {
					r.flushHeld()
				}
				continue
			}
		}
		if r.classify(line, nl) {
			return true
		}
	}
	return false
}

// classify handles one complete line, ended by a newline unless nl is
// false (the end of the input), reporting whether it was a cycle.
func (r *GCTraceReader) classify(line []byte, nl bool) bool {
	found := false
	for at := range gcStarts(line) {
		found = true
		ok, off, tok := r.parse(line[at:])
		c := r.try
		if !ok && tok == len(pieces) {
			// The whole gc line, then other output written before
			// the runtime's newline: pass that on as a line.
			r.write(line[:at], at > 0)
			r.emit(c)
			r.write(line[at+off:], true)
			return true
		}
		if !ok {
			continue
		}
		if at > 0 {
			// Output without a newline came first; end it here,
			// where the gc line's own newline ended it on the
			// terminal.
			r.write(line[:at], true)
		}
		r.emit(c)
		return true
	}
	switch {
	case found:
		// Hold the line: the next one may be its continuation.
		r.heldBuf = append(r.heldBuf[:0], line...)
		r.held = r.heldBuf
	case string(line) == "GC forced":
		r.stats.Periodic++
	case bytes.HasPrefix(line, []byte("scav ")), bytes.HasPrefix(line, []byte("scvg")):
		r.stats.Scavenger++
		r.write(line, nl)
	default:
		r.stats.Other++
		r.write(line, nl)
	}
	return false
}

// parse parses line into r.try, which allocates nothing. It returns
// whether the whole line parsed, and where the parse stopped: the offset
// and the index in pieces.
func (r *GCTraceReader) parse(line []byte) (ok bool, off, tok int) {
	r.try = GCCycle{}
	p := lineParser{s: line}
	ok = p.run(&r.try, 0) == ""
	return ok, p.i, p.tok
}

// gcStarts yields the offsets of "gc " in line, where a gc line may start.
func gcStarts(line []byte) iter.Seq[int] {
	return func(yield func(int) bool) {
		for off := 0; off < len(line); {
			i := bytes.Index(line[off:], []byte("gc "))
			if i < 0 || !yield(off+i) {
				return
			}
			off += i + 1
		}
	}
}

func hasGCStart(line []byte) bool { return bytes.Contains(line, []byte("gc ")) }

// Bounds on the wait for, and the work of, a repair.
const (
	// maxHeldLines is how many lines of other output may come between
	// a torn gctrace line and its rest. The runtime's printing thread
	// can lose its CPU mid-line: 16 lines of a busy program's output
	// have been seen there on a 2-CPU machine.
	maxHeldLines = 64
	// maxPending bounds the other output held back meanwhile.
	maxPending = 64 << 10
	// maxContinuation is the longest line that can hold the rest of a
	// torn gctrace line: a whole gctrace line is under 300 bytes.
	maxContinuation = 1 << 10
	// maxRepairStarts is how many of a held line's "gc " a repair
	// tries, from each end: the torn gc line is the first one unless
	// the other output before it says "gc ", and the last one unless
	// the other output after it does.
	maxRepairStarts = 4
)

// repair tries to complete the held line, which holds "gc " but did not
// parse, with next. The held line is some output, the start of the gc
// line, and other output from a split point k to its end; next is other
// output that did not end with a newline, if any, from its start to a
// point j, and then the rest of the gc line. The runtime writes the line
// in pieces (each number, each piece of text between numbers), so k is
// the end of a piece and j the start of the next; the first k, and for
// it the first j, that make the line parse win, if the cycle's number
// follows the last one read: it may skip only as many cycles as lines
// were given up as torn since. Before any cycle was read, a number found
// in next after other output must be 1 plus the lines given up. Without that check other output that ends
// in digits could stand for a number: "18" + "app: step 167" + " @0.2s"
// would read as cycle 167, with "18app: step " taken for other output.
func (r *GCTraceReader) repair(next []byte) bool {
	if len(next) > maxContinuation ||
		!bytes.HasSuffix(next, []byte(" P")) && !bytes.HasSuffix(next, []byte(" P (forced)")) {
		return false
	}
	n := 0
	for range gcStarts(r.held) {
		n++
	}
	i := 0
	for at := range gcStarts(r.held) {
		if i < maxRepairStarts || i >= n-maxRepairStarts {
			if r.repairAt(at, next) {
				return true
			}
		}
		i++
	}
	return false
}

func (r *GCTraceReader) repairAt(at int, next []byte) bool {
	gc := r.held[at:]
	r.head = GCCycle{}
	r.ends = r.ends[:0]
	p := lineParser{s: gc, ends: &r.ends}
	p.run(&r.head, 0)
	for _, e := range r.ends {
		for j := range next {
			if !mayStart(e.tok, next[j]) {
				continue
			}
			r.try = r.head
			q := lineParser{s: next[j:]}
			if q.run(&r.try, e.tok) != "" {
				continue
			}
			c := r.try
			if r.lastN > 0 && (c.N <= r.lastN || c.N > r.lastN+1+r.tornSince) {
				continue
			}
			if r.lastN == 0 && e.tok <= numberPiece && j > 0 && c.N > 1+r.tornSince {
				// A cycle number found after other output in the
				// continuation may be that output's digits; with no
				// cycle read yet, it must be where numbering starts.
				continue
			}
			c.Repaired = true
			r.stats.Repaired++
			held, pending := r.held, r.pending
			r.held, r.pending, r.heldLines = nil, nil, 0
			if at > 0 {
				r.write(held[:at], true)
			}
			r.write(gc[e.off:], true)
			r.write(pending, false)
			r.pending = pending[:0]
			if j > 0 {
				r.write(next[:j], true)
			}
			r.emit(c)
			return true
		}
	}
	return false
}

// flushHeld gives up on the held line, if any.
func (r *GCTraceReader) flushHeld() {
	if r.held == nil {
		return
	}
	r.stats.Torn++
	r.tornSince++
	held, pending := r.held, r.pending
	r.held, r.pending, r.heldLines = nil, nil, 0
	r.write(held, true)
	r.write(pending, false)
	r.pending = pending[:0]
}

func (r *GCTraceReader) emit(c GCCycle) {
	r.cycle = c
	r.lastN, r.tornSince = c.N, 0
	r.stats.Cycles++
}

// write passes output on, ending it with a newline when nl is set.
func (r *GCTraceReader) write(b []byte, nl bool) {
	if r.err != nil {
		return
	}
	if r.held != nil {
		r.pending = append(r.pending, b...)
		if nl {
			r.pending = append(r.pending, '\n')
		}
		return
	}
	if nl {
		r.scratch = append(append(r.scratch[:0], b...), '\n')
		b = r.scratch
	}
	if _, err := r.other.Write(b); err != nil {
		r.setErr(err)
	}
}

func (r *GCTraceReader) setErr(err error) {
	if r.err == nil {
		r.err = err
	}
}
