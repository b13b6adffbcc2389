//go:build linux

package load

// An event loop that finds nothing to do could block in epoll_wait at
// once, but under load the next response is usually only a few
// microseconds away: against a loopback net/http server on 2 CPUs, 90–99%
// of the loop's idle moments ended within 5 µs, after 3.3–3.8 µs on
// average. Blocking for so short a gap costs a context switch each way
// and, in a virtual machine whose idle vCPUs halt, a VM exit to wake the
// CPU, which delays the next request by more than the gap itself. So a
// loop polls for up to spinMax before it blocks. Measured on a 2-vCPU
// guest (guest halt polling off) against that server, 32 connections,
// 4–5 runs of each alternated (GNU time): sharing the CPUs with the
// server, 108k → 115k requests per second (wrk -t2: 111k) for 4.5 → 5.7 µs
// of CPU per request (wrk: 5.8); pinned apart from it, 114k → 120k
// (wrk -t1: 119k) for 4.6 → 6.5 µs (wrk: 5.3).
//
// Polling costs CPU when the gaps are long (a slow server, a low rate), so
// the window adapts, as the guest kernel's haltpoll governor adapts its
// own: a poll that catches an event doubles it (up to spinMax), one that
// catches nothing halves it, and below spinMin it is closed; a closed
// window reopens at spinMin every spinProbe blocking waits, to notice
// that the gaps have become short again. Against a server that answers in
// about a millisecond (4 connections, 3.2k requests per second) the
// generator's CPU time is the same with and without polling.
const (
	spinMax   = 5000 // nanoseconds
	spinMin   = spinMax / 8
	spinProbe = 32
)

// A spinner is an event loop's polling window; newSpinner opens it at
// spinMax.
type spinner struct {
	w      int64 // the window, in nanoseconds; 0 when closed
	closed int   // blocking waits since the window closed
}

func newSpinner() spinner { return spinner{w: spinMax} }

// window returns how long to poll, in nanoseconds, before blocking.
func (s *spinner) window() int64 {
	if s.w > 0 {
		return s.w
	}
	s.closed++
	if s.closed%spinProbe == 0 {
		return spinMin
	}
	return 0
}

// caught records that polling found an event: the window doubles.
func (s *spinner) caught() {
	s.w = min(max(2*s.w, spinMin), spinMax)
	s.closed = 0
}

// missed records that a poll found nothing and the loop blocked: the
// window halves, closing below spinMin.
func (s *spinner) missed() {
	if s.w /= 2; s.w < spinMin {
		s.w = 0
	}
}
