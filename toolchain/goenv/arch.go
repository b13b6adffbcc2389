package goenv

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/nativego/nativego/archcheck"
)

// ArchOptions configures AuditArch. The zero value detects the host and
// runs the C compiler when cgo is on.
type ArchOptions struct {
	// Host describes the machine; nil means archcheck.DetectHost. Tests
	// pass recorded facts of an Apple Silicon Mac.
	Host *archcheck.Host
	// NoRunCC skips running "$CC -dumpmachine", the one program this
	// package ever runs.
	NoRunCC bool
	// GOBIN is the directory to scan for foreign binaries; "" means GOBIN,
	// else the first GOPATH entry's bin.
	GOBIN string
}

// AuditArch checks the environment against the machine: the active go
// command's architecture against the hardware's, an Intel Homebrew bin
// directory ahead of the native one on PATH (Apple Silicon), GOARCH or
// GOAMD64/GOARM64 set in the env file, binaries of a foreign architecture
// in GOBIN, and — with cgo on — the target of the C compiler CC names.
//
// It fails only when ctx is cancelled.
func AuditArch(ctx context.Context, env *Env, opts *ArchOptions) ([]Finding, error) {
	if opts == nil {
		opts = &ArchOptions{}
	}
	host := opts.Host
	if host == nil {
		h, err := archcheck.DetectHost(ctx)
		if err != nil {
			return nil, err
		}
		host = h
	}
	l := &linter{env: env}
	hw := host.HardwareArch
	if hw == "" {
		hw = host.Arch
	}
	tc := env.Toolchain

	// The go command itself.
	if hw != "" && tc.GOARCH != "" && tc.GOARCH != hw && host.OS == tc.GOOS {
		how := "emulated"
		for _, r := range host.Runners {
			if r.Arch == tc.GOARCH && r.Translate {
				how = "translated by " + r.Name
			}
		}
		l.add(Finding{ID: "ARCH-GO-FOREIGN", Severity: Warning, Var: "GOHOSTARCH", Origin: tc.GoCommand,
			Message: "the go command " + tc.GoCommand + " is a " + tc.GOARCH + " binary on " + hw + " hardware (" + how + "): it is slower, and its default GOARCH is " + tc.GOARCH + ", so every build without GOARCH targets " + tc.GOARCH,
			Fix:     "install the " + tc.GOOS + "/" + hw + " Go distribution and put its bin directory first on PATH"})
	}

	// GOARCH and the microarchitecture levels set by the user.
	if v, ok := env.Lookup("GOARCH"); ok && v.Origin.Source != FromDefault && hw != "" && v.Value != hw && host.OS == tc.GOOS {
		sev, id := Warning, "ARCH-GOARCH-SET"
		where := "the process environment"
		if v.Origin.Source == FromUserFile {
			id, where = "ARCH-GOARCH-IN-ENV-FILE", "the go env file"
		}
		what := "builds cross-compile for " + v.Value
		if host.OS == "darwin" && hw == "arm64" && v.Value == "amd64" {
			what = "every build silently targets Intel, and runs under Rosetta 2"
		}
		fix := unsetFix("GOARCH")
		if v.Origin.Source == FromEnvironment {
			fix = "unset GOARCH"
		}
		l.add(Finding{ID: id, Severity: sev, Var: "GOARCH", Message: "GOARCH=" + v.Value + " is set in " + where + " of a " + hw + " machine: " + what, Fix: fix})
	}
	for _, name := range []string{"GOAMD64", "GOARM64"} {
		v, ok := env.Lookup(name)
		if !ok || v.Origin.Source != FromUserFile {
			continue
		}
		l.add(Finding{ID: "ARCH-LEVEL-IN-ENV-FILE", Severity: Info, Var: name,
			Message: name + "=" + v.Value + " is set in the go env file: every build on this machine assumes that level, including binaries you hand to others",
			Fix:     unsetFix(name)})
		hostLevel := host.GOAMD64
		if name == "GOARM64" {
			hostLevel = host.GOARM64
		}
		if hostLevel != "" && levelAbove(v.Value, hostLevel) {
			l.add(Finding{ID: "ARCH-LEVEL-ABOVE-HOST", Severity: Error, Var: name,
				Message: name + "=" + v.Value + " is above this machine's " + hostLevel + ": what you build here does not run here",
				Fix:     setFix(name, hostLevel)})
		}
	}

	l.auditPATH(host, hw)
	if err := l.auditGOBIN(ctx, host, opts.GOBIN); err != nil {
		return nil, err
	}
	if !opts.NoRunCC && env.Get("CGO_ENABLED") == "1" {
		l.auditCC(ctx)
	}
	return sortFindings(l.out), nil
}

