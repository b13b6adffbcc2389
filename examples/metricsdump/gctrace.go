package main

// The -gctrace mode: metricsdump -gctrace [-json] [--] CMD ARGS...
//
// It runs CMD, unchanged, with gctrace=1 appended to its GODEBUG, passes
// the program's own standard output and standard error on to standard
// error (so that standard output holds only the summary, text or JSON),
// and prints a summary of its garbage collector once it exits. An
// interrupt stops the program, and everything it started in its process
// group, and still prints the summary.

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nativego/nativego/metricsx"
)

// gcTraceJSON is the -gctrace -json output: one object.
type gcTraceJSON struct {
	Command     []string `json:"command"`
	ExitCode    int      `json:"exit_code"` // -1: killed by a signal, or not started
	Error       string   `json:"error,omitempty"`
	WallSeconds float64  `json:"wall_seconds"`

	Cycles          int     `json:"cycles"`
	Forced          int     `json:"forced"`
	Breaks          int     `json:"breaks"`
	CyclesPerSecond float64 `json:"cycles_per_second"`
	PauseP50        float64 `json:"pause_p50_seconds"`
	PauseP99        float64 `json:"pause_p99_seconds"`
	PauseMax        float64 `json:"pause_max_seconds"`
	PauseTotal      float64 `json:"pause_total_seconds"`
	GCCPUSeconds    float64 `json:"gc_cpu_seconds"`
	CPUShare        float64 `json:"gc_cpu_share"`
	RuntimeCPUPct   int     `json:"runtime_gc_cpu_percent"`
	AllocBytesPerS  float64 `json:"alloc_bytes_per_second"`
	PeakHeapMB      uint64  `json:"peak_heap_mib"`
	MaxProcs        int     `json:"gomaxprocs"`

	Trace metricsx.GCTraceStats `json:"trace"`
}

func runGCTrace(stdout, stderr io.Writer, args []string) int {
	fs := flag.NewFlagSet("metricsdump -gctrace", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: metricsdump -gctrace [-json] [--] CMD ARGS...\n")
		fs.PrintDefaults()
	}
	jsonOut := fs.Bool("json", false, "print the summary as one JSON object")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cmd := fs.Args()
	res, err := metricsx.RunGCTrace(ctx, metricsx.GCTraceCommand{
		Path: cmd[0], Args: cmd[1:], Stdin: os.Stdin, Stdout: stderr, Stderr: stderr,
	})
	var exitErr *exec.ExitError
	failed := err != nil
	if res == nil || res.State == nil && !errors.As(err, &exitErr) {
		// The program did not start: nothing to summarize.
		fmt.Fprintf(stderr, "metricsdump: %v\n", err)
		return 1
	}
	if *jsonOut {
		writeGCTraceJSON(stdout, cmd, res, err)
	} else {
		writeGCTraceText(stdout, cmd, res, err)
	}
	if failed {
		return 1
	}
	return 0
}

func writeGCTraceJSON(w io.Writer, cmd []string, res *metricsx.GCTraceResult, err error) {
	s := res.Summary
	out := gcTraceJSON{
		Command: cmd, ExitCode: res.ExitCode, WallSeconds: res.Wall.Seconds(),
		Cycles: s.Cycles, Forced: s.Forced, Breaks: s.Breaks, CyclesPerSecond: s.CyclesPerSecond,
		PauseP50: s.PauseP50.Seconds(), PauseP99: s.PauseP99.Seconds(), PauseMax: s.PauseMax.Seconds(),
		PauseTotal: s.PauseTotal.Seconds(), GCCPUSeconds: s.GCCPU.Seconds(), CPUShare: s.CPUShare,
		RuntimeCPUPct: s.RuntimeCPUPercent, AllocBytesPerS: s.AllocBytesPerSecond,
		PeakHeapMB: s.PeakHeapMB, MaxProcs: s.MaxProcs, Trace: res.Stats,
	}
	if err != nil {
		out.Error = err.Error()
	}
	enc := json.NewEncoder(w)
	enc.Encode(out)
}

func writeGCTraceText(w io.Writer, cmd []string, res *metricsx.GCTraceResult, err error) {
	s, st := res.Summary, res.Stats
	status := "exit status " + fmt.Sprint(res.ExitCode)
	if err != nil && res.ExitCode <= 0 {
		status = err.Error()
	}
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "program\t%s (%s, %v)\n", strings.Join(cmd, " "), status, res.Wall.Round(time.Millisecond))
	if s.Cycles == 0 {
		fmt.Fprintf(tw, "cycles\t0: the program printed no gctrace lines (not a Go program, or it exited before its first GC)\n")
		tw.Flush()
		return
	}
	fmt.Fprintf(tw, "cycles\t%d (%d forced), %.1f/s\n", s.Cycles, s.Forced, s.CyclesPerSecond)
	fmt.Fprintf(tw, "pauses\tp50 %v  p99 %v  max %v  total %v\n", s.PauseP50, s.PauseP99, s.PauseMax, s.PauseTotal)
	fmt.Fprintf(tw, "GC CPU\t%v, %.1f%% of %d Ps (runtime: %d%% since start)\n",
		s.GCCPU.Round(time.Microsecond), 100*s.CPUShare, s.MaxProcs, s.RuntimeCPUPercent)
	fmt.Fprintf(tw, "allocation\t~%.1f MiB/s (estimate from heap sizes)\n", s.AllocBytesPerSecond/(1<<20))
	fmt.Fprintf(tw, "peak heap\t%d MiB\n", s.PeakHeapMB)
	fmt.Fprintf(tw, "trace\t%d lines, %d repaired, %d torn, %d breaks in numbering\n", st.Lines, st.Repaired, st.Torn, s.Breaks)
	tw.Flush()
}
