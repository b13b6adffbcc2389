//go:build linux

package load

import (
	"context"
	"io"
	"net"
	"os"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// The raw HTTP/1.1 path's closed loop as an event loop: a few goroutines,
// one per usable CPU, each owning a share of the connections on
// non-blocking sockets and one epoll instance, writing a connection's next
// request as soon as its response is parsed. This is wrk's shape, and it
// is what a generator has to do to cost as little as wrk: with a goroutine
// per connection each request also pays the Go scheduler's netpoll
// hand-off (the goroutine parks on its read, the poller wakes it, the
// scheduler runs it) and a read that finds nothing before it. Here a
// response costs one epoll_wait shared with every connection ready at the
// same moment, one read and one write.
//
// The semantics are the session's (http_raw.go): the same parser, timeout,
// retry of an idempotent request on a reused connection the server had
// closed, reconnection when a response ends the connection, and the same
// error classes.

// closedLoops returns the event loops for a closed loop over conns
// connections, or nil when they cannot be used here: the engine then runs
// a session per connection.
func (t *rawHTTP) closedLoops(ctx context.Context, conns int) []func(*run, *worker) {
	if t.noLoop {
		return nil
	}
	// The address to connect to is the one a dial picks (for a name, the
	// first of its addresses that accepts a connection, as the sessions
	// would find it). A target that cannot be reached now is left to the
	// sessions, which report the failure per request, in its class.
	dctx, cancel := context.WithTimeout(ctx, t.timeout)
	probe, err := t.dialer.DialContext(dctx, "tcp", t.addr)
	cancel()
	if err != nil {
		return nil
	}
	addr, _ := probe.RemoteAddr().(*net.TCPAddr)
	probe.Close()
	if addr == nil || addr.Zone != "" {
		// Link-local addresses need their zone: the sessions dial those.
		return nil
	}
	// Each loop has its own: connect writes the address's raw form into it.
	sockaddr := func() (int, unix.Sockaddr) {
		if ip4 := addr.IP.To4(); ip4 != nil {
			return unix.AF_INET, &unix.SockaddrInet4{Port: addr.Port, Addr: [4]byte(ip4)}
		}
		return unix.AF_INET6, &unix.SockaddrInet6{Port: addr.Port, Addr: [16]byte(addr.IP.To16())}
	}
	n := min(loopCount(runtime.GOMAXPROCS(0)), conns)
	loops := make([]*evLoop, 0, n)
	for i := range n {
		share := conns / n
		if i < conns%n {
			share++
		}
		family, sa := sockaddr()
		l, err := newEvLoop(ctx, t, addr, family, sa, share)
		if err != nil {
			for _, l := range loops {
				l.close()
			}
			return nil
		}
		loops = append(loops, l)
	}
	fns := make([]func(*run, *worker), len(loops))
	for i, l := range loops {
		fns[i] = l.run
	}
	return fns
}

// connState is what a connection of an event loop is doing.
type connState uint8

const (
	connIdle       connState = iota // no request in flight
	connConnecting                  // a non-blocking connect is under way
	connWriting                     // the request is partly written
	connReading                     // the request is written, the response awaited
)

type evConn struct {
	fd    int   // -1 when there is no connection
	idx   int32 // the connection's index in its loop, plus one: its events' data
	gen   int32 // counts the sockets this slot has had, to ignore stale events
	out   bool  // EPOLLOUT is registered
	state connState
	uses  int        // requests this socket has carried
	rr    respReader // its buffer is readBufferSize
	wrote int        // bytes of the request written

	t0, deadline int64 // the request's send time and deadline (run time)
	measured     bool
	retried      bool
}

// An evLoop drives its connections from one goroutine.
type evLoop struct {
	t      *rawHTTP
	ctx    context.Context // the run's hard context
	addr   net.Addr        // for error texts
	family int
	sa     unix.Sockaddr
	epfd   int
	wakeMu sync.Mutex // guards wakefd against wake during close
	wakefd int        // an eventfd: written when the run stops or is cancelled

	r        *run
	w        *worker
	conns    []evConn
	events   []unix.EpollEvent
	ready    []*evConn // connections whose next request is due
	spare    []*evConn
	inflight int
	timeout  int64 // per request, in nanoseconds
	sweep    int64 // when deadlines are next checked (run time)
	yield    int64 // when the loop next passes through the scheduler (run time)
	spin     spinner
	polled   int64 // nanoseconds spent polling before blocking
}

func newEvLoop(ctx context.Context, t *rawHTTP, addr net.Addr, family int, sa unix.Sockaddr, n int) (*evLoop, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	wakefd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		unix.Close(epfd)
		return nil, err
	}
	l := &evLoop{
		t: t, ctx: ctx, addr: addr, family: family, sa: sa,
		epfd: epfd, wakefd: wakefd,
		conns:   make([]evConn, n),
		events:  make([]unix.EpollEvent, min(n+1, 256)),
		timeout: int64(t.timeout),
		spin:    newSpinner(),
	}
	buf := make([]byte, n*readBufferSize)
	for i := range l.conns {
		l.conns[i].fd = -1
		l.conns[i].idx = int32(i + 1)
		l.conns[i].rr.buf = buf[i*readBufferSize : (i+1)*readBufferSize : (i+1)*readBufferSize]
	}
	// The event's data is the connection's index plus one, 0 for the
	// eventfd, and its socket's generation.
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wakefd, &unix.EpollEvent{Events: unix.EPOLLIN}); err != nil {
		l.close()
		return nil, err
	}
	return l, nil
}

