package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/nativego/nativego/toolchain/goenv"
	"github.com/nativego/nativego/toolchain/modaudit"
)

// audits holds the module audits the -vendor, -modcache and -sums flags
// ask for, each nil when not asked.
type audits struct {
	Vendor   *modaudit.VendorReport `json:"vendor,omitempty"`
	ModCache *modaudit.CacheReport  `json:"modcache,omitempty"`
	Sums     *modaudit.SumsReport   `json:"sums,omitempty"`
}

// runAudits runs the audits asked for, with the settings of env, so that
// they look where the go command would: its GOMODCACHE, GOWORK, GOPROXY,
// GOSUMDB and GONOSUMDB rather than the process environment's alone.
func runAudits(ctx context.Context, env *goenv.Env, vendorDir, modDir, sumsDir string) (*audits, error) {
	var a audits
	if vendorDir != "" {
		r, err := modaudit.CheckVendor(vendorDir, modaudit.VendorOptions{
			GOWORK:    env.Get("GOWORK"),
			GoVersion: strings.TrimPrefix(env.Toolchain.Version, "go"),
			ModCache:  env.Get("GOMODCACHE"),
		})
		if err != nil {
			return nil, fmt.Errorf("-vendor: %w", err)
		}
		a.Vendor = r
	}
	if modDir != "" {
		r, err := modaudit.AuditCache(ctx, modDir, modaudit.CacheOptions{ModCache: env.Get("GOMODCACHE")})
		if err != nil {
			return nil, fmt.Errorf("-modcache: %w", err)
		}
		a.ModCache = r
	}
	if sumsDir != "" {
		r, err := modaudit.CheckSums(ctx, sumsDir, modaudit.SumsOptions{
			GOPROXY: env.Get("GOPROXY"), GOSUMDB: env.Get("GOSUMDB"), GONOSUMDB: env.Get("GONOSUMDB"),
		})
		if err != nil {
			return nil, fmt.Errorf("-sums: %w", err)
		}
		a.Sums = r
	}
	return &a, nil
}

// failed reports whether an audit found what makes a build fail or
// defeats verification: inconsistent vendoring, a module cache that
// go mod verify would reject, or a go.sum line the checksum database
// contradicts.
func (a *audits) failed() bool {
	if a.Vendor != nil && a.Vendor.Present && !a.Vendor.Consistent {
		return true
	}
	if a.Vendor != nil {
		for _, p := range a.Vendor.Problems {
			if p.Severity == "error" {
				return true
			}
		}
	}
	if a.ModCache != nil && a.ModCache.Verify != nil && !a.ModCache.Verify.OK {
		return true
	}
	return a.Sums != nil && a.Sums.Mismatched > 0
}

// printAudits prints the audits as text.
func printAudits(w io.Writer, a *audits) {
	if v := a.Vendor; v != nil {
		fmt.Fprintf(w, "\nvendor directory %s:\n", v.VendorDir)
		switch {
		case !v.Present:
			fmt.Fprintf(w, "  absent\n")
		case v.Consistent:
			fmt.Fprintf(w, "  consistent with go.mod (%d modules)\n", len(v.Modules))
		default:
			fmt.Fprintf(w, "  INCONSISTENT: %s\n", indent(v.Message))
		}
		if v.Present {
			used := "not used by default"
			if v.Used {
				used = "used by default"
			}
			fmt.Fprintf(w, "  %s: %s\n", used, v.UsedReason)
		}
		for _, p := range v.Problems {
			fmt.Fprintf(w, "  %s %s: %s\n", p.Severity, p.Kind, p.Message)
			if p.Fix != "" {
				fmt.Fprintf(w, "    fix: %s\n", p.Fix)
			}
		}
	}
	if c := a.ModCache; c != nil {
		fmt.Fprintf(w, "\nmodule cache:\n")
		if cov := c.Coverage; cov != nil {
			fmt.Fprintf(w, "  %d of %d module zips cached (%d bytes), share %.0f%%\n",
				cov.Zips.Cached, cov.Zips.Needed, cov.Zips.CachedBytes, 100*cov.Share)
			for _, m := range cov.Missing {
				fmt.Fprintf(w, "  not cached: %s %s (%s)\n", m.Path, m.Version, m.Kind)
			}
			for _, n := range cov.Notes {
				fmt.Fprintf(w, "  note: %s\n", n)
			}
		}
		if v := c.Verify; v != nil {
			for line := range strings.Lines(v.Output) {
				fmt.Fprintf(w, "  %s", line)
			}
			if !strings.HasSuffix(v.Output, "\n") {
				fmt.Fprintln(w)
			}
		}
	}
	if s := a.Sums; s != nil {
		fmt.Fprintf(w, "\n%s against %s: %d ok, %d mismatched, %d unknown, %d skipped, %d errors\n",
			s.GoSum, s.Database, s.OK, s.Mismatched, s.Unknown, s.Skipped, s.Errors)
		for _, l := range s.Lines {
			switch l.Status {
			case modaudit.SumOK, modaudit.SumSkipped:
				continue
			}
			fmt.Fprintf(w, "  %s %s %s: %s", l.Status, l.Path, l.Version, l.Hash)
			if l.DBHash != "" {
				fmt.Fprintf(w, " (database: %s)", l.DBHash)
			}
			if l.Err != "" {
				fmt.Fprintf(w, " (%s)", l.Err)
			}
			fmt.Fprintln(w)
		}
	}
}
