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

// cmdFlags collects -cmd flags.
type cmdFlags []benchkit.Command

func (c *cmdFlags) String() string { return "" }

func (c *cmdFlags) Set(s string) error {
	args, err := splitQuoted(s)
	if err != nil {
		return err
	}
	if len(args) == 0 {
		return fmt.Errorf("empty command")
	}
	*c = append(*c, benchkit.Command{Args: args})
	return nil
}

func init() { modes["cmd"] = runCommands }

// runCommands is the -cmd mode: time commands, interleaved, and report
// wall, user and sys time, peak memory and start-up latency.
func runCommands(stdout, stderr io.Writer, args []string) int {
	fs := flag.NewFlagSet("benchcompare -cmd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := options{}
	fs.StringVar(&o.format, "format", "text", "output `format`: text, md, csv, json or svg")
	fs.BoolVar(&o.cost, "cost", false, "show each column's ratio to the baseline with its interval")
	var cmds cmdFlags
	fs.Var(&cmds, "cmd", "a `command` to time, split like a shell's words (no expansion); repeat")
	runs := fs.Int("runs", 10, "measured runs of each command")
	warmup := fs.Int("warmup", 0, "unmeasured runs of each command first")
	fresh := fs.Bool("fresh-gocache", false, "give every run a new empty GOCACHE (GOCACHE=off is not a thing since Go 1.12)")
	timeout := fs.Duration("timeout", 0, "kill a run, with its process group, after `d`")
	tree := fs.Bool("tree-peak", false, "also measure each run's whole process tree in a memory cgroup of its own (Linux; adds a cgroup migration to every run)")
	out := fs.String("o", "", "also write the raw results to `file` (Go benchmark format)")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if len(cmds) == 0 || fs.NArg() != 0 {
		fmt.Fprintln(stderr, "usage: benchcompare -cmd 'go build ./...' [-cmd ...] [-runs N] [-warmup N] [-fresh-gocache]")
		return 2
	}
	if need := benchkit.RoundsForInterval(0.95); *runs < need {
		fmt.Fprintf(stderr, "benchcompare: -runs %d gives no 95%% confidence interval; it needs at least %d\n", *runs, need)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ms, err := benchkit.ReadMachineState(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "benchcompare: %v\n", err)
		return 1
	}
	p := newProgress(stderr, "runs")
	m, err := benchkit.Measure(ctx, cmds, &benchkit.MeasureOptions{
		Runs: *runs, Warmup: *warmup, FreshGOCACHE: *fresh, Timeout: *timeout, TreePeak: *tree,
		Config: ms.Config(), Progress: p.Update,
	})
	p.Done()
	if err != nil {
		fmt.Fprintf(stderr, "benchcompare: %v\n", err)
		return 1
	}
	var buf bytes.Buffer
	if err := m.WriteTo(benchfmt.NewWriter(&buf)); err != nil {
		fmt.Fprintf(stderr, "benchcompare: %v\n", err)
		return 1
	}
	return report(stdout, stderr, buf.Bytes(), *out, o)
}

// splitQuoted splits s into words at spaces, honouring single and
// double quotes as a shell does, without any expansion.
func splitQuoted(s string) ([]string, error) {
	var words []string
	var w strings.Builder
	inWord := false
	var quote rune
	for _, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				w.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		default:
			w.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated %c quote in %q", quote, s)
	}
	if inWord {
		words = append(words, w.String())
	}
	return words, nil
}
