// Command toolchains lists the Go installations on this machine, without
// running any of them, and what is wrong with each.
//
// Usage:
//
//	toolchains [-json] [-verify] [-root DIR] [-home DIR] [-target GOOS/GOARCH] [GOROOT...]
//
// By default it prints a table: the go a shell would run is marked "*",
// the number is its position among the go commands on PATH, and each
// install's findings follow the table with their fixes. -json prints one
// JSON object per install instead. -verify also checks each tree against
// the checksum database (which needs the network). -root inspects a
// mounted disk or a test tree as if it were "/", -home names the home
// directory inside it, and -target judges the findings for another
// machine, such as darwin/arm64. Arguments name GOROOTs to report on
// instead of every installation found (the others are still looked at,
// for findings such as a named tree shadowed on PATH).
//
// The exit status is 0 when all is well, 1 when a finding is an error or
// a verification fails, and 2 for a usage error.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/nativego/nativego/archcheck"
	"github.com/nativego/nativego/toolchain"
)

func main() { os.Exit(run(os.Stdout, os.Stderr, os.Args[1:])) }

// installJSON is one line of -json output.
type installJSON struct {
	Root     string                  `json:"root"`
	Version  string                  `json:"version"`
	GOOS     string                  `json:"goos"`
	GOARCH   string                  `json:"goarch"`
	Source   string                  `json:"source"`
	Active   bool                    `json:"active"`
	OnPath   int                     `json:"on_path"`
	Findings []toolchain.Finding     `json:"findings"`
	Verify   *toolchain.Verification `json:"verify,omitempty"`
}

func run(stdout, stderr io.Writer, args []string) int {
	fs := flag.NewFlagSet("toolchains", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: toolchains [-json] [-verify] [-root DIR] [-home DIR] [-target GOOS/GOARCH] [GOROOT...]\n")
		fs.PrintDefaults()
	}
	jsonOut := fs.Bool("json", false, "print one JSON object per install")
	doVerify := fs.Bool("verify", false, "check each tree against the Go checksum database (needs the network)")
	root := fs.String("root", "", "inspect `DIR` as the filesystem root")
	home := fs.String("home", "", "the home `DIR`ectory, inside the root (default: this user's)")
	target := fs.String("target", "", "judge findings for `GOOS/GOARCH` instead of this machine")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	// Named trees are reported alone, as "go version FILE" reports on
	// the files named; -verify then verifies only them.
	opts := toolchain.DiscoverOptions{Root: *root, Home: *home, Extra: fs.Args(), Only: fs.NArg() > 0}
	if *target != "" {
		h, err := archcheck.ParseTarget(*target)
		if err != nil {
			fmt.Fprintf(stderr, "toolchains: %v\n", err)
			return 2
		}
		opts.Host = h
	}
	ctx := context.Background()
	installs, err := toolchain.Discover(ctx, opts)
	if err != nil {
		fmt.Fprintf(stderr, "toolchains: %v\n", err)
		return 1
	}
	failed := false
	var verified []*toolchain.Verification
	for _, inst := range installs {
		for _, f := range inst.Findings {
			failed = failed || f.Severity == toolchain.SeverityError
		}
		var v *toolchain.Verification
		if *doVerify {
			// Verify reports its own failures in the Verification
			// (StatusError with Err), which is what is printed.
			v, _ = toolchain.Verify(ctx, inst.Root, toolchain.VerifyOptions{Source: inst.Source})
			failed = failed || v.Status == toolchain.StatusMismatch || v.Status == toolchain.StatusError
		}
		verified = append(verified, v)
	}
	if *jsonOut {
		writeJSON(stdout, installs, verified)
	} else {
		writeTable(stdout, installs, verified)
	}
	if failed {
		return 1
	}
	return 0
}

func writeJSON(w io.Writer, installs []toolchain.Install, verified []*toolchain.Verification) {
	enc := json.NewEncoder(w)
	for i, inst := range installs {
		findings := inst.Findings
		if findings == nil {
			findings = []toolchain.Finding{} // "findings": [] reads better than null
		}
		enc.Encode(installJSON{
			Root: inst.Root, Version: inst.Version, GOOS: inst.GOOS, GOARCH: inst.GOARCH,
			Source: inst.Source, Active: inst.Active, OnPath: inst.OnPath,
			Findings: findings, Verify: verified[i],
		})
	}
}

func writeTable(w io.Writer, installs []toolchain.Install, verified []*toolchain.Verification) {
	if len(installs) == 0 {
		fmt.Fprintln(w, "no Go installations found")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	header := "\tPATH\tVERSION\tPLATFORM\tSOURCE\tROOT"
	if verified[0] != nil {
		header += "\tVERIFY"
	}
	fmt.Fprintln(tw, header)
	for i, inst := range installs {
		mark, pos := "", "-"
		if inst.Active {
			mark = "*"
		}
		if inst.OnPath > 0 {
			pos = strconv.Itoa(inst.OnPath)
		}
		line := strings.Join([]string{mark, pos, orDash(inst.Version), orDash(platform(inst)), inst.Source, inst.Root}, "\t")
		if v := verified[i]; v != nil {
			line += "\t" + v.Status.String()
		}
		fmt.Fprintln(tw, line)
	}
	tw.Flush()
	for i, inst := range installs {
		v := verified[i]
		if len(inst.Findings) == 0 && (v == nil || len(v.Files) == 0 && v.Err == "" && len(v.Notes) == 0) {
			continue
		}
		fmt.Fprintf(w, "\n%s:\n", inst.Root)
		for _, f := range inst.Findings {
			fmt.Fprintf(w, "  %s %s: %s\n    fix: %s\n", f.Severity, f.Code, f.Message, f.Fix)
		}
		if v != nil {
			if v.Err != "" {
				fmt.Fprintf(w, "  verify: %s\n", v.Err)
			}
			for _, f := range v.Files {
				fmt.Fprintf(w, "  verify: %s %s\n", f.Change, f.Name)
			}
			for _, n := range v.Notes {
				fmt.Fprintf(w, "  verify note: %s\n", n)
			}
		}
	}
}

func platform(inst toolchain.Install) string {
	if inst.GOOS == "" {
		return ""
	}
	return inst.GOOS + "/" + inst.GOARCH
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
