package metricsx

// The Prometheus text exposition format, version 0.0.4:
// https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format

import (
	"errors"
	"fmt"
	"io"
	"math"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
)

// PromOptions configures WritePrometheus. The zero value exports every
// runtime metric and the process statistics under client_golang's names,
// with no extra labels.
type PromOptions struct {
	// Prefix is put in front of every metric name, as in
	// "myapp_go_gc_heap_allocs_bytes_total". It must itself be a valid
	// start of a metric name: [a-zA-Z_:][a-zA-Z0-9_:]*.
	Prefix string

	// Labels are added to every series, in this order, such as
	// {"goarch", "amd64"} and {"translated", "1"} from archcheck's host
	// facts. Names must be valid label names ([a-zA-Z_][a-zA-Z0-9_]*),
	// not reserved ("__" prefix) and not "le"; values are any UTF-8.
	Labels []PromLabel

	// NoProcess leaves out the process metrics (see ReadProcess).
	NoProcess bool
}

// PromLabel is one constant label.
type PromLabel struct {
	Name, Value string
}

// PromBucketsSeconds and PromBucketsBytes are the upper bounds ("le") of
// the buckets WritePrometheus exports for runtime histograms measured in
// seconds and in bytes. They are fixed, whatever the Go version: the
// runtime's own buckets (162 for each time histogram in Go 1.26) change
// between releases, which breaks dashboards and multiplies series
// (client_golang issues #967 and #994). Seconds: powers of ten from 10 ns
// to 10 s, 10 buckets and +Inf. Bytes: powers of two from 8 B (the
// smallest size class) to 32 KiB (the largest), 13 buckets and +Inf. A
// histogram in another unit exports +Inf only, with its sum and count.
//
// A runtime bucket counts in the first fixed bucket at or above its
// upper edge, so a fixed bucket leaves out observations of a runtime
// bucket that straddles its bound: the runtime's time buckets are an
// eighth of a power of two wide, so at most the 12.5% just below each
// bound; size buckets follow size classes, at most 25% wide.
var (
	PromBucketsSeconds = []float64{1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10}
	PromBucketsBytes   = []float64{8, 16, 32, 64, 128, 256, 512, 1 << 10, 2 << 10, 4 << 10, 8 << 10, 16 << 10, 32 << 10}
)

// The "le" values of the fixed buckets, formatted once.
var (
	leSeconds = formatLE(PromBucketsSeconds)
	leBytes   = formatLE(PromBucketsBytes)
)

func formatLE(bounds []float64) []string {
	out := make([]string, len(bounds))
	for i, b := range bounds {
		out[i] = strconv.FormatFloat(b, 'g', -1, 64)
	}
	return out
}

// ErrPromOption is wrapped by the errors WritePrometheus returns for an
// invalid prefix or label.
var ErrPromOption = errors.New("invalid Prometheus option")

// promBuf is the reused output buffer of WritePrometheus.
type promBuf struct {
	b    []byte
	name []byte // the metric name being written
	lbl  []byte // the constant labels, formatted: `a="x",b="y"`
}

var promPool = sync.Pool{New: func() any { return new(promBuf) }}

// WritePrometheus writes s in the Prometheus text exposition format
// (version 0.0.4, Content-Type "text/plain; version=0.0.4") to w, in one
// Write. In steady state it allocates nothing but what ReadProcess does.
//
// # Names
//
// Runtime metrics get the names client_golang's Go collector gives them,
// derived mechanically from the runtime/metrics name: "go_", then the
// path with "/" and "-" replaced by "_", then "_" and the unit with "-"
// and "*" replaced by "_" and "/" by "_per_"; cumulative scalars are
// counters and get "_total". So /gc/heap/allocs:bytes is
// go_gc_heap_allocs_bytes_total and /sched/gomaxprocs:threads is
// go_sched_gomaxprocs_threads. Dashboards built on client_golang's
// runtime metrics (collectors.WithGoCollectorRuntimeMetrics) find the same
// series, except for histogram buckets (below). A metric whose name does
// not convert to a valid Prometheus name is left out. go_info{version}
// carries the Go version, as in client_golang.
//
// # Histograms
//
// Histograms become _bucket series with the fixed bounds of
// PromBucketsSeconds or PromBucketsBytes, plus _sum and _count. The
// runtime records no sums: _sum is the estimate Histogram.Sum gives, each
// runtime bucket's count times its midpoint (its finite edge when the
// other is infinite), good to the width of a runtime bucket. With Go
// 1.26's 113 metrics on Linux this makes 222 series per scrape: 105
// scalars, 6 time histograms of 13 series (11 buckets, sum, count), 2
// size histograms of 16, go_info, and 6 process series. Whatever the Go
// version, a histogram never has more than 16.
//
// # Process metrics
//
// Unless opts.NoProcess is set, the fields ReadProcess fills on this
// platform are exported under the names of client_golang's process
// collector: process_cpu_seconds_total, process_resident_memory_bytes,
// process_open_fds, process_max_fds, process_start_time_seconds; and
// process_resident_memory_max_bytes for the peak resident set, which
// client_golang does not export. Process metrics describe this process
// even when s was decoded from another one's output.
func WritePrometheus(w io.Writer, s *Snapshot, opts PromOptions) error {
	if err := checkPromOptions(opts); err != nil {
		return err
	}
	pb := promPool.Get().(*promBuf)
	defer promPool.Put(pb)
	pb.lbl = appendConstLabels(pb.lbl[:0], opts.Labels)
	b := pb.b[:0]
	for i := range s.Len() {
		m := s.At(i)
		name, ok := appendPromName(pb.name[:0], opts.Prefix, m)
		pb.name = name
		if !ok {
			continue
		}
		b = pb.appendMetric(b, m)
	}
	b = pb.appendInfo(b, opts.Prefix, s.GoVersion())
	if !opts.NoProcess {
		p, _ := ReadProcess() // the fields that could be read
		b = pb.appendProcess(b, opts.Prefix, p)
	}
	pb.b = b
	_, err := w.Write(b)
	return err
}

