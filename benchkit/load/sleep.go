package load

import "time"

// coarseTimer is the precision of Go's own timers where they are coarse:
// on Linux the runtime waits in epoll_pwait, whose timeout is in
// milliseconds, and a 250 µs time.Sleep measured here returned 0.9 ms late
// (p50 over 200 sleeps). An open-loop generator that late would add its
// own delay to every corrected latency. Waits are split: a Go timer for all
// but coarseTimer, which can be interrupted when the run stops, then
// preciseSleep for the rest.
const coarseTimer = 2 * time.Millisecond

// sleepUntil waits until at (nanoseconds since the run's base); it returns
// false if the run stopped first.
func (r *run) sleepUntil(at int64) bool {
	if d := at - r.now() - int64(coarseTimer); d > 0 {
		if r.timer == nil {
			r.timer = time.NewTimer(time.Duration(d))
		} else {
			r.timer.Reset(time.Duration(d))
		}
		select {
		case <-r.timer.C:
		case <-r.stopCh:
			r.timer.Stop()
			return false
		}
	}
	for {
		d := at - r.now()
		if d <= 0 {
			return true
		}
		if r.stopped.Load() {
			return false
		}
		preciseSleep(time.Duration(d))
	}
}