// sweepInterval is how often deadlines are checked: an eighth of the
// timeout, as the session's connection deadline moves (rawSession.arm),
// so a request times out after 1 to 1.125 times the timeout.
func (l *evLoop) sweepInterval() int64 { return max(l.timeout/8, 1e6) }

// yieldInterval is how often a busy loop passes through the scheduler.
// The runtime's sysmon preempts a goroutine it finds on the same
// scheduling tick for 10 ms (forcePreemptNS in runtime/proc.go), and when
// that goroutine is in a system call, as a loop mostly is in epoll_wait,
// sysmon takes its P away instead. Each such retake costs the loop a P
// hand-off on waking and sets sysmon back to its 20 µs polling for the
// next millisecond or more. A runtime.Gosched well inside the 10 ms starts
// a new tick and avoids both. Measured on 2 CPUs against a loopback
// server, 32 connections, runs with and without alternated: CPU per
// request 4.65–4.70 → 4.40–4.57 µs (perf stat), and 3–4% more requests
// per second (means of the runs).
const yieldInterval = 2e6

func (l *evLoop) run(r *run, w *worker) {
	l.r, l.w = r, w
	defer l.close()
	stopCancel := context.AfterFunc(l.ctx, l.wake)
	defer stopCancel()
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-r.stopCh:
			l.wake()
		case <-done:
		}
	}()

	for i := range l.conns {
		l.ready = append(l.ready, &l.conns[i])
	}
	began := r.now()
	var waited int64
	defer func() {
		w.loopSpan = time.Duration(r.now() - began)
		w.loopBusy = max(w.loopSpan-time.Duration(waited), 0)
		w.loopPolled = time.Duration(l.polled)
	}()
	l.sweep = began + l.sweepInterval()
	l.yield = began + yieldInterval
	for {
		if l.ctx.Err() != nil {
			l.abort()
			return
		}
		batch := l.ready
		l.ready = l.spare[:0]
		for _, c := range batch {
			l.send(c)
		}
		l.spare = batch[:0]
		if l.inflight == 0 && len(l.ready) == 0 && r.stopped.Load() {
			return
		}
		wait := 0
		if len(l.ready) == 0 {
			wait = int(max(l.sweep-r.now(), 0)/1e6) + 1
		}
		t := r.now()
		n, err := l.poll(wait)
		waited += r.now() - t
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			// Not expected of a valid epoll descriptor; end every request
			// in flight with it rather than spin.
			l.failAll(os.NewSyscallError("epoll_wait", err), ClassOther)
			return
		}
		for _, ev := range l.events[:n] {
			if ev.Fd == 0 {
				var b [8]byte
				unix.Read(l.wakefd, b[:])
				continue
			}
			c := &l.conns[ev.Fd-1]
			if c.fd < 0 || ev.Pad != c.gen {
				continue // an event of a socket closed earlier in this batch
			}
			l.handle(c, ev.Events)
		}
		now := r.now()
		if now >= l.sweep {
			l.expire(now)
			l.sweep = now + l.sweepInterval()
		}
		if now >= l.yield {
			runtime.Gosched()
			l.yield = now + yieldInterval
		}
	}
}

