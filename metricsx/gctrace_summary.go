package metricsx

import (
	"math"
	"slices"
	"time"
)

// GCTraceSummary summarizes the GC cycles of a gctrace.
//
// Rates are computed over pairs of consecutive cycles only: cycle N+1
// following cycle N and starting later. A gap in the numbering (a torn
// line that could not be repaired) or a restart (the output of a second
// Go process, such as a child that inherited GODEBUG) leaves the pair
// out rather than making up the missing cycles.
type GCTraceSummary struct {
	Cycles int // cycles summarized
	Forced int // cycles forced by runtime.GC and friends

	// Breaks counts the places where a cycle does not follow its
	// predecessor: missing cycles, or more than one process.
	Breaks int

	// Elapsed is the time covered by the consecutive pairs, from the
	// end of the first cycle of each pair to the end of the second.
	Elapsed time.Duration

	// CyclesPerSecond is the number of consecutive pairs divided by
	// Elapsed.
	CyclesPerSecond float64

	// Pause quantiles are over individual stop-the-world pauses, two
	// per cycle (sweep termination and mark termination), as
	// runtime/metrics records them in /sched/pauses/total/gc:seconds.
	// Quantiles are nearest-rank: the smallest pause at or above the
	// given fraction of all pauses.
	PauseP50, PauseP99, PauseMax time.Duration
	PauseTotal                   time.Duration

	// GCCPU is the CPU time of all cycles, not counting idle marking
	// (see GCCycle.CPU).
	GCCPU time.Duration

	// CPUShare is the GC's CPU time over the consecutive pairs divided
	// by the CPU capacity in that time (Elapsed times GOMAXPROCS), from
	// 0 to 1. RuntimeCPUPercent is the runtime's own figure, the last
	// cycle's "U%": the share since program start, idle marking
	// included.
	CPUShare          float64
	RuntimeCPUPercent int

	// AllocBytesPerSecond estimates the allocation rate over the
	// consecutive pairs: what the heap grew by between the end of one
	// cycle and the start of the next, plus what it grew by during the
	// next cycle's marking (nothing is freed then). The heap sizes are
	// truncated MiB and count whole spans handed to Ps, so the estimate
	// is good to about a MiB per cycle: use it for programs that
	// allocate well over that between cycles.
	AllocBytesPerSecond float64

	PeakHeapMB uint64 // largest heap at the end of marking
	MaxProcs   int    // largest GOMAXPROCS seen
}

// SummarizeGCTrace summarizes cycles, in the order they were printed.
func SummarizeGCTrace(cycles []GCCycle) GCTraceSummary {
	var s GCTraceSummary
	if len(cycles) == 0 {
		return s
	}
	s.Cycles = len(cycles)
	pauses := make([]time.Duration, 0, 2*len(cycles))
	var pairs int
	var capacity float64 // CPU-seconds available over the pairs
	var pairCPU time.Duration
	var allocMB uint64
	for i := range cycles {
		c := &cycles[i]
		if c.Forced {
			s.Forced++
		}
		pauses = append(pauses, c.SweepTermClock, c.MarkTermClock)
		s.PauseTotal += c.Pause()
		s.GCCPU += c.CPU()
		s.PeakHeapMB = max(s.PeakHeapMB, c.HeapEndMB)
		s.MaxProcs = max(s.MaxProcs, c.Procs)
		if i == 0 {
			continue
		}
		p := &cycles[i-1]
		if c.N != p.N+1 || c.At <= p.At {
			s.Breaks++
			continue
		}
		dt := c.At + c.Duration() - (p.At + p.Duration())
		if dt <= 0 {
			// Cycle durations are rounded; a pair this close
			// carries no rate information.
			s.Breaks++
			continue
		}
		pairs++
		s.Elapsed += dt
		capacity += dt.Seconds() * float64(max(c.Procs, 1))
		pairCPU += c.CPU()
		allocMB += sat(c.HeapStartMB, p.HeapLiveMB) + sat(c.HeapEndMB, c.HeapStartMB)
	}
	s.RuntimeCPUPercent = cycles[len(cycles)-1].CPUPercent
	slices.Sort(pauses)
	s.PauseP50 = nearestRank(pauses, 0.50)
	s.PauseP99 = nearestRank(pauses, 0.99)
	s.PauseMax = pauses[len(pauses)-1]
	if s.Elapsed > 0 {
		sec := s.Elapsed.Seconds()
		s.CyclesPerSecond = float64(pairs) / sec
		s.AllocBytesPerSecond = float64(allocMB) * (1 << 20) / sec
		s.CPUShare = pairCPU.Seconds() / capacity
	}
	return s
}

// sat returns a-b, or 0 when b > a (truncation to MiB can make a heap
// look smaller than the one it grew from).
func sat(a, b uint64) uint64 {
	if b > a {
		return 0
	}
	return a - b
}

// nearestRank returns the q-quantile of sorted, by the nearest-rank
// method: the smallest value with at least q of the values at or below.
func nearestRank(sorted []time.Duration, q float64) time.Duration {
	n := len(sorted)
	i := int(math.Ceil(q*float64(n))) - 1
	return sorted[min(max(i, 0), n-1)]
}
