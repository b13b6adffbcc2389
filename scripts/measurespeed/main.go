// Measurespeed times commands with benchkit.Measure and with hyperfine
// side by side, and prints both medians, their difference, and each
// tool's own overhead per run: its total elapsed time divided by the
// runs it made, minus the mean of the runs' wall times as it measured
// them — the time per run it spent outside the command. (The mean, not
// the median: the total holds every run's whole wall time, so
// subtracting the median would count the spread of the command's own
// times, a few slow sleeps, as overhead.) benchkit must agree with
// hyperfine within 5% or 0.3 ms and cost no more per run.
//
// Usage:
//
//	go run ./scripts/measurespeed [-runs N] [-warmup N] [command ...]
//
// The commands default to /bin/true and "sleep 0.05". They are split at
// spaces; hyperfine runs them with -N (no shell), as benchkit does.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/nativego/nativego/benchkit"
)

func main() { os.Exit(run(os.Stdout, os.Stderr, os.Args[1:])) }

func run(stdout, stderr io.Writer, args []string) int {
	fl := flag.NewFlagSet("measurespeed", flag.ContinueOnError)
	fl.SetOutput(stderr)
	runs := fl.Int("runs", 200, "measured runs per command")
	warmup := fl.Int("warmup", 3, "warmup runs per command and block")
	blocks := fl.Int("blocks", 10, "blocks the runs are split into, the tools taking turns")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	cmds := fl.Args()
	if len(cmds) == 0 {
		cmds = []string{"/bin/true", "sleep 0.05"}
	}
	hf, err := exec.LookPath("hyperfine")
	if err != nil {
		fmt.Fprintln(stderr, "measurespeed: hyperfine not installed (Debian package hyperfine)")
		return 1
	}
	ctx := context.Background()
	fmt.Fprintf(stdout, "%-12s %12s %12s %9s %8s   %14s %14s %7s\n", "command", "benchkit", "hyperfine", "diff", "agree", "overhead bk", "overhead hf", "ratio")
	ok := true
	for _, c := range cmds {
		// The tools take turns, block by block, so that drift in the
		// machine's load spreads over both instead of biasing one.
		var bkWall, hfWall []float64
		var bkTotal, hfTotal time.Duration
		per := max(*runs / *blocks, 1)
		for range *blocks {
			start := time.Now()
			m, err := benchkit.Measure(ctx, []benchkit.Command{{Args: strings.Fields(c)}}, &benchkit.MeasureOptions{Runs: per, Warmup: *warmup})
			if err != nil {
				fmt.Fprintf(stderr, "measurespeed: %v\n", err)
				return 1
			}
			bkTotal += time.Since(start)
			for _, r := range m.Runs {
				bkWall = append(bkWall, r.Wall.Seconds())
			}

			dir, _ := os.MkdirTemp("", "measurespeed-")
			out := filepath.Join(dir, "h.json")
			start = time.Now()
			h := exec.Command(hf, "-N", "--style", "none", "--warmup", fmt.Sprint(*warmup), "--runs", fmt.Sprint(per), "--export-json", out, c)
			if b, err := h.CombinedOutput(); err != nil {
				fmt.Fprintf(stderr, "measurespeed: hyperfine: %v\n%s", err, b)
				return 1
			}
			hfTotal += time.Since(start)
			var res struct{ Results []struct{ Times []float64 } }
			b, err := os.ReadFile(out)
			os.RemoveAll(dir)
			if err != nil || json.Unmarshal(b, &res) != nil || len(res.Results) != 1 {
				fmt.Fprintf(stderr, "measurespeed: cannot read hyperfine's JSON: %v\n", err)
				return 1
			}
			hfWall = append(hfWall, res.Results[0].Times...)
		}
		bkMedian, hfMedian := median(bkWall), median(hfWall)
		// Warmup runs count in the totals; their walls, unrecorded, are
		// taken to be the measured runs' mean.
		n := float64(*blocks * (per + *warmup))
		bkOver := bkTotal.Seconds()/n - mean(bkWall)
		hfOver := hfTotal.Seconds()/n - mean(hfWall)
		diff := bkMedian - hfMedian
		agree := abs(diff) <= 0.0003 || abs(diff) <= 0.05*hfMedian
		ok = ok && agree
		fmt.Fprintf(stdout, "%-12s %10.3fms %10.3fms %+8.3fms %8v   %12.3fms %12.3fms %7.2f\n",
			c, 1000*bkMedian, 1000*hfMedian, 1000*diff, agree, 1000*bkOver, 1000*hfOver, bkOver/hfOver)
	}
	fmt.Fprintln(stdout, "overhead = tool's total elapsed / runs - mean run wall time; ratio = benchkit / hyperfine (<= 1 is no larger)")
	if !ok {
		return 1
	}
	return 0
}

func median(x []float64) float64 {
	s := slices.Clone(x)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func mean(x []float64) float64 {
	var sum float64
	for _, v := range x {
		sum += v
	}
	return sum / float64(len(x))
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
