//go:build !unix

package load

import "time"

// preciseSleep sleeps d with the Go runtime's timer, which outside Unix
// (Windows: high-resolution waitable timers) is as precise as the system
// offers.
func preciseSleep(d time.Duration) { time.Sleep(d) }
