// Command goenv explains the Go environment: every setting with where it
// came from, what is wrong with it and how to fix it, and how the go
// command would fetch a module — without running the go command.
//
// Usage:
//
//	goenv [-json] [-changed] [-explain MODULE] [-probe] [-no-cc]
//
// By default it prints each variable "go env" prints, with its origin (the
// environment, a line of the user's go env file or of $GOROOT/go.env, or
// the default rule that produced it), then the findings, each with the
// command that fixes it. -changed prints only the variables "go env
// -changed" would. -explain prints the route of MODULE: the proxies tried
// in order and when the next is tried, whether and by which checksum
// database it is verified. -probe also asks each proxy of that route for
// the module's version list and says which answered. -no-cc skips running
// "$CC -dumpmachine", the only program goenv ever runs. -json prints one
// JSON object with "vars", "findings" and, with -explain, "route". Where
// the go command's own rules are inconsistent (an edited go.env that "go
// env -changed" cannot show, golang/go#67542), a GO-INCONSISTENT finding
// says so.
//
// Credentials (URL user information, GOAUTH tokens, secrets in the env
// file) are redacted in every output.
//
// The exit status is 0 when no finding is an error, 1 when one is, and 2
// for a usage error.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/nativego/nativego/toolchain/goenv"
)

func main() { os.Exit(run(os.Stdout, os.Stderr, os.Args[1:])) }

// output is the -json document. Keys are added, never renamed: "vendor"
// and "modcache" are reserved for the module audits.
type output struct {
	Vars     []varJSON       `json:"vars"`
	Findings []goenv.Finding `json:"findings"`
	Route    *routeJSON      `json:"route,omitempty"`
}

type varJSON struct {
	Name    string `json:"name"`
	Value   string `json:"value"`
	Origin  string `json:"origin"`
	Changed bool   `json:"changed,omitempty"`
}

type routeJSON struct {
	*goenv.Route
	Probe *goenv.ProbeResult `json:"probe,omitempty"`
}

func run(stdout, stderr io.Writer, args []string) int {
	fs := flag.NewFlagSet("goenv", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: goenv [-json] [-changed] [-explain MODULE] [-probe] [-no-cc]\n")
		fs.PrintDefaults()
	}
	jsonOut := fs.Bool("json", false, "print one JSON object")
	changed := fs.Bool("changed", false, "print only the variables go env -changed prints")
	explain := fs.String("explain", "", "print how the go command would fetch and verify `MODULE`")
	probe := fs.Bool("probe", false, "with -explain, ask the route's proxies for the module's version list")
	noCC := fs.Bool("no-cc", false, "do not run $CC -dumpmachine")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "goenv: unexpected arguments %q\n", fs.Args())
		fs.Usage()
		return 2
	}
	if *probe && *explain == "" {
		fmt.Fprintf(stderr, "goenv: -probe needs -explain MODULE\n")
		return 2
	}
	ctx := context.Background()
	env, err := goenv.Resolve(nil)
	if err != nil {
		fmt.Fprintf(stderr, "goenv: %v\n", err)
		return 1
	}
	findings := goenv.Lint(env)
	arch, err := goenv.AuditArch(ctx, env, &goenv.ArchOptions{NoRunCC: *noCC})
	if err != nil {
		fmt.Fprintf(stderr, "goenv: %v\n", err)
		return 1
	}
	findings = append(findings, arch...)

	out := output{Vars: []varJSON{}, Findings: findings}
	if out.Findings == nil {
		out.Findings = []goenv.Finding{}
	}
	for _, v := range env.Vars {
		if *changed && !v.Changed {
			continue
		}
		out.Vars = append(out.Vars, varJSON{Name: v.Name, Value: goenv.RedactVar(v.Name, v.Value), Origin: goenv.Redact(v.Origin.String()), Changed: v.Changed})
	}
	if *explain != "" {
		r, err := goenv.RouteOf(env, *explain)
		if err != nil {
			fmt.Fprintf(stderr, "goenv: %v\n", err)
			return 2
		}
		out.Route = &routeJSON{Route: r}
		if *probe {
			p, err := goenv.Probe(ctx, r, nil)
			if err != nil {
				fmt.Fprintf(stderr, "goenv: %v\n", err)
				return 1
			}
			out.Route.Probe = p
		}
	}

	if *jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false) // fixes hold <placeholders> and && chains
		if err := enc.Encode(out); err != nil {
			fmt.Fprintf(stderr, "goenv: %v\n", err)
			return 1
		}
	} else {
		printText(stdout, &out)
	}
	for _, f := range findings {
		if f.Severity == goenv.Error {
			return 1
		}
	}
	return 0
}

func printText(w io.Writer, out *output) {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	for _, v := range out.Vars {
		mark := " "
		if v.Changed {
			mark = "*"
		}
		fmt.Fprintf(tw, "%s %s=%s\t%s\n", mark, v.Name, shellQuote(v.Value), v.Origin)
	}
	tw.Flush()
	if len(out.Findings) > 0 {
		fmt.Fprintf(w, "\n%d findings:\n", len(out.Findings))
		for _, f := range out.Findings {
			fmt.Fprintf(w, "%s\n", indent(f.String()))
		}
	}
	if r := out.Route; r != nil {
		fmt.Fprintf(w, "\nroute of %s:\n", r.Module)
		if r.Private {
			fmt.Fprintf(w, "  private (GONOPROXY matches): fetched directly, never through a proxy\n")
		}
		for i, st := range r.Steps {
			fmt.Fprintf(w, "  %d. %s %s", i+1, st.Kind, st.URL)
			if st.Fallback != "" {
				fmt.Fprintf(w, "  (next %s)", st.Fallback)
			}
			fmt.Fprintln(w)
		}
		if r.Insecure {
			fmt.Fprintf(w, "  insecure fetches allowed (GOINSECURE matches)\n")
		}
		if r.Problem != "" {
			fmt.Fprintf(w, "  cannot be fetched: %s\n", r.Problem)
		}
		switch c := r.Checksum; {
		case c.Verified:
			fmt.Fprintf(w, "  checksum verified by %s", c.Database)
			if c.URL != "" {
				fmt.Fprintf(w, " at %s", c.URL)
			}
			if c.Reason != "" {
				fmt.Fprintf(w, " (%s)", c.Reason)
			}
			fmt.Fprintln(w)
		default:
			fmt.Fprintf(w, "  checksum NOT verified: %s\n", c.Reason)
		}
		if p := r.Probe; p != nil {
			for _, st := range p.Steps {
				switch {
				case st.Skipped != "":
					fmt.Fprintf(w, "  probe %s: %s\n", st.URL, st.Skipped)
				case st.Error != "":
					fmt.Fprintf(w, "  probe %s: %s\n", st.URL, st.Error)
				default:
					fmt.Fprintf(w, "  probe %s: %d versions\n", st.URL, st.Versions)
				}
			}
			if p.AnsweredBy != "" {
				fmt.Fprintf(w, "  answered by %s\n", p.AnsweredBy)
			} else {
				fmt.Fprintf(w, "  no proxy answered\n")
			}
		}
	}
}

func indent(s string) string { return "  " + strings.ReplaceAll(s, "\n", "\n  ") }

// shellQuote quotes a value as go env prints it.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
