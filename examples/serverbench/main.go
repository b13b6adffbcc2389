// Serverbench compares HTTP servers on this machine under the same load,
// in interleaved rounds, and prints a table with a row per metric and a
// column per server: throughput, latency, GC pauses, GC cycles and CPU
// share, allocation rate, peak RSS and CPU time, with confidence
// intervals and p-values.
//
// Usage:
//
//	serverbench -server name=CMD... [-addr host:port] [-ready URL] [-path /] [-metrics URL]
//	            [-c 64] [-d 10s] [-rounds 6] [-ready-timeout 30s] [-grace 5s]
//	            [-format md|text|json|svg] [-json] [-o raw.txt] [-svg chart.svg] [-in raw.txt]
//
// Each -server names a configuration and its command line, split at
// spaces (no shell quoting), such as
//
//	-server 'nethttp=./nethttp -addr 127.0.0.1:8080'
//
// A foreign binary runs under the wrapper archcheck's verdict calls for:
// qemu-user for a linux/arm64 binary on an amd64 Linux machine without a
// binfmt_misc handler, Rosetta 2 on a Mac. Every round starts each server
// once, in random order, as the leader of its own process group with
// gctrace=1 appended to its GODEBUG; waits until -addr accepts
// connections (or -ready answers 2xx); loads http://ADDR/PATH with -c
// connections for -d; and stops it with SIGTERM, then SIGKILL of the
// group after -grace. GC cycles, pauses, GC CPU share and allocation
// rate come from the server's gctrace over the load, or, with -metrics,
// from the runtime/metrics the server serves there (metricsx.Handler).
// Only loopback addresses are accepted.
//
// -o writes the raw results in the Go benchmark format, which benchstat
// reads; -svg writes the chart beside the table; -in renders a table
// from a raw file without running anything.
//
// The exit status is 0 on success, 1 when a server failed to start,
// become ready, survive its load or stop (the error names the round and
// shows the server's last output), and 2 for usage errors.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"time"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/term"

	"github.com/nativego/nativego/benchkit"
	"github.com/nativego/nativego/benchkit/load"
)

func main() { os.Exit(run(os.Stdout, os.Stderr, os.Args[1:])) }

