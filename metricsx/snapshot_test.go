package metricsx

import (
	"runtime"
	"runtime/metrics"
	"testing"
)

func TestSnapshotReadsEveryMetric(t *testing.T) {
	s := ReadSnapshot()
	all := metrics.All()
	if s.Len() != len(all) {
		t.Fatalf("Len = %d, metrics.All lists %d", s.Len(), len(all))
	}
	for i, d := range all {
		m := s.At(i)
		if m.Name != d.Name || m.Kind != d.Kind || m.Cumulative != d.Cumulative || m.Description != d.Description {
			t.Errorf("At(%d) = %q kind %v cumulative %v, want %q kind %v cumulative %v", i, m.Name, m.Kind, m.Cumulative, d.Name, d.Kind, d.Cumulative)
		}
		if !s.Has(d.Name) {
			t.Errorf("Has(%q) = false", d.Name)
		}
		if m.Kind == metrics.KindFloat64Histogram && !m.Histogram.valid() {
			t.Errorf("%s: %d counts, %d buckets", d.Name, len(m.Histogram.Counts), len(m.Histogram.Buckets))
		}
	}
	if s.GoVersion() != runtime.Version() {
		t.Errorf("GoVersion = %q, want %q", s.GoVersion(), runtime.Version())
	}
}

// TestSnapshotAgreesWithMetricsRead uses metrics.Read itself as the oracle
// for a metric that cannot change between the two reads.
func TestSnapshotAgreesWithMetricsRead(t *testing.T) {
	samples := []metrics.Sample{{Name: "/sched/gomaxprocs:threads"}, {Name: "/gc/gogc:percent"}}
	metrics.Read(samples)
	s := ReadSnapshot()
	for _, want := range samples {
		got, ok := s.Uint64(want.Name)
		if !ok || got != want.Value.Uint64() {
			t.Errorf("Uint64(%q) = %d, %v; metrics.Read says %d", want.Name, got, ok, want.Value.Uint64())
		}
	}
}

func TestSnapshotAccessorsCheckKind(t *testing.T) {
	s := ReadSnapshot()
	if _, ok := s.Float64("/gc/heap/allocs:bytes"); ok {
		t.Error("Float64 of a uint64 metric succeeded")
	}
	if _, ok := s.Uint64("/cpu/classes/total:cpu-seconds"); ok {
		t.Error("Uint64 of a float64 metric succeeded")
	}
	if _, ok := s.Histogram("/gc/heap/allocs:bytes"); ok {
		t.Error("Histogram of a uint64 metric succeeded")
	}
	if _, ok := s.Value("/sched/latencies:seconds"); ok {
		t.Error("Value of a histogram succeeded")
	}
	if v, ok := s.Value("/cpu/classes/total:cpu-seconds"); !ok || v < 0 {
		t.Errorf("Value(/cpu/classes/total:cpu-seconds) = %v, %v", v, ok)
	}
	for _, name := range []string{"", "/no/such:metric", "/gc/heap/allocs"} {
		if s.Has(name) {
			t.Errorf("Has(%q) = true", name)
		}
	}
}

// TestZeroSnapshot checks that an unread snapshot answers every question
// without panicking.
func TestZeroSnapshot(t *testing.T) {
	var s Snapshot
	if s.Len() != 0 || s.Has("/gc/heap/allocs:bytes") {
		t.Error("zero snapshot is not empty")
	}
	_, _ = s.Uint64("/gc/heap/allocs:bytes")
	_, _ = s.Float64("/gc/heap/allocs:bytes")
	_, _ = s.Value("/gc/heap/allocs:bytes")
	_, _ = s.Histogram("/gc/heap/allocs:bytes")
	_, _ = s.Lookup("/gc/heap/allocs:bytes")
	_ = s.At(0)
	_ = s.At(-1)
	_ = s.Names()
	c := s.Clone()
	if c.Len() != 0 {
		t.Error("clone of zero snapshot is not empty")
	}
}

func TestAliases(t *testing.T) {
	tests := []struct {
		name  string
		have  string // the only one of the pair the runtime lists
		asked string
	}{
		{"old name on a new runtime", "/sched/pauses/total/gc:seconds", "/gc/pauses:seconds"},
		{"new name on an old runtime", "/gc/pauses:seconds", "/sched/pauses/total/gc:seconds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := newMetricSet([]desc{
				{name: "/gc/heap/allocs:bytes", kind: metrics.KindUint64, cumulative: true},
				{name: tt.have, kind: metrics.KindFloat64Histogram, cumulative: true},
			})
			s := &Snapshot{set: set, vals: make([]uint64, 2), hists: []Histogram{{}, {Counts: []uint64{1}, Buckets: []float64{0, 1}}}}
			m, ok := s.Lookup(tt.asked)
			if !ok || m.Name != tt.have {
				t.Fatalf("Lookup(%q) = %q, %v; want %q", tt.asked, m.Name, ok, tt.have)
			}
			if h, ok := s.Histogram(tt.asked); !ok || h.Count() != 1 {
				t.Errorf("Histogram(%q) = %v, %v", tt.asked, h, ok)
			}
		})
	}
	// Go 1.26 has both names: each must find itself.
	s := ReadSnapshot()
	for _, name := range aliases[0] {
		if m, ok := s.Lookup(name); ok && m.Name != name {
			t.Errorf("Lookup(%q) found %q although the runtime has %q", name, m.Name, name)
		}
	}
}

func TestSnapshotCopyFromIsDeep(t *testing.T) {
	var a Snapshot
	a.Read()
	b := a.Clone()
	before, _ := b.Histogram("/gc/heap/allocs-by-size:bytes")
	before = before.Clone()
	sink := make([][]byte, 0, 1000)
	for range 1000 {
		sink = append(sink, make([]byte, 64))
	}
	_ = sink
	a.Read()
	after, _ := b.Histogram("/gc/heap/allocs-by-size:bytes")
	for i := range before.Counts {
		if before.Counts[i] != after.Counts[i] {
			t.Fatalf("reading a changed its clone's bucket %d: %d -> %d", i, before.Counts[i], after.Counts[i])
		}
	}
	// b was copied from a live snapshot and can read again.
	b.Read()
	if now, _ := b.Histogram("/gc/heap/allocs-by-size:bytes"); now.Count() <= before.Count() {
		t.Errorf("allocations by size did not grow after 1000 allocations: %d -> %d", before.Count(), now.Count())
	}
}

func TestSnapshotReadAllocatesNothing(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage counters allocate")
	}
	var s Snapshot
	s.Read()
	if n := testing.AllocsPerRun(100, s.Read); n != 0 {
		t.Errorf("Read allocates %v times per call", n)
	}
	var prev Snapshot
	prev.CopyFrom(&s)
	var w Window
	s.Read()
	n := testing.AllocsPerRun(100, func() {
		prev.CopyFrom(&s)
		s.Read()
		if err := w.Set(&prev, &s); err == nil {
			_ = w.Summary()
		}
	})
	if n != 0 {
		t.Errorf("CopyFrom, Read and a window's Summary allocate %v times", n)
	}
}