// poll returns the events ready within timeout milliseconds. Before it
// blocks it polls for a while (spinner), since under load the next
// response is usually a few microseconds away.
func (l *evLoop) poll(timeout int) (int, error) {
	if timeout == 0 {
		return unix.EpollWait(l.epfd, l.events, 0)
	}
	if d := l.spin.window(); d > 0 {
		t0 := l.r.now()
		for {
			n, err := unix.EpollWait(l.epfd, l.events, 0)
			now := l.r.now()
			if n != 0 || err != nil {
				l.spin.caught()
				l.polled += now - t0
				return n, err
			}
			if now-t0 >= d {
				l.polled += now - t0
				break
			}
		}
		l.spin.missed()
	}
	return unix.EpollWait(l.epfd, l.events, timeout)
}

func (l *evLoop) wake() {
	l.wakeMu.Lock()
	defer l.wakeMu.Unlock()
	if l.wakefd >= 0 {
		one := [8]byte{1}
		unix.Write(l.wakefd, one[:])
	}
}

// send starts c's next request, unless the run has stopped sending.
func (l *evLoop) send(c *evConn) {
	c.state = connIdle
	t0, measured, ok := l.r.ticket()
	if !ok {
		return
	}
	c.t0, c.deadline, c.measured, c.retried = t0, t0+l.timeout, measured, false
	l.inflight++
	l.start(c)
}

// start sends c's request on its connection, making one first if need be.
func (l *evLoop) start(c *evConn) {
	c.rr.reset(l.t.head)
	c.wrote = 0
	if c.fd < 0 {
		l.connect(c)
		return
	}
	c.state = connWriting
	l.write(c)
}

func (l *evLoop) connect(c *evConn) {
	fd, err := unix.Socket(l.family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		l.fail(c, l.opError("dial", os.NewSyscallError("socket", err)), ClassConnect)
		return
	}
	// As net.Dial does for TCP.
	unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	c.fd, c.uses, c.out = fd, 0, true
	c.gen++
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLOUT | unix.EPOLLRDHUP, Fd: c.idx, Pad: c.gen}
	if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		l.fail(c, l.opError("dial", os.NewSyscallError("epoll_ctl", err)), ClassConnect)
		return
	}
	switch err := unix.Connect(fd, l.sa); err {
	case nil:
		c.state = connWriting
		l.write(c)
	case unix.EINPROGRESS, unix.EINTR:
		c.state = connConnecting
	default:
		l.fail(c, l.opError("dial", os.NewSyscallError("connect", err)), ClassConnect)
	}
}

func (l *evLoop) handle(c *evConn, events uint32) {
	switch c.state {
	case connConnecting:
		if events&(unix.EPOLLOUT|unix.EPOLLERR|unix.EPOLLHUP) == 0 {
			return
		}
		errno, err := unix.GetsockoptInt(c.fd, unix.SOL_SOCKET, unix.SO_ERROR)
		if err == nil && errno != 0 {
			err = unix.Errno(errno)
		}
		if err != nil {
			l.fail(c, l.opError("dial", os.NewSyscallError("connect", err)), ClassConnect)
			return
		}
		c.state = connWriting
		l.write(c)
	case connWriting:
		if events&(unix.EPOLLOUT|unix.EPOLLERR|unix.EPOLLHUP) != 0 {
			l.write(c)
		}
	case connReading:
		if events&(unix.EPOLLIN|unix.EPOLLRDHUP|unix.EPOLLERR|unix.EPOLLHUP) != 0 {
			l.read(c)
		}
	case connIdle:
		// The server closed an idle connection, or wrote to it unasked:
		// either way it cannot carry the next request.
		l.closeConn(c)
	}
}

func (l *evLoop) write(c *evConn) {
	req := l.t.req
	for c.wrote < len(req) {
		n, err := unix.Write(c.fd, req[c.wrote:])
		if err == unix.EINTR {
			continue
		}
		if err == unix.EAGAIN {
			l.setOut(c, true)
			return
		}
		if err != nil {
			if c.uses > 0 && !c.retried && l.t.retry && l.ctx.Err() == nil {
				l.retry(c)
				return
			}
			l.fail(c, l.opError("write", os.NewSyscallError("write", err)), ClassWrite)
			return
		}
		c.wrote += n
	}
	l.setOut(c, false)
	c.uses++
	c.state = connReading
}

