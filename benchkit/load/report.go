package load

import (
	"fmt"
	"io"
	"maps"
	"runtime"
	"slices"
	"strconv"

	"golang.org/x/perf/benchfmt"
)

// Summary is a run's result in the shape the httpload command prints with
// -json: seconds as float64, maps keyed by class and status code.
type Summary struct {
	Requests           uint64              `json:"requests"`
	RequestsPerSec     float64             `json:"requests_per_sec"`
	Bytes              uint64              `json:"bytes"`
	DurationSec        float64             `json:"duration_sec"`
	Latency            SummaryLatency      `json:"latency_sec"`
	LatencyUncorrected *SummaryLatency     `json:"latency_uncorrected_sec,omitempty"`
	ErrorLatency       *SummaryLatency     `json:"error_latency_sec,omitempty"`
	Missed             *uint64             `json:"missed,omitempty"`
	SendDelay          *SummaryLatency     `json:"send_delay_sec,omitempty"`
	Errors             map[Class]uint64    `json:"errors"`
	ErrorSamples       map[Class][]string  `json:"error_samples,omitempty"`
	Status             map[string]uint64   `json:"status"`
	Labels             map[string]*Summary `json:"labels,omitempty"`
	Generator          SummaryGenerator    `json:"generator"`
	Timeline           *SummaryTimeline    `json:"timeline,omitempty"`
}

// SummaryLatency holds a distribution's summary in seconds.
type SummaryLatency struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// SummaryGenerator is the self-check's part of a Summary.
type SummaryGenerator struct {
	CPUSec             float64  `json:"cpu_sec"`
	CPUs               int      `json:"cpus"`
	Utilization        float64  `json:"utilization"`
	SchedLatencyP99Sec float64  `json:"sched_latency_p99_sec"`
	Saturated          bool     `json:"saturated"`
	EventLoops         int      `json:"event_loops,omitempty"`
	LoopBusy           float64  `json:"loop_busy,omitempty"`
	PollSec            float64  `json:"poll_sec"`
	Warnings           []string `json:"warnings,omitempty"`
}

// SummaryTimeline is a Timeline with its interval in seconds.
type SummaryTimeline struct {
	IntervalSec float64  `json:"interval_sec"`
	Counts      []uint64 `json:"counts"`
}

// LatencySummary returns h's summary in seconds, as the JSON output
// carries it.
func LatencySummary(h *Histogram) SummaryLatency {
	p := h.Summary()
	return SummaryLatency{p.P50.Seconds(), p.P90.Seconds(), p.P99.Seconds(), p.P999.Seconds(), p.Max.Seconds(), p.Mean.Seconds()}
}

func statsSummary(s *Stats, open bool, dur float64) *Summary {
	out := &Summary{
		Requests:    s.Requests,
		Bytes:       s.Bytes,
		DurationSec: dur,
		Latency:     LatencySummary(&s.Latency),
	}
	if dur > 0 {
		out.RequestsPerSec = float64(s.Requests) / dur
	}
	if open {
		u := LatencySummary(&s.Uncorrected)
		out.LatencyUncorrected = &u
	}
	if s.Errors > 0 {
		e := LatencySummary(&s.ErrorLatency)
		out.ErrorLatency = &e
	}
	return out
}

// Summary returns r in the shape of httpload's JSON output.
func (r *Result) Summary() *Summary {
	dur := r.Duration.Seconds()
	out := statsSummary(&r.Stats, r.OpenLoop, dur)
	if r.OpenLoop {
		m := r.Missed
		out.Missed = &m
		d := LatencySummary(&r.SendDelay)
		out.SendDelay = &d
	}
	out.Errors = map[Class]uint64{}
	for c, e := range r.Errors {
		out.Errors[c] = e.Count
		if len(e.Samples) > 0 {
			if out.ErrorSamples == nil {
				out.ErrorSamples = map[Class][]string{}
			}
			out.ErrorSamples[c] = e.Samples
		}
	}
	out.Status = map[string]uint64{}
	for code, n := range r.Status {
		out.Status[strconv.Itoa(code)] = n
	}
	for l, s := range r.Labels {
		if out.Labels == nil {
			out.Labels = map[string]*Summary{}
		}
		out.Labels[l] = statsSummary(s, r.OpenLoop, dur)
	}
	out.Timeline = &SummaryTimeline{IntervalSec: r.Timeline.Interval.Seconds(), Counts: r.Timeline.Counts}
	g := r.Generator
	out.Generator = SummaryGenerator{
		CPUSec:             g.CPU.Seconds(),
		CPUs:               g.CPUs,
		Utilization:        g.Utilization,
		SchedLatencyP99Sec: g.SchedLatencyP99.Seconds(),
		Saturated:          g.Saturated,
		EventLoops:         g.Loops,
		LoopBusy:           g.LoopBusy,
		PollSec:            g.Polled.Seconds(),
		Warnings:           g.Warnings,
	}
	return out
}

