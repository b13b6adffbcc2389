// Package benchkit runs, times and compares Go benchmarks across
// architectures — native, translated by Rosetta 2, emulated by qemu-user —
// with the statistics of benchstat.
//
// # Running benchmarks
//
// A [Runner] builds a package's test binary once per [Config] (a name,
// GOOS/GOARCH, environment and build flags), then runs the configurations
// for Count rounds, in a fresh random order each round, one benchmark run
// (-test.count=1) at a time, so that drift of the machine falls on every
// configuration alike. Each binary is started as archcheck's verdict for
// it on this host says ([ChooseExec]): directly when native or when a
// binfmt_misc handler runs it, through qemu-user when the emulator is
// installed but not registered, under arch -x86_64 for Rosetta 2 on a
// Mac. Results stream out in the Go benchmark format with the keys
// config, exec, translated, emulated and round (KEYS.md in this
// directory), so that tables line up native and emulated results by
// benchmark name.
//
// # Timing commands
//
// [Measure] times commands like hyperfine, but interleaved, with warmup
// runs and a prepare hook, and for builds a fresh empty GOCACHE per run
// (GOCACHE=off has not been supported since Go 1.12). Each run records
// wall time, user and sys time of the command and of the processes it
// waited for (a go build's compile and link), exit status, start-up
// latency (first byte on stdout, or exit), and peak RSS. On Linux exec
// folds the parent's memory high-water mark into the child's, so a Go
// parent with a large heap made /bin/true look hundreds of MiB large;
// Measure reads the child's own high-water mark at its exit instead —
// from the kernel's taskstats exit records where it may (root), which
// does not stop the child, else at a ptrace exit stop — and
// when asked (MeasureOptions.TreePeak) and a memory cgroup can be made it
// also reports the whole tree's peak, labelled as such. Cancelling a run, or its timeout, kills the
// whole process group.
//
// [ReadMachineState] records what spoils comparisons — CPU frequency
// governor and boost, load and busy processes, thermal throttling,
// battery, and on Apple Silicon the P/E cores and the QoS class (macOS has
// no hard affinity) — as machine-* and warn-* keys of the results.
// [NewProgress] shows runs done and an ETA when stderr is a terminal.
//
// # Servers under load
//
// [ServerBench] compares HTTP servers — frameworks, or one program built
// native and for another architecture — in interleaved rounds. Each round
// starts a [Server] (a command, or a Go package built for a GOOS/GOARCH
// and started as [ChooseExec] says) in its own process group with
// gctrace=1 appended to its GODEBUG, waits for it to accept connections
// or answer a health URL within a bound, loads it with benchkit/load,
// and stops it with SIGTERM, then SIGKILL of the whole group. A round
// records throughput, latency quantiles, GC pause p99, GC cycles per
// second, GC CPU share and allocation rate (from the server's gctrace, or
// its metricsx endpoint), peak RSS and CPU time. A server that never
// becomes ready, crashes or ignores SIGTERM ends its round with a
// [ServerError] carrying its last output, never a hang.
// [Report.WriteMetrics] prints a row per metric and a column per server.
//
// # Comparing results
//
// A [Builder] reads results in the Go benchmark format (go test -bench
// output, or what this package's runner and command timer write) and
// groups them, with golang.org/x/perf/benchproc projections, into tables
// of rows and columns; [Builder.Build] summarizes each cell with
// golang.org/x/perf/benchmath — the median and its distribution-free
// confidence interval — and compares each column with the first by the
// Mann–Whitney U test, with benchstat's thresholds and warnings.
// [CompareFiles] does all three for files named like benchstat's
// arguments. The numbers agree with benchstat's (a test runs benchstat on
// the same files); the differences are deliberate:
//
//   - Columns default to the `config` key the runner writes, else to
//     GOARCH when the results span architectures, else to the input file
//     as benchstat does — so native and emulated results of one benchmark
//     line up in one row instead of falling into separate tables. Keys
//     that describe how a sample ran (exec, translated, emulated, cpu,
//     round, machine-*, warn-*) neither split tables nor raise "benchmarks
//     vary" warnings; warn-* texts become the [Report]'s Warnings. KEYS.md
//     in this directory is the full list.
//   - Native columns come first, so the baseline is native.
//   - Each comparison also carries the ratio of the two samples with its
//     confidence interval (the Hodges–Lehmann estimate and the interval
//     that goes with the U test): the translation cost, "×4.2 [3.9, 4.6]".
//   - The geometric mean covers only the rows present, with a positive
//     value, in every column (golang/go#57648), and says how many it left
//     out.
//   - NaN and infinite measurements are dropped with a warning: they make
//     the U test of go-moremath loop forever (benchstat hangs on them).
//
// # Output
//
// A [Report] writes itself as aligned text or Markdown ([Report.WriteText],
// [Report.WriteMarkdown]) in benchstat's layout ([ViewTable]) or as the
// translation-cost view ([ViewCost]); as CSV with one header and records
// of equal length (golang/go#67760, [Report.WriteCSV]); as JSON with one
// row per benchmark and compared column,
// {"name","unit","a":{"center","lo","hi","n"},"b":{…},"delta_pct","p"}
// ([Report.WriteJSON]); and as an SVG bar chart with error bars
// ([Report.WriteSVG]).
//
// # How many rounds
//
// benchstat says "need >= 6 samples" only after a run. [RoundsNeeded]
// says it before: the sample size for a finite confidence interval
// ([RoundsForInterval], 6 at 95%) and for a U test that can reach
// significance at all ([RoundsToDetect], 4 at α = 0.05). After a run,
// [Report.Advice] lists the inconclusive rows and, from the observed
// difference and spread, about how many rounds would likely resolve each.
//
// # Example
//
//	r, err := benchkit.CompareFiles(benchkit.CompareOptions{}, "native.txt", "rosetta.txt")
//	if err != nil {
//		return err
//	}
//	r.WriteText(os.Stdout, benchkit.ViewCost)
//	for _, a := range r.Advice() {
//		fmt.Println("inconclusive:", a)
//	}
//
// examples/benchcompare is the command-line front end.
package benchkit
