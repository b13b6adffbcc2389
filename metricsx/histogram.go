package metricsx

import (
	"fmt"
	"math"
)

// A Histogram is a distribution of values in buckets, in the layout of
// runtime/metrics.Float64Histogram: Counts[i] values fell in
// [Buckets[i], Buckets[i+1]), so len(Buckets) == len(Counts)+1.
// The runtime's time histograms start at -Inf and end at +Inf; its size
// histograms start at 1 and end at +Inf.
//
// Counts of a histogram read from a snapshot are cumulative since the
// process started; [Histogram.Sub] turns two of them into the histogram of
// a window.
//
// This package never modifies a Buckets slice in place, so histograms may
// share one. Methods with a pointer receiver write Counts in place, reusing
// its storage: do not call them on a histogram that shares a snapshot's
// storage (see [Snapshot.Histogram]); Clone it first.
type Histogram struct {
	Counts  []uint64
	Buckets []float64
}

// valid reports whether h's slices have consistent lengths.
func (h Histogram) valid() bool {
	return len(h.Buckets) == len(h.Counts)+1
}

// Count returns the number of values in h.
func (h Histogram) Count() uint64 {
	var n uint64
	for _, c := range h.Counts {
		n += c
	}
	return n
}

// bucketValue returns the value that stands for bucket i: its midpoint, or
// its finite edge when the other edge is infinite (a time histogram's
// first bucket is [-Inf, 0) and its last [x, +Inf); neither has a
// meaningful midpoint, and the finite edge is the best bound known).
func (h Histogram) bucketValue(i int) float64 {
	lo, hi := h.Buckets[i], h.Buckets[i+1]
	switch {
	case math.IsInf(lo, -1) && math.IsInf(hi, 1):
		return 0
	case math.IsInf(lo, -1):
		return hi
	case math.IsInf(hi, 1):
		return lo
	}
	return lo + (hi-lo)/2
}

// Quantile returns an estimate of the q-quantile of h, for q in [0, 1], by
// linear interpolation inside the bucket that holds it. In a bucket with
// an infinite edge it returns the finite edge. It returns NaN when h is
// empty or malformed, or q is outside [0, 1].
func (h Histogram) Quantile(q float64) float64 {
	if !h.valid() || !(q >= 0 && q <= 1) {
		return math.NaN()
	}
	total := h.Count()
	if total == 0 {
		return math.NaN()
	}
	rank := q * float64(total)
	var seen uint64
	for i, c := range h.Counts {
		if c == 0 {
			continue
		}
		if float64(seen+c) < rank {
			seen += c
			continue
		}
		lo, hi := h.Buckets[i], h.Buckets[i+1]
		switch {
		case math.IsInf(lo, -1) && math.IsInf(hi, 1):
			return 0
		case math.IsInf(lo, -1):
			return hi
		case math.IsInf(hi, 1):
			return lo
		}
		frac := (rank - float64(seen)) / float64(c)
		return lo + (hi-lo)*max(0, min(1, frac))
	}
	// Rounding left rank just above the total: the last non-empty bucket.
	return h.Max()
}

// Max returns an upper bound of the largest value in h: the upper edge of
// the last non-empty bucket, or its lower edge if the upper one is +Inf.
// It returns NaN when h is empty or malformed.
func (h Histogram) Max() float64 {
	if !h.valid() {
		return math.NaN()
	}
	for i := len(h.Counts) - 1; i >= 0; i-- {
		if h.Counts[i] == 0 {
			continue
		}
		if hi := h.Buckets[i+1]; !math.IsInf(hi, 1) {
			return hi
		}
		return h.Buckets[i]
	}
	return math.NaN()
}

// Sum returns an estimate of the sum of the values in h: each bucket's
// count times its midpoint, or its finite edge for a bucket with an
// infinite one. It returns 0 when h is empty and NaN when h is malformed.
func (h Histogram) Sum() float64 {
	if !h.valid() {
		return math.NaN()
	}
	var sum float64
	for i, c := range h.Counts {
		if c != 0 {
			sum += float64(c) * h.bucketValue(i)
		}
	}
	return sum
}

// Mean returns an estimate of the mean of the values in h, as Sum/Count.
// It returns NaN when h is empty or malformed.
func (h Histogram) Mean() float64 {
	n := h.Count()
	if n == 0 || !h.valid() {
		return math.NaN()
	}
	return h.Sum() / float64(n)
}

// sameBuckets reports whether a and b have the same boundaries.
func sameBuckets(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) > 0 && &a[0] == &b[0] {
		return true
	}
	for i := range a {
		if a[i] != b[i] { // ±Inf compare equal to themselves; NaN never does
			return false
		}
	}
	return true
}

// Sub sets h to the histogram of the values recorded between prev and
// cur, two cumulative histograms of the same metric, and returns nil.
// It returns an error wrapping [ErrBucketMismatch] if their buckets
// differ, and one wrapping [ErrReset] if a bucket of cur holds fewer
// values than the same bucket of prev; h is then empty.
func (h *Histogram) Sub(cur, prev Histogram) error {
	if !cur.valid() || !prev.valid() || !sameBuckets(cur.Buckets, prev.Buckets) {
		h.Counts, h.Buckets = h.Counts[:0], nil
		return fmt.Errorf("subtracting histograms of %d and %d buckets: %w", len(prev.Counts), len(cur.Counts), ErrBucketMismatch)
	}
	h.Counts = h.Counts[:0]
	for i, c := range cur.Counts {
		if c < prev.Counts[i] {
			h.Counts, h.Buckets = h.Counts[:0], nil
			return fmt.Errorf("bucket [%g, %g) went from %d to %d: %w", cur.Buckets[i], cur.Buckets[i+1], prev.Counts[i], c, ErrReset)
		}
		h.Counts = append(h.Counts, c-prev.Counts[i])
	}
	h.Buckets = cur.Buckets
	return nil
}

// Merge adds the counts of o to h, which must have the same buckets, or
// be empty (then h becomes a copy of o). It returns an error wrapping
// [ErrBucketMismatch], and leaves h unchanged, if the buckets differ.
func (h *Histogram) Merge(o Histogram) error {
	if len(h.Buckets) == 0 && len(h.Counts) == 0 {
		h.CopyFrom(o)
		return nil
	}
	if !h.valid() || !o.valid() || !sameBuckets(h.Buckets, o.Buckets) {
		return fmt.Errorf("merging histograms of %d and %d buckets: %w", len(h.Counts), len(o.Counts), ErrBucketMismatch)
	}
	for i, c := range o.Counts {
		h.Counts[i] += c
	}
	return nil
}

// CopyFrom makes h a copy of src, reusing h's Counts storage. The copy
// shares src's Buckets, which this package never modifies.
func (h *Histogram) CopyFrom(src Histogram) {
	h.Counts = append(h.Counts[:0], src.Counts...)
	h.Buckets = src.Buckets
}

// Clone returns a copy of h that shares no storage with it.
func (h Histogram) Clone() Histogram {
	c := Histogram{Counts: append([]uint64(nil), h.Counts...), Buckets: append([]float64(nil), h.Buckets...)}
	return c
}
