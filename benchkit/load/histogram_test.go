package load

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// exactPercentile is the definition Percentile approximates: the
// ceil(p/100·n)-th smallest value.
func exactPercentile(sorted []time.Duration, p float64) time.Duration {
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[max(rank, 1)-1]
}

func TestHistogramRelativeError(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	dists := []struct {
		name string
		gen  func() time.Duration
	}{
		{"lognormal-1ms", func() time.Duration { return time.Duration(math.Exp(rng.NormFloat64()*1.5) * 1e6) }},
		{"uniform-0-200ns", func() time.Duration { return time.Duration(rng.IntN(200)) }},
		{"bimodal", func() time.Duration {
			if rng.IntN(100) == 0 {
				return time.Second + time.Duration(rng.IntN(1e6))
			}
			return 100*time.Microsecond + time.Duration(rng.IntN(1e4))
		}},
		{"huge", func() time.Duration { return time.Duration(rng.Int64N(math.MaxInt64)) }},
	}
	for _, d := range dists {
		t.Run(d.name, func(t *testing.T) {
			var h Histogram
			vals := make([]time.Duration, 100_000)
			var sum float64
			for i := range vals {
				vals[i] = d.gen()
				h.Record(vals[i])
				sum += float64(vals[i])
			}
			slices.Sort(vals)
			for _, p := range []float64{0, 1, 10, 50, 90, 99, 99.9, 99.99, 100} {
				want := exactPercentile(vals, p)
				if p == 0 {
					want = vals[0]
				}
				got := h.Percentile(p)
				if got < want || float64(got-want) > float64(want)/subCount {
					t.Errorf("p%v = %v, exact %v: outside [exact, exact·(1+1/%d)]", p, got, want, subCount)
				}
			}
			if h.Max() != vals[len(vals)-1] || h.Min() != vals[0] || h.Count() != uint64(len(vals)) {
				t.Errorf("max/min/count = %v/%v/%d, want %v/%v/%d", h.Max(), h.Min(), h.Count(), vals[len(vals)-1], vals[0], len(vals))
			}
			if mean := time.Duration(math.Round(sum / float64(len(vals)))); h.Mean() != mean {
				t.Errorf("mean = %v, want %v", h.Mean(), mean)
			}
		})
	}
}

func TestHistogramMerge(t *testing.T) {
	var whole, a, b Histogram
	for i := range 10_000 {
		d := time.Duration(i*i) * time.Nanosecond
		whole.Record(d)
		if i%3 == 0 {
			a.Record(d)
		} else {
			b.Record(d)
		}
	}
	var m Histogram
	m.Merge(&a)
	m.Merge(&b)
	m.Merge(nil)
	m.Merge(&Histogram{})
	if !sameBuckets(&m, &whole) || m.Count() != whole.Count() || m.Max() != whole.Max() ||
		m.Min() != whole.Min() || m.Mean() != whole.Mean() {
		t.Errorf("merged histogram differs from the one that saw every value: %+v vs %+v", m.Summary(), whole.Summary())
	}
}

func sameBuckets(a, b *Histogram) bool {
	for i := range a.octaves {
		switch {
		case a.octaves[i] == nil && b.octaves[i] == nil:
		case a.octaves[i] == nil || b.octaves[i] == nil:
			return false
		case *a.octaves[i] != *b.octaves[i]:
			return false
		}
	}
	return true
}

func TestHistogramEdges(t *testing.T) {
	var h Histogram
	if h.Percentile(50) != 0 || h.Mean() != 0 || h.Max() != 0 {
		t.Error("empty histogram reports non-zero values")
	}
	h.Record(-5)
	h.Record(math.MaxInt64)
	if h.Min() != 0 || h.Max() != math.MaxInt64 || h.Percentile(100) != math.MaxInt64 || h.Percentile(math.NaN()) != 0 {
		t.Errorf("edges: min %v max %v p100 %v", h.Min(), h.Max(), h.Percentile(100))
	}
	// Counts are not capped (hey stops at a million, rakyll/hey#227).
	const n = 3_000_000
	var c Histogram
	for range n {
		c.Record(time.Millisecond)
	}
	if c.Count() != n || c.Percentile(50) != time.Millisecond {
		t.Errorf("count %d p50 %v, want %d and 1ms", c.Count(), c.Percentile(50), n)
	}
}

func TestBucketBoundaries(t *testing.T) {
	// Every value lies in the bucket whose upper bound is the smallest
	// upper bound ≥ it, and buckets tile the line without gaps.
	prev := int64(-1)
	for o := range maxOctaves {
		for s := range subCount {
			u := upper(o, s)
			if bo, bs := bucket(u); bo != o || bs != s {
				t.Fatalf("upper(%d,%d) = %d lies in bucket (%d,%d)", o, s, u, bo, bs)
			}
			if bo, bs := bucket(prev + 1); bo != o || bs != s {
				t.Fatalf("value %d after bucket end %d lies in (%d,%d), want (%d,%d)", prev+1, prev, bo, bs, o, s)
			}
			if u == math.MaxInt64 {
				return
			}
			prev = u
		}
	}
}

func BenchmarkHistogramRecord(b *testing.B) {
	var h Histogram
	d := 123 * time.Microsecond
	b.ReportAllocs()
	for b.Loop() {
		h.Record(d)
		d += 17
	}
}
