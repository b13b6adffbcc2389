// Package nativego answers, with evidence a program can act on, the
// questions Go developers on Apple Silicon Macs and ARM64 servers keep
// answering by hand with file, lipo, otool, go version -m and sysctl.
//
// This package holds no code; it is the tour. Each question has a package.
//
// # Will this binary run natively here?
//
// Package [github.com/nativego/nativego/archcheck] reads Mach-O (thin and
// universal, with 32- and 64-bit universal headers), ELF and PE files:
// every architecture slice, what its loader needs (minimum OS, code
// signature, interpreter, glibc version, page alignment), and Go build
// information for every slice. [github.com/nativego/nativego/archcheck.Assess] turns that into a verdict
// for a host — native, translated by Rosetta 2, emulated, incompatible or
// not executable — with reasons; [github.com/nativego/nativego/archcheck.DetectHost] tells the truth about
// this machine even from inside a translated process.
//
//	f, err := archcheck.Open("bin/tool")
//	if err != nil { ... }
//	defer f.Close()
//	a := archcheck.Assess(f, archcheck.Target("darwin", "arm64"))
//	fmt.Println(a.Verdict, a.Reasons)
//
// # Which Go toolchains are installed, and are they intact?
//
// Package [github.com/nativego/nativego/toolchain] finds every Go
// installation without running any of them ([github.com/nativego/nativego/toolchain.Discover]), and
// verifies an installed tree against the Go checksum database
// ([github.com/nativego/nativego/toolchain.Verify]).
//
// [github.com/nativego/nativego/archcheck.Scan] walks whole trees — app bundles, node_modules, plug-in
// folders — and judges every executable it finds.
//
// # Is the Go environment configured right, and why does it behave as it does?
//
// Package [github.com/nativego/nativego/toolchain/goenv] resolves every
// setting "go env" prints without running the go command, each with its
// origin (the environment, a line of the env file or of $GOROOT/go.env,
// or a default rule), lints them with fixes, audits the architecture
// traps of Apple Silicon, and explains how a module would be fetched and
// verified. Package [github.com/nativego/nativego/toolchain/modaudit]
// checks vendor/modules.txt as the go command does, verifies the module
// cache as "go mod verify" does, and checks go.sum against the checksum
// database, which "go mod verify" never does.
//
// # What does native actually buy?
//
// Package [github.com/nativego/nativego/benchkit] runs benchmarks and
// times commands across configurations — native, translated by Rosetta 2,
// emulated by qemu-user — interleaved in random order, with peak memory
// and start-up measured correctly, and compares them with benchstat's
// statistics as text, Markdown, CSV, JSON or SVG. Package
// [github.com/nativego/nativego/benchkit/load] is an HTTP load generator
// that measures latency honestly (open loop, coordinated omission
// corrected, uncorrected beside it) and drives any target, a database/sql
// pool among them. Package [github.com/nativego/nativego/metricsx] reads
// runtime/metrics for free, windows and samples them, exports JSON and
// Prometheus text, plots two processes on one live page, and summarizes
// the GC of programs that cannot be changed from their gctrace output.
//
// # Commands
//
// The directories under examples/ hold the only programs, thin command-line
// front ends over these packages. Start with
//
//	go run ./examples/verify
//
// which checks the running program and the go command on PATH, and
// examples/inspect, which reports on any executable:
//
//	go run ./examples/inspect -json -target darwin/arm64 FILE...
//
// examples/archscan scans trees, examples/toolchains lists Go
// installations, examples/goenv explains the Go environment,
// examples/benchcompare compares and runs benchmarks, examples/httpload
// loads an HTTP server, and examples/metricsdump prints, serves and
// watches runtime metrics.
package nativego
