//go:build unix

package testenv

import (
	"context"
	"errors"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// Chromium returns the path of Debian's headless-capable chromium,
// skipping t if it is not installed (failing in CI, which installs it).
func Chromium(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("chromium")
	if err != nil {
		skipOrFail(t, "chromium not found (Debian package chromium): %v", err)
	}
	return p
}

// ChromiumCommand returns a command running headless chromium with a
// fresh profile in userDataDir, no sandbox (tests may run as root), no
// GPU and no network traffic of its own, followed by args (such as
// --dump-dom URL or --screenshot=FILE URL).
//
// Chromium starts many processes. The command runs in its own process
// group, and when ctx ends the whole group is killed; Wait then waits at
// most 10 s for the output.
func ChromiumCommand(ctx context.Context, t testing.TB, userDataDir string, args ...string) *exec.Cmd {
	t.Helper()
	base := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--user-data-dir=" + userDataDir,
	}
	cmd := exec.CommandContext(ctx, Chromium(t), append(base, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		// The negative pid names the process group Setpgid made.
		err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		if errors.Is(err, syscall.ESRCH) {
			return nil
		}
		return err
	}
	cmd.WaitDelay = 10 * time.Second
	return cmd
}
