// Package metricsx reads the Go runtime's metrics (runtime/metrics) cheaply
// and turns them into what people look at: rates and latency quantiles over
// windows of time, streams of samples, JSON and other exports, and a live
// page that plots two processes side by side.
//
// # Snapshots
//
// A [Snapshot] holds every metric metrics.All lists, read into storage it
// reuses: after the first [Snapshot.Read], reading allocates nothing and
// costs little more than one metrics.Read of every metric. Accessors find a
// metric by name ([Snapshot.Uint64], [Snapshot.Float64], [Snapshot.Value],
// [Snapshot.Histogram]) and answer for names that other Go versions use
// for the same metric, such as /gc/pauses:seconds and
// /sched/pauses/total/gc:seconds. [Snapshot.Len] and [Snapshot.At] walk
// them all, for exporters. No accessor panics, whatever metrics the running
// Go version has.
//
// # Windows
//
// The runtime's counters and histograms are cumulative. A [Window] between
// two snapshots gives deltas and per-second rates ([Window.Rate]), the
// histogram of the window alone ([Window.Histogram]) and a [Summary] of the
// numbers a dashboard plots: heap, allocation rate, GC cycles and CPU share,
// GC pause and scheduler latency quantiles. A window that goes backwards
// (a restarted process) is dropped with [ErrReset] instead of showing
// negative rates. [Histogram] has Quantile, Mean, Max, Count, Sub and Merge,
// which treat the -Inf and +Inf edges of the runtime's buckets as bounds.
//
//	var prev, cur metricsx.Snapshot
//	prev.Read()
//	work()
//	cur.Read()
//	var w metricsx.Window
//	if err := w.Set(&prev, &cur); err == nil {
//		s := w.Summary()
//		fmt.Printf("%.0f B/s allocated, GC pause p99 %v\n",
//			s.AllocBytesPerSec, time.Duration(s.GCPauses.P99*1e9))
//	}
//
// # Sampling
//
// A [Sampler] takes a snapshot every Interval into a bounded ring, keeping
// the [Summary] of each window, and can write every snapshot to a JSON
// Lines stream; it stops when its context ends and starts no goroutines of
// its own. Its [Source] is this process ([ReadSource]) or another one
// fetched over HTTP ([HTTPSource]). A [Reader] plays a JSON Lines file
// back as snapshots.
//
// # Exporting
//
// [Handler] serves a fresh snapshot as JSON (below), with the process
// statistics of [ReadProcess] (CPU time, peak and current resident set,
// open and maximum descriptors, start time; on Linux all of them, on
// macOS all but the current resident set, without cgo), or in the
// Prometheus text format, chosen by the Accept header or ?format=.
// [PublishExpvar] publishes the same JSON through package expvar without
// stopping the world as expvar's "memstats" does.
//
// # Watching
//
// [Page] serves one self-contained HTML page that plots heap, allocation
// rate, GC pauses and scheduler latency over time for this process and a
// second one on one time axis — for example the same program built for
// arm64 and for amd64 under Rosetta 2. The history is kept by the
// server's samplers, so the page can be reloaded or opened late.
//
// # Benchmarks
//
// [StartBenchmark] and [BenchmarkRecorder.Report] add GC cycles per
// operation, heap bytes per operation and the GC pause p99 to a Go
// benchmark's output through b.ReportMetric, for benchstat to compare.
//
// # JSON
//
// [Snapshot.AppendJSON] writes, and [Snapshot.UnmarshalJSON] and [Reader]
// read, one snapshot as one JSON object (schema version 1):
//
//	{
//	  "schema": 1,
//	  "time": "2026-12-02T10:55:02.123456789Z",
//	  "go_version": "go1.26.8",
//	  "goos": "linux", "goarch": "arm64",
//	  "metrics": [
//	    {"name": "/gc/heap/allocs:bytes", "kind": "uint64", "cumulative": true, "value": 123456},
//	    {"name": "/cpu/classes/total:cpu-seconds", "kind": "float64", "cumulative": true, "value": 1.5},
//	    {"name": "/sched/latencies:seconds", "kind": "histogram", "cumulative": true,
//	     "counts": [0, 12, 3], "buckets": ["-Inf", 0, 6.4e-08, "+Inf"]}
//	  ]
//	}
//
// "time" is RFC 3339 with nanoseconds; "go_version", "goos" and "goarch"
// are runtime.Version, runtime.GOOS and runtime.GOARCH of the process that
// was read. Metrics appear in the order of metrics.All in that process,
// each name once; "kind" is "uint64", "float64" or "histogram". A uint64
// value is an exact JSON integer that may exceed 2^53: decode it as an
// integer, not a float. Floats JSON cannot hold are the strings "+Inf",
// "-Inf" and "NaN", in values and buckets alike. A histogram has one more
// bucket boundary than counts: counts[i] values fell in
// [buckets[i], buckets[i+1]); counts are cumulative since the process
// started. Readers ignore fields they do not know ([Handler] adds
// "process", described at [Process]); a schema other than 1 is rejected.
// JSON Lines files hold one such object per line.
package metricsx
