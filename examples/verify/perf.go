package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/nativego/nativego/archcheck"
	"github.com/nativego/nativego/benchkit"
	"github.com/nativego/nativego/metricsx"
	"golang.org/x/perf/benchfmt"
)

// size is how much the performance and runtime sections measure.
type size struct {
	rounds  int           // measured runs of each command
	work    int           // the program's argument for the CPU-bound run
	runtime time.Duration // the runtime workload's length
}

func (o options) size() size {
	switch {
	case o.quick:
		return size{rounds: 6, work: 20, runtime: 200 * time.Millisecond}
	case o.full:
		return size{rounds: 20, work: 100, runtime: 2 * time.Second}
	}
	// Ten rounds give a 95% interval for the median (benchkit needs
	// six at least) with room for an outlier.
	return size{rounds: 10, work: 40, runtime: 500 * time.Millisecond}
}

type perfDetails struct {
	Exec   *benchkit.Exec `json:"exec"`
	Rounds int            `json:"rounds"`
	Rows   []perfRow      `json:"rows"`
}

// A perfRow is one benchmark and unit: the native median with its
// interval, the foreign one, and their ratio with its interval.
type perfRow struct {
	Name     string   `json:"name"`
	Unit     string   `json:"unit"`
	Native   interval `json:"native"`
	Foreign  interval `json:"foreign"`
	Ratio    interval `json:"ratio"`
	Warnings []string `json:"warnings,omitempty"`
}

// An interval is a center with its confidence interval; bounds are null
// (NaN, infinite) when the sample is too small for one.
type interval struct {
	Center float64  `json:"center"`
	Lo     *float64 `json:"lo"`
	Hi     *float64 `json:"hi"`
}

func newInterval(c, lo, hi float64) interval {
	fin := func(x float64) *float64 {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
		return &x
	}
	return interval{Center: c, Lo: fin(lo), Hi: fin(hi)}
}

func (v *verifier) checkPerformance(ctx context.Context, s *section) {
	switch {
	case v.injected:
		s.skip("native-vs-foreign", "host facts injected: performance can only be measured on the machine itself")
		return
	case v.native == "" || v.foreign == "":
		s.skip("native-vs-foreign", "the build section made no native and cross-built pair to compare")
		return
	}
	ex, err := benchkit.ChooseExec(v.foreign, v.host, nil)
	if err != nil || ex.Verdict == archcheck.Incompatible || ex.Verdict == archcheck.NotExecutable {
		why := "nothing here translates or emulates it"
		if err != nil {
			why = err.Error()
		} else if len(ex.Reasons) > 0 {
			why = strings.Join(ex.Reasons, "; ")
		}
		s.skip("native-vs-foreign", "no translated or emulated comparison: "+why+" (install qemu-user to compare native with emulated code)")
		return
	}
	sz := v.opts.size()
	config := "emulated"
	if ex.Translated {
		config = "translated"
	}
	work := strconv.Itoa(sz.work)
	foreign := func(args ...string) []string {
		return append(append(append([]string{}, ex.Wrapper...), v.foreign), args...)
	}
	cmds := []benchkit.Command{
		{Name: "Startup", Config: "native", Exec: "native", Args: []string{v.native}},
		{Name: "Startup", Config: config, Exec: ex.Label, Translated: ex.Translated, Emulated: ex.Emulated, Args: foreign()},
		{Name: "Sort", Config: "native", Exec: "native", Args: []string{v.native, work}},
		{Name: "Sort", Config: config, Exec: ex.Label, Translated: ex.Translated, Emulated: ex.Emulated, Args: foreign(work)},
	}
	m, err := benchkit.Measure(ctx, cmds, &benchkit.MeasureOptions{Runs: sz.rounds, Warmup: 1, Timeout: time.Minute})
	if err != nil {
		s.warn("native-vs-foreign", "measuring failed: "+err.Error(), "")
		return
	}
	var raw bytes.Buffer
	if err := m.WriteTo(benchfmt.NewWriter(&raw)); err != nil {
		s.warn("native-vs-foreign", err.Error(), "")
		return
	}
	// Wall time only: the start-up benchmark's wall time is its start-up
	// latency. The time to first byte adds nothing for programs that
	// print just before exiting, and benchkit records it as "exit"
	// in some runs of such programs, leaving samples too small for
	// intervals.
	b, err := benchkit.NewBuilder(benchkit.CompareOptions{Filter: `.unit:"sec/op"`})
	if err == nil {
		err = b.Read(&raw, "verify")
	}
	if err != nil {
		s.warn("native-vs-foreign", err.Error(), "")
		return
	}
	rep := b.Build()
	d := &perfDetails{Exec: ex, Rounds: sz.rounds, Rows: []perfRow{}}
	s.Details = d
	for _, t := range rep.Tables {
		if len(t.Columns) < 2 {
			continue
		}
		for _, row := range t.Rows {
			if len(row.Cells) < 2 || row.Cells[0] == nil || row.Cells[1] == nil || row.Cells[1].Vs == nil {
				continue
			}
			n, f := row.Cells[0], row.Cells[1]
			est, lo, hi := f.Vs.Ratio()
			r := perfRow{Name: row.Name, Unit: t.Unit,
				Native: newInterval(n.Center, n.Lo, n.Hi), Foreign: newInterval(f.Center, f.Lo, f.Hi), Ratio: newInterval(est, lo, hi)}
			r.Warnings = append(append(r.Warnings, n.Warnings...), f.Warnings...)
			d.Rows = append(d.Rows, r)
			name := row.Name[strings.LastIndex(row.Name, "/")+1:]
			s.ok(strings.ToLower(name)+"-"+unitLabel(t.Unit), fmt.Sprintf("%s, %s: native %s, %s %s: %s", name, unitLabel(t.Unit),
				seconds(n.Center), ex.Label, seconds(f.Center), ratioText(est, lo, hi)))
		}
	}
	var text, md bytes.Buffer
	if err := rep.WriteText(&text, benchkit.ViewTable); err == nil {
		s.text = text.String()
	}
	// The Markdown report shows the cost view: the ratios with their
	// intervals, the table people publish.
	if err := rep.WriteMarkdown(&md, benchkit.ViewCost); err == nil {
		s.markdown = md.String()
	}
	// rep.Warnings (machine load, how peak RSS was read) are in the
	// tables' text; the host section already warns about the machine.
}

