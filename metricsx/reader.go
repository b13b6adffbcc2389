package metricsx

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// maxLineLength bounds one JSON Lines record. A Go 1.26 snapshot is about
// 30 KB (eight histograms of 162 buckets dominate); 8 MiB leaves room for
// future runtimes without letting one unterminated line take unbounded
// memory.
const maxLineLength = 8 << 20

// A Reader reads snapshots from JSON Lines, one snapshot per line, as
// written by a [Sampler] or by [Snapshot.AppendJSON] with a newline after
// each. Blank lines are skipped.
//
//	r := metricsx.NewReader(f, "samples.jsonl")
//	for r.Scan() {
//		s := r.Snapshot()
//		...
//	}
//	if err := r.Err(); err != nil {
//		...
//	}
type Reader struct {
	name string
	sc   *bufio.Scanner
	line int64
	snap Snapshot
	err  error
}

// NewReader returns a Reader reading r. The name is used only in error
// messages.
func NewReader(r io.Reader, name string) *Reader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLineLength)
	return &Reader{name: name, sc: sc}
}

// Scan reads the next snapshot, which [Reader.Snapshot] then returns. It
// returns false at the end of the input or at the first error, which
// [Reader.Err] then returns.
func (r *Reader) Scan() bool {
	if r.err != nil {
		return false
	}
	for r.sc.Scan() {
		r.line++
		line := bytes.TrimSpace(r.sc.Bytes())
		if len(line) == 0 {
			continue
		}
		if err := r.snap.UnmarshalJSON(line); err != nil {
			var je *jsonError
			if errors.As(err, &je) {
				r.err = &FormatError{Name: r.name, Line: r.line, Msg: je.msg, Err: je.err}
			} else {
				r.err = &FormatError{Name: r.name, Line: r.line, Msg: "malformed snapshot", Err: err}
			}
			return false
		}
		return true
	}
	if err := r.sc.Err(); err != nil {
		msg := "reading"
		if errors.Is(err, bufio.ErrTooLong) {
			msg = fmt.Sprintf("line longer than %d bytes", maxLineLength)
		}
		r.err = &FormatError{Name: r.name, Line: r.line + 1, Msg: msg, Err: err}
	}
	return false
}

// Snapshot returns the snapshot the last successful Scan read. The Reader
// reuses it: it changes at the next Scan, so CopyFrom or Clone it to keep
// it.
func (r *Reader) Snapshot() *Snapshot { return &r.snap }

// Err returns the first error met, or nil at a clean end of input. A
// malformed line is a [*FormatError] giving its line number.
func (r *Reader) Err() error { return r.err }
