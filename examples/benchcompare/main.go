// Benchcompare compares Go benchmark results with benchstat's statistics
// and says what native execution buys: by default each configuration
// (the `config` key the benchkit runner writes, else GOARCH, else the
// input file) is a column, the first native one is the baseline, and each
// other column shows its change with a p-value.
//
// Usage:
//
//	benchcompare [-format text|md|csv|json|svg] [-json] [-cost] [-row proj] [-col proj] [-table proj] [-ignore keys] [-filter expr] [-alpha α] [-confidence level] OLD NEW...
//
//	benchcompare -run [-pkg DIR] [-bench RE] [-count N] -config NAME=[KEY=VALUE,...]... [flags]
//	benchcompare -cmd 'COMMAND' [-cmd ...] [-runs N] [-fresh-gocache] [flags]
//
// OLD NEW... are files in the Go benchmark format (go test -bench output),
// read like benchstat's arguments: "label=path" sets a file's column
// label. -cost shows the translation-cost view instead of benchstat's
// layout: each column's ratio to the baseline with its confidence
// interval. -json is short for -format json. Text and Markdown output end
// with the inputs' warnings (machine state recorded by the runner) and
// with the rows that are inconclusive and about how many rounds would
// likely resolve them.
//
// -run builds a package's test binary once per -config (such as
// "native=" and "emulated=GOARCH=arm64"), runs the configurations'
// benchmarks interleaved in a fresh random order each round, each started
// as archcheck's verdict says (directly, through qemu-user, or under
// Rosetta 2), and compares them. -cmd times commands, interleaved, with
// wall, user and sys time including the processes they start, peak
// memory and start-up latency; -fresh-gocache gives each run of a build a
// new empty GOCACHE. Both accept the flags above and print before running
// how many rounds a confidence interval needs; run them with -h for their
// own flags.
//
// Exit status: 0 when the comparison was written; 1 when an input could
// not be read or the output not written; 2 for a usage error.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/nativego/nativego/benchkit"
)

func main() { os.Exit(run(os.Stdout, os.Stderr, os.Args[1:])) }

// options are the flags shared by every way of obtaining results: the
// comparison of files here, and the runner's and the command timer's
// modes, which add their own flags and produce a report the same
// writeReport prints.
type options struct {
	format  string
	cost    bool
	compare benchkit.CompareOptions
}

// modes maps the flag that selects each other way of obtaining results
// ("run": run benchmarks, "cmd": time commands) to the function that
// runs that mode with the whole argument list; each mode parses its own
// flags and ends in writeReport. The files that implement them register
// here from an init function.
var modes = map[string]func(stdout, stderr io.Writer, args []string) int{}

// selectedMode returns the mode an argument list selects, or nil for
// comparing files. A mode flag may appear anywhere before "--", as -name,
// --name or -name=value.
func selectedMode(args []string) func(stdout, stderr io.Writer, args []string) int {
	for _, a := range args {
		if a == "--" {
			break
		}
		name, ok := strings.CutPrefix(a, "--")
		if !ok {
			name, ok = strings.CutPrefix(a, "-")
		}
		if !ok {
			continue
		}
		name, _, _ = strings.Cut(name, "=")
		if m := modes[name]; m != nil {
			return m
		}
	}
	return nil
}

func run(stdout, stderr io.Writer, args []string) int {
	if m := selectedMode(args); m != nil {
		return m(stdout, stderr, args)
	}
	fs := flag.NewFlagSet("benchcompare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.format, "format", "text", "output `format`: text, md, csv, json or svg")
	jsonOut := fs.Bool("json", false, "same as -format json")
	fs.BoolVar(&o.cost, "cost", false, "show each column's ratio to the baseline with its interval (text and md)")
	fs.StringVar(&o.compare.Row, "row", "", "split rows by `projection` (default .fullname)")
	fs.StringVar(&o.compare.Col, "col", "", "split columns by `projection` (default config, else goarch, else .file)")
	fs.StringVar(&o.compare.Table, "table", "", "split tables by `projection` (default .config)")
	fs.StringVar(&o.compare.Ignore, "ignore", "", "ignore variations in `keys`")
	fs.StringVar(&o.compare.Filter, "filter", "", "use only benchmarks matching benchfilter `query`")
	fs.Float64Var(&o.compare.Alpha, "alpha", 0.05, "consider a change significant if p < `α`")
	fs.Float64Var(&o.compare.Confidence, "confidence", 0.95, "confidence `level` of intervals")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: benchcompare [flags] OLD NEW...\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if *jsonOut {
		o.format = "json"
	}
	switch o.format {
	case "text", "md", "csv", "json", "svg":
	default:
		fmt.Fprintf(stderr, "benchcompare: -format must be text, md, csv, json or svg, not %q\n", o.format)
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	report, err := compareFiles(o, fs.Args())
	if err != nil {
		fmt.Fprintf(stderr, "benchcompare: %v\n", err)
		var perr *benchkit.ProjectionError
		if errors.As(err, &perr) || errors.Is(err, benchkit.ErrBadOption) {
			return 2
		}
		return 1
	}
	if err := writeReport(stdout, report, o); err != nil {
		fmt.Fprintf(stderr, "benchcompare: %v\n", err)
		return 1
	}
	return 0
}

// compareFiles is the file mode: benchstat's job.
func compareFiles(o options, paths []string) (*benchkit.Report, error) {
	return benchkit.CompareFiles(o.compare, paths...)
}

// writeReport prints a report in the chosen format; every mode ends here.
func writeReport(w io.Writer, r *benchkit.Report, o options) error {
	view := benchkit.ViewTable
	if o.cost {
		view = benchkit.ViewCost
	}
	switch o.format {
	case "md":
		return r.WriteMarkdown(w, view)
	case "csv":
		return r.WriteCSV(w)
	case "json":
		return r.WriteJSON(w)
	case "svg":
		return r.WriteSVG(w)
	}
	return r.WriteText(w, view)
}
