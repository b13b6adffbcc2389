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
// examples/archscan scans trees and examples/toolchains lists Go
// installations.
package nativego
