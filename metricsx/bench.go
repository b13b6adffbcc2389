package metricsx

// A MetricReporter is the method of *testing.B that [BenchmarkRecorder]
// reports through. metricsx takes this interface rather than *testing.B
// so that programs importing it do not link package testing.
type MetricReporter interface {
	ReportMetric(n float64, unit string)
}

// Units of the metrics [BenchmarkRecorder.Report] reports. They appear in
// benchmark output next to ns/op and in benchstat tables; benchstat treats
// every one as better when lower.
const (
	UnitGCCycles      = "gc/op"           // GC cycles that ended, per operation
	UnitGCPauseP99    = "gc-pause-p99-ns" // 99th percentile stop-the-world GC pause in the benchmark's run, nanoseconds
	UnitAllocatedHeap = "heap-B/op"       // bytes allocated on the heap per operation (/gc/heap/allocs:bytes)
)

// A BenchmarkRecorder reports runtime-metric deltas of a benchmark with
// b.ReportMetric:
//
//	func BenchmarkParse(b *testing.B) {
//		rec := metricsx.StartBenchmark()
//		for b.Loop() {
//			parse(input)
//		}
//		rec.Report(b, b.N)
//	}
//
// The reads at start and at Report happen outside the timed loop (b.Loop
// starts the timer at its first call and stops it after its last).
type BenchmarkRecorder struct {
	start, end Snapshot
	window     Window
}

// StartBenchmark reads the runtime metrics at the start of a benchmark.
func StartBenchmark() *BenchmarkRecorder {
	r := new(BenchmarkRecorder)
	r.start.Read()
	return r
}

// Report reads the runtime metrics again and reports, for n operations
// (pass b.N after the loop), the GC cycles and heap bytes per operation
// ([UnitGCCycles], [UnitAllocatedHeap]) and the 99th percentile GC pause
// ([UnitGCPauseP99]; 0 when no GC ran). It reports nothing for n <= 0 or
// if the window went backwards.
func (r *BenchmarkRecorder) Report(b MetricReporter, n int) {
	if n <= 0 {
		return
	}
	r.end.Read()
	if err := r.window.Set(&r.start, &r.end); err != nil {
		return
	}
	ops := float64(n)
	if d, ok := r.window.Delta(nameGCCycles); ok {
		b.ReportMetric(d/ops, UnitGCCycles)
	}
	if d, ok := r.window.Delta(nameAllocBytes); ok {
		b.ReportMetric(d/ops, UnitAllocatedHeap)
	}
	if p, err := r.window.Distribution(nameGCPauses); err == nil {
		b.ReportMetric(p.P99*1e9, UnitGCPauseP99)
	}
}
