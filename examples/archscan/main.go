// Archscan finds the executables under directory trees that will not run
// natively on a machine: on an Apple Silicon Mac, the x86_64 binaries that
// Rosetta 2 translates; on an arm64 Linux server, the amd64 ones that need
// qemu-user or do not run at all.
//
// Usage:
//
//	archscan [-json] [-foreign] [-target goos/goarch] [-fail-on-foreign] [-L] [-xdev] [-skip pattern,...] dir...
//
// It prints a table counting the executables per architecture and
// verdict, then each file that is not native with its verdict and reason.
// With -json it prints one JSON object per executable instead (the shape
// inspect -json uses, plus "bundle"). Paths that could not be examined are
// listed on standard error, or as JSON lines with "error" set.
//
// The verdicts are for -target, by default the platform archscan was built
// for. Progress is shown on standard error when it is a terminal.
//
// Exit status: 0 when the scan finished; 1 when -fail-on-foreign is set
// and a non-native executable was found or some path could not be
// examined (it might have been one), or when the scan itself failed; 2 for
// a usage error.
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"

	"golang.org/x/term"

	"github.com/nativego/nativego/archcheck"
	"github.com/nativego/nativego/internal/report"
)

func main() { os.Exit(run(os.Stdout, os.Stderr, os.Args[1:])) }

func run(stdout, stderr io.Writer, args []string) int {
	fs := flag.NewFlagSet("archscan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	jsonOut := fs.Bool("json", false, "print one JSON object per executable")
	foreign := fs.Bool("foreign", false, "list only executables that do not run natively on the target")
	target := fs.String("target", runtime.GOOS+"/"+runtime.GOARCH, "judge for `goos/goarch`")
	failOnForeign := fs.Bool("fail-on-foreign", false, "exit 1 if a non-native executable is found or a path cannot be examined")
	follow := fs.Bool("L", false, "follow symbolic links")
	xdev := fs.Bool("xdev", false, "stay on each root's file system")
	skip := fs.String("skip", "", "comma-separated path.Match `patterns` of names (or, with a slash, relative paths) to skip")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: archscan [flags] dir...\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	host, err := archcheck.ParseTarget(*target)
	if err != nil {
		fmt.Fprintf(stderr, "archscan: %v\n", err)
		return 2
	}
	opts := archcheck.ScanOptions{Host: host, OnlyNonNative: *foreign, FollowSymlinks: *follow, OneFilesystem: *xdev}
	if *skip != "" {
		opts.Skip = strings.Split(*skip, ",")
	}
	var prog *progress
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		prog = &progress{w: stderr}
		opts.Progress = prog.show
	}

	var results []*archcheck.ScanResult
	var scanErr error
	for r, err := range archcheck.Scan(context.Background(), fs.Args(), opts) {
		if err != nil {
			scanErr = err
			break
		}
		results = append(results, r)
	}
	prog.clear()
	if scanErr != nil {
		fmt.Fprintf(stderr, "archscan: %v\n", scanErr)
		return 1
	}
	slices.SortFunc(results, func(a, b *archcheck.ScanResult) int { return cmp.Compare(a.Path, b.Path) })

	nonNative, errs := 0, 0
	for _, r := range results {
		if r.Err != nil {
			errs++
		} else if isForeign(r.Assessment.Verdict) {
			nonNative++
		}
	}
	if *jsonOut {
		writeJSON(stdout, results, host)
	} else {
		writeText(stdout, stderr, results)
	}
	if *failOnForeign && (nonNative > 0 || errs > 0) {
		return 1
	}
	return 0
}

// isForeign reports whether a verdict means the file does not run
// natively: objects and dSYMs have nothing to run and are not foreign.
func isForeign(v archcheck.Verdict) bool {
	return v == archcheck.Translated || v == archcheck.Emulated || v == archcheck.Incompatible
}

func writeJSON(w io.Writer, results []*archcheck.ScanResult, host *archcheck.Host) {
	enc := json.NewEncoder(w)
	for _, r := range results {
		l := report.NewLine(r.Path, r.File, r.Err, host)
		l.Bundle = r.Bundle
		enc.Encode(l)
	}
}

// archName names a file's architectures, as lipo -archs does for a
// universal file.
func archName(f *archcheck.File) string {
	names := make([]string, len(f.Slices))
	for i, s := range f.Slices {
		names[i] = s.CPU
	}
	return strings.Join(names, "+")
}

func writeText(stdout, stderr io.Writer, results []*archcheck.ScanResult) {
	type key struct{ arch, verdict string }
	counts := map[key]int{}
	for _, r := range results {
		if r.Err != nil {
			counts[key{"-", "error"}]++
			continue
		}
		counts[key{archName(r.File), r.Assessment.Verdict.String()}]++
	}
	keys := make([]key, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(cmp.Compare(a.arch, b.arch), cmp.Compare(a.verdict, b.verdict))
	})
	tw := tabwriter.NewWriter(stdout, 0, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "ARCH\tVERDICT\tFILES\n")
	total := 0
	for _, k := range keys {
		fmt.Fprintf(tw, "%s\t%s\t%d\n", k.arch, k.verdict, counts[k])
		total += counts[k]
	}
	fmt.Fprintf(tw, "total\t\t%d\n", total)
	tw.Flush()

	first := true
	for _, r := range results {
		if r.Err != nil {
			fmt.Fprintf(stderr, "archscan: %v\n", r.Err)
			continue
		}
		if !isForeign(r.Assessment.Verdict) {
			continue
		}
		if first {
			fmt.Fprintf(stdout, "\nnot native:\n")
			first = false
		}
		fmt.Fprintf(stdout, "%s\t%s\t%s\n", r.Path, r.Assessment.Verdict, strings.Join(r.Assessment.Reasons, "; "))
	}
}

// progress draws a one-line status on a terminal.
type progress struct {
	w     io.Writer
	drawn bool
}

func (p *progress) show(sp archcheck.ScanProgress) {
	fmt.Fprintf(p.w, "\r\033[K%d files, %.1f MiB read, %d executables, %d errors", sp.Files, float64(sp.Bytes)/(1<<20), sp.Candidates, sp.Errors)
	p.drawn = true
}

func (p *progress) clear() {
	if p != nil && p.drawn {
		fmt.Fprintf(p.w, "\r\033[K")
	}
}
