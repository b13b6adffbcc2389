//go:build !unix

package procgroup

import "os/exec"

// Set leaves cmd alone: without process groups, cancellation kills the
// process exec.CommandContext started, and its children exit when their
// standard pipes close.
func Set(cmd *exec.Cmd) {}
