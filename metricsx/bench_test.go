package metricsx

import (
	"runtime/metrics"
	"testing"
)

// BenchmarkRead compares a Snapshot read with a raw metrics.Read of the
// same metrics into a reused []metrics.Sample, the floor any reader of all
// metrics pays. Compare the two with benchstat; scripts/metricsx-bench.sh
// prints the ratio.
func BenchmarkRead(b *testing.B) {
	b.Run("raw", func(b *testing.B) {
		all := metrics.All()
		samples := make([]metrics.Sample, len(all))
		for i, d := range all {
			samples[i].Name = d.Name
		}
		b.ReportAllocs()
		for b.Loop() {
			metrics.Read(samples)
		}
	})
	b.Run("snapshot", func(b *testing.B) {
		var s Snapshot
		s.Read()
		b.ReportAllocs()
		for b.Loop() {
			s.Read()
		}
	})
}

// BenchmarkWindowSummary measures the cost of a Summary of a window,
// which the sampler and the live page compute for every sample.
func BenchmarkWindowSummary(b *testing.B) {
	var prev, cur Snapshot
	prev.Read()
	cur.Read()
	var w Window
	b.ReportAllocs()
	for b.Loop() {
		if err := w.Set(&prev, &cur); err != nil {
			b.Fatal(err)
		}
		_ = w.Summary()
	}
}

// BenchmarkAppendJSON measures encoding a snapshot of every metric as
// JSON into a reused buffer, what a Sampler writing JSON Lines and the
// Handler pay per sample besides the read.
func BenchmarkAppendJSON(b *testing.B) {
	s := ReadSnapshot()
	buf := s.AppendJSON(nil)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf = s.AppendJSON(buf[:0])
	}
}
