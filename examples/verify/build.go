package main

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/nativego/nativego/archcheck"
	"github.com/nativego/nativego/internal/procgroup"
	"github.com/nativego/nativego/internal/report"
)

// progSrc is the program the build and performance sections use. With no
// argument it prints one line and exits (start-up latency); with N it
// sorts N pseudo-random slices first, plain Go code with no assembly, so
// that emulation pays its full price.
const progSrc = `package main

import (
	"fmt"
	"os"
	"slices"
	"strconv"
)

func main() {
	n := 0
	if len(os.Args) > 1 {
		n, _ = strconv.Atoi(os.Args[1])
	}
	x := uint64(88172645463325252)
	s := make([]uint64, 1<<12)
	var sum uint64
	for range n {
		for i := range s {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			s[i] = x
		}
		slices.Sort(s)
		sum += s[len(s)/2]
	}
	fmt.Println("verify", sum)
}
`

// cgoSrc is the cgo program: it needs the C library.
const cgoSrc = `package main

/*
#include <stdio.h>
static int hello(void) { return puts("verify cgo"); }
*/
import "C"

func main() { C.hello() }
`

type buildDetails struct {
	Programs []buildProgram `json:"programs"`
}

// A buildProgram is one program the build section built and inspected.
type buildProgram struct {
	Role     string  `json:"role"` // "host", "cross" or "cgo"
	GOOS     string  `json:"goos"`
	GOARCH   string  `json:"goarch"`
	Seconds  float64 `json:"seconds"` // how long the build took
	CC       string  `json:"cc,omitempty"`
	CCTarget string  `json:"cc_target,omitempty"` // $CC -dumpmachine
	report.Line
}

func (v *verifier) checkBuild(ctx context.Context, s *section) {
	if v.injected {
		s.skip("host-build", "host facts injected: builds can only be judged on the machine they run on")
		return
	}
	goCmd := "go"
	if v.env != nil && v.env.Toolchain.GoCommand != "" {
		goCmd = v.env.Toolchain.GoCommand
	}
	if _, err := exec.LookPath(goCmd); err != nil {
		s.fail("host-build", "no go command: "+err.Error(), "install Go and put its bin directory on PATH")
		return
	}
	dir, err := os.MkdirTemp("", "nativego-verify-")
	if err != nil {
		s.fail("host-build", err.Error(), "")
		return
	}
	v.tmp = dir
	d := &buildDetails{Programs: []buildProgram{}}
	s.Details = d
	if err := writeModule(filepath.Join(dir, "prog"), progSrc); err != nil {
		s.fail("host-build", err.Error(), "")
		return
	}

	// The host build uses the go command's own defaults: that is what
	// a plain "go build" gives this user.
	h := v.host
	native := filepath.Join(dir, "prog-native")
	p, err := v.build(ctx, goCmd, filepath.Join(dir, "prog"), native, nil)
	if err != nil {
		s.fail("host-build", err.Error(), "run go build in a new module and read its errors")
		return
	}
	p.Role = "host"
	d.Programs = append(d.Programs, p)
	if p.Verdict != archcheck.Native.String() {
		s.fail("host-build", fmt.Sprintf("a plain go build makes a %s/%s program that runs %s here: %s", p.GOOS, p.GOARCH, p.Verdict, strings.Join(p.Reasons, "; ")),
			fmt.Sprintf("unset GOARCH and use a %s/%s go", h.OS, cmp.Or(h.HardwareArch, h.Arch)))
	} else {
		v.native = native
		s.ok("host-build", fmt.Sprintf("a plain go build makes a native %s/%s program (%.1fs)", p.GOOS, p.GOARCH, p.Seconds))
	}
	v.checkSigned(s, p)
	v.checkBuildInfo(s, p)

	other := otherArch(h)
	foreign := filepath.Join(dir, "prog-"+other)
	p, err = v.build(ctx, goCmd, filepath.Join(dir, "prog"), foreign, []string{"GOOS=" + h.OS, "GOARCH=" + other, "CGO_ENABLED=0"})
	if err != nil {
		v.crossErr = err
		s.fail("cross-build", err.Error(), "")
	} else {
		p.Role = "cross"
		d.Programs = append(d.Programs, p)
		v.foreign = foreign
		msg := fmt.Sprintf("cross-built %s/%s (%.1fs): %s here", p.GOOS, p.GOARCH, p.Seconds, p.Verdict)
		if len(p.Reasons) > 0 {
			msg += ": " + strings.Join(p.Reasons, "; ")
		}
		s.ok("cross-build", msg)
	}

	v.checkCgo(ctx, s, goCmd, dir, d)
}

// checkSigned checks the signature macOS on Apple Silicon requires of
// every arm64 executable: the Go linker signs ad hoc, and a tool that
// edits the binary afterwards must sign it again.
func (v *verifier) checkSigned(s *section, p buildProgram) {
	if p.GOOS != "darwin" || p.GOARCH != "arm64" || len(p.Slices) == 0 {
		s.ok("signed", fmt.Sprintf("%s/%s does not require a code signature", p.GOOS, p.GOARCH))
		return
	}
	if m := p.Slices[0].MachO; m == nil || m.Signature == nil {
		s.fail("signed", "the darwin/arm64 build has no code signature: macOS kills it at exec", "do not strip or edit binaries after linking, or re-sign with codesign -s - FILE")
		return
	}
	s.ok("signed", "the darwin/arm64 build carries the code signature macOS requires")
}

