// Httpload sends HTTP requests to a server on this machine and reports
// throughput and latency honestly.
//
// Usage:
//
//	httpload [-c 32] [-d 10s] [-n N] [-rate R] [-ramp 5s] [-warmup D]
//	         [-cpus LIST] [-server-pid PID] [-H 'K: V']... [-m METHOD] [-body FILE]
//	         [-timeout D] [-http2] [-json | -bench NAME] [-svg FILE] [-wrk] [-count K]
//	         [-allow-remote] URL
//
// Without -rate it runs a closed loop: -c connections, each sending its
// next request as soon as the last is answered. With -rate it runs an open
// loop at R requests per second (ramped up from 0 over -ramp), and reports
// latency both from each request's scheduled send time (corrected for
// coordinated omission) and from its actual send time (uncorrected), and
// how many scheduled requests it could not send for lack of a free
// connection. Statistics exclude the -warmup.
//
// -cpus confines the generator to CPUs (Linux; macOS has no hard
// affinity); -server-pid names the server's process, to warn when the two
// share CPUs. -json prints one JSON object; -bench prints Go benchmark
// lines for benchstat; -svg writes a latency-by-percentile plot.
//
// -count K runs the load K times, one after the other, as go test -count
// runs a benchmark: -bench then prints K lines, the samples benchstat and
// benchcompare need; -json prints one object per run; -svg plots one line
// per run.
//
// -wrk, in closed loop, also reports the latencies as wrk 4 would print
// them: before printing, wrk adds samples for the requests it assumes a
// connection held up by a slow response would have sent (its disputed
// coordinated-omission correction, wg/wrk#485), which raises every
// percentile. Compare wrk's numbers with these, not with the measured ones.
//
// Only loopback targets are allowed unless -allow-remote is given.
//
// The exit status is 0 when every request succeeded, 1 when some failed
// or could not be sent on schedule (the report is printed all the same) or
// the run could not start, and 2 for usage errors.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/term"

	"github.com/nativego/nativego/benchkit/load"
)

func main() { os.Exit(run(os.Stdout, os.Stderr, os.Args[1:])) }

// headerFlag collects repeated -H flags.
type headerFlag []string

func (h *headerFlag) String() string     { return strings.Join(*h, ", ") }
func (h *headerFlag) Set(v string) error { *h = append(*h, v); return nil }