func run(stdout, stderr io.Writer, args []string) int {
	fs := flag.NewFlagSet("serverbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		addr         = fs.String("addr", "127.0.0.1:8080", "the `host:port` the servers listen on (loopback only)")
		ready        = fs.String("ready", "", "a health `URL` that answers 2xx once a server is ready (default: -addr accepts connections)")
		path         = fs.String("path", "/", "the request path")
		metrics      = fs.String("metrics", "", "a `URL` serving the servers' runtime metrics (metricsx.Handler): GC and allocation figures from runtime/metrics instead of gctrace")
		conns        = fs.Int("c", 64, "connections")
		duration     = fs.Duration("d", 10*time.Second, "measured load per round")
		rounds       = fs.Int("rounds", 6, "rounds (6 at least for a 95% confidence interval)")
		readyTimeout = fs.Duration("ready-timeout", 30*time.Second, "bound on the wait for a server to become ready")
		grace        = fs.Duration("grace", 5*time.Second, "time a server has to exit after SIGTERM before its group is killed")
		format       = fs.String("format", "md", "output: md, text, json or svg")
		jsonOut      = fs.Bool("json", false, "same as -format json")
		rawOut       = fs.String("o", "", "write the raw results (Go benchmark format) to this `file`")
		rawIn        = fs.String("in", "", "render a table from this raw results `file` instead of running servers")
		svgOut       = fs.String("svg", "", "also write the SVG chart to this `file`")
		servers      []benchkit.Server
	)
	fs.Func("server", "a server as `name=CMD`, CMD split at spaces (repeatable)", func(v string) error {
		name, cmd, ok := strings.Cut(v, "=")
		if !ok || name == "" || strings.TrimSpace(cmd) == "" {
			return errors.New("want name=CMD")
		}
		servers = append(servers, benchkit.Server{Name: name, Args: strings.Fields(cmd)})
		return nil
	})
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: serverbench -server name=CMD... [flags]\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "serverbench: "+format+"\n", a...)
		return 2
	}
	if *jsonOut {
		*format = "json"
	}
	switch *format {
	case "md", "text", "json", "svg":
	default:
		return usage("-format %q: want md, text, json or svg", *format)
	}
	if fs.NArg() > 0 {
		return usage("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}

	var raw []byte
	if *rawIn != "" {
		if len(servers) > 0 {
			return usage("-in and -server are exclusive")
		}
		b, err := os.ReadFile(*rawIn)
		if err != nil {
			return usage("%v", err)
		}
		raw = b
	} else {
		if len(servers) == 0 {
			return usage("no -server given")
		}
		if *conns <= 0 || *duration <= 0 || *rounds <= 0 {
			return usage("-c, -d and -rounds must be positive")
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		b := &benchkit.ServerBench{
			Servers: servers, Addr: *addr, Path: *path, Rounds: *rounds,
			Load:         load.Config{Connections: *conns, Duration: *duration},
			ReadyTimeout: *readyTimeout, StopGrace: *grace,
		}
		for i := range b.Servers {
			b.Servers[i].Ready = *ready
			b.Servers[i].Metrics = *metrics
		}
		if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			b.Progress = func(done, total int) { fmt.Fprintf(stderr, "\rserverbench: %d/%d rounds", done, total) }
			defer fmt.Fprintln(stderr)
		}
		var buf bytes.Buffer
		err := b.Run(ctx, benchfmt.NewWriter(&buf))
		raw = buf.Bytes()
		if *rawOut != "" {
			if werr := os.WriteFile(*rawOut, raw, 0o666); werr != nil && err == nil {
				err = werr
			}
		}
		if err != nil {
			msg := strings.TrimPrefix(err.Error(), "benchkit: ")
			if errors.Is(err, benchkit.ErrNotLoopback) {
				return usage("%s", msg)
			}
			fmt.Fprintf(stderr, "serverbench: %s\n", msg)
			return 1
		}
	}

	cb, err := benchkit.NewBuilder(benchkit.CompareOptions{})
	if err != nil {
		fmt.Fprintf(stderr, "serverbench: %v\n", err)
		return 1
	}
	if err := addResults(cb, raw, servers); err != nil {
		fmt.Fprintf(stderr, "serverbench: %v\n", err)
		return 1
	}
	r := cb.Build()
	switch *format {
	case "md":
		err = r.WriteMetrics(stdout, true)
	case "text":
		err = r.WriteMetrics(stdout, false)
	case "json":
		err = r.WriteJSON(stdout)
	case "svg":
		err = r.WriteSVG(stdout)
	}
	if err == nil && *svgOut != "" {
		var svg bytes.Buffer
		if err = r.WriteSVG(&svg); err == nil {
			err = os.WriteFile(*svgOut, svg.Bytes(), 0o666)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "serverbench: %v\n", err)
		return 1
	}
	return 0
}

// addResults adds the results in raw to b with the servers' columns in
// the order the -server flags gave them, not in the random order of the
// first round: b orders columns by first appearance, and the order of
// the samples within a cell does not matter.
func addResults(b *benchkit.Builder, raw []byte, servers []benchkit.Server) error {
	rank := func(res *benchfmt.Result) int {
		for i, s := range servers {
			if s.Name == res.GetConfig("config") {
				return i
			}
		}
		return len(servers)
	}
	var results []*benchfmt.Result
	r := benchfmt.NewReader(bytes.NewReader(raw), "raw")
	for r.Scan() {
		switch rec := r.Result().(type) {
		case *benchfmt.Result:
			results = append(results, rec.Clone())
		case *benchfmt.UnitMetadata:
			b.AddUnits(benchfmt.UnitMetadataMap{rec.UnitMetadataKey: rec})
		case *benchfmt.SyntaxError:
			return rec
		}
	}
	if err := r.Err(); err != nil {
		return err
	}
	slices.SortStableFunc(results, func(x, y *benchfmt.Result) int { return rank(x) - rank(y) })
	for _, res := range results {
		b.Add(res)
	}
	return nil
}
