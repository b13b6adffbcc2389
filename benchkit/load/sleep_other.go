//go:build !linux

package load

import "time"

// preciseSleep sleeps d with the Go runtime's timer. The millisecond
// coarseness that sleep_linux.go works around comes from epoll_pwait's
// millisecond timeout; elsewhere the runtime waits with finer timeouts
// (kevent and Windows' high-resolution timers take nanoseconds or 100 ns
// units).
func preciseSleep(d time.Duration) { time.Sleep(d) }
