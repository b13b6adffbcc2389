//go:build unix

package procgroup

import (
	"os/exec"
	"syscall"
)

// Set makes cmd the leader of a new process group, and its cancellation
// (exec.CommandContext) kill that whole group.
func Set(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
