// Package load is a load generator: it sends requests to a target at a
// given concurrency or rate and measures latency honestly, throughput, and
// its own cost.
//
// # Engine
//
// [Run] drives a [Target] under a [Config]. In closed loop (Rate zero)
// each of Connections sessions sends its next request as soon as the last
// one is answered. In open loop a dispatcher schedules requests at Rate per
// second (optionally ramped up over Ramp) and hands each, at its time, to
// a free connection; latency is measured from the scheduled time, so that
// a server stall delays every request that should have been sent during
// it (the correction for coordinated omission), and from the actual send
// time beside it ([Stats].Uncorrected). Requests in flight never exceed
// Connections; requests that fell due but found no free connection by the
// end are reported as [Result].Missed, not hidden. A run is bounded by
// Duration and/or Requests after a Warmup that is not measured, gives
// requests in flight a Grace period, and always ends by itself.
//
// # Targets
//
// A [Target] opens [Session]s; a session's Do sends one request and
// returns an [Outcome]: bytes, status, error and its [Class], and a label
// under which latencies are also reported separately. [NewHTTP] returns
// the HTTP target: for http:// URLs a raw HTTP/1.1 path (prepared request
// bytes, a minimal incremental response parser, keep-alive and
// reconnection, no allocation per request), and net/http for TLS, HTTP/2
// and h2c. On Linux a closed loop over the raw path does not use a
// goroutine per connection: a few event loops, one per CPU but one, each
// own a share of the connections on non-blocking sockets and one epoll
// instance, as wrk's threads do, so that a request costs a write, a read
// and a share of one epoll_wait rather than also a trip through the Go
// scheduler.
//
// # Measurements
//
// [Histogram] holds latencies in log-linear buckets: percentiles are never
// below the true value and at most 0.78% above it, memory is bounded
// (about 58 KiB at most, a few KiB in practice), histograms merge, and
// counts are never capped. Successful requests and failed ones are kept
// apart; failures are counted by class with the text of the first few.
// [Result].Generator is the generator's check on itself: its CPU use, its
// Go scheduler latency (runtime/metrics), how busy its event loops were,
// and warnings when it may have been the bottleneck or shares CPUs with
// the server ([SetAffinity]
// confines it on Linux; macOS has no hard affinity).
//
// Results print as Go benchmark lines ([WriteBenchfmt]) for benchstat,
// as JSON ([Result.Summary]), and as a latency-by-percentile plot
// ([WritePercentileSVG]). wrk adds samples to its closed-loop latencies
// before printing them; [Histogram.WrkCorrected] with
// [Result.WrkInterval] does the same, to compare with wrk's numbers.
//
// # Example
//
//	tg, err := load.NewHTTP(load.HTTPConfig{URL: "http://127.0.0.1:8080/"})
//	if err != nil { ... }
//	res, err := load.Run(ctx, tg, load.Config{Connections: 32, Rate: 20000, Duration: 10 * time.Second})
//	if err != nil { ... }
//	fmt.Println(res.RequestsPerSec(), res.Latency.Percentile(99), res.Uncorrected.Percentile(99), res.Missed)
//
// The command examples/httpload runs the HTTP target from the command line.
package load
