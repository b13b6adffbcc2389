package metricsx_test

import (
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

// watchProcess opens a pidfd for pid, which must be alive, and returns a
// function that fails t unless the process exits within 10 seconds. The
// pidfd pins the process's identity: a reused pid cannot fool it.
func watchProcess(t *testing.T, pid string) func() {
	t.Helper()
	n, err := strconv.Atoi(pid)
	if err != nil {
		t.Fatalf("child pid %q: %v", pid, err)
	}
	fd, err := unix.PidfdOpen(n, 0)
	if err != nil {
		t.Fatalf("pidfd_open(%d): %v", n, err)
	}
	return func() {
		defer unix.Close(fd)
		// A pidfd becomes readable when its process exits.
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		for {
			k, err := unix.Poll(fds, 10_000)
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				t.Fatalf("poll pidfd: %v", err)
			}
			if k == 0 {
				t.Fatalf("process %d, started by the program, still runs 10 s after the run was cancelled", n)
			}
			return
		}
	}
}
