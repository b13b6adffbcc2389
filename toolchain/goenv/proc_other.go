//go:build !unix

package goenv

import "os/exec"

// setProcessGroup leaves cmd alone: without process groups, cancellation
// kills the process exec.CommandContext started.
func setProcessGroup(cmd *exec.Cmd) {}