func checkPromOptions(opts PromOptions) error {
	for i := 0; i < len(opts.Prefix); i++ {
		c := opts.Prefix[i]
		if !(isNameStart(c) || c == ':' || i > 0 && c >= '0' && c <= '9') {
			return fmt.Errorf("%w: prefix %q: byte %d is not allowed in a metric name", ErrPromOption, opts.Prefix, i)
		}
	}
	for _, l := range opts.Labels {
		ok := l.Name != "" && l.Name != "le" && !strings.HasPrefix(l.Name, "__")
		for i := 0; ok && i < len(l.Name); i++ {
			c := l.Name[i]
			ok = isNameStart(c) || i > 0 && c >= '0' && c <= '9'
		}
		if !ok {
			return fmt.Errorf("%w: label name %q", ErrPromOption, l.Name)
		}
	}
	return nil
}

func isNameStart(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' }

func appendConstLabels(b []byte, labels []PromLabel) []byte {
	for i, l := range labels {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, l.Name...)
		b = append(b, `="`...)
		b = appendLabelValue(b, l.Value)
		b = append(b, '"')
	}
	return b
}

// appendLabelValue escapes a label value: backslash, double quote and
// newline.
func appendLabelValue(b []byte, v string) []byte {
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '\\':
			b = append(b, `\\`...)
		case '"':
			b = append(b, `\"`...)
		case '\n':
			b = append(b, `\n`...)
		default:
			b = append(b, c)
		}
	}
	return b
}

// appendPromName appends the Prometheus name of m, as client_golang's
// RuntimeMetricsToProm derives it (see WritePrometheus), reporting false
// when there is none. It rejects the names for which that function's
// path.Dir and path.Base would clean the path, so that converting byte by
// byte gives the same result.
func appendPromName(b []byte, prefix string, m Metric) ([]byte, bool) {
	key, unit, ok := strings.Cut(m.Name, ":")
	if !ok || len(key) < 2 || key[0] != '/' || unit == "" {
		return b, false
	}
	switch m.Kind {
	case metrics.KindUint64, metrics.KindFloat64, metrics.KindFloat64Histogram:
	default:
		return b, false
	}
	key = key[1:]
	if !strings.Contains(key, "/") || strings.Contains(key, "//") || strings.HasSuffix(key, "/") {
		return b, false
	}
	b = append(b, prefix...)
	b = append(b, "go_"...)
	for i := 0; i < len(key); i++ {
		switch c := key[i]; {
		case c == '/' || c == '-':
			b = append(b, '_')
		case isNameStart(c) || c >= '0' && c <= '9':
			b = append(b, c)
		default:
			return b, false
		}
	}
	b = append(b, '_')
	for i := 0; i < len(unit); i++ {
		switch c := unit[i]; {
		case c == '-' || c == '*':
			b = append(b, '_')
		case c == '/':
			b = append(b, "_per_"...)
		case isNameStart(c) || c >= '0' && c <= '9':
			b = append(b, c)
		default:
			return b, false
		}
	}
	if m.Cumulative && m.Kind != metrics.KindFloat64Histogram {
		b = append(b, "_total"...)
	}
	return b, true
}

// appendMetric appends the family of m, whose name is in pb.name.
func (pb *promBuf) appendMetric(b []byte, m Metric) []byte {
	if m.Description != "" {
		b = append(b, "# HELP "...)
		b = append(b, pb.name...)
		b = append(b, ' ')
		b = appendHelp(b, m.Description)
		b = append(b, '\n')
	}
	b = append(b, "# TYPE "...)
	b = append(b, pb.name...)
	switch {
	case m.Kind == metrics.KindFloat64Histogram:
		b = append(b, " histogram\n"...)
		return pb.appendHistogram(b, m)
	case m.Cumulative:
		b = append(b, " counter\n"...)
	default:
		b = append(b, " gauge\n"...)
	}
	b = pb.appendSeriesStart(b, "")
	if m.Kind == metrics.KindUint64 {
		b = strconv.AppendUint(b, m.Uint64, 10)
	} else {
		b = appendPromFloat(b, m.Float64)
	}
	return append(b, '\n')
}

