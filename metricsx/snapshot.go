package metricsx

import (
	"math"
	"runtime"
	"runtime/metrics"
	"slices"
	"time"
)

// A Snapshot holds the value of every runtime metric at one moment: those
// of this process, read by [Snapshot.Read], or of another process, decoded
// by a [Reader] from JSON Lines.
//
// A Snapshot owns its storage and reuses it: after the first Read, Read
// allocates nothing, and costs little more than one metrics.Read of every
// metric. Accessors find a metric by name or by an alias of that name in
// another Go version (see [Snapshot.Has]); histograms they return share the
// snapshot's storage until its next Read or CopyFrom.
//
// The zero Snapshot is empty and ready to use. A Snapshot is not safe for
// concurrent use while it is being read into; concurrent accessors alone
// are safe.
type Snapshot struct {
	time      time.Time
	goVersion string
	goos      string
	goarch    string
	set       *metricSet
	samples   []metrics.Sample // for Read; nil in decoded snapshots
	vals      []uint64         // by position: a uint64, or a float64's bits
	hists     []Histogram      // by position; zero for scalars
}

// A Metric is one metric of a snapshot.
type Metric struct {
	Name        string            // the runtime/metrics name, such as "/gc/heap/allocs:bytes"
	Kind        metrics.ValueKind // KindUint64, KindFloat64 or KindFloat64Histogram
	Cumulative  bool              // whether the value only grows while the process lives
	Description string            // the runtime's description; empty in decoded snapshots

	Uint64    uint64    // the value when Kind is KindUint64
	Float64   float64   // the value when Kind is KindFloat64
	Histogram Histogram // the value when Kind is KindFloat64Histogram; shares the snapshot's storage
}

// Value returns a scalar metric's value as a float64, converting a uint64,
// and the histogram's count for a histogram.
func (m Metric) Value() float64 {
	switch m.Kind {
	case metrics.KindUint64:
		return float64(m.Uint64)
	case metrics.KindFloat64:
		return m.Float64
	case metrics.KindFloat64Histogram:
		return float64(m.Histogram.Count())
	}
	return 0
}

// ReadSnapshot returns a new snapshot of this process's runtime metrics.
func ReadSnapshot() *Snapshot {
	s := new(Snapshot)
	s.Read()
	return s
}

// Read replaces s's contents with the current value of every metric
// metrics.All lists, in the order it lists them. After the first call on
// a snapshot it allocates nothing.
func (s *Snapshot) Read() {
	set := runtimeSet()
	if s.set != set || s.samples == nil {
		s.init(set, true)
	}
	// metrics.Read panics on an empty slice; a runtime with no metrics of
	// the kinds this package knows would give one.
	if len(s.samples) > 0 {
		metrics.Read(s.samples)
	}
	s.time = time.Now()
	s.goVersion, s.goos, s.goarch = runtime.Version(), runtime.GOOS, runtime.GOARCH
	for i := range s.samples {
		v := &s.samples[i].Value
		switch v.Kind() {
		case metrics.KindUint64:
			s.vals[i] = v.Uint64()
		case metrics.KindFloat64:
			s.vals[i] = math.Float64bits(v.Float64())
		case metrics.KindFloat64Histogram:
			// The counts are this snapshot's own: metrics.Read reuses
			// the storage of s.samples, which no other snapshot shares.
			// The buckets are the runtime's, which it never changes.
			h := v.Float64Histogram()
			s.hists[i] = Histogram{Counts: h.Counts, Buckets: h.Buckets}
		default:
			// KindBad: the runtime no longer knows a name it listed.
			s.vals[i] = 0
			s.hists[i] = Histogram{}
		}
	}
}

// init sizes s for set, dropping its previous storage.
func (s *Snapshot) init(set *metricSet, live bool) {
	s.set = set
	n := len(set.descs)
	s.vals = make([]uint64, n)
	s.hists = make([]Histogram, n)
	s.samples = nil
	if live {
		s.samples = make([]metrics.Sample, n)
		for i, d := range set.descs {
			s.samples[i].Name = d.name
		}
	}
}

// Time returns when s was read: the time after metrics.Read returned, or
// the time recorded in the JSON it was decoded from. Times of snapshots
// read in this process carry a monotonic clock reading.
func (s *Snapshot) Time() time.Time { return s.time }

// GoVersion returns the Go version of the runtime s was read from, as
// runtime.Version reports it, or "" if unknown.
func (s *Snapshot) GoVersion() string { return s.goVersion }

// GOOS returns the operating system of the process s was read from, as
// runtime.GOOS names it, or "" if unknown.
func (s *Snapshot) GOOS() string { return s.goos }

