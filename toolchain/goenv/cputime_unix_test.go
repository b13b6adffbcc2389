//go:build unix

package goenv

import (
	"syscall"
	"time"
)

// processCPU is the CPU time, user and system, this process has used: on
// a machine shared with other work, the benchmark's wall time measures the
// scheduler as much as the code, its CPU time does not.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
