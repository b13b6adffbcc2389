//go:build !unix

package metricsx

import "os/exec"

// setProcessGroup leaves cmd as it is: without Unix process groups,
// cancelling kills only the program (exec.CommandContext's default).
func setProcessGroup(cmd *exec.Cmd) {}

func killProcessGroup(cmd *exec.Cmd) {}
