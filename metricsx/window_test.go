package metricsx

import (
	"errors"
	"math"
	"runtime"
	"runtime/metrics"
	"testing"
	"time"
)

// fakeSnapshot builds a decoded-style snapshot with one counter, one
// float counter and one GC pause histogram.
func fakeSnapshot(at time.Time, allocs uint64, cpu float64, pauses ...uint64) *Snapshot {
	set := newMetricSet([]desc{
		{name: nameAllocBytes, kind: metrics.KindUint64, cumulative: true},
		{name: nameTotalCPU, kind: metrics.KindFloat64, cumulative: true},
		{name: nameGCPauses, kind: metrics.KindFloat64Histogram, cumulative: true},
		{name: nameHeapObjects, kind: metrics.KindUint64},
	})
	s := &Snapshot{time: at, set: set, vals: make([]uint64, 4), hists: make([]Histogram, 4)}
	s.vals[0] = allocs
	s.vals[1] = mathFloat64bits(cpu)
	s.vals[3] = 1 << 20
	s.hists[2] = Histogram{Counts: pauses, Buckets: []float64{-inf, 0, 1e-6, 1e-5, 1e-4, inf}}
	return s
}

func TestWindowRates(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a := fakeSnapshot(t0, 1000, 1.5, 0, 0, 2, 0, 0)
	b := fakeSnapshot(t0.Add(2*time.Second), 5000, 2.5, 0, 0, 4, 2, 0)
	var w Window
	if err := w.Set(a, b); err != nil {
		t.Fatal(err)
	}
	if r, ok := w.Rate(nameAllocBytes); !ok || r != 2000 {
		t.Errorf("alloc rate = %v, %v; want 2000", r, ok)
	}
	if r, ok := w.Rate(nameTotalCPU); !ok || r != 0.5 {
		t.Errorf("CPU rate = %v, %v; want 0.5", r, ok)
	}
	if _, ok := w.Rate("/no/such:metric"); ok {
		t.Error("rate of a missing metric")
	}
	s := w.Summary()
	if s.GCPauses.Count != 4 || s.GCPauses.Max != 1e-4 || s.HeapBytes != 1<<20 || s.Seconds != 2 {
		t.Errorf("Summary = %+v", s)
	}
	// The old name finds the pauses too.
	var h Histogram
	if err := w.Histogram("/gc/pauses:seconds", &h); err != nil || h.Count() != 4 {
		t.Errorf("windowed /gc/pauses:seconds: %v, count %d", err, h.Count())
	}
}

func TestWindowGoingBackwardsIsDropped(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		from, to *Snapshot
	}{
		{"counter decreased (process restarted)", fakeSnapshot(t0, 5000, 1, 0, 0, 0, 0, 0), fakeSnapshot(t0.Add(time.Second), 10, 2, 0, 0, 0, 0, 0)},
		{"float counter decreased", fakeSnapshot(t0, 1, 2, 0, 0, 0, 0, 0), fakeSnapshot(t0.Add(time.Second), 1, 1, 0, 0, 0, 0, 0)},
		{"time went backwards", fakeSnapshot(t0, 1, 1, 0, 0, 0, 0, 0), fakeSnapshot(t0.Add(-time.Second), 2, 2, 0, 0, 0, 0, 0)},
		{"same time", fakeSnapshot(t0, 1, 1, 0, 0, 0, 0, 0), fakeSnapshot(t0, 2, 2, 0, 0, 0, 0, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w Window
			if err := w.Set(tt.from, tt.to); !errors.Is(err, ErrReset) {
				t.Fatalf("Set = %v, want ErrReset", err)
			}
			if w.Duration() != 0 || w.Summary() != (Summary{}) {
				t.Error("a dropped window is not empty")
			}
		})
	}
	// A histogram that went backwards gives no distribution.
	var w Window
	if err := w.Set(fakeSnapshot(t0, 1, 1, 0, 5, 0, 0, 0), fakeSnapshot(t0.Add(time.Second), 2, 2, 0, 1, 0, 0, 0)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Distribution(nameGCPauses); !errors.Is(err, ErrReset) {
		t.Errorf("Distribution of a histogram that went backwards: %v", err)
	}
	if w.Summary().GCPauses != (Distribution{}) {
		t.Error("Summary reports pauses of a histogram that went backwards")
	}
}

// TestWindowSeesGC checks a window of this process around forced GCs
// against what runtime.GC must have done.
func TestWindowSeesGC(t *testing.T) {
	var a, b Snapshot
	a.Read()
	const cycles = 3
	for range cycles {
		runtime.GC()
	}
	b.Read()
	var w Window
	if err := w.Set(&a, &b); err != nil {
		t.Fatal(err)
	}
	if d, ok := w.Delta("/gc/cycles/forced:gc-cycles"); !ok || d < cycles {
		t.Errorf("forced GC cycles in window = %v, %v; want >= %d", d, ok, cycles)
	}
	s := w.Summary()
	// Each cycle stops the world twice (FACTS.md; runtime/mgc.go).
	if s.GCPauses.Count < 2*cycles || s.GCPauses.P99 <= 0 || s.GCPauses.Max < s.GCPauses.P99 || s.GCPauses.P50 > s.GCPauses.P99 {
		t.Errorf("GC pauses = %+v, want >= %d pauses with 0 < p50 <= p99 <= max", s.GCPauses, 2*cycles)
	}
	if s.GCCyclesPerSec <= 0 || s.AllocBytesPerSec < 0 {
		t.Errorf("Summary = %+v", s)
	}
}

func mathFloat64bits(f float64) uint64 { return math.Float64bits(f) }
