// Verify proves that Go on this machine is native, intact and well
// configured, and shows what running natively is worth.
//
// Usage:
//
//	verify [-json | -markdown] [-junit FILE] [-offline] [-quick | -full]
//
// It runs seven sections in order, each with a verdict (ok, warning, fail
// or skipped), the reasons for it, its checks and how long it took:
//
//   - host: the hardware's architecture against this process's, whether
//     this process runs translated (Rosetta 2) or emulated (qemu-user),
//     cores, page size, emulators installed but not registered with
//     binfmt_misc (with the fix), and what spoils benchmarks right now
//     (benchkit.ReadMachineState).
//   - toolchains: every Go installation (toolchain.Discover), the active
//     one, whether it is native, and each install's findings with fixes.
//   - integrity: the active toolchain against the Go checksum database
//     (toolchain.Verify). It needs the network: -offline skips it, and an
//     unreachable database makes it skipped with a note, never a failure.
//   - environment: the effective go env settings with their origins
//     (goenv.Resolve), lint findings (goenv.Lint) and the architecture
//     audit (goenv.AuditArch), each with its fix.
//   - build: a small program built for the host into a temporary
//     directory and inspected (archcheck): native, code-signed where the
//     platform requires it, its build information naming the active
//     toolchain; the same program cross-built for the other architecture
//     with its verdict here; and, with a C compiler, a cgo build with the
//     glibc version it needs and the compiler's target.
//   - performance: start-up latency and a CPU-bound run of the native
//     build against the cross-built one translated or emulated
//     (Rosetta 2; qemu-user, registered with binfmt_misc or run by name),
//     timed by benchkit.Measure with confidence intervals; skipped with a
//     note when nothing here runs the other architecture. -quick and
//     -full take fewer and more rounds.
//   - runtime: the GC pauses and allocation rate of a short workload in
//     this process (metricsx).
//
// The default output is a readable report. -markdown prints it for an
// issue or a wiki, benchkit's comparison tables included. -json prints one
// object with a key per section (host, toolchains, integrity, environment,
// build, performance, runtime) and "verdict", "seconds". Each section
// object has these stable fields:
//
//	name      the section's name, as its key
//	verdict   "ok", "warning", "fail" or "skipped"
//	reasons   the messages behind a verdict other than ok
//	seconds   how long the section took
//	checks    [{name, verdict, message, fix, required}]: only a required
//	          check that fails makes verify fail
//	details   the section's facts: host {host, machine}; toolchains
//	          {installs, active}; integrity the toolchain.Verification;
//	          environment {settings, findings}; build {programs};
//	          performance {runs, tables}; runtime the metricsx.Summary
//
// -junit FILE also writes a JUnit XML report, a testsuite per section and
// a testcase per check, for CI systems that render test reports.
//
// The exit status is 0 when every required check passes, 1 when one
// fails, and 2 for usage errors.
//
// For tests only, the environment variable NATIVEGO_HOST_FACTS names a
// JSON file holding an archcheck.Host: verify then judges everything for
// that host instead of detecting this one, and skips the build and
// performance sections, which can only be about the machine it runs on.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/nativego/nativego/archcheck"
	"golang.org/x/term"
)

func main() { os.Exit(run(os.Stdout, os.Stderr, os.Args[1:])) }

// hostFactsEnv names the test-only variable that injects host facts.
const hostFactsEnv = "NATIVEGO_HOST_FACTS"

// options are the command line's choices.
type options struct {
	offline     bool
	quick, full bool
}

func run(stdout, stderr io.Writer, args []string) int {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	jsonOut := fs.Bool("json", false, "print one JSON object with a key per section")
	mdOut := fs.Bool("markdown", false, "print the report as Markdown")
	junit := fs.String("junit", "", "also write a JUnit XML report to `file`")
	var opts options
	fs.BoolVar(&opts.offline, "offline", false, "skip the checks that need the network")
	fs.BoolVar(&opts.quick, "quick", false, "measure less: fewer rounds, a shorter workload")
	fs.BoolVar(&opts.full, "full", false, "measure more: more rounds, a longer workload")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: verify [-json | -markdown] [-junit FILE] [-offline] [-quick | -full]\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 || (*jsonOut && *mdOut) || (opts.quick && opts.full) {
		fs.Usage()
		return 2
	}

	start := time.Now()
	v := &verifier{opts: opts, progress: progressTo(stderr)}
	var r verifyReport
	if name := os.Getenv(hostFactsEnv); name != "" {
		h, err := readHostFacts(name)
		if err != nil {
			fmt.Fprintf(stderr, "verify: %v\n", err)
			return 2
		}
		v.host, v.injected = h, true
		r.HostFacts = name
	}
	r.Host = v.section("host", v.checkHost)
	r.Toolchains = v.section("toolchains", v.checkToolchains)
	r.Integrity = v.section("integrity", v.checkIntegrity)
	r.Environment = v.section("environment", v.checkEnvironment)
	r.Build = v.section("build", v.checkBuild)
	r.Performance = v.section("performance", v.checkPerformance)
	r.Runtime = v.section("runtime", v.checkRuntime)
	v.cleanup()
	r.Verdict = verdictSkipped
	status := 0
	for _, s := range r.sections() {
		r.Verdict = worst(r.Verdict, s.Verdict)
		if s.failed() {
			status = 1
		}
	}
	if status == 0 && r.Verdict == verdictFail {
		r.Verdict = verdictWarning // only optional checks failed
	}
	r.Seconds = time.Since(start).Round(time.Millisecond).Seconds()
	v.progress("")

	var err error
	switch {
	case *jsonOut:
		err = r.writeJSON(stdout)
	case *mdOut:
		err = r.writeMarkdown(stdout)
	default:
		err = r.writeText(stdout)
	}
	if err == nil && *junit != "" {
		err = r.writeJUnit(*junit)
	}
	if err != nil {
		fmt.Fprintf(stderr, "verify: %v\n", err)
		return 1
	}
	return status
}

// readHostFacts reads an archcheck.Host injected by NATIVEGO_HOST_FACTS.
func readHostFacts(name string) (*archcheck.Host, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", hostFactsEnv, err)
	}
	var h archcheck.Host
	if err := json.Unmarshal(data, &h); err != nil {
		return nil, fmt.Errorf("%s: %s: %w", hostFactsEnv, name, err)
	}
	if h.OS == "" || h.Arch == "" {
		return nil, fmt.Errorf("%s: %s: os and arch are required", hostFactsEnv, name)
	}
	return &h, nil
}

// progressTo returns a function that shows which section runs, on one
// line of stderr, only when stderr is a terminal; "" clears the line.
func progressTo(w io.Writer) func(string) {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return func(string) {}
	}
	return func(what string) {
		if what == "" {
			fmt.Fprint(f, "\r\033[K")
			return
		}
		fmt.Fprintf(f, "\r\033[Kverify: %s...", what)
	}
}
