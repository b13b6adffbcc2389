package metricsx

// GC trace lines: what GODEBUG=gctrace=1 makes the runtime print.
//
// The format is documented in runtime/extern.go and printed by gcMarkTermination
// in runtime/mgc.go. From Go 1.18 (which added stacks and globals) through
// Go 1.27 every cycle prints one line:
//
//	gc N @S.SSSs U%: A+B+C ms clock, D+E/F/G+H ms cpu, H0->H1->H2 MB, GOAL MB goal, ST MB stacks, GL MB globals, P P
//
// optionally followed by " (forced)"; since Go 1.26 " (checking for goroutine
// leaks)" may follow "U%" on the cycle that the goroutineleak profile (behind
// GOEXPERIMENT=goroutineleakprofile) runs. The runtime prints each piece of
// the line with its own write(2) under printlock, which orders the runtime's
// own output but not the program's: another goroutine's write to the same
// standard error can land between two pieces and tear the line in two.
// Numbers are never split (each is one write), which is what makes repairing
// a torn line unambiguous; see [GCTraceReader].

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// GCCycle is one garbage collection cycle as printed by GODEBUG=gctrace=1.
//
// Durations are exact: the runtime prints the clock and CPU phases in
// milliseconds with at most three decimals (microseconds), and the start
// time in seconds with three decimals (milliseconds). Sizes are in MiB
// (2^20 bytes), truncated by the runtime (it prints bytes>>20), so a heap
// of 1.9 MiB reads as 1.
type GCCycle struct {
	N          uint64        // cycle number, from 1 at program start
	At         time.Duration // start of the cycle, since program start
	CPUPercent int           // percentage of CPU time spent in GC since program start
	Forced     bool          // forced by runtime.GC (or debug.FreeOSMemory, or a leak check)
	LeakCheck  bool          // the cycle checked for goroutine leaks (Go 1.26+)

	// Wall-clock phases. SweepTermClock and MarkTermClock are
	// stop-the-world pauses; MarkClock is concurrent.
	SweepTermClock, MarkClock, MarkTermClock time.Duration

	// CPU time per phase: the stop-the-world phases (wall time times
	// the number of Ps stopped), and marking split into assists
	// (allocating goroutines), background workers (dedicated and
	// fractional) and idle Ps.
	SweepTermCPU, AssistCPU, BackgroundCPU, IdleCPU, MarkTermCPU time.Duration

	HeapStartMB uint64 // heap in use at the start of the cycle
	HeapEndMB   uint64 // heap in use at the end of marking
	HeapLiveMB  uint64 // heap marked live (runtime/metrics /gc/scan/heap:bytes)
	HeapGoalMB  uint64 // heap goal (/gc/heap/goal:bytes)
	StacksMB    uint64 // scannable stacks (/gc/scan/stack:bytes)
	GlobalsMB   uint64 // scannable globals (/gc/scan/globals:bytes)
	Procs       int    // GOMAXPROCS during the cycle (/sched/gomaxprocs:threads)

	// Repaired reports that the line was torn by other output and put
	// back together by GCTraceReader.
	Repaired bool
}

// Pause returns the cycle's total stop-the-world wall time: sweep
// termination plus mark termination.
func (c *GCCycle) Pause() time.Duration { return c.SweepTermClock + c.MarkTermClock }

// CPU returns the CPU time the cycle cost the program: the stop-the-world
// phases, assists and background marking. Idle marking is left out: it
// runs only on Ps that had nothing else to do, which is also how
// runtime/metrics separates /cpu/classes/gc/mark/idle:cpu-seconds.
func (c *GCCycle) CPU() time.Duration {
	return c.SweepTermCPU + c.AssistCPU + c.BackgroundCPU + c.MarkTermCPU
}

// Duration returns the cycle's wall time, from sweep termination to the
// end of mark termination.
func (c *GCCycle) Duration() time.Duration {
	return c.SweepTermClock + c.MarkClock + c.MarkTermClock
}

// ErrNotGCTrace is returned by ParseGCTraceLine for a line that does not
// begin with "gc " and a cycle number.
var ErrNotGCTrace = errors.New("not a gctrace line")

// GCTraceSyntaxError describes a gctrace line that begins like one but
// does not follow the format.
type GCTraceSyntaxError struct {
	Offset int    // byte offset in the line where parsing stopped
	Msg    string // what was expected there
}

