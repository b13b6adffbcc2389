// Verify checks that the Go tooling on this machine runs natively.
//
// Usage:
//
//	verify [-json]
//
// It describes this host — including the hardware's architecture when this
// program itself runs translated by Rosetta 2 or emulated by qemu-user —
// then reports, for the running program and for the go command found on
// PATH (symlinks resolved), the executable format, architecture, Go version
// and whether it runs natively here, with the reasons when it does not.
//
// The exit status is 0 when both run natively, 1 when either does not or
// cannot be read, and 2 for usage errors.
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

	"github.com/nativego/nativego/archcheck"
	"github.com/nativego/nativego/internal/report"
)

func main() { os.Exit(run(os.Stdout, os.Stderr, os.Args[1:])) }

// A subject is one executable verify checks.
type subject struct {
	role string // "program" or "go"
	path string
	err  error // why path could not be found
}

// jsonLine is verify's JSON output for one subject.
type jsonLine struct {
	Role string `json:"role"`
	report.Line
}

func run(stdout, stderr io.Writer, args []string) int {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	jsonOut := fs.Bool("json", false, "print the host, then one JSON object per executable, one per line")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: verify [-json]\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	host, err := archcheck.DetectHost(context.Background())
	if err != nil {
		fmt.Fprintf(stderr, "verify: %v\n", err)
		return 1
	}
	enc := json.NewEncoder(stdout)
	if *jsonOut {
		if err := enc.Encode(struct {
			Host *archcheck.Host `json:"host"`
		}{host}); err != nil {
			fmt.Fprintf(stderr, "verify: %v\n", err)
			return 1
		}
	} else {
		printHost(stdout, host)
	}
	status := 0
	for _, s := range subjects() {
		var line report.Line
		if s.err != nil {
			line = report.NewLine(s.path, nil, s.err, host)
		} else {
			f, err := archcheck.Open(s.path)
			line = report.NewLine(s.path, f, err, host)
			if f != nil {
				f.Close()
			}
		}
		if line.Verdict != archcheck.Native.String() {
			status = 1
		}
		if *jsonOut {
			if err := enc.Encode(jsonLine{Role: s.role, Line: line}); err != nil {
				fmt.Fprintf(stderr, "verify: %v\n", err)
				return 1
			}
			continue
		}
		printLine(stdout, s.role, line)
	}
	return status
}

// subjects finds the running program and the go command on PATH.
func subjects() []subject {
	var out []subject
	exe, err := os.Executable()
	if err == nil {
		exe, err = filepath.EvalSymlinks(exe)
	}
	out = append(out, subject{role: "program", path: exe, err: err})
	goPath, err := exec.LookPath("go")
	if err == nil {
		goPath, err = filepath.Abs(goPath)
	}
	if err == nil {
		goPath, err = filepath.EvalSymlinks(goPath)
	}
	if err != nil {
		goPath = "go"
		err = fmt.Errorf("go command not found on PATH: %w", err)
	}
	return append(out, subject{role: "go", path: goPath, err: err})
}

func printHost(w io.Writer, h *archcheck.Host) {
	fmt.Fprintf(w, "host: %s/%s", h.OS, h.HardwareArch)
	if h.OSVersion != "" {
		fmt.Fprintf(w, " %s", h.OSVersion)
	}
	if h.CPU != "" {
		fmt.Fprintf(w, ", %s", h.CPU)
	}
	fmt.Fprintln(w)
	switch {
	case h.Translated:
		fmt.Fprintf(w, "warning: this program runs as %s translated by %s; the hardware is %s\n", h.Arch, h.Emulator, h.HardwareArch)
	case h.Emulated:
		fmt.Fprintf(w, "warning: this program runs as %s emulated by %s; the hardware is %s\n", h.Arch, h.Emulator, h.HardwareArch)
	}
}

func printLine(w io.Writer, role string, l report.Line) {
	fmt.Fprintf(w, "\n%s: %s\n", role, l.Path)
	if l.Error != "" {
		fmt.Fprintf(w, "  error: %s\n", l.Error)
	}
	if len(l.Slices) > 0 {
		fmt.Fprintf(w, "  format: %s\n", l.Format)
		for _, s := range l.Slices {
			goVersion := "not a Go binary"
			if s.Go != nil {
				goVersion = s.Go.Version
				if s.Go.Recovered {
					goVersion += " (recovered: build info missing)"
				}
			}
			fmt.Fprintf(w, "  arch: %s (%s), %s, %s\n", s.Arch, s.CPU, s.Type, goVersion)
		}
	}
	fmt.Fprintf(w, "  verdict: %s\n", l.Verdict)
	for _, r := range l.Reasons {
		fmt.Fprintf(w, "    - %s\n", r)
	}
}
