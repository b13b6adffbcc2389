package metricsx

import (
	"runtime"
	"testing"
)

var benchSink [][]byte

// TestBenchmarkRecorder runs a real benchmark with testing.Benchmark and
// checks the metrics it reported, which testing.BenchmarkResult keeps in
// Extra, against what the benchmark did: 4096 bytes allocated and, every
// 64th operation, one forced GC per operation.
func TestBenchmarkRecorder(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a benchmark for about a second")
	}
	res := testing.Benchmark(func(b *testing.B) {
		rec := StartBenchmark()
		i := 0
		for b.Loop() {
			benchSink = append(benchSink[:0], make([]byte, 4096))
			if i++; i%64 == 0 {
				runtime.GC()
			}
		}
		rec.Report(b, b.N)
	})
	if res.N == 0 {
		t.Fatal("benchmark did not run")
	}
	if got := res.Extra[UnitAllocatedHeap]; got < 4096 || got > 2*4096 {
		t.Errorf("%s = %v, want about 4096", UnitAllocatedHeap, got)
	}
	if got, want := res.Extra[UnitGCCycles], float64(res.N/64)/float64(res.N); got < want {
		t.Errorf("%s = %v, want at least %v", UnitGCCycles, got, want)
	}
	if got := res.Extra[UnitGCPauseP99]; got <= 0 {
		t.Errorf("%s = %v, want > 0", UnitGCPauseP99, got)
	}
	t.Logf("%d ops: %v", res.N, res.Extra)
}

type recordingReporter map[string]float64

func (r recordingReporter) ReportMetric(n float64, unit string) { r[unit] = n }

func TestBenchmarkRecorderNoOps(t *testing.T) {
	r := recordingReporter{}
	StartBenchmark().Report(r, 0)
	if len(r) != 0 {
		t.Errorf("reported %v for 0 operations", r)
	}
}

// BenchmarkRecorderExample shows the recorder in benchmark output.
func BenchmarkRecorderExample(b *testing.B) {
	rec := StartBenchmark()
	for b.Loop() {
		benchSink = append(benchSink[:0], make([]byte, 1024))
	}
	rec.Report(b, b.N)
}
