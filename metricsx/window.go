package metricsx

import (
	"fmt"
	"math"
	"runtime/metrics"
	"time"
)

// A Window is what happened between two snapshots of the same process:
// counters as deltas and rates, and cumulative histograms as the
// histograms of the window alone.
//
// The zero Window is ready for [Window.Set]. A Window refers to its two
// snapshots, so they must not change while it is in use; it keeps scratch
// storage so that, reused, it allocates nothing.
type Window struct {
	from, to *Snapshot
	scratch  Histogram
}

// Set makes w the window from an earlier snapshot to a later one. It
// returns an error wrapping [ErrReset], and w is then empty, if to is not
// later than from or any cumulative scalar metric the two share is lower
// in to than in from: a window that goes backwards is dropped rather than
// reported as negative rates. Histograms are checked when they are asked
// for.
func (w *Window) Set(from, to *Snapshot) error {
	w.from, w.to = nil, nil
	if from == nil || to == nil {
		return fmt.Errorf("window of a nil snapshot: %w", ErrNoMetric)
	}
	if !to.time.After(from.time) {
		return fmt.Errorf("window from %v to %v: %w", from.time, to.time, ErrReset)
	}
	same := from.set == to.set
	for i := range to.Len() {
		d := &to.set.descs[i]
		if !d.cumulative || d.kind == metrics.KindFloat64Histogram {
			continue
		}
		j := i
		if !same {
			var ok bool
			if j, ok = from.set.lookup(d.name); !ok || from.set.descs[j].kind != d.kind {
				continue
			}
		}
		if backwards(d.kind, from.vals[j], to.vals[i]) {
			return fmt.Errorf("window from %v to %v: %s decreased: %w", from.time, to.time, d.name, ErrReset)
		}
	}
	w.from, w.to = from, to
	return nil
}

// backwards reports whether a cumulative value of kind went down.
func backwards(kind metrics.ValueKind, from, to uint64) bool {
	if kind == metrics.KindFloat64 {
		f, t := math.Float64frombits(from), math.Float64frombits(to)
		return t < f
	}
	return to < from
}

// From returns the window's earlier snapshot, or nil if w is empty.
func (w *Window) From() *Snapshot { return w.from }

// To returns the window's later snapshot, or nil if w is empty.
func (w *Window) To() *Snapshot { return w.to }

// Duration returns the time between the window's snapshots, or 0 if w is
// empty.
func (w *Window) Duration() time.Duration {
	if w.to == nil {
		return 0
	}
	return w.to.time.Sub(w.from.time)
}

// Delta returns how much the scalar metric name changed in the window, and
// whether both snapshots hold it.
func (w *Window) Delta(name string) (float64, bool) {
	if w.to == nil {
		return 0, false
	}
	a, ok1 := w.from.Value(name)
	b, ok2 := w.to.Value(name)
	if !ok1 || !ok2 {
		return 0, false
	}
	if m, _ := w.to.Lookup(name); m.Kind == metrics.KindUint64 {
		// Subtract as integers: counters such as allocated bytes exceed
		// float64's 53-bit mantissa in long-lived processes.
		x, _ := w.from.Uint64(name)
		y, _ := w.to.Uint64(name)
		if y < x {
			return 0, false
		}
		return float64(y - x), true
	}
	return b - a, true
}

// Rate returns the change of the scalar metric name per second of the
// window, and whether both snapshots hold it. For the /cpu/classes metrics
// the rate is in CPUs: cpu-seconds per second.
func (w *Window) Rate(name string) (float64, bool) {
	d, ok := w.Delta(name)
	secs := w.Duration().Seconds()
	if !ok || secs <= 0 {
		return 0, false
	}
	return d / secs, true
}

