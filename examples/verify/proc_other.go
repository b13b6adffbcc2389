//go:build !unix

package main

import "os/exec"

// setProcessGroup does nothing where there are no process groups; the
// go command's children exit when their standard pipes close.
func setProcessGroup(cmd *exec.Cmd) {}