// GOARCH returns the architecture the process s was read from was built
// for, as runtime.GOARCH names it, or "" if unknown. A GOARCH of "amd64"
// with a GOOS of "darwin" on an Apple Silicon Mac runs translated.
func (s *Snapshot) GOARCH() string { return s.goarch }

// Len returns the number of metrics in s.
func (s *Snapshot) Len() int {
	if s.set == nil {
		return 0
	}
	return len(s.set.descs)
}

// At returns the i'th metric of s, for 0 <= i < s.Len(). Metrics are in
// the order metrics.All listed them (for decoded snapshots, in the order of
// the input). At returns the zero Metric for i out of range.
func (s *Snapshot) At(i int) Metric {
	if i < 0 || i >= s.Len() {
		return Metric{}
	}
	d := &s.set.descs[i]
	m := Metric{Name: d.name, Kind: d.kind, Cumulative: d.cumulative, Description: d.description}
	switch d.kind {
	case metrics.KindUint64:
		m.Uint64 = s.vals[i]
	case metrics.KindFloat64:
		m.Float64 = math.Float64frombits(s.vals[i])
	case metrics.KindFloat64Histogram:
		m.Histogram = s.hists[i]
	}
	return m
}

// Has reports whether s holds the metric name, or a metric that another Go
// version names differently: /gc/pauses:seconds and
// /sched/pauses/total/gc:seconds find each other, so code written for
// either name works with runtimes that have only the other.
func (s *Snapshot) Has(name string) bool {
	_, ok := s.set.lookup(name)
	return ok
}

// Lookup returns the metric name (or its alias), and whether s holds it.
// The returned Metric's Name is the name s holds it under.
func (s *Snapshot) Lookup(name string) (Metric, bool) {
	i, ok := s.set.lookup(name)
	if !ok {
		return Metric{}, false
	}
	return s.At(i), true
}

// Uint64 returns the value of the uint64 metric name, and whether s holds
// such a metric.
func (s *Snapshot) Uint64(name string) (uint64, bool) {
	i, ok := s.set.lookup(name)
	if !ok || s.set.descs[i].kind != metrics.KindUint64 {
		return 0, false
	}
	return s.vals[i], true
}

// Float64 returns the value of the float64 metric name, and whether s
// holds such a metric.
func (s *Snapshot) Float64(name string) (float64, bool) {
	i, ok := s.set.lookup(name)
	if !ok || s.set.descs[i].kind != metrics.KindFloat64 {
		return 0, false
	}
	return math.Float64frombits(s.vals[i]), true
}

// Value returns the value of the scalar metric name as a float64, whether
// it is a uint64 or a float64 metric, and whether s holds such a metric.
func (s *Snapshot) Value(name string) (float64, bool) {
	i, ok := s.set.lookup(name)
	if !ok {
		return 0, false
	}
	switch s.set.descs[i].kind {
	case metrics.KindUint64:
		return float64(s.vals[i]), true
	case metrics.KindFloat64:
		return math.Float64frombits(s.vals[i]), true
	}
	return 0, false
}

// Histogram returns the histogram metric name, and whether s holds such a
// metric. The histogram shares s's storage: it changes at s's next Read
// or CopyFrom, and must not be modified; [Histogram.Clone] it to keep it.
func (s *Snapshot) Histogram(name string) (Histogram, bool) {
	i, ok := s.set.lookup(name)
	if !ok || s.set.descs[i].kind != metrics.KindFloat64Histogram {
		return Histogram{}, false
	}
	return s.hists[i], true
}

// CopyFrom makes s a deep copy of src, reusing s's storage when src holds
// the same metrics as s did. A snapshot copied from one read in this
// process can still Read.
func (s *Snapshot) CopyFrom(src *Snapshot) {
	if s == src {
		return
	}
	if s.set != src.set {
		s.init(src.set, src.samples != nil)
	}
	s.time = src.time
	s.goVersion, s.goos, s.goarch = src.goVersion, src.goos, src.goarch
	copy(s.vals, src.vals)
	for i := range src.hists {
		s.hists[i].CopyFrom(src.hists[i])
	}
}

// Clone returns a deep copy of s.
func (s *Snapshot) Clone() *Snapshot {
	c := new(Snapshot)
	c.CopyFrom(s)
	return c
}

// Names returns the names of s's metrics, in order.
func (s *Snapshot) Names() []string {
	names := make([]string, 0, s.Len())
	for i := range s.Len() {
		names = append(names, s.set.descs[i].name)
	}
	return slices.Clip(names)
}