func (e *GCTraceSyntaxError) Error() string {
	return fmt.Sprintf("gctrace: offset %d: %s", e.Offset, e.Msg)
}

// ParseGCTraceLine parses one gctrace line, without its newline. It
// returns an error wrapping ErrNotGCTrace when the line does not start
// with "gc " and a number, and a *GCTraceSyntaxError when it starts like a
// gctrace line but stops following the format.
func ParseGCTraceLine(line []byte) (GCCycle, error) {
	c, _, err := parseGCTrace(line)
	return c, err
}

// parseGCTrace is ParseGCTraceLine, also returning how far the parse got:
// the index in pieces of the piece that did not parse.
func parseGCTrace(line []byte) (GCCycle, int, error) {
	var c GCCycle
	p := lineParser{s: line}
	if want := p.run(&c, 0); want != "" {
		if p.tok < 2 {
			return c, p.tok, ErrNotGCTrace
		}
		return c, p.tok, &GCTraceSyntaxError{Offset: p.i, Msg: "want " + want}
	}
	return c, p.tok, nil
}

// A piece is one write of the runtime's print call in gcMarkTermination:
// the line is printed one argument at a time, so other output can only
// land between pieces. The table lists them in order.
type piece struct {
	lit  string                 // text, or "" for a number
	opt  bool                   // the text may be missing
	flag func(*GCCycle) *bool   // set to whether an optional text was there
	num  func(*GCCycle, uint64) // stores a whole number
	dur  func(*GCCycle, time.Duration)
	unit time.Duration // for dur: the unit printed
	max  uint64        // bound on the number or on the whole units
	what string        // for errors
}

// mayStart reports whether b can be the first byte of the line's rest
// from piece tok on.
func mayStart(tok int, b byte) bool {
	for ; tok < len(pieces); tok++ {
		pc := &pieces[tok]
		if pc.lit == "" {
			return b >= '0' && b <= '9'
		}
		if b == pc.lit[0] {
			return true
		}
		if !pc.opt {
			return false
		}
	}
	return false
}

func lit(s string) piece { return piece{lit: s, what: strconv.Quote(s)} }

func msPiece(what string, set func(*GCCycle, time.Duration)) piece {
	return piece{dur: set, unit: time.Millisecond, max: maxPhaseMS, what: what + " milliseconds"}
}

func mbPiece(what string, set func(*GCCycle, uint64)) piece {
	return piece{num: set, max: 1<<64 - 1, what: what}
}

// numberPiece is the index in pieces of the cycle number.
const numberPiece = 1

var pieces = []piece{
	lit("gc "),
	{num: func(c *GCCycle, v uint64) { c.N = v }, max: 1<<64 - 1, what: "cycle number"},
	lit(" @"),
	{dur: func(c *GCCycle, d time.Duration) { c.At = d }, unit: time.Second, max: maxAtSeconds, what: "start time in seconds"},
	lit("s "),
	{num: func(c *GCCycle, v uint64) { c.CPUPercent = int(v) }, max: 1 << 20, what: "CPU percentage"},
	lit("%"),
	{lit: " (checking for goroutine leaks)", opt: true, flag: func(c *GCCycle) *bool { return &c.LeakCheck }},
	lit(": "),
	msPiece("clock", func(c *GCCycle, d time.Duration) { c.SweepTermClock = d }),
	lit("+"),
	msPiece("clock", func(c *GCCycle, d time.Duration) { c.MarkClock = d }),
	lit("+"),
	msPiece("clock", func(c *GCCycle, d time.Duration) { c.MarkTermClock = d }),
	lit(" ms clock, "),
	msPiece("CPU", func(c *GCCycle, d time.Duration) { c.SweepTermCPU = d }),
	lit("+"),
	msPiece("CPU", func(c *GCCycle, d time.Duration) { c.AssistCPU = d }),
	lit("/"),
	msPiece("CPU", func(c *GCCycle, d time.Duration) { c.BackgroundCPU = d }),
	lit("/"),
	msPiece("CPU", func(c *GCCycle, d time.Duration) { c.IdleCPU = d }),
	lit("+"),
	msPiece("CPU", func(c *GCCycle, d time.Duration) { c.MarkTermCPU = d }),
	lit(" ms cpu, "),
	mbPiece("heap MB", func(c *GCCycle, v uint64) { c.HeapStartMB = v }),
	lit("->"),
	mbPiece("heap MB", func(c *GCCycle, v uint64) { c.HeapEndMB = v }),
	lit("->"),
	mbPiece("heap MB", func(c *GCCycle, v uint64) { c.HeapLiveMB = v }),
	lit(" MB, "),
	mbPiece("goal MB", func(c *GCCycle, v uint64) { c.HeapGoalMB = v }),
	lit(" MB goal, "),
	mbPiece("stacks MB", func(c *GCCycle, v uint64) { c.StacksMB = v }),
	lit(" MB stacks, "),
	mbPiece("globals MB", func(c *GCCycle, v uint64) { c.GlobalsMB = v }),
	lit(" MB globals, "),
	{num: func(c *GCCycle, v uint64) { c.Procs = int(v) }, max: 1 << 20, what: "GOMAXPROCS"},
	lit(" P"),
	{lit: " (forced)", opt: true, flag: func(c *GCCycle) *bool { return &c.Forced }},
}