// Histogram sets dst to the histogram of the values the histogram metric
// name recorded in the window. It returns an error wrapping [ErrNoMetric]
// if either snapshot lacks the metric, and the errors of [Histogram.Sub].
func (w *Window) Histogram(name string, dst *Histogram) error {
	if w.to == nil {
		return fmt.Errorf("%s in an empty window: %w", name, ErrNoMetric)
	}
	a, ok1 := w.from.Histogram(name)
	b, ok2 := w.to.Histogram(name)
	if !ok1 || !ok2 {
		return fmt.Errorf("%s: %w", name, ErrNoMetric)
	}
	if err := dst.Sub(b, a); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// Distribution summarizes a histogram of times in seconds. With Count
// zero, the quantiles and Max are zero.
type Distribution struct {
	Count uint64  `json:"count"`
	P50   float64 `json:"p50"` // median, seconds
	P99   float64 `json:"p99"` // 99th percentile, seconds
	Max   float64 `json:"max"` // upper bound of the largest value, seconds
}

// Distribution summarizes the histogram metric name over the window: zero
// when the window has no values or either snapshot lacks the metric, with
// the error from [Window.Histogram].
func (w *Window) Distribution(name string) (Distribution, error) {
	if err := w.Histogram(name, &w.scratch); err != nil {
		return Distribution{}, err
	}
	return distributionOf(w.scratch), nil
}

func distributionOf(h Histogram) Distribution {
	d := Distribution{Count: h.Count()}
	if d.Count == 0 {
		return d
	}
	d.P50, d.P99, d.Max = h.Quantile(0.5), h.Quantile(0.99), h.Max()
	return d
}

// Names of the metrics a Summary uses.
const (
	nameGCPauses     = "/sched/pauses/total/gc:seconds" // or its alias /gc/pauses:seconds
	nameSchedLatency = "/sched/latencies:seconds"
	nameAllocBytes   = "/gc/heap/allocs:bytes"
	nameAllocObjects = "/gc/heap/allocs:objects"
	nameGCCycles     = "/gc/cycles/total:gc-cycles"
	nameGCCPU        = "/cpu/classes/gc/total:cpu-seconds"
	nameTotalCPU     = "/cpu/classes/total:cpu-seconds"
	nameHeapObjects  = "/memory/classes/heap/objects:bytes"
	nameHeapLive     = "/gc/heap/live:bytes"
	nameHeapGoal     = "/gc/heap/goal:bytes"
	nameGoroutines   = "/sched/goroutines:goroutines"
	nameTotalMemory  = "/memory/classes/total:bytes"
)

// A Summary is the headline numbers of a window: what a dashboard plots.
// Metrics a runtime lacks are zero.
type Summary struct {
	Time    time.Time `json:"time"`    // the window's end
	Seconds float64   `json:"seconds"` // the window's length

	HeapBytes     uint64 `json:"heap_bytes"`      // heap memory occupied by objects, live or not yet swept (/memory/classes/heap/objects:bytes)
	HeapLiveBytes uint64 `json:"heap_live_bytes"` // heap marked live by the last GC (/gc/heap/live:bytes)
	HeapGoalBytes uint64 `json:"heap_goal_bytes"` // heap size at which the next GC ends (/gc/heap/goal:bytes)
	TotalBytes    uint64 `json:"total_bytes"`     // all memory mapped by the runtime (/memory/classes/total:bytes)
	Goroutines    uint64 `json:"goroutines"`

	AllocBytesPerSec   float64 `json:"alloc_bytes_per_sec"`
	AllocObjectsPerSec float64 `json:"alloc_objects_per_sec"`
	GCCyclesPerSec     float64 `json:"gc_cycles_per_sec"`
	GCCPUFraction      float64 `json:"gc_cpu_fraction"` // GC's share of the CPU time available to the process, from /cpu/classes

	GCPauses     Distribution `json:"gc_pauses"`     // stop-the-world pauses for GC; two per cycle
	SchedLatency Distribution `json:"sched_latency"` // time goroutines waited runnable before running
}

// Summary returns the headline numbers of the window. Histograms that went
// backwards, or that a snapshot lacks, give zero distributions.
func (w *Window) Summary() Summary {
	var s Summary
	if w.to == nil {
		return s
	}
	s.Time = w.to.time
	s.Seconds = w.Duration().Seconds()
	s.HeapBytes, _ = w.to.Uint64(nameHeapObjects)
	s.HeapLiveBytes, _ = w.to.Uint64(nameHeapLive)
	s.HeapGoalBytes, _ = w.to.Uint64(nameHeapGoal)
	s.TotalBytes, _ = w.to.Uint64(nameTotalMemory)
	s.Goroutines, _ = w.to.Uint64(nameGoroutines)
	s.AllocBytesPerSec, _ = w.Rate(nameAllocBytes)
	s.AllocObjectsPerSec, _ = w.Rate(nameAllocObjects)
	s.GCCyclesPerSec, _ = w.Rate(nameGCCycles)
	if gc, ok := w.Delta(nameGCCPU); ok {
		if total, ok := w.Delta(nameTotalCPU); ok && total > 0 {
			s.GCCPUFraction = gc / total
		}
	}
	s.GCPauses, _ = w.Distribution(nameGCPauses)
	s.SchedLatency, _ = w.Distribution(nameSchedLatency)
	return s
}
