//go:build !unix

package testenv

import (
	"os"
	"os/exec"
)

const canRunProcessGroups = false

func setProcessGroup(cmd *exec.Cmd, u *osUser) {}

func killGroup(pid int) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	return p.Kill()
}

func interrupt(p *os.Process) error { return p.Kill() }
