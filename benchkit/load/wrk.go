package load

import (
	"math"
	"time"
)

// wrk 4 does not print the latencies it measured in its closed loop. Before
// printing, it assumes that every connection should have sent a request
// once per interval, the run's duration divided by the requests per
// connection (the mean time a connection took per request), and for each
// latency L of at least twice that interval it adds the samples
// L−interval, L−2·interval, … down to the last one above the interval: the
// requests a connection stuck behind a slow response "would have" sent
// (stats_correct in wrk's src/stats.c, called from main in src/wrk.c). The
// added samples raise every percentile and the mean: wrk's mean latency can
// exceed the interval itself, connections / req/s by Little's law, which no
// measured closed-loop mean can. Whether the correction is sound is
// disputed (wg/wrk#485). This package reports measured latencies; the
// functions here exist to compare them with wrk's numbers on equal terms.

// WrkCorrected returns a copy of h with wrk 4's closed-loop correction
// applied for the given interval: each recorded value L ≥ 2·interval adds
// one value at each of L−interval, L−2·interval, … that is above interval.
// A bucket's values are taken to be the largest value it holds (as
// Percentile reports them) but no more than Max, so a bucket adds up to
// 0.78% more values than its exact values would, never fewer. The work is
// at most the number of h's non-empty buckets times the number of buckets
// below Max, whatever the interval. An interval ≤ 0 returns an unchanged
// copy.
func (h *Histogram) WrkCorrected(interval time.Duration) *Histogram {
	c := new(Histogram)
	c.Merge(h)
	iv := int64(interval)
	if iv <= 0 || h.count == 0 || h.max/2 < iv {
		return c
	}
	h.All(func(up time.Duration, n uint64) bool {
		v := min(int64(up), h.max)
		// The added values are v − k·iv for k = 1 … kmax, all > iv.
		kmax := (v - iv - 1) / iv
		if kmax < 1 {
			return true
		}
		// Count them per bucket of c rather than one by one: from the
		// bucket of the smallest added value up to that of the largest.
		lo := v - kmax*iv
		c.min = min(c.min, lo)
		for lo <= v-iv {
			o, s := bucket(lo)
			hi := min(upper(o, s), v-iv)
			// k with lo ≤ v − k·iv ≤ hi.
			kHi := (v - lo) / iv
			kLo := (v - hi + iv - 1) / iv
			if k := kHi - kLo + 1; k > 0 {
				b := c.octaves[o]
				if b == nil {
					b = new([subCount]uint64)
					c.octaves[o] = b
				}
				b[s] += n * uint64(k)
				c.count += n * uint64(k)
				// The sum of v − k·iv over kLo … kHi.
				c.sum += float64(n) * (float64(k)*float64(v) - float64(iv)*float64(kLo+kHi)*float64(k)/2)
			}
			lo = hi + 1
		}
		return true
	})
	return c
}

// WrkInterval returns the interval wrk 4 would use for r's correction: the
// measured duration divided by the requests per connection, in whole
// microseconds as wrk computes it. It returns 0, for no correction, in open
// loop and when there were fewer requests than connections.
func (r *Result) WrkInterval() time.Duration {
	conns := uint64(max(r.Config.Connections, 1))
	if r.OpenLoop || r.Requests/conns == 0 {
		return 0
	}
	us := uint64(math.Round(float64(r.Duration) / 1e3))
	return time.Duration(us/(r.Requests/conns)) * time.Microsecond
}