// levelAbove compares "v3" > "v2" or "v8.2" > "v8.0" on the leading
// version, ignoring ",lse"-style suffixes.
func levelAbove(a, b string) bool {
	a, _, _ = strings.Cut(a, ",")
	b, _, _ = strings.Cut(b, ",")
	return versionLess(b, a)
}

func versionLess(a, b string) bool {
	pa := strings.Split(strings.TrimPrefix(a, "v"), ".")
	pb := strings.Split(strings.TrimPrefix(b, "v"), ".")
	for i := 0; i < len(pa) || i < len(pb); i++ {
		x, y := "0", "0"
		if i < len(pa) {
			x = pa[i]
		}
		if i < len(pb) {
			y = pb[i]
		}
		if len(x) != len(y) {
			return len(x) < len(y)
		}
		if x != y {
			return x < y
		}
	}
	return false
}

// Homebrew's prefixes: /opt/homebrew on Apple Silicon, /usr/local on
// Intel (and under Rosetta on Apple Silicon).
const (
	homebrewARM   = "/opt/homebrew/bin"
	homebrewIntel = "/usr/local/bin"
)

func (l *linter) auditPATH(host *archcheck.Host, hw string) {
	if host.OS != "darwin" || hw != "arm64" {
		return
	}
	dirs := filepath.SplitList(l.env.PATH)
	intel := slices.Index(dirs, homebrewIntel)
	arm := slices.Index(dirs, homebrewARM)
	if intel >= 0 && (arm < 0 || intel < arm) {
		msg := homebrewIntel + " (Intel Homebrew) comes before " + homebrewARM + " on PATH"
		if arm < 0 {
			msg = homebrewIntel + " (Intel Homebrew) is on PATH and " + homebrewARM + " is not"
		}
		l.add(Finding{ID: "ARCH-PATH-INTEL-HOMEBREW", Severity: Warning, Var: "PATH", Origin: "env",
			Message: msg + ": an Intel go, C compiler or pkg-config installed there wins, and builds run under Rosetta 2",
			Fix:     `export PATH="` + homebrewARM + `:$PATH"   # in ~/.zprofile, after any line that adds ` + homebrewIntel})
	}
}

// auditGOBIN scans GOBIN for executables the host runs only translated
// or emulated, or not at all.
func (l *linter) auditGOBIN(ctx context.Context, host *archcheck.Host, dir string) error {
	if dir == "" {
		dir = l.env.Get("GOBIN")
	}
	if dir == "" {
		if list := filepath.SplitList(l.env.Get("GOPATH")); len(list) > 0 && list[0] != "" {
			dir = filepath.Join(list[0], "bin")
		}
	}
	if dir == "" {
		return nil
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil
	}
	var foreign []string
	pkgs := map[string]string{}
	for r, err := range archcheck.Scan(ctx, []string{dir}, archcheck.ScanOptions{Host: host}) {
		if err != nil {
			return err
		}
		if r.Err != nil || r.File == nil {
			continue
		}
		switch r.Assessment.Verdict {
		case archcheck.Native, archcheck.NotExecutable:
			continue
		}
		foreign = append(foreign, filepath.Base(r.Path)+" ("+r.Assessment.Verdict.String()+")")
		for _, s := range r.File.Slices {
			if s.Go != nil && s.Go.Path != "" {
				pkgs[filepath.Base(r.Path)] = s.Go.Path
			}
		}
	}
	if len(foreign) == 0 {
		return nil
	}
	slices.Sort(foreign)
	var fix []string
	for _, name := range slices.Sorted(maps.Keys(pkgs)) {
		fix = append(fix, "go install "+pkgs[name]+"@latest")
	}
	l.add(Finding{ID: "ARCH-GOBIN-FOREIGN", Severity: Warning, Var: "GOBIN", Origin: dir,
		Message: "binaries in " + dir + " are not native to this " + host.OS + "/" + host.HardwareArch + " machine: " + strings.Join(foreign, ", "),
		Fix:     strings.Join(fix, " && ")})
	return nil
}
