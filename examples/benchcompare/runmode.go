package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/nativego/nativego/benchkit"
	"golang.org/x/perf/benchfmt"
)

// configFlags collects -config name=KEY=VALUE,KEY=VALUE flags.
type configFlags []benchkit.Config

func (c *configFlags) String() string { return "" }

// Set parses "native=" or "emulated=GOARCH=arm64,GOAMD64=v3": GOOS and
// GOARCH set the target, other keys the environment.
func (c *configFlags) Set(s string) error {
	name, rest, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return fmt.Errorf("want name=[KEY=VALUE,...], not %q", s)
	}
	cfg := benchkit.Config{Name: name}
	if rest != "" {
		for _, kv := range strings.Split(rest, ",") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				return fmt.Errorf("configuration %s: want KEY=VALUE, not %q", name, kv)
			}
			switch k {
			case "GOOS":
				cfg.GOOS = v
			case "GOARCH":
				cfg.GOARCH = v
			default:
				cfg.Env = append(cfg.Env, kv)
			}
		}
	}
	*c = append(*c, cfg)
	return nil
}

func init() { modes["run"] = runBench }

// runBench is the -run mode: build a package's test binary once per
// -config, run the configurations' benchmarks interleaved for -count
// rounds, and compare them.
func runBench(stdout, stderr io.Writer, args []string) int {
	fs := flag.NewFlagSet("benchcompare -run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := options{}
	fs.Bool("run", true, "run benchmarks (this mode)")
	fs.StringVar(&o.format, "format", "text", "output `format`: text, md, csv, json or svg")
	fs.BoolVar(&o.cost, "cost", false, "show each column's ratio to the baseline with its interval")
	pkg := fs.String("pkg", ".", "the package `dir` or import path whose benchmarks run")
	bench := fs.String("bench", ".", "run benchmarks matching `regexp`")
	benchtime := fs.String("benchtime", "", "-test.benchtime `d`, such as 1s or 100x")
	cpu := fs.String("cpu", "", "-test.cpu `list`")
	benchmem := fs.Bool("benchmem", false, "report allocations")
	count := fs.Int("count", 6, "`rounds`, each running every configuration once")
	timeout := fs.Duration("timeout", 0, "kill a test binary that runs longer than `d`")
	out := fs.String("o", "", "also write the raw results to `file` (Go benchmark format)")
	var configs configFlags
	fs.Var(&configs, "config", "a configuration `name=[GOOS=..,GOARCH=..,KEY=VALUE]`; repeat")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if len(configs) == 0 || fs.NArg() != 0 {
		fmt.Fprintln(stderr, "usage: benchcompare -run [-pkg DIR] [-bench RE] [-count N] -config native= -config emulated=GOARCH=arm64")
		return 2
	}
	if need := benchkit.RoundsForInterval(0.95); *count < need {
		fmt.Fprintf(stderr, "benchcompare: -count %d gives no 95%% confidence interval; it needs at least %d rounds\n", *count, need)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ms, err := benchkit.ReadMachineState(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "benchcompare: %v\n", err)
		return 1
	}
	r := &benchkit.Runner{
		Pkg: *pkg, Configs: configs, Bench: *bench, Benchtime: *benchtime, CPU: *cpu,
		Benchmem: *benchmem, Count: *count, Timeout: *timeout, Config: ms.Config(),
	}
	p := newProgress(stderr, "benchmarks")
	r.Progress = p.Update
	var buf bytes.Buffer
	err = r.Run(ctx, benchfmt.NewWriter(&buf))
	p.Done()
	if err != nil {
		fmt.Fprintf(stderr, "benchcompare: %v\n", err)
		return 1
	}
	return report(stdout, stderr, buf.Bytes(), *out, o)
}

// newProgress shows progress when stderr is a terminal.
func newProgress(stderr io.Writer, what string) *benchkit.Progress {
	f, ok := stderr.(*os.File)
	if !ok {
		return nil
	}
	return benchkit.NewProgress(f, what)
}

// report saves raw results when asked and writes the comparison.
func report(stdout, stderr io.Writer, raw []byte, out string, o options) int {
	if out != "" {
		if err := os.WriteFile(out, raw, 0o644); err != nil {
			fmt.Fprintf(stderr, "benchcompare: %v\n", err)
			return 1
		}
	}
	b, err := benchkit.NewBuilder(o.compare)
	if err != nil {
		fmt.Fprintf(stderr, "benchcompare: %v\n", err)
		return 2
	}
	if err := b.Read(bytes.NewReader(raw), "run"); err != nil {
		fmt.Fprintf(stderr, "benchcompare: %v\n", err)
		return 1
	}
	if err := writeReport(stdout, b.Build(), o); err != nil {
		fmt.Fprintf(stderr, "benchcompare: %v\n", err)
		return 1
	}
	return 0
}
