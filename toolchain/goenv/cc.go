package goenv

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"time"

	"github.com/nativego/nativego/internal/procgroup"
)

// ccTimeout bounds "$CC -dumpmachine", which answers in milliseconds; a
// compiler wrapper that hangs (waiting for a license server, say) must
// not hang the audit.
const ccTimeout = 10 * time.Second

// auditCC runs "$CC -dumpmachine" and compares the compiler's target with
// GOOS/GOARCH. It is the only place this package starts a process; the
// process runs in its own process group, killed whole on cancel.
func (l *linter) auditCC(ctx context.Context) {
	cc := l.env.Get("CC")
	words, err := SplitQuoted(cc)
	if err != nil || len(words) == 0 {
		return
	}
	prog, err := environ{"PATH": l.env.PATH}.lookPath(words[0], l.env.Toolchain.GOOS)
	if err != nil {
		l.add(Finding{ID: "CC-NOT-FOUND", Severity: Warning, Var: "CC",
			Message: "CGO_ENABLED=1 but the C compiler " + quote(words[0]) + " is not on PATH: cgo builds fail",
			Fix:     setFix("CGO_ENABLED", "0") + "   # or install a C compiler"})
		return
	}
	ctx, cancel := context.WithTimeout(ctx, ccTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, prog, append(words[1:], "-dumpmachine")...)
	cmd.Env = []string{"PATH=" + l.env.PATH}
	procgroup.Set(cmd)
	cmd.WaitDelay = time.Second
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	if err := cmd.Run(); err != nil {
		l.add(Finding{ID: "CC-FAILED", Severity: Warning, Var: "CC", Message: quote(cc) + " -dumpmachine failed: " + err.Error()})
		return
	}
	triple := strings.TrimSpace(stdout.String())
	arch := tripleArch(triple)
	goarch := l.env.Get("GOARCH")
	if arch == "" || arch == goarch {
		return
	}
	l.add(Finding{ID: "CC-TARGET-MISMATCH", Severity: Error, Var: "CC",
		Message: "CGO_ENABLED=1 and GOARCH=" + goarch + ", but the C compiler " + quote(cc) + " targets " + triple + ": cgo packages fail to link, or link C code of the wrong architecture",
		Fix:     setFix("CC", "<a C compiler for "+goarch+">") + "   # e.g. clang -arch arm64 on macOS, aarch64-linux-gnu-gcc on Linux; or " + setFix("CGO_ENABLED", "0")})
}

// tripleArch maps the CPU part of a target triple to a GOARCH.
func tripleArch(triple string) string {
	cpu, _, _ := strings.Cut(triple, "-")
	switch cpu {
	case "x86_64", "amd64", "x86_64h":
		return "amd64"
	case "aarch64", "arm64", "arm64e", "aarch64_be":
		return "arm64"
	case "i386", "i486", "i586", "i686":
		return "386"
	case "riscv64":
		return "riscv64"
	case "powerpc64le", "ppc64le":
		return "ppc64le"
	case "s390x":
		return "s390x"
	}
	if strings.HasPrefix(cpu, "arm") {
		return "arm"
	}
	return ""
}
