package testenv

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"time"
)

// TestBinaryCommand returns a command that runs exe, a copy of this test
// binary, with args, for tests that need a child process (other limits or
// another user). Under `go test -exec qemu-aarch64` the binary is not
// native to the machine and can only be started through the same
// emulator, which the kernel names in /proc/self/status (qemu rewrites
// /proc/self/exe to the guest binary, but not the process name).
func TestBinaryCommand(ctx context.Context, exe string, args ...string) (*exec.Cmd, error) {
	name := exe
	if emu := emulatorName(); emu != "" {
		p, err := exec.LookPath(emu)
		if err != nil {
			return nil, err
		}
		name, args = p, append([]string{exe}, args...)
	}
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.WaitDelay = 10 * time.Second
	return cmd, nil
}

// emulatorName returns the qemu-user emulator running this process, or "".
func emulatorName() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return ""
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "Name:"); ok {
			if v = strings.TrimSpace(v); strings.HasPrefix(v, "qemu-") {
				return v
			}
			return ""
		}
	}
	return ""
}
