//go:build unix && !linux

package metricsx_test

import (
	"strconv"
	"syscall"
	"testing"
	"time"
)

// watchProcess returns a function that fails t unless pid is gone within
// 10 seconds. Without pidfds it polls kill(pid, 0), which a reused pid
// could fool; Linux CI has the exact check.
func watchProcess(t *testing.T, pid string) func() {
	t.Helper()
	n, err := strconv.Atoi(pid)
	if err != nil {
		t.Fatalf("child pid %q: %v", pid, err)
	}
	return func() {
		deadline := time.Now().Add(10 * time.Second)
		for processAlive(n) {
			if time.Now().After(deadline) {
				t.Fatalf("process %d still runs 10 s after the run was cancelled", n)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

func processAlive(pid int) bool { return syscall.Kill(pid, 0) == nil }