// setOut registers or unregisters c's interest in writability.
func (l *evLoop) setOut(c *evConn, on bool) {
	if c.out == on {
		return
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP, Fd: c.idx, Pad: c.gen}
	if on {
		ev.Events |= unix.EPOLLOUT
	}
	if unix.EpollCtl(l.epfd, unix.EPOLL_CTL_MOD, c.fd, &ev) == nil {
		c.out = on
	}
}

func (l *evLoop) read(c *evConn) {
	n, err := unix.Read(c.fd, c.rr.space())
	switch {
	case err == unix.EAGAIN || err == unix.EINTR:
		return
	case err != nil:
		if c.rr.got == 0 && c.uses > 1 && !c.retried && l.t.retry && l.ctx.Err() == nil {
			l.retry(c)
			return
		}
		l.fail(c, l.opError("read", os.NewSyscallError("read", err)), ClassRead)
		return
	case n == 0:
		done, err := c.rr.eof()
		if done {
			l.complete(c, false)
			return
		}
		if c.rr.got == 0 && c.uses > 1 && !c.retried && l.t.retry && l.ctx.Err() == nil {
			l.retry(c)
			return
		}
		if err == io.EOF {
			err = io.ErrUnexpectedEOF // the server closed the connection without answering
		}
		l.fail(c, err, ClassRead)
		return
	}
	done, extra, err := c.rr.advance(n)
	switch {
	case err != nil:
		l.fail(c, err, ClassRead)
	case done:
		l.complete(c, extra)
	}
}

// retry sends c's request again on a new connection: the server had
// closed the reused one before answering (http_raw.go, rawSession.do).
func (l *evLoop) retry(c *evConn) {
	l.closeConn(c)
	c.retried = true
	l.start(c)
}

// complete records c's answered request. extra says bytes followed the
// response, which no request asked for.
func (l *evLoop) complete(c *evConn, extra bool) {
	var o Outcome
	o.Bytes = c.rr.got
	statusOutcome(&o, c.rr.p.resp.status)
	if !c.rr.p.resp.keepAlive || extra {
		l.closeConn(c)
	}
	l.finish(c, &o)
}

// fail records c's request as failed with err, of the given class unless
// err says better (a timeout, a reset), and closes the connection.
func (l *evLoop) fail(c *evConn, err error, phase Class) {
	l.closeConn(c)
	o := Outcome{Err: err, Class: classOr(err, phase), Bytes: c.rr.got}
	l.finish(c, &o)
}

func (l *evLoop) finish(c *evConn, o *Outcome) {
	l.inflight--
	c.state = connIdle
	l.ready = append(l.ready, c)
	l.w.closedDone(l.ctx, l.r, o, c.t0, c.measured)
}

// expire fails the requests whose deadline has passed.
func (l *evLoop) expire(now int64) {
	for i := range l.conns {
		c := &l.conns[i]
		if c.state != connIdle && c.deadline <= now {
			op := "read"
			if c.state == connConnecting {
				op = "dial"
			}
			l.fail(c, l.opError(op, os.ErrDeadlineExceeded), ClassTimeout)
		}
	}
}

// abort ends the requests in flight when the run is cancelled.
func (l *evLoop) abort() {
	l.failAll(l.ctx.Err(), ClassCanceled)
}

func (l *evLoop) failAll(err error, class Class) {
	for i := range l.conns {
		if c := &l.conns[i]; c.state != connIdle {
			l.fail(c, err, class)
		}
	}
}

func (l *evLoop) opError(op string, err error) error {
	return &net.OpError{Op: op, Net: "tcp", Addr: l.addr, Err: err}
}

func (l *evLoop) closeConn(c *evConn) {
	if c.fd >= 0 {
		// Closing the descriptor removes it from the epoll set.
		unix.Close(c.fd)
		c.fd = -1
	}
}

func (l *evLoop) close() {
	for i := range l.conns {
		l.closeConn(&l.conns[i])
	}
	unix.Close(l.epfd)
	l.wakeMu.Lock()
	unix.Close(l.wakefd)
	l.wakefd = -1
	l.wakeMu.Unlock()
}
