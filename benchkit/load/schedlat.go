package load

import (
	"math"
	"runtime/metrics"
	"time"
)

// schedMetric is the Go scheduler's latency histogram: how long goroutines
// spent runnable before running.
const schedMetric = "/sched/latencies:seconds"

// A schedSample is one reading of schedMetric, deep-copied: metrics.Read
// reuses a sample's histogram storage.
type schedSample struct {
	counts  []uint64
	buckets []float64
}

func (s *schedSample) read() {
	sample := []metrics.Sample{{Name: schedMetric}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindFloat64Histogram {
		return // not in this Go release
	}
	h := sample[0].Value.Float64Histogram()
	s.counts = append(s.counts[:0], h.Counts...)
	s.buckets = h.Buckets // immutable and shared by the runtime
}

// delta returns the p50 and p99 of the scheduler latencies recorded between
// the samples o (earlier) and s, each as the upper boundary of its bucket.
func (s *schedSample) delta(o *schedSample) (p50, p99 time.Duration) {
	if len(s.counts) == 0 || len(s.counts) != len(o.counts) {
		return 0, 0
	}
	d := make([]uint64, len(s.counts))
	var total uint64
	for i := range s.counts {
		if s.counts[i] < o.counts[i] {
			return 0, 0 // went backwards: drop the window
		}
		d[i] = s.counts[i] - o.counts[i]
		total += d[i]
	}
	return histQuantile(d, s.buckets, total, 0.5), histQuantile(d, s.buckets, total, 0.99)
}

// histQuantile returns the upper boundary of the bucket holding quantile q
// of a runtime/metrics histogram (len(buckets) == len(counts)+1). The last
// bucket's boundary is +Inf: its lower one is reported instead.
func histQuantile(counts []uint64, buckets []float64, total uint64, q float64) time.Duration {
	if total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(total)))
	var seen uint64
	for i, c := range counts {
		seen += c
		if seen >= rank {
			b := buckets[i+1]
			if math.IsInf(b, 1) {
				b = buckets[i]
			}
			return time.Duration(b * 1e9)
		}
	}
	return 0
}
