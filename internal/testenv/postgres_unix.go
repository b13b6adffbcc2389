//go:build unix

package testenv

import (
	"os"
	"os/exec"
	"syscall"
)

const canRunProcessGroups = true

// setProcessGroup makes cmd the leader of a new process group, so that
// killGroup reaches its children too, and runs it as u when u is not nil.
func setProcessGroup(cmd *exec.Cmd, u *osUser) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if u != nil {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(u.uid), Gid: uint32(u.gid)}
	}
}

// killGroup kills the process group whose leader is pid.
func killGroup(pid int) error { return syscall.Kill(-pid, syscall.SIGKILL) }

// interrupt sends SIGINT, which PostgreSQL's postmaster takes as a fast
// shutdown request.
func interrupt(p *os.Process) error { return p.Signal(os.Interrupt) }