// Bounds on the times accepted, far above anything real and low enough
// that sums over a cycle's phases cannot overflow a time.Duration.
const (
	maxAtSeconds = 1e9 // about 31 years since program start
	maxPhaseMS   = 1e9 // about 11.6 days for one phase
)

// lineParser is a cursor over one line, and over the pieces table.
type lineParser struct {
	s   []byte
	i   int // offset in s
	tok int // index in pieces

	// ends, when not nil, receives the offset and piece index after
	// each piece consumed: the places where a torn line may have been
	// torn.
	ends *[]pieceEnd
}

type pieceEnd struct{ off, tok int }

// run parses the pieces from tok on into c, to the end of the line. It
// returns "", or what it wanted where it stopped (at p.i and p.tok): a
// string, not an error, because a repair calls run many times and most
// calls fail.
func (p *lineParser) run(c *GCCycle, tok int) string {
	for p.tok = tok; p.tok < len(pieces); p.tok++ {
		pc := &pieces[p.tok]
		switch {
		case pc.opt:
			ok := p.lit(pc.lit)
			*pc.flag(c) = ok
			if !ok {
				continue
			}
		case pc.lit != "":
			if !p.lit(pc.lit) {
				return pc.what
			}
		case pc.num != nil:
			v, ok := p.digits()
			if !ok || v > pc.max {
				return pc.what
			}
			pc.num(c, v)
		default:
			d, ok := p.fixed(3, pc.unit, pc.max)
			if !ok {
				return pc.what
			}
			pc.dur(c, d)
		}
		if p.ends != nil {
			*p.ends = append(*p.ends, pieceEnd{p.i, p.tok + 1})
		}
	}
	if p.i != len(p.s) {
		return "end of line"
	}
	return ""
}

// lit consumes s if the line continues with it.
func (p *lineParser) lit(s string) bool {
	if len(p.s)-p.i < len(s) || string(p.s[p.i:p.i+len(s)]) != s {
		return false
	}
	p.i += len(s)
	return true
}

// digits consumes a decimal number of at most 19 digits (which always
// fits in a uint64, so no overflow check is needed).
func (p *lineParser) digits() (uint64, bool) {
	start := p.i
	var v uint64
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		if p.i-start == 19 {
			return 0, false
		}
		v = v*10 + uint64(p.s[p.i]-'0')
		p.i++
	}
	return v, p.i > start
}

// fixed consumes a decimal below maxWhole with at most maxDec fractional
// digits, in unit, as the runtime's itoaDiv prints it (fmtNSAsMS prints
// whole milliseconds from 10 ms on, else two significant digits with at
// most three decimals).
func (p *lineParser) fixed(maxDec int, unit time.Duration, maxWhole uint64) (time.Duration, bool) {
	whole, ok := p.digits()
	if !ok || whole >= maxWhole {
		return 0, false
	}
	d := time.Duration(whole) * unit
	if p.i < len(p.s) && p.s[p.i] == '.' {
		p.i++
		start := p.i
		scale := unit
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			if p.i-start == maxDec {
				return 0, false
			}
			scale /= 10
			d += time.Duration(p.s[p.i]-'0') * scale
			p.i++
		}
		if p.i == start {
			return 0, false
		}
	}
	return d, true
}
