// Metricsdump prints or serves this process's Go runtime metrics.
//
// Usage:
//
//	metricsdump [-format text|json|prometheus] [-json]
//	metricsdump -serve 127.0.0.1:6060 [-compare URL] [-interval 1s] [-churn BYTES]
//	metricsdump -gctrace [-json] [--] CMD ARGS...
//
// With no -serve it prints one snapshot of every metric runtime/metrics
// offers, and the process statistics, as text (histograms summarized by
// count, p50, p99 and max), as JSON (the metricsx schema, -json is short
// for -format json) or in the Prometheus text format.
//
// With -serve it serves, until interrupted:
//
//	/             a live page plotting heap, allocation rate, GC pauses and
//	              scheduler latency of this process and of the -compare one
//	/metrics      this process's metrics, JSON or Prometheus text by Accept
//	              header or ?format=json|prometheus
//	/debug/vars   expvar, with the metrics under "metricsx"
//
// -compare names another process's /metrics endpoint (such as another
// metricsdump -serve, or any program serving metricsx.Handler): it is
// polled every -interval into its own history, drawn beside this one on
// one time axis. -churn makes this process allocate that many bytes of
// garbage a second, so that the page has something to show.
//
// The exit status is 0 on success, 1 on failure and 2 for usage errors.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"
)

func main() { os.Exit(run(os.Stdout, os.Stderr, os.Args[1:])) }

// gctraceMode runs `metricsdump -gctrace [-json] [--] CMD ARGS...`, given
// the arguments after -gctrace; it parses its own flags (gctrace.go).
var gctraceMode = runGCTrace

type options struct {
	format   string
	serve    string
	compare  string
	interval time.Duration
	churn    int64
}

func run(stdout, stderr io.Writer, args []string) int {
	// -gctrace is a mode with flags of its own, so it must come first.
	if len(args) > 0 && (args[0] == "-gctrace" || args[0] == "--gctrace") {
		if gctraceMode == nil {
			fmt.Fprintf(stderr, "metricsdump: -gctrace is not built into this version\n")
			return 2
		}
		return gctraceMode(stdout, stderr, args[1:])
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return runContext(ctx, stdout, stderr, args, nil)
}

// runContext is run with a context that ends serving, and a function
// told the address served on (for tests; nil otherwise).
func runContext(ctx context.Context, stdout, stderr io.Writer, args []string, listening func(addr string)) int {
	fs := flag.NewFlagSet("metricsdump", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.format, "format", "text", "output `format`: text, json or prometheus")
	jsonOut := fs.Bool("json", false, "short for -format json")
	fs.StringVar(&o.serve, "serve", "", "serve the page and exporters on `addr` instead of printing")
	fs.StringVar(&o.compare, "compare", "", "with -serve, also plot the process whose metrics endpoint is at `URL`")
	fs.DurationVar(&o.interval, "interval", time.Second, "with -serve, time between samples")
	fs.Int64Var(&o.churn, "churn", 0, "with -serve, allocate `bytes` of garbage per second")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: metricsdump [-format text|json|prometheus] [-json]\n")
		fmt.Fprintf(stderr, "       metricsdump -serve addr [-compare URL] [-interval d] [-churn bytes]\n")
		fmt.Fprintf(stderr, "       metricsdump -gctrace [-json] [--] cmd [args...]\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *jsonOut {
		o.format = "json"
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	switch o.format {
	case "text", "json", "prometheus":
	default:
		fmt.Fprintf(stderr, "metricsdump: unknown -format %q\n", o.format)
		fs.Usage()
		return 2
	}
	if o.serve == "" {
		if o.compare != "" || o.churn != 0 {
			fmt.Fprintf(stderr, "metricsdump: -compare and -churn need -serve\n")
			return 2
		}
		if err := dump(stdout, o.format); err != nil {
			fmt.Fprintf(stderr, "metricsdump: %v\n", err)
			return 1
		}
		return 0
	}
	if o.interval <= 0 || o.churn < 0 {
		fmt.Fprintf(stderr, "metricsdump: -interval and -churn must be positive\n")
		return 2
	}
	if err := serve(ctx, stderr, o, listening); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintf(stderr, "metricsdump: %v\n", err)
		return 1
	}
	return 0
}