func run(stdout, stderr io.Writer, args []string) int {
	fs := flag.NewFlagSet("httpload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		conns       = fs.Int("c", 32, "connections (requests in flight at most)")
		duration    = fs.Duration("d", 0, "measured duration (default 10s, or until -n requests)")
		count       = fs.Int64("n", 0, "measured requests (0: no count bound)")
		rate        = fs.Float64("rate", 0, "open loop: requests per second (0: closed loop)")
		ramp        = fs.Duration("ramp", 0, "open loop: raise the rate from 0 over this time")
		warmup      = fs.Duration("warmup", 0, "unmeasured warmup before the run")
		cpus        = fs.String("cpus", "", "confine the generator to these CPUs, as in taskset -c (Linux)")
		serverPID   = fs.Int("server-pid", 0, "the server's process id, to check for shared CPUs (Linux)")
		method      = fs.String("m", "GET", "request method")
		bodyFile    = fs.String("body", "", "send this file's contents as the request body")
		timeout     = fs.Duration("timeout", load.DefaultHTTPTimeout, "per-request timeout")
		http2       = fs.Bool("http2", false, "use HTTP/2 (over TLS for https://, h2c for http://)")
		jsonOut     = fs.Bool("json", false, "print one JSON object (one per run with -count)")
		bench       = fs.String("bench", "", "print Go benchmark lines with this benchmark name")
		svg         = fs.String("svg", "", "write a latency-by-percentile plot (SVG) to this file")
		wrk         = fs.Bool("wrk", false, "closed loop: also report latency as wrk 4 prints it, with its correction")
		runs        = fs.Int("count", 1, "run the load this many times, one after the other")
		allowRemote = fs.Bool("allow-remote", false, "allow targets that are not on this machine's loopback")
		headers     headerFlag
	)
	fs.Var(&headers, "H", "request header 'Key: Value' (repeatable)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: httpload [flags] URL\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "httpload: "+format+"\n", a...)
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	if *jsonOut && *bench != "" {
		return usage("-json and -bench are exclusive")
	}
	if *runs < 1 {
		return usage("-count must be positive")
	}
	if *wrk && *rate > 0 {
		return usage("-wrk applies to the closed loop, where wrk applies its correction")
	}
	target := fs.Arg(0)
	hdr := http.Header{}
	for _, h := range headers {
		k, v, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(k) == "" {
			return usage("-H %q: want 'Key: Value'", h)
		}
		hdr.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if !*allowRemote {
		if err := checkLoopback(ctx, target); err != nil {
			return usage("%v; pass -allow-remote to load another machine", err)
		}
	}
	hc := load.HTTPConfig{URL: target, Method: *method, Header: hdr, Timeout: *timeout}
	if *http2 {
		hc.Protocol = load.HTTP2
	}
	if *bodyFile != "" {
		b, err := os.ReadFile(*bodyFile)
		if err != nil {
			return usage("-body: %v", err)
		}
		hc.Body = b
	}
	tg, err := load.NewHTTP(hc)
	if err != nil {
		return usage("%v", err)
	}
	cfg := load.Config{
		Connections: *conns, Duration: *duration, Requests: *count, Warmup: *warmup,
		Rate: *rate, Ramp: *ramp, ServerPID: *serverPID,
	}
	if *conns <= 0 {
		return usage("-c must be positive")
	}
	if *cpus != "" {
		list, err := load.ParseCPUList(*cpus)
		if err != nil {
			return usage("-cpus: %v", err)
		}
		if err := load.SetAffinity(list); err != nil {
			fmt.Fprintf(stderr, "httpload: -cpus: %v\n", err)
			return 1
		}
	}
	if isTerminal(stderr) {
		mode := "closed loop"
		if *rate > 0 {
			mode = fmt.Sprintf("open loop at %g req/s", *rate)
		}
		fmt.Fprintf(stderr, "httpload: %s, %d connections, %s …\n", mode, *conns, target)
	}
	status := 0
	var results []measured
	for i := range *runs {
		res, err := load.Run(ctx, tg, cfg)
		if err != nil && res == nil {
			var ce *load.ConfigError
			if errors.As(err, &ce) {
				return usage("%v", err)
			}
			fmt.Fprintf(stderr, "httpload: %v\n", err)
			if len(results) == 0 {
				return 1
			}
			status = 1
			break // report the runs done
		}
		if err != nil {
			fmt.Fprintf(stderr, "httpload: run cut short: %v\n", err)
			status = 1
		}
		if res.Stats.Errors > 0 || res.Missed > 0 {
			status = 1
		}
		// With -wrk, the latencies as wrk would print them.
		var asWrk *load.Histogram
		if *wrk {
			asWrk = res.Latency.WrkCorrected(res.WrkInterval())
		}
		results = append(results, measured{res, asWrk})
		switch {
		case *jsonOut:
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			out := jsonReport{Summary: res.Summary()}
			if asWrk != nil {
				s := load.LatencySummary(asWrk)
				out.LatencyWrk, out.WrkIntervalSec = &s, res.WrkInterval().Seconds()
			}
			if err := enc.Encode(out); err != nil {
				fmt.Fprintf(stderr, "httpload: %v\n", err)
				return 1
			}
		case *bench != "":
			// Written once all runs are in, below.
		default:
			if *runs > 1 {
				if i > 0 {
					fmt.Fprintln(stdout)
				}
				fmt.Fprintf(stdout, "run %d of %d: ", i+1, *runs)
			}
			printText(stdout, target, res, asWrk)
		}
		if ctx.Err() != nil {
			break // interrupted: report the runs so far
		}
	}
	if *bench != "" {
		if err := writeBench(stdout, *bench, target, results); err != nil {
			fmt.Fprintf(stderr, "httpload: %v\n", err)
			return 1
		}
	}
	if *svg != "" {
		if err := writeSVG(*svg, plotSeries(results)); err != nil {
			fmt.Fprintf(stderr, "httpload: %v\n", err)
			return 1
		}
	}
	return status
}

// measured is one run's result and, with -wrk, its latency as wrk would
// print it.
type measured struct {
	*load.Result
	asWrk *load.Histogram
}

// plotSeries returns the lines of -svg's plot: for one run its latency,
// beside its uncorrected latency in open loop or its latency as wrk prints
// it (-wrk); for several runs, each run's latency.
func plotSeries(runs []measured) []load.PlotSeries {
	if len(runs) > 1 {
		series := make([]load.PlotSeries, len(runs))
		for i, r := range runs {
			series[i] = load.PlotSeries{Name: fmt.Sprintf("run %d", i+1), Hist: &r.Latency}
		}
		return series
	}
	r := runs[0]
	switch {
	case r.OpenLoop:
		return []load.PlotSeries{
			{Name: "corrected (from scheduled send)", Hist: &r.Latency},
			{Name: "uncorrected (from actual send)", Hist: &r.Uncorrected},
		}
	case r.asWrk != nil:
		return []load.PlotSeries{
			{Name: "measured", Hist: &r.Latency},
			{Name: "as wrk prints it", Hist: r.asWrk},
		}
	}
	return []load.PlotSeries{{Name: "latency", Hist: &r.Latency}}
}

// jsonReport is -json's object: the library's summary, and with -wrk the
// latencies as wrk would print them.
type jsonReport struct {
	*load.Summary
	LatencyWrk     *load.SummaryLatency `json:"latency_wrk_sec,omitempty"`
	WrkIntervalSec float64              `json:"wrk_interval_sec,omitempty"`
}

// wrkUnits are the benchmark units -wrk adds.
var wrkUnits = []string{"p50-wrk-sec", "p90-wrk-sec", "p99-wrk-sec", "mean-wrk-sec"}

// writeBench writes runs as benchmark lines named name; with -wrk, each
// run's first result (all requests) also carries wrkUnits.
func writeBench(w io.Writer, name, target string, runs []measured) error {
	config := map[string]string{"url": target}
	if runs[0].asWrk == nil {
		results := make([]*load.Result, len(runs))
		for i, r := range runs {
			results[i] = r.Result
		}
		return load.WriteBenchfmt(w, name, config, results...)
	}
	// The units' metadata, then the results with the added values.
	if err := load.WriteBenchfmt(w, name, config); err != nil {
		return err
	}
	bw := benchfmt.NewWriter(w)
	for _, u := range wrkUnits {
		if err := bw.Write(&benchfmt.UnitMetadata{UnitMetadataKey: benchfmt.UnitMetadataKey{Unit: u, Key: "better"}, OrigUnit: u, Value: "lower"}); err != nil {
			return err
		}
	}
	for _, r := range runs {
		rs := r.Benchfmt(name, config)
		p := r.asWrk.Summary()
		for i, d := range []time.Duration{p.P50, p.P90, p.P99, p.Mean} {
			rs[0].Values = append(rs[0].Values, benchfmt.Value{Value: d.Seconds(), Unit: wrkUnits[i]})
		}
		for _, b := range rs {
			if err := bw.Write(b); err != nil {
				return err
			}
		}
	}
	return nil
}

func writeSVG(path string, series []load.PlotSeries) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := load.WritePercentileSVG(f, series); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// checkLoopback returns an error unless every address of rawURL's host is
// a loopback address.
func checkLoopback(ctx context.Context, rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return err
	}
	host := u.Hostname()
	if host == "" {
		return fmt.Errorf("%q has no host", rawURL)
	}
	var ips []net.IP
	if ip := net.ParseIP(host); ip != nil {
		ips = []net.IP{ip}
	} else {
		addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
		if err != nil {
			return err
		}
		for _, a := range addrs {
			ips = append(ips, a.IP)
		}
	}
	for _, ip := range ips {
		if !ip.IsLoopback() {
			return fmt.Errorf("%s (%s) is not a loopback address", host, ip)
		}
	}
	return nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// printText writes r as text; asWrk, when not nil, is r's latency as wrk
// would print it.
func printText(w io.Writer, target string, r *load.Result, asWrk *load.Histogram) {
	mode := "closed loop"
	if r.OpenLoop {
		mode = fmt.Sprintf("open loop at %g req/s", r.Config.Rate)
	}
	fmt.Fprintf(w, "%s, %s, %d connections\n", target, mode, r.Config.Connections)
	fmt.Fprintf(w, "  requests     %d in %.2fs, %.1f req/s, %d bytes read\n",
		r.Requests, r.Duration.Seconds(), r.RequestsPerSec(), r.Bytes)
	lat := func(name string, h *load.Histogram) {
		p := h.Summary()
		fmt.Fprintf(w, "  %-12s p50 %v  p90 %v  p99 %v  p99.9 %v  max %v  mean %v\n",
			name, p.P50, p.P90, p.P99, p.P999, p.Max, p.Mean)
	}
	if r.OpenLoop {
		lat("latency", &r.Latency)
		lat("uncorrected", &r.Uncorrected)
		lat("send delay", &r.SendDelay)
		fmt.Fprintf(w, "  missed       %d scheduled requests not sent (max backlog %d)\n", r.Missed, r.MaxBacklog)
	} else {
		lat("latency", &r.Latency)
		if asWrk != nil {
			iv := r.WrkInterval()
			lat("as wrk", asWrk)
			fmt.Fprintf(w, "  (as wrk 4 prints them: a sample added every %v below each latency of %v or more)\n", iv, 2*iv)
		}
	}
	if r.Stats.Errors == 0 {
		fmt.Fprintf(w, "  errors       none\n")
	} else {
		lat("error lat.", &r.ErrorLatency)
		for _, c := range slices.Sorted(maps.Keys(r.Errors)) {
			e := r.Errors[c]
			first := ""
			if len(e.Samples) > 0 {
				first = fmt.Sprintf(" (first: %q)", e.Samples[0])
			}
			fmt.Fprintf(w, "  errors       %s %d%s\n", c, e.Count, first)
		}
	}
	var codes []string
	for _, c := range slices.Sorted(maps.Keys(r.Status)) {
		codes = append(codes, strconv.Itoa(c)+": "+strconv.FormatUint(r.Status[c], 10))
	}
	if len(codes) > 0 {
		fmt.Fprintf(w, "  status       %s\n", strings.Join(codes, ", "))
	}
	if per := r.Timeline.Every(time.Second); len(per) > 1 && len(per) <= 60 {
		counts := make([]string, len(per))
		for i, c := range per {
			counts[i] = strconv.FormatUint(c, 10)
		}
		fmt.Fprintf(w, "  per second   %s\n", strings.Join(counts, " "))
	}
	g := r.Generator
	fmt.Fprintf(w, "  generator    cpu %v (%.0f%% of %d CPUs), scheduler latency p99 %v",
		g.CPU.Round(time.Millisecond), 100*g.Utilization, g.CPUs, g.SchedLatencyP99)
	if g.Loops > 0 {
		fmt.Fprintf(w, ", event loops %d (busiest %.0f%%, polling %v)", g.Loops, 100*g.LoopBusy, g.Polled.Round(time.Millisecond))
	}
	fmt.Fprintln(w)
	for _, warn := range g.Warnings {
		fmt.Fprintf(w, "  warning: %s\n", warn)
	}
}
