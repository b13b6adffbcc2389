package load

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"sync"
	"time"
)

// rawHTTP is the HTTP/1.1 fast path: raw connections, prepared request
// bytes, the minimal parser in http_parse.go.
type rawHTTP struct {
	addr    string
	req     []byte
	head    bool
	retry   bool
	timeout time.Duration
	dialer  net.Dialer
	// noLoop makes a closed loop run a session per connection instead of
	// the event loops (http_loop_linux.go), for tests comparing the two.
	noLoop bool
}

func newRawHTTP(cfg HTTPConfig, u *url.URL) (Target, error) {
	return &rawHTTP{
		addr:    hostPort(u),
		req:     requestBytes(cfg, u),
		head:    cfg.Method == "HEAD",
		retry:   idempotent(cfg.Method),
		timeout: cfg.Timeout,
		dialer:  net.Dialer{Timeout: cfg.Timeout},
	}, nil
}

// readBufferSize holds a response's status line and headers, which the
// parser reads in place; net/http's Transport uses the same 4 KiB.
const readBufferSize = 4 << 10

func (t *rawHTTP) Open(ctx context.Context) (Session, error) {
	s := &rawSession{t: t, ctx: ctx}
	s.br = bufio.NewReaderSize(&s.cr, readBufferSize)
	// Cancelling the run must interrupt a read blocked on a server that
	// does not answer: push the connection's deadline into the past.
	// One AfterFunc per session, not per request, keeps Do allocation-free.
	s.stopWatch = context.AfterFunc(ctx, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.conn != nil {
			s.conn.SetDeadline(time.Unix(1, 0))
		}
	})
	return s, nil
}

type rawSession struct {
	t         *rawHTTP
	ctx       context.Context // the run's context, watched by stopWatch
	stopWatch func() bool
	mu        sync.Mutex // guards conn against the AfterFunc
	conn      net.Conn
	dl        time.Time // conn's deadline, as last set by arm
	reused    bool      // conn has carried a request before
	cr        countingReader
	br        *bufio.Reader
}

// countingReader counts the bytes read from a connection.
type countingReader struct {
	r net.Conn
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (s *rawSession) Do(ctx context.Context) Outcome {
	for attempt := 0; ; attempt++ {
		o, retry := s.do(ctx)
		if !retry || attempt > 0 {
			return o
		}
	}
}

// do sends the request once. It reports retry when a reused connection
// failed before any byte of a response arrived: the server closed it while
// idle, which is no fault of this request (net/http's Transport retries in
// the same case).
func (s *rawSession) do(ctx context.Context) (o Outcome, retry bool) {
	if s.conn == nil {
		if err := s.dial(ctx); err != nil {
			return Outcome{Err: err, Class: classOr(err, ClassConnect)}, false
		}
	}
	if err := s.arm(ctx); err != nil {
		s.closeConn()
		return Outcome{Err: err, Class: classOr(err, ClassOther)}, false
	}
	reused := s.reused
	s.reused = true
	if _, err := s.conn.Write(s.t.req); err != nil {
		s.closeConn()
		if reused && s.t.retry && ctx.Err() == nil {
			return Outcome{}, true
		}
		return Outcome{Err: err, Class: classOr(err, ClassWrite)}, false
	}
	s.cr.n = 0
	resp, err := readResponse(s.br, s.t.head)
	o.Bytes = s.cr.n
	if err != nil {
		s.closeConn()
		if reused && o.Bytes == 0 && s.t.retry && ctx.Err() == nil && !isTimeout(err) {
			return Outcome{}, true
		}
		o.Err = err
		o.Class = classOr(err, ClassRead)
		if err == io.EOF {
			o.Err = io.ErrUnexpectedEOF // the server closed the connection without answering
		}
		return o, false
	}
	if !resp.keepAlive || s.br.Buffered() > 0 {
		// A server that sends more than one response per request cannot be
		// trusted to keep the next response in step.
		s.closeConn()
	}
	statusOutcome(&o, resp.status)
	return o, false
}

// arm makes sure the connection's deadline leaves the next request at
// least the target's timeout. Setting a deadline re-arms the runtime's
// poll timers, a cost wrk does not pay per request, so the deadline is set
// an eighth of the timeout further ahead and moved only once less than
// the timeout remains: each request gets between 1 and 1.125 times the
// timeout (or up to ctx's deadline), and the timers move once every
// eighth of it rather than once a request.
func (s *rawSession) arm(ctx context.Context) error {
	now := time.Now()
	if s.dl.Sub(now) >= s.t.timeout {
		return nil
	}
	d := now.Add(s.t.timeout + s.t.timeout/8)
	if cd, ok := ctx.Deadline(); ok && cd.Before(d) {
		d = cd
	}
	if d.Equal(s.dl) {
		return nil
	}
	// Under mu, so that a cancellation's past deadline is never
	// overwritten: either it comes after this, or the context's error is
	// already visible here.
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ctx.Err(); err != nil {
		return err
	}
	if err := s.conn.SetDeadline(d); err != nil {
		return err
	}
	s.dl = d
	return nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// classOr classifies err, preferring timeouts and resets to the phase's
// own class, which is the fallback.
func classOr(err error, phase Class) Class {
	switch c := Classify(err); c {
	case ClassTimeout, ClassReset, ClassCanceled:
		return c
	}
	return phase
}

func (s *rawSession) dial(ctx context.Context) error {
	dctx, cancel := context.WithDeadline(ctx, deadline(ctx, s.t.timeout))
	defer cancel()
	c, err := s.t.dialer.DialContext(dctx, "tcp", s.t.addr)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.conn = c
	if s.ctx.Err() != nil {
		c.SetDeadline(time.Unix(1, 0))
	}
	s.mu.Unlock()
	s.reused = false
	s.dl = time.Time{}
	s.cr.r = c
	s.br.Reset(&s.cr)
	return nil
}

func (s *rawSession) closeConn() {
	s.mu.Lock()
	if s.conn != nil {
		s.conn.Close()
		s.conn = nil
	}
	s.mu.Unlock()
}

func (s *rawSession) Close() error {
	s.stopWatch()
	s.closeConn()
	return nil
}

// loopCount returns how many event loops to run with procs Ps: one fewer
// than there are, and at least one. A loop spends much of its time blocked
// in epoll_wait holding its P; when no P is idle, the runtime's sysmon
// takes such a P back after 20 µs, and the loop must get one again on
// waking, a futex hand-off and a context switch or two each time. With one
// P left idle that does not happen (only the P of a goroutine that has not
// been through the scheduler for 10 ms is taken all the same). Measured on
// 2 CPUs against a loopback server, 32 connections (perf stat): two loops
// cost 6.9 µs of CPU and 0.41 context switches per request, one loop
// 4.2 µs and 0.26, wrk -t2 6.3 µs and 0.28. With the loops' periodic
// yield (yieldInterval) two loops cost 5.6 µs and one 4.7 µs (GNU time,
// 8 runs of each alternated with wrk's), for the same rate: 0.98x wrk's.
func loopCount(procs int) int { return max(procs-1, 1) }