func unitLabel(unit string) string {
	switch unit {
	case benchkit.UnitWall:
		return "wall"
	case benchkit.UnitFirstByte:
		return "first-byte"
	}
	return unit
}

func seconds(s float64) string {
	return time.Duration(s * float64(time.Second)).Round(10 * time.Microsecond).String()
}

func ratioText(est, lo, hi float64) string {
	if math.IsNaN(lo) || math.IsInf(lo, 0) || math.IsNaN(hi) || math.IsInf(hi, 0) {
		return fmt.Sprintf("%.2fx slower (too few runs for an interval)", est)
	}
	return fmt.Sprintf("%.2fx slower (95%% interval %.2fx to %.2fx)", est, lo, hi)
}

// gcSink keeps the runtime workload's allocations reachable long enough
// to be real work for the collector.
var gcSink [][]byte

func (v *verifier) checkRuntime(ctx context.Context, s *section) {
	sz := v.opts.size()
	before := metricsx.ReadSnapshot()
	// An allocation-heavy loop of a few live megabytes: enough to make
	// the collector run many cycles in a fraction of a second.
	deadline := time.Now().Add(sz.runtime)
	gcSink = make([][]byte, 4096)
	for i := 0; time.Now().Before(deadline); i++ {
		gcSink[i%len(gcSink)] = make([]byte, 1024+i%4096)
	}
	gcSink = nil
	after := metricsx.ReadSnapshot()
	var w metricsx.Window
	if err := w.Set(before, after); err != nil {
		s.warn("gc", err.Error(), "")
		return
	}
	sum := w.Summary()
	s.Details = sum
	s.ok("alloc-rate", fmt.Sprintf("%.0f MB/s allocated, %.0f GC cycles/s, GC used %.1f%% of the CPU over %s (%s, GOMAXPROCS %d)",
		sum.AllocBytesPerSec/1e6, sum.GCCyclesPerSec, 100*sum.GCCPUFraction, w.Duration().Round(time.Millisecond), runtime.Version(), runtime.GOMAXPROCS(0)))
	p := sum.GCPauses
	msg := fmt.Sprintf("%d GC pauses: median %s, p99 %s, max %s", p.Count, seconds(p.P50), seconds(p.P99), seconds(p.Max))
	// Go's pauses are tens of microseconds; ten milliseconds means the
	// process lost its CPU mid-pause: an overloaded or throttled machine.
	if p.P99 > 0.010 {
		s.warn("gc-pauses", msg+": long pauses mean the process lost the CPU, a sign of an overloaded machine", "close what keeps the machine busy")
		return
	}
	s.ok("gc-pauses", msg)
}
