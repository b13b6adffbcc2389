package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"runtime/metrics"
	"time"

	"github.com/nativego/nativego/metricsx"
)

func dump(w io.Writer, format string) error {
	s := metricsx.ReadSnapshot()
	switch format {
	case "json":
		_, err := w.Write(append(s.AppendJSON(nil), '\n'))
		return err
	case "prometheus":
		return dumpPrometheus(w, s)
	}
	return dumpText(w, s)
}

func dumpPrometheus(w io.Writer, s *metricsx.Snapshot) error {
	return metricsx.WritePrometheus(w, s, metricsx.PromOptions{})
}

// dumpText prints one metric per line, name then value; histograms as
// their count and quantiles, durations in Go's notation.
func dumpText(w io.Writer, s *metricsx.Snapshot) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "# %s %s/%s at %s\n", s.GoVersion(), s.GOOS(), s.GOARCH(), s.Time().UTC().Format(time.RFC3339))
	width := 0
	for i := range s.Len() {
		width = max(width, len(s.At(i).Name))
	}
	for i := range s.Len() {
		m := s.At(i)
		fmt.Fprintf(bw, "%-*s  ", width, m.Name)
		switch m.Kind {
		case metrics.KindUint64:
			fmt.Fprintf(bw, "%d\n", m.Uint64)
		case metrics.KindFloat64:
			fmt.Fprintf(bw, "%g\n", m.Float64)
		case metrics.KindFloat64Histogram:
			h := m.Histogram
			n := h.Count()
			if n == 0 {
				fmt.Fprintf(bw, "count=0\n")
				continue
			}
			q := func(v float64) string { return quantity(v, m.Name) }
			fmt.Fprintf(bw, "count=%d p50=%s p99=%s max=%s\n", n, q(h.Quantile(0.5)), q(h.Quantile(0.99)), q(h.Max()))
		}
	}
	p, err := metricsx.ReadProcess()
	if p.Has(metricsx.ProcessCPU) {
		fmt.Fprintf(bw, "%-*s  %.3f\n", width, "process cpu seconds", p.CPUSeconds)
	}
	if p.Has(metricsx.ProcessMaxRSS) {
		fmt.Fprintf(bw, "%-*s  %d\n", width, "process max rss bytes", p.MaxRSSBytes)
	}
	if p.Has(metricsx.ProcessRSS) {
		fmt.Fprintf(bw, "%-*s  %d\n", width, "process rss bytes", p.RSSBytes)
	}
	if p.Has(metricsx.ProcessOpenFDs) {
		fmt.Fprintf(bw, "%-*s  %d\n", width, "process open fds", p.OpenFDs)
	}
	if p.Has(metricsx.ProcessMaxFDs) {
		fmt.Fprintf(bw, "%-*s  %d\n", width, "process max fds", p.MaxFDs)
	}
	if p.Has(metricsx.ProcessStartTime) {
		fmt.Fprintf(bw, "%-*s  %s\n", width, "process start time", p.StartTime.UTC().Format(time.RFC3339Nano))
	}
	if err != nil {
		fmt.Fprintf(bw, "# process statistics incomplete: %v\n", err)
	}
	return bw.Flush()
}

// quantity formats a histogram value: a duration for :seconds metrics.
func quantity(v float64, name string) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Sprint(v)
	}
	if len(name) > 8 && name[len(name)-8:] == ":seconds" {
		return time.Duration(v * 1e9).String()
	}
	return fmt.Sprintf("%.4g", v)
}
