//go:build linux

package load

import (
	"time"

	"golang.org/x/sys/unix"
)

// preciseSleep sleeps d (below coarseTimer) with nanosleep(2), which uses
// the kernel's high-resolution timers and returns within tens of
// microseconds (the default timer slack is 50 µs). It blocks its thread;
// the Go runtime hands the thread's P to another thread meanwhile.
func preciseSleep(d time.Duration) {
	ts := unix.NsecToTimespec(int64(d))
	unix.Nanosleep(&ts, nil) // EINTR only shortens the sleep; the caller loops
}
