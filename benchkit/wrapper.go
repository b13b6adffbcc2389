package benchkit

import (
	"fmt"
	"os/exec"
	"strings"

	"github.com/nativego/nativego/archcheck"
)

// An Exec is how a built binary is started on this host, chosen from
// archcheck's verdict for it, and recorded with its results under the
// KEYS.md keys exec, translated and emulated.
type Exec struct {
	Verdict archcheck.Verdict
	Reasons []string
	// Wrapper is the command line the binary's path and arguments are
	// appended to, such as ["qemu-aarch64"] or ["arch", "-x86_64"];
	// empty when the binary is started directly (natively, or by a
	// binfmt_misc handler).
	Wrapper []string
	// Label is the exec key's value: "native", "qemu-user",
	// "qemu-user-binfmt", "rosetta", or the wrapper joined by spaces.
	Label      string
	Translated bool
	Emulated   bool
}

// qemuNames are the qemu-user programs for each GOARCH.
var qemuNames = map[string]string{
	"arm64": "qemu-aarch64", "amd64": "qemu-x86_64", "arm": "qemu-arm", "386": "qemu-i386",
	"riscv64": "qemu-riscv64", "ppc64le": "qemu-ppc64le", "s390x": "qemu-s390x", "loong64": "qemu-loongarch64",
}

// ChooseExec decides how to start the binary at path on host: directly
// when archcheck says native, or emulated by a registered binfmt_misc
// handler; under qemu-user found on PATH when emulation is needed and no
// handler is registered; under `arch -x86_64` on a Mac that translates
// it with Rosetta 2 (which picks the x86_64 slice of a universal
// binary). lookPath is exec.LookPath when nil.
func ChooseExec(path string, host *archcheck.Host, lookPath func(string) (string, error)) (*Exec, error) {
	f, err := archcheck.Open(path)
	if err != nil {
		return nil, fmt.Errorf("benchkit: %w", err)
	}
	defer f.Close()
	return chooseExec(f, host, lookPath)
}

func chooseExec(f *archcheck.File, host *archcheck.Host, lookPath func(string) (string, error)) (*Exec, error) {
	if lookPath == nil {
		lookPath = exec.LookPath
	}
	a := archcheck.Assess(f, host)
	e := &Exec{Verdict: a.Verdict, Reasons: a.Reasons}
	arch := ""
	if a.Slice >= 0 {
		arch = f.Slices[a.Slice].Arch
	}
	switch a.Verdict {
	case archcheck.Native:
		e.Label = "native"
		return e, nil
	case archcheck.Translated:
		e.Translated, e.Label = true, "rosetta"
		if host.OS == "darwin" {
			e.Wrapper = []string{"arch", "-x86_64"}
		}
		return e, nil
	case archcheck.Emulated:
		e.Emulated = true
		e.Label = "qemu-user-binfmt"
		return e, nil
	case archcheck.Incompatible:
		// Without a binfmt_misc handler the kernel cannot start the
		// binary, but qemu-user can when given it explicitly.
		if name, ok := qemuNames[arch]; ok && host.OS == "linux" && f.Format == archcheck.FormatELF {
			if p, err := lookPath(name); err == nil {
				e.Verdict, e.Emulated, e.Label, e.Wrapper = archcheck.Emulated, true, "qemu-user", []string{p}
				e.Reasons = append(e.Reasons, fmt.Sprintf("%s found at %s runs it", name, p))
				return e, nil
			}
		}
	}
	return nil, fmt.Errorf("benchkit: cannot run %s code here: %s", arch, strings.Join(a.Reasons, "; "))
}
