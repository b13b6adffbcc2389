package load

import (
	"math"
	"math/bits"
	"time"
)

// Histogram layout. A value v (in nanoseconds) below 2^subBits has a bucket
// of its own. Above that, v lies in some octave [2^e, 2^(e+1)), which is cut
// into 2^subBits equal buckets of width 2^(e-subBits). A bucket is then at
// most 2^-subBits = 1/128 ≈ 0.78% of any value in it, which bounds the
// relative error of every percentile below the 1% the package promises.
//
// Octaves are allocated on first use, so a histogram of latencies that span
// a few octaves costs a few KiB; the most it can ever hold is
// maxOctaves×128×8 bytes ≈ 58 KiB, whatever the number of values recorded.
const (
	subBits    = 7
	subCount   = 1 << subBits
	maxOctaves = 64 - subBits // octave 0 holds [0, 2^subBits); octave k>0 holds [2^(k+subBits-1), 2^(k+subBits))
)

// A Histogram counts durations in log-linear buckets. Percentiles it reports
// are never below the true value and at most 0.78% above it; Max, Min and
// Mean are exact. Counts are 64-bit and never capped.
//
// The zero Histogram is empty and ready to use. A Histogram is not safe for
// concurrent use: the engine gives each worker its own and merges them.
type Histogram struct {
	octaves [maxOctaves]*[subCount]uint64
	count   uint64
	sum     float64 // nanoseconds; float64 so that no run can overflow it
	min     int64
	max     int64
}

// bucket returns the octave and the bucket within it that hold v ≥ 0.
func bucket(v int64) (octave, sub int) {
	u := uint64(v)
	if u < subCount {
		return 0, int(u)
	}
	e := bits.Len64(u) - 1 // 2^e ≤ u < 2^(e+1), e ≥ subBits
	return e - subBits + 1, int((u >> (e - subBits)) & (subCount - 1))
}

// upper returns the largest value that falls in the given bucket.
func upper(octave, sub int) int64 {
	if octave == 0 {
		return int64(sub)
	}
	e := octave + subBits - 1
	width := uint64(1) << (e - subBits)
	lo := uint64(1)<<e + uint64(sub)*width
	return int64(lo + width - 1)
}

// Record adds one duration. Negative durations count as zero.
func (h *Histogram) Record(d time.Duration) {
	v := int64(d)
	if v < 0 {
		v = 0
	}
	o, s := bucket(v)
	b := h.octaves[o]
	if b == nil {
		b = new([subCount]uint64)
		h.octaves[o] = b
	}
	b[s]++
	if h.count == 0 || v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
	h.count++
	h.sum += float64(v)
}

// Merge adds all of o's values to h.
func (h *Histogram) Merge(o *Histogram) {
	if o == nil || o.count == 0 {
		return
	}
	for i, ob := range o.octaves {
		if ob == nil {
			continue
		}
		b := h.octaves[i]
		if b == nil {
			b = new([subCount]uint64)
			h.octaves[i] = b
		}
		for j, c := range ob {
			b[j] += c
		}
	}
	if h.count == 0 || o.min < h.min {
		h.min = o.min
	}
	if o.max > h.max {
		h.max = o.max
	}
	h.count += o.count
	h.sum += o.sum
}

// Count returns the number of values recorded.
func (h *Histogram) Count() uint64 { return h.count }

// Max returns the largest value recorded, or 0.
func (h *Histogram) Max() time.Duration { return time.Duration(h.max) }

// Min returns the smallest value recorded, or 0.
func (h *Histogram) Min() time.Duration { return time.Duration(h.min) }

// Mean returns the mean of the values recorded, or 0.
func (h *Histogram) Mean() time.Duration {
	if h.count == 0 {
		return 0
	}
	return time.Duration(math.Round(h.sum / float64(h.count)))
}

// Percentile returns the smallest recorded value v such that at least
// p percent of the values are ≤ v, rounded up to the top of its bucket
// and clamped to [Min, Max]. p is clamped to [0, 100]; an empty histogram
// returns 0.
func (h *Histogram) Percentile(p float64) time.Duration {
	if h.count == 0 {
		return 0
	}
	if !(p > 0) { // also NaN
		return time.Duration(h.min)
	}
	if p >= 100 {
		return time.Duration(h.max)
	}
	// rank is 1-based: the rank-th smallest value.
	rank := uint64(math.Ceil(p / 100 * float64(h.count)))
	if rank < 1 {
		rank = 1
	}
	var seen uint64
	for o, b := range h.octaves {
		if b == nil {
			continue
		}
		for s, c := range b {
			seen += c
			if seen >= rank {
				return time.Duration(min(max(upper(o, s), h.min), h.max))
			}
		}
	}
	return time.Duration(h.max)
}

// Percentiles is the summary the package reports for a latency
// distribution.
type Percentiles struct {
	P50, P90, P99, P999, Max, Mean time.Duration
}

// Summary returns h's p50, p90, p99, p99.9, max and mean.
func (h *Histogram) Summary() Percentiles {
	return Percentiles{
		P50:  h.Percentile(50),
		P90:  h.Percentile(90),
		P99:  h.Percentile(99),
		P999: h.Percentile(99.9),
		Max:  h.Max(),
		Mean: h.Mean(),
	}
}

// All calls yield for every non-empty bucket in increasing order with the
// largest value the bucket holds and its count.
func (h *Histogram) All(yield func(upper time.Duration, count uint64) bool) {
	for o, b := range h.octaves {
		if b == nil {
			continue
		}
		for s, c := range b {
			if c != 0 && !yield(time.Duration(upper(o, s)), c) {
				return
			}
		}
	}
}
