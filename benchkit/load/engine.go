package load

import (
	"context"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults for a zero [Config].
const (
	DefaultDuration = 10 * time.Second
	DefaultGrace    = 2 * time.Second
	// DefaultMaxDuration bounds a run that has only a count bound, so that
	// every run ends by itself even against a target that stops answering.
	DefaultMaxDuration = time.Hour
	// DefaultSchedLatencyLimit is the p99 Go scheduler latency above which
	// the generator reports itself as a possible bottleneck: a goroutine that
	// waits a millisecond to run delays the request it was about to send or
	// the response it was about to read by as much.
	DefaultSchedLatencyLimit = time.Millisecond
)

// Config describes a run. The zero Config runs one connection in a closed
// loop for [DefaultDuration].
type Config struct {
	// Connections is the number of sessions, each carrying one request at
	// a time; 1 when zero. It bounds the requests in flight, in both loops.
	// Each session is driven by its own goroutine, except in a closed loop
	// over the raw HTTP/1.1 path on Linux, where a few event loops drive
	// them all, as wrk's threads do.
	Connections int
	// Duration is how long requests are sent after the warmup. When both
	// Duration and Requests are zero it is DefaultDuration; when only
	// Requests is set the run is bounded by DefaultMaxDuration.
	Duration time.Duration
	// Requests, when positive, ends the run after this many requests
	// after the warmup have been sent (or, in open loop, scheduled).
	Requests int64
	// Warmup is sent before measuring starts; its requests are counted in
	// Result.Warmup and in nothing else.
	Warmup time.Duration
	// Rate, when positive, makes the run open loop: requests are scheduled
	// at Rate per second whatever the target does, latency is measured
	// from each request's scheduled send time (Result.Latency) and from
	// its actual send time (Result.Uncorrected). When zero the run is
	// closed loop: each connection sends its next request as soon as the
	// previous one is answered.
	Rate float64
	// Ramp, in open loop, raises the rate linearly from 0 to Rate over
	// this time from the start of the run (warmup included).
	Ramp time.Duration
	// Grace is how long requests in flight when sending stops may take to
	// finish before their context is cancelled; DefaultGrace when zero.
	Grace time.Duration
	// ServerPID, when positive, is the server's process id, for the
	// self-check's shared-CPU test (Linux only).
	ServerPID int
	// SchedLatencyLimit is the p99 scheduler latency above which the
	// generator reports itself saturated; DefaultSchedLatencyLimit when 0.
	SchedLatencyLimit time.Duration
}

func (c Config) withDefaults() (Config, error) {
	if c.Connections < 0 {
		return c, &ConfigError{"Connections", "negative"}
	}
	if c.Connections == 0 {
		c.Connections = 1
	}
	if c.Duration < 0 || c.Requests < 0 || c.Warmup < 0 || c.Ramp < 0 || c.Grace < 0 {
		return c, &ConfigError{"Duration", "durations and counts must not be negative"}
	}
	if math.IsNaN(c.Rate) || math.IsInf(c.Rate, 0) || c.Rate < 0 {
		return c, &ConfigError{"Rate", "must be a finite number ≥ 0"}
	}
	if c.Ramp > 0 && c.Rate == 0 {
		return c, &ConfigError{"Ramp", "needs a Rate (ramps apply to open loop)"}
	}
	if c.Duration == 0 {
		c.Duration = DefaultDuration
		if c.Requests > 0 {
			c.Duration = DefaultMaxDuration
		}
	}
	if c.Grace == 0 {
		c.Grace = DefaultGrace
	}
	if c.SchedLatencyLimit == 0 {
		c.SchedLatencyLimit = DefaultSchedLatencyLimit
	}
	return c, nil
}

// A run is the engine's shared state. Times are nanoseconds since base.
type run struct {
	cfg     Config
	base    time.Time
	warm    int64 // warmup ends, measurement starts
	end     int64 // no request is sent at or after end
	stopped atomic.Bool
	stopCh  chan struct{}
	stop    func()

	next   atomic.Int64 // closed loop: measured tickets taken
	timeln timeline

	// Open loop only: the dispatcher's schedule and what it saw.
	due       chan int64   // scheduled requests' indexes, handed to free workers
	first     int64        // index of the first measured request
	limit     int64        // index after the last request to send
	sent      atomic.Int64 // measured requests handed to workers
	late      Histogram    // how late measured requests were handed over
	maxBehind int64        // largest backlog seen at a hand-over
	timer     *time.Timer  // the dispatcher's, reused between requests
}

func (r *run) now() int64 { return int64(time.Since(r.base)) }

// Open loop schedule. With ramp length D and rate R the rate at t is
// R·t/D for t < D, then R; the number of requests due by t is its
// integral N(t) = R·t²/(2D) for t < D, then R·D/2 + R·(t−D); request n
// (from 0) is scheduled at the inverse, N⁻¹(n).

// intended returns when request n is scheduled.
func (r *run) intended(n int64) int64 {
	rate, ramp := r.cfg.Rate, r.cfg.Ramp.Seconds()
	rampN := rate * ramp / 2
	x := float64(n)
	var s float64
	if x < rampN {
		s = math.Sqrt(2 * ramp * x / rate)
	} else {
		s = ramp + (x-rampN)/rate
	}
	return int64(math.Ceil(s * 1e9))
}

// dueBefore returns how many requests are scheduled before t.
func (r *run) dueBefore(t int64) int64 {
	rate, ramp := r.cfg.Rate, r.cfg.Ramp.Seconds()
	s := float64(t) / 1e9
	var n float64
	if s < ramp {
		n = rate * s * s / (2 * ramp)
	} else {
		n = rate*ramp/2 + rate*(s-ramp)
	}
	// Rounding can put the estimate one off either way; the schedule
	// itself decides.
	c := max(int64(n), 0)
	for c > 0 && r.intended(c-1) >= t {
		c--
	}
	for r.intended(c) < t {
		c++
	}
	return c
}

// Run drives target with the load cfg describes and returns what it
// measured. It always ends by itself: after the warmup and Duration (or
// Requests), requests in flight get Grace to finish, then their context is
// cancelled. Cancelling ctx stops the run early in the same way; the result
// then covers the part that ran, and Run returns it with ctx's error.
func Run(ctx context.Context, target Target, cfg Config) (*Result, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	hardCtx, cancelHard := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelHard()

	var loops []func(*run, *worker)
	if m, ok := target.(multiplexer); ok && cfg.Rate == 0 {
		loops = m.closedLoops(hardCtx, cfg.Connections)
	}
	sessions := make([]Session, 0, cfg.Connections)
	defer func() {
		for _, s := range sessions {
			s.Close()
		}
	}()
	if loops == nil {
		for range cfg.Connections {
			s, err := target.Open(hardCtx)
			if err != nil {
				return nil, err
			}
			sessions = append(sessions, s)
		}
	}

	r := &run{cfg: cfg, stopCh: make(chan struct{})}
	r.stop = sync.OnceFunc(func() {
		r.stopped.Store(true)
		close(r.stopCh)
	})
	r.warm = int64(cfg.Warmup)
	r.end = r.warm + int64(cfg.Duration)
	if cfg.Rate > 0 {
		r.first = r.dueBefore(r.warm)
		r.limit = r.dueBefore(r.end)
		if cfg.Requests > 0 {
			r.limit = min(r.limit, r.first+cfg.Requests)
		}
	}
	r.timeln.init(cfg.Duration)

	if cfg.Rate > 0 {
		r.due = make(chan int64)
	}
	workers := make([]*worker, len(sessions), len(sessions)+len(loops))
	var wg sync.WaitGroup
	var self selfCheck
	r.base = time.Now()
	for _, loop := range loops {
		w := newWorker()
		workers = append(workers, w)
		wg.Go(func() { loop(r, w) })
	}
	for i, s := range sessions {
		w := newWorker()
		workers[i] = w
		wg.Go(func() {
			if cfg.Rate > 0 {
				w.openLoop(hardCtx, r, s)
			} else {
				w.closedLoop(hardCtx, r, s)
			}
		})
	}
	if cfg.Rate > 0 {
		wg.Go(r.dispatch)
	}
	allDone := make(chan struct{})
	go func() { wg.Wait(); close(allDone) }()

	// Measurement starts after the warmup, unless the run ended first.
	warmTimer := time.NewTimer(time.Duration(r.warm))
	select {
	case <-warmTimer.C:
	case <-r.stopCh:
	case <-ctx.Done():
		r.stop()
	}
	warmTimer.Stop()
	self.start(cfg)

	endTimer := time.NewTimer(time.Until(r.base.Add(time.Duration(r.end))))
	select {
	case <-endTimer.C:
	case <-r.stopCh:
	case <-ctx.Done():
	case <-allDone:
	}
	endTimer.Stop()
	r.stop()
	stopAt := r.now()
	self.finish()

	graceTimer := time.NewTimer(cfg.Grace)
	select {
	case <-allDone:
	case <-graceTimer.C:
		cancelHard()
		<-allDone
	}
	graceTimer.Stop()

	res := r.result(workers, stopAt)
	var polled time.Duration
	for _, w := range workers {
		polled += w.loopPolled
	}
	res.Generator = self.report(cfg, polled)
	res.Generator.addLoops(workers)
	return res, ctx.Err()
}

// A multiplexer is a target that can drive a closed loop's connections
// itself, many per goroutine, as an event loop does, rather than through a
// session and a goroutine each.
type multiplexer interface {
	// closedLoops returns the functions that drive conns connections
	// between them, each run on its own goroutine with its own worker, or
	// nil when the target cannot do so here. Each sends requests as
	// closedLoop does, ends once the run has stopped and its requests have
	// finished, and cuts them off when ctx is done.
	closedLoops(ctx context.Context, conns int) []func(*run, *worker)
}

// A worker drives one session and keeps its own statistics, merged when
// the run ends, so that recording takes no locks.
type worker struct {
	byLabel   map[string]*Stats
	lastLabel string
	last      *Stats
	errors    map[Class]*ErrorCount
	status    map[int]uint64
	warmup    uint64
	lastDone  int64 // when the last measured request finished
	// An event loop's time working (not waiting for events) and in all,
	// from its start to its end, and the part of its waiting it spent
	// polling for events rather than blocked (spin.go).
	loopBusy, loopSpan, loopPolled time.Duration
}

func newWorker() *worker {
	w := &worker{
		byLabel: map[string]*Stats{},
		errors:  map[Class]*ErrorCount{},
		status:  map[int]uint64{},
	}
	w.last = &Stats{}
	w.byLabel[""] = w.last
	return w
}

func (w *worker) statsFor(label string) *Stats {
	if label == w.lastLabel {
		return w.last
	}
	s := w.byLabel[label]
	if s == nil {
		s = &Stats{}
		w.byLabel[label] = s
	}
	w.lastLabel, w.last = label, s
	return s
}

// record adds one measured request: lat is its latency as reported,
// sendLat its latency from the actual send (the same in closed loop).
func (w *worker) record(ctx context.Context, o *Outcome, lat, sendLat int64, open bool) {
	st := w.statsFor(o.Label)
	st.Requests++
	if o.Bytes > 0 {
		st.Bytes += uint64(o.Bytes)
	}
	if o.Status != 0 {
		w.status[o.Status]++
	}
	if o.Err == nil {
		st.Latency.Record(time.Duration(lat))
		if open {
			st.Uncorrected.Record(time.Duration(sendLat))
		}
		return
	}
	st.Errors++
	st.ErrorLatency.Record(time.Duration(lat))
	class := o.Class
	if ctx.Err() != nil {
		class = ClassCanceled // whatever the target made of it, the run cut it off
	} else if class == "" {
		class = Classify(o.Err)
	}
	ec := w.errors[class]
	if ec == nil {
		ec = &ErrorCount{}
		w.errors[class] = ec
	}
	ec.add(o.Err)
}

func (w *worker) closedLoop(ctx context.Context, r *run, s Session) {
	for {
		t0, measured, ok := r.ticket()
		if !ok {
			return
		}
		o := s.Do(ctx)
		w.closedDone(ctx, r, &o, t0, measured)
	}
}

// ticket starts a closed loop's next request: it returns the request's send
// time and whether it is measured (sent after the warmup), or ok false when
// the run has stopped sending, which it stops once the duration or the
// count of measured requests is reached.
func (r *run) ticket() (t0 int64, measured, ok bool) {
	if r.stopped.Load() {
		return 0, false, false
	}
	t0 = r.now()
	if t0 >= r.end {
		r.stop()
		return 0, false, false
	}
	measured = t0 >= r.warm
	if measured && r.cfg.Requests > 0 && r.next.Add(1) > r.cfg.Requests {
		r.stop()
		return 0, false, false
	}
	return t0, measured, true
}

// closedDone records a closed loop's request sent at t0, which has just
// finished with o.
func (w *worker) closedDone(ctx context.Context, r *run, o *Outcome, t0 int64, measured bool) {
	t1 := r.now()
	if !measured {
		w.warmup++
		return
	}
	w.record(ctx, o, t1-t0, t1-t0, false)
	w.lastDone = max(w.lastDone, t1)
	r.timeln.add(t1 - r.warm)
}

// openLoop receives scheduled requests from the dispatcher until it closes
// the channel.
func (w *worker) openLoop(ctx context.Context, r *run, s Session) {
	for n := range r.due {
		it := r.intended(n)
		t0 := r.now()
		o := s.Do(ctx)
		t1 := r.now()
		if n < r.first {
			w.warmup++
			continue
		}
		w.record(ctx, &o, t1-it, t1-t0, true)
		w.lastDone = max(w.lastDone, t1)
		r.timeln.add(t1 - r.warm)
	}
}

// dispatch hands each scheduled request, at its time, to a free worker.
// One goroutine keeps the schedule, rather than each worker its own share
// of it, so that a request goes to whichever connection is free, as
// arrivals of independent users would. The hand-off blocks while every
// connection is busy: the requests in flight never exceed the number of
// connections, and the backlog is only a count. When the run ends, what
// is still due and unsent is reported as missed, not sent in a burst.
func (r *run) dispatch() {
	defer close(r.due)
	for n := int64(0); n < r.limit; n++ {
		it := r.intended(n)
		if it >= r.end {
			return
		}
		if !r.sleepUntil(it) {
			return
		}
		if r.stopped.Load() {
			return
		}
		select {
		case r.due <- n:
		case <-r.stopCh:
			return
		}
		// The receiving worker was made runnable on this goroutine's P,
		// which the next precise sleep would hold in a system call until
		// the runtime's monitor takes it back (20 µs to 10 ms later):
		// yield it to the worker first.
		runtime.Gosched()
		if n >= r.first {
			r.sent.Add(1)
			now := r.now()
			r.late.Record(time.Duration(now - it))
			r.maxBehind = max(r.maxBehind, r.dueBefore(now)-n-1)
		}
	}
}
