package metricsx

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"
)

// Defaults for a Sampler's zero fields.
const (
	DefaultInterval = time.Second
	DefaultSize     = 300 // five minutes at one sample a second
)

// A Source fills dst with a snapshot. [ReadSource] reads this process;
// [HTTPSource] fetches another process's JSON endpoint.
type Source func(ctx context.Context, dst *Snapshot) error

// ReadSource is the Source that reads this process's runtime metrics.
func ReadSource(_ context.Context, dst *Snapshot) error {
	dst.Read()
	return nil
}

// A Sampler takes snapshots periodically, keeps the latest ones in a
// bounded ring with the [Summary] of the window that ends at each, and can
// write each snapshot to a JSON Lines stream.
//
// Configure the exported fields before calling Run; the zero Sampler reads
// this process every second and keeps five minutes. Its methods are safe
// for concurrent use with Run. In steady state, sampling allocates nothing
// (for this process; decoding another's JSON allocates).
type Sampler struct {
	// Source supplies the snapshots; ReadSource when nil.
	Source Source
	// Interval is the time between samples; DefaultInterval when zero.
	Interval time.Duration
	// Size is how many samples the ring keeps; DefaultSize when zero.
	Size int
	// JSONLines, if not nil, receives every snapshot as one line of JSON
	// (see the package documentation, # JSON). A write error stops Run.
	JSONLines io.Writer
	// OnError, if not nil, is told about a sample that could not be taken
	// (for example because a remote endpoint did not answer). The sampler
	// goes on and counts it in Stats. OnError is called from Run's
	// goroutine and must not block.
	OnError func(error)

	mu      sync.Mutex
	ring    []sample // len == size once started
	next    int      // slot the next sample goes in
	n       int      // samples in the ring
	scratch *Snapshot
	buf     []byte
	window  Window // reused for its scratch storage
	stats   SamplerStats
}

// A sample is one slot of the ring.
type sample struct {
	snap    *Snapshot
	summary Summary
	ok      bool // summary is of a valid window (not the first sample, not a reset)
}

// SamplerStats counts what a Sampler has done.
type SamplerStats struct {
	Samples uint64 `json:"samples"` // snapshots taken
	Errors  uint64 `json:"errors"`  // samples the Source failed to take
	Resets  uint64 `json:"resets"`  // windows dropped because they went backwards
}

func (s *Sampler) init() {
	if s.ring != nil {
		return
	}
	size := s.Size
	if size <= 0 {
		size = DefaultSize
	}
	s.ring = make([]sample, size)
	for i := range s.ring {
		s.ring[i].snap = new(Snapshot)
	}
	s.scratch = new(Snapshot)
}

// Run samples at once, then every Interval, until ctx is done, and then
// returns ctx's error; it returns earlier only if writing JSONLines
// fails. Run starts no goroutines; call it from one of yours. A Sampler
// must not Run twice at the same time.
func (s *Sampler) Run(ctx context.Context) error {
	interval := s.Interval
	if interval <= 0 {
		interval = DefaultInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := s.Sample(ctx); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Sample takes one sample now. It returns only errors that should stop a
// sampler: writing JSONLines failed. A Source's error is counted and
// passed to OnError. Sample must not be called while Run runs or from two
// goroutines at once.
func (s *Sampler) Sample(ctx context.Context) error {
	s.mu.Lock()
	s.init()
	scratch := s.scratch
	s.mu.Unlock()

	src := s.Source
	if src == nil {
		src = ReadSource
	}
	// The source fills the scratch snapshot outside the lock: fetching
	// may take long, and readers of the ring must not wait for it.
	if err := src(ctx, scratch); err != nil {
		s.mu.Lock()
		s.stats.Errors++
		s.mu.Unlock()
		if s.OnError != nil && ctx.Err() == nil {
			s.OnError(err)
		}
		return nil
	}

	s.mu.Lock()
	slot := &s.ring[s.next]
	// Swap the filled scratch into the ring; the slot's old snapshot
	// becomes the next scratch, so nothing is allocated.
	slot.snap, s.scratch = scratch, slot.snap
	slot.ok = false
	slot.summary = Summary{}
	if s.n > 0 {
		prev := s.ring[(s.next+len(s.ring)-1)%len(s.ring)].snap
		if err := s.window.Set(prev, slot.snap); err == nil {
			slot.summary, slot.ok = s.window.Summary(), true
		} else {
			s.stats.Resets++
		}
	}
	s.next = (s.next + 1) % len(s.ring)
	s.n = min(s.n+1, len(s.ring))
	s.stats.Samples++
	var line []byte
	if s.JSONLines != nil {
		s.buf = append(slot.snap.AppendJSON(s.buf[:0]), '\n')
		line = s.buf
	}
	s.mu.Unlock()

	if line != nil {
		// Only Run's goroutine touches buf between samples.
		if _, err := s.JSONLines.Write(line); err != nil {
			return fmt.Errorf("metricsx: writing sample: %w", err)
		}
	}
	return nil
}

// Len returns how many samples the ring holds.
func (s *Sampler) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

// Stats returns the sampler's counts.
func (s *Sampler) Stats() SamplerStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Latest copies the newest sample into dst and reports whether there was
// one.
func (s *Sampler) Latest(dst *Snapshot) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n == 0 {
		return false
	}
	dst.CopyFrom(s.ring[(s.next+len(s.ring)-1)%len(s.ring)].snap)
	return true
}

// Snapshots returns deep copies of the samples in the ring, oldest first.
func (s *Sampler) Snapshots() []*Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Snapshot, 0, s.n)
	for i := range s.n {
		out = append(out, s.ring[(s.next-s.n+i+len(s.ring))%len(s.ring)].snap.Clone())
	}
	return out
}

// Summaries appends to dst the Summary of each window between consecutive
// samples in the ring, oldest first, leaving out windows that went
// backwards, and returns the extended slice.
func (s *Sampler) Summaries(dst []Summary) []Summary {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.n {
		if sm := &s.ring[(s.next-s.n+i+len(s.ring))%len(s.ring)]; sm.ok {
			dst = append(dst, sm.summary)
		}
	}
	return dst
}