// Units in benchmark-format output. Latency units end in "-sec" so that
// benchstat scales them as times.
var benchUnits = []struct{ unit, better string }{
	{"req/s", "higher"},
	{"p50-sec", "lower"}, {"p90-sec", "lower"}, {"p99-sec", "lower"}, {"p99.9-sec", "lower"},
	{"max-sec", "lower"}, {"mean-sec", "lower"},
	{"p50-uncorrected-sec", "lower"}, {"p99-uncorrected-sec", "lower"},
	{"errors", "lower"}, {"missed", "lower"}, {"B/s", "higher"},
}

// Benchfmt returns r as Go benchmark results: one named name for all
// requests, and one per label named name/label=L, with iterations set to
// the number of requests and a value per unit (req/s, p50-sec, p90-sec,
// p99-sec, p99.9-sec, max-sec, mean-sec; in open loop also
// p50-uncorrected-sec, p99-uncorrected-sec and missed; errors; B/s).
// config holds extra configuration keys (such as the server's name); the
// results also carry goos, goarch, mode, connections and rate.
func (r *Result) Benchfmt(name string, config map[string]string) []*benchfmt.Result {
	var cfg []benchfmt.Config
	add := func(k, v string) { cfg = append(cfg, benchfmt.Config{Key: k, Value: []byte(v), File: true}) }
	add("goos", runtime.GOOS)
	add("goarch", runtime.GOARCH)
	mode := "closed"
	if r.OpenLoop {
		mode = "open"
	}
	add("mode", mode)
	add("connections", strconv.Itoa(r.Config.Connections))
	if r.OpenLoop {
		add("rate", strconv.FormatFloat(r.Config.Rate, 'g', -1, 64))
	}
	for _, k := range slices.Sorted(maps.Keys(config)) {
		add(k, config[k])
	}
	one := func(n string, s *Stats) *benchfmt.Result {
		dur := r.Duration.Seconds()
		vals := []benchfmt.Value{}
		v := func(x float64, unit string) { vals = append(vals, benchfmt.Value{Value: x, Unit: unit}) }
		rate, bps := 0.0, 0.0
		if dur > 0 {
			rate, bps = float64(s.Requests)/dur, float64(s.Bytes)/dur
		}
		v(rate, "req/s")
		p := s.Latency.Summary()
		v(p.P50.Seconds(), "p50-sec")
		v(p.P90.Seconds(), "p90-sec")
		v(p.P99.Seconds(), "p99-sec")
		v(p.P999.Seconds(), "p99.9-sec")
		v(p.Max.Seconds(), "max-sec")
		v(p.Mean.Seconds(), "mean-sec")
		if r.OpenLoop {
			v(s.Uncorrected.Percentile(50).Seconds(), "p50-uncorrected-sec")
			v(s.Uncorrected.Percentile(99).Seconds(), "p99-uncorrected-sec")
		}
		v(float64(s.Errors), "errors")
		if r.OpenLoop && n == name {
			v(float64(r.Missed), "missed")
		}
		v(bps, "B/s")
		return &benchfmt.Result{Config: slices.Clone(cfg), Name: benchfmt.Name(n), Iters: int(min(s.Requests, 1<<62)), Values: vals}
	}
	out := []*benchfmt.Result{one(name, &r.Stats)}
	for _, l := range slices.Sorted(maps.Keys(r.Labels)) {
		out = append(out, one(name+"/label="+l, r.Labels[l]))
	}
	return out
}

// WriteBenchfmt writes runs as Go benchmark results named name, preceded by
// the units' metadata, for benchstat and benchcompare.
func WriteBenchfmt(w io.Writer, name string, config map[string]string, runs ...*Result) error {
	bw := benchfmt.NewWriter(w)
	for _, u := range benchUnits {
		if err := bw.Write(&benchfmt.UnitMetadata{UnitMetadataKey: benchfmt.UnitMetadataKey{Unit: u.unit, Key: "better"}, OrigUnit: u.unit, Value: u.better}); err != nil {
			return err
		}
	}
	for _, r := range runs {
		for _, res := range r.Benchfmt(name, config) {
			if err := bw.Write(res); err != nil {
				return fmt.Errorf("load: writing benchmark results: %w", err)
			}
		}
	}
	return nil
}