// appendSeriesStart appends the name with suffix and the constant labels,
// up to the space before the value.
func (pb *promBuf) appendSeriesStart(b []byte, suffix string) []byte {
	b = append(b, pb.name...)
	b = append(b, suffix...)
	if len(pb.lbl) > 0 {
		b = append(b, '{')
		b = append(b, pb.lbl...)
		b = append(b, '}')
	}
	return append(b, ' ')
}

func (pb *promBuf) appendHistogram(b []byte, m Metric) []byte {
	h := m.Histogram
	var bounds []float64
	var les []string
	switch {
	case strings.HasSuffix(m.Name, ":seconds"):
		bounds, les = PromBucketsSeconds, leSeconds
	case strings.HasSuffix(m.Name, ":bytes"):
		bounds, les = PromBucketsBytes, leBytes
	}
	// Walk the runtime's buckets once, adding each count to the first
	// fixed bucket at or above its upper edge.
	malformed := len(h.Buckets) != len(h.Counts)+1
	var cum uint64
	j := 0
	for k, le := range les {
		for ; !malformed && j < len(h.Counts) && h.Buckets[j+1] <= bounds[k]; j++ {
			cum += h.Counts[j]
		}
		b = pb.appendBucket(b, le)
		b = strconv.AppendUint(b, cum, 10)
		b = append(b, '\n')
	}
	count := h.Count()
	b = pb.appendBucket(b, "+Inf")
	b = strconv.AppendUint(b, count, 10)
	b = append(b, '\n')
	b = pb.appendSeriesStart(b, "_sum")
	sum := h.Sum()
	if malformed || math.IsNaN(sum) {
		sum = 0
	}
	b = appendPromFloat(b, sum)
	b = append(b, '\n')
	b = pb.appendSeriesStart(b, "_count")
	b = strconv.AppendUint(b, count, 10)
	return append(b, '\n')
}

func (pb *promBuf) appendBucket(b []byte, le string) []byte {
	b = append(b, pb.name...)
	b = append(b, "_bucket{"...)
	if len(pb.lbl) > 0 {
		b = append(b, pb.lbl...)
		b = append(b, ',')
	}
	b = append(b, `le="`...)
	b = append(b, le...)
	return append(b, `"} `...)
}

// appendInfo appends go_info{version="..."} 1, as client_golang does.
func (pb *promBuf) appendInfo(b []byte, prefix, version string) []byte {
	pb.name = append(append(pb.name[:0], prefix...), "go_info"...)
	b = append(b, "# HELP "...)
	b = append(b, pb.name...)
	b = append(b, " The Go version of the process the metrics are from.\n# TYPE "...)
	b = append(b, pb.name...)
	b = append(b, " gauge\n"...)
	b = append(b, pb.name...)
	b = append(b, `{`...)
	if len(pb.lbl) > 0 {
		b = append(b, pb.lbl...)
		b = append(b, ',')
	}
	b = append(b, `version="`...)
	b = appendLabelValue(b, version)
	return append(b, "\"} 1\n"...)
}

// appendProcess appends the process metrics p holds.
func (pb *promBuf) appendProcess(b []byte, prefix string, p Process) []byte {
	add := func(f ProcessField, name, typ, help string, v float64) {
		if !p.Has(f) {
			return
		}
		pb.name = append(append(pb.name[:0], prefix...), name...)
		b = append(b, "# HELP "...)
		b = append(b, pb.name...)
		b = append(b, ' ')
		b = append(b, help...)
		b = append(b, "\n# TYPE "...)
		b = append(b, pb.name...)
		b = append(b, typ...)
		b = pb.appendSeriesStart(b, "")
		b = appendPromFloat(b, v)
		b = append(b, '\n')
	}
	add(ProcessCPU, "process_cpu_seconds_total", " counter\n", "User and system CPU time of this process, in seconds.", p.CPUSeconds)
	add(ProcessRSS, "process_resident_memory_bytes", " gauge\n", "Resident set size of this process, in bytes.", float64(p.RSSBytes))
	add(ProcessMaxRSS, "process_resident_memory_max_bytes", " gauge\n", "Peak resident set size of this process, in bytes.", float64(p.MaxRSSBytes))
	add(ProcessOpenFDs, "process_open_fds", " gauge\n", "File descriptors this process has open.", float64(p.OpenFDs))
	add(ProcessMaxFDs, "process_max_fds", " gauge\n", "Soft limit on this process's open file descriptors.", float64(p.MaxFDs))
	add(ProcessStartTime, "process_start_time_seconds", " gauge\n", "When this process started, in seconds since the Unix epoch.",
		float64(p.StartTime.UnixNano())/1e9)
	return b
}

// appendHelp escapes a HELP text: backslash and newline.
func appendHelp(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b = append(b, `\\`...)
		case '\n':
			b = append(b, `\n`...)
		default:
			b = append(b, c)
		}
	}
	return b
}

// appendPromFloat appends f as the text format writes floats: Go's
// shortest representation, with +Inf, -Inf and NaN spelled so.
func appendPromFloat(b []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(b, "+Inf"...)
	case math.IsInf(f, -1):
		return append(b, "-Inf"...)
	case math.IsNaN(f):
		return append(b, "NaN"...)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}
