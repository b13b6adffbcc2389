// Inspect reports what executables are built for and how they would run.
//
// Usage:
//
//	inspect [-json] [-m] [-target goos/goarch] FILE...
//	inspect -host [-json]
//
// For each FILE it prints the format, every architecture slice with its
// type and Go version, and a verdict for the target platform (by default
// this host): native, translated (Rosetta 2), emulated, incompatible or
// not-executable, with the reasons. With -json it prints one JSON object
// per file per line; with -m, exactly what `go version -m FILE` prints.
// With -host it describes this machine instead, with the evidence.
//
// The exit status is 0 when every file runs natively on the target, 1
// otherwise, and 2 for usage errors.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/nativego/nativego/archcheck"
	"github.com/nativego/nativego/internal/report"
)

func main() { os.Exit(run(os.Stdout, os.Stderr, os.Args[1:])) }

func run(stdout, stderr io.Writer, args []string) int {
	fs := flag.NewFlagSet("inspect", flag.ContinueOnError)
	fs.SetOutput(stderr)
	jsonOut := fs.Bool("json", false, "print one JSON object per file per line")
	versionM := fs.Bool("m", false, "print what `go version -m FILE` prints")
	target := fs.String("target", "", "judge for `goos/goarch` instead of this host")
	hostOnly := fs.Bool("host", false, "describe this host instead of files")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: inspect [-json] [-m] [-target goos/goarch] FILE...\n       inspect -host [-json]\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx := context.Background()
	if *hostOnly {
		if fs.NArg() > 0 || *versionM || *target != "" {
			fs.Usage()
			return 2
		}
		return printHost(ctx, stdout, stderr, *jsonOut)
	}
	if fs.NArg() == 0 || (*versionM && *jsonOut) {
		fs.Usage()
		return 2
	}
	host, err := chooseHost(ctx, *target)
	if err != nil {
		fmt.Fprintf(stderr, "inspect: %v\n", err)
		return 2
	}
	status := 0
	for _, path := range fs.Args() {
		f, err := archcheck.Open(path)
		switch {
		case *versionM:
			if !printVersionM(stdout, stderr, path, f, err) {
				status = 1
			}
		case *jsonOut:
			line := report.NewLine(path, f, err, host)
			if err := json.NewEncoder(stdout).Encode(line); err != nil {
				fmt.Fprintf(stderr, "inspect: %v\n", err)
				return 1
			}
			if line.Verdict != archcheck.Native.String() {
				status = 1
			}
		case f == nil:
			fmt.Fprintf(stderr, "inspect: %s: %s\n", path, shortError(err))
			status = 1
		default:
			if !printText(stdout, path, f, host) {
				status = 1
			}
		}
		if f != nil {
			f.Close()
		}
	}
	return status
}

// chooseHost returns the host verdicts are for: the -target platform, or
// this machine.
func chooseHost(ctx context.Context, target string) (*archcheck.Host, error) {
	if target != "" {
		return archcheck.ParseTarget(target)
	}
	return archcheck.DetectHost(ctx)
}

// printText prints the human-readable report of one file and reports
// whether it runs natively.
func printText(w io.Writer, path string, f *archcheck.File, h *archcheck.Host) bool {
	line := report.NewLine(path, f, nil, h)
	fmt.Fprintf(w, "%s: %s\n", path, line.Format)
	for i, s := range f.Slices {
		fmt.Fprintf(w, "  slice %d: %s (%s) %d-bit %s, %s\n", i, s.CPU, orDash(s.Arch), s.Bits, s.Type, goVersion(s))
		if m := s.MachO; m != nil && m.Signature != nil {
			fmt.Fprintf(w, "    signature: %s, %s\n", m.Signature.Kind, validity(m.Signature.Valid))
		}
		if s.Err != nil {
			fmt.Fprintf(w, "    problem: %v\n", s.Err)
		}
	}
	fmt.Fprintf(w, "  verdict on %s/%s: %s\n", h.OS, h.HardwareArch, line.Verdict)
	for _, r := range line.Reasons {
		fmt.Fprintf(w, "    - %s\n", r)
	}
	return line.Verdict == archcheck.Native.String()
}

// shortError drops the path an *os.PathError or Open's prefix repeats.
func shortError(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// goVersion describes a slice's Go version, or says it is not Go.
func goVersion(s *archcheck.Slice) string {
	switch {
	case s.Go == nil:
		return "not Go"
	case s.Go.Recovered:
		return s.Go.Version + " (recovered; no build info)"
	}
	return s.Go.Version
}

func validity(ok bool) string {
	if ok {
		return "valid"
	}
	return "INVALID"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// printVersionM prints what `go version -m` prints for one file, with the
// go command's error wording on stderr, and reports success.
func printVersionM(stdout, stderr io.Writer, path string, f *archcheck.File, err error) bool {
	if err != nil {
		fmt.Fprintf(stderr, "%s: %s\n", path, shortError(err))
		return false
	}
	if err := archcheck.WriteVersionM(stdout, path, f); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", path, err)
		return false
	}
	return true
}

// printHost describes this machine.
func printHost(ctx context.Context, stdout, stderr io.Writer, jsonOut bool) int {
	h, err := archcheck.DetectHost(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "inspect: %v\n", err)
		return 1
	}
	if jsonOut {
		if err := json.NewEncoder(stdout).Encode(h); err != nil {
			fmt.Fprintf(stderr, "inspect: %v\n", err)
			return 1
		}
		return 0
	}
	fmt.Fprintf(stdout, "os: %s %s\n", h.OS, h.OSVersion)
	fmt.Fprintf(stdout, "process arch: %s\n", h.Arch)
	fmt.Fprintf(stdout, "hardware arch: %s\n", h.HardwareArch)
	switch {
	case h.Translated:
		fmt.Fprintf(stdout, "this process: translated by %s\n", h.Emulator)
	case h.Emulated:
		fmt.Fprintf(stdout, "this process: emulated by %s\n", h.Emulator)
	default:
		fmt.Fprintf(stdout, "this process: native\n")
	}
	if h.CPU != "" {
		fmt.Fprintf(stdout, "cpu: %s\n", h.CPU)
	}
	fmt.Fprintf(stdout, "cores: %d performance, %d efficiency\n", h.PerformanceCores, h.EfficiencyCores)
	fmt.Fprintf(stdout, "page size: %d\n", h.PageSize)
	if h.GOAMD64 != "" {
		fmt.Fprintf(stdout, "GOAMD64 supported: %s\n", h.GOAMD64)
	}
	if h.GOARM64 != "" {
		fmt.Fprintf(stdout, "GOARM64 supported: %s\n", h.GOARM64)
	}
	if h.Glibc != "" {
		fmt.Fprintf(stdout, "glibc: %s\n", h.Glibc)
	}
	for _, r := range h.Runners {
		fmt.Fprintf(stdout, "runs %s code via %s\n", r.Arch, r.Name)
	}
	for _, r := range h.Unregistered {
		fmt.Fprintf(stdout, "runs %s code only through %s: installed at %s, not registered with binfmt_misc (fix: apt-get install qemu-user-binfmt)\n", r.Arch, r.Name, r.Path)
	}
	fmt.Fprintf(stdout, "evidence:\n")
	for _, e := range h.Evidence {
		fmt.Fprintf(stdout, "  %s = %s (%s)\n", e.Fact, strings.TrimSpace(e.Value), e.Source)
	}
	return 0
}