// checkBuildInfo checks that the build information names the active
// toolchain and this platform.
func (v *verifier) checkBuildInfo(s *section, p buildProgram) {
	if len(p.Slices) == 0 || p.Slices[0].Go == nil {
		s.fail("build-info", "the host build has no Go build information", "do not build with -ldflags=-buildid= or strip tools that drop .go.buildinfo")
		return
	}
	g := p.Slices[0].Go
	want := ""
	if v.active != nil {
		want = v.active.Version
	}
	if want != "" && g.Version != want {
		s.warn("build-info", fmt.Sprintf("built by %s, but the active toolchain is %s: GOTOOLCHAIN or a go.mod toolchain line switched releases", g.Version, want),
			"go env -w GOTOOLCHAIN=local, or upgrade the active toolchain")
		return
	}
	s.ok("build-info", fmt.Sprintf("build information: %s, GOOS=%s GOARCH=%s%s", g.Version, g.GOOS, g.GOARCH, cmp.Or(" GOAMD64="+g.GOAMD64, " GOARM64="+g.GOARM64)))
}

func (v *verifier) checkCgo(ctx context.Context, s *section, goCmd, dir string, d *buildDetails) {
	cc := "gcc"
	if v.env != nil {
		if v.env.Get("CGO_ENABLED") == "0" {
			s.skip("cgo-build", "CGO_ENABLED=0: no cgo build")
			return
		}
		cc = cmp.Or(v.env.Get("CC"), cc)
	}
	ccArgs := strings.Fields(cc)
	if len(ccArgs) == 0 {
		ccArgs = []string{"gcc"}
	}
	if _, err := exec.LookPath(ccArgs[0]); err != nil {
		s.skip("cgo-build", fmt.Sprintf("no C compiler (%s): cgo builds are not possible here", cc))
		return
	}
	if err := writeModule(filepath.Join(dir, "cgo"), cgoSrc); err != nil {
		s.fail("cgo-build", err.Error(), "")
		return
	}
	p, err := v.build(ctx, goCmd, filepath.Join(dir, "cgo"), filepath.Join(dir, "prog-cgo"), []string{"CGO_ENABLED=1"})
	if err != nil {
		s.warn("cgo-build", err.Error(), "install the C compiler's development files (build-essential, or the Xcode command line tools)")
		return
	}
	p.Role = "cgo"
	p.CC = cc
	tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	out, err := output(tctx, append(ccArgs, "-dumpmachine"), nil)
	cancel()
	if err == nil {
		p.CCTarget = strings.TrimSpace(string(out))
	}
	d.Programs = append(d.Programs, p)
	msg := fmt.Sprintf("cgo build with %s (target %s, %.1fs): %s", cc, cmp.Or(p.CCTarget, "unknown"), p.Seconds, p.Verdict)
	if len(p.Slices) > 0 && p.Slices[0].ELF != nil && p.Slices[0].ELF.Glibc != "" {
		msg += fmt.Sprintf(", needs glibc %s", p.Slices[0].ELF.Glibc)
		if v.host.Glibc != "" {
			msg += fmt.Sprintf(" (this machine has %s)", v.host.Glibc)
		}
	}
	if p.Verdict != archcheck.Native.String() {
		s.fail("cgo-build", msg+": "+strings.Join(p.Reasons, "; "), fmt.Sprintf("set CC to a C compiler for %s/%s", v.host.OS, cmp.Or(v.host.HardwareArch, v.host.Arch)))
		return
	}
	s.ok("cgo-build", msg)
}

// build runs go build in dir with env added, and inspects the result.
func (v *verifier) build(ctx context.Context, goCmd, dir, out string, env []string) (buildProgram, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	start := time.Now()
	// GOWORK=off: a go.work around the temporary directory has no say.
	env = append([]string{"GOWORK=off"}, env...)
	if _, err := output(ctx, []string{goCmd, "build", "-C", dir, "-o", out, "."}, env); err != nil {
		return buildProgram{}, err
	}
	p := buildProgram{Seconds: time.Since(start).Round(time.Millisecond).Seconds()}
	f, err := archcheck.Open(out)
	p.Line = report.NewLine(out, f, err, v.host)
	if f != nil {
		f.Close()
	}
	if len(p.Slices) > 0 {
		p.GOARCH = p.Slices[0].Arch
		if g := p.Slices[0].Go; g != nil {
			p.GOOS = g.GOOS
		}
	}
	return p, nil
}

func writeModule(dir, src string) error {
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/verify\n\ngo 1.22\n"), 0o666); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o666)
}

// output runs args with env added to this process's environment, in its
// own process group, killed with the group when ctx ends.
func output(ctx context.Context, args, env []string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	procgroup.Set(cmd)
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 500 {
			msg = msg[:500] + "..."
		}
		return out, fmt.Errorf("%s: %v: %s", strings.Join(args, " "), err, msg)
	}
	return out, nil
}
