package load

import (
	"sync/atomic"
	"time"
)

// Stats are the measurements of one label, or of all requests together.
type Stats struct {
	// Requests counts measured requests that finished, successful or not.
	Requests uint64
	// Errors counts the failed ones among them.
	Errors uint64
	// Bytes counts the bytes received.
	Bytes uint64
	// Latency holds successful requests' latencies. In open loop they are
	// measured from the time each request was scheduled, so that time a
	// request spent waiting for a connection the target kept busy counts
	// (the correction for coordinated omission); in closed loop from the
	// time it was sent.
	Latency Histogram
	// Uncorrected, in open loop only, holds the same requests' latencies
	// measured from the time they were actually sent: the number most
	// load generators report, which hides stalls.
	Uncorrected Histogram
	// ErrorLatency holds failed requests' latencies, kept apart so that
	// quick failures do not flatter the successful ones.
	ErrorLatency Histogram
}

func (s *Stats) merge(o *Stats) {
	s.Requests += o.Requests
	s.Errors += o.Errors
	s.Bytes += o.Bytes
	s.Latency.Merge(&o.Latency)
	s.Uncorrected.Merge(&o.Uncorrected)
	s.ErrorLatency.Merge(&o.ErrorLatency)
}

// Result is what a run measured.
type Result struct {
	Config Config
	// OpenLoop reports whether the run had a Rate.
	OpenLoop bool
	// Start is when the run started (the warmup's start).
	Start time.Time
	// Duration is the measured time: from the end of the warmup to the
	// end of the last measured request.
	Duration time.Duration
	// Stats covers all measured requests; Labels splits them by
	// Outcome.Label when targets label their requests.
	Stats
	Labels map[string]*Stats
	// Warmup counts the requests finished during the warmup.
	Warmup uint64
	// Errors counts failed requests by class.
	Errors map[Class]*ErrorCount
	// Status counts responses by status code (for targets that set one).
	Status map[int]uint64
	// Missed, in open loop, is the shortfall: measured requests that were
	// scheduled before the end but never sent, because every connection
	// was busy (the generator fell behind by this many requests).
	Missed uint64
	// MaxBacklog, in open loop, is the largest number of requests that
	// were due but not yet sent, seen at any send.
	MaxBacklog uint64
	// SendDelay, in open loop, holds how late each measured request was
	// handed to a connection, behind its schedule: the wait for a free
	// connection plus the generator's own timer error. Its low
	// percentiles show how precisely the generator keeps the schedule.
	SendDelay Histogram
	// Timeline counts finished measured requests per interval from the end
	// of the warmup: a closed-loop run shows a stall as a dip.
	Timeline Timeline
	// Generator is the self-check of the generator over the measured time.
	Generator Generator
}

// RequestsPerSec returns the measured throughput.
func (r *Result) RequestsPerSec() float64 {
	if r.Duration <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Duration.Seconds()
}

// Timeline counts events per fixed interval.
type Timeline struct {
	Interval time.Duration
	Counts   []uint64
}

// timelineSlots bounds the timeline's memory: 36000 slots of 100 ms cover
// an hour, and longer runs get proportionally longer intervals.
const (
	timelineSlots    = 36000
	timelineInterval = 100 * time.Millisecond
)

type timeline struct {
	interval int64
	slots    []atomic.Uint64
}

func (t *timeline) init(d time.Duration) {
	iv := max(timelineInterval, (d+timelineSlots-1)/timelineSlots)
	t.interval = int64(iv)
	n := int((int64(d) + t.interval - 1) / t.interval)
	// Requests finishing in the grace period land in the last slots.
	n += int(DefaultGrace/iv) + 1
	t.slots = make([]atomic.Uint64, min(n, timelineSlots+timelineSlots/10))
}

func (t *timeline) add(at int64) {
	if at < 0 {
		return
	}
	i := min(int(at/t.interval), len(t.slots)-1)
	t.slots[i].Add(1)
}

func (r *run) result(workers []*worker, stopAt int64) *Result {
	res := &Result{
		Config:   r.cfg,
		OpenLoop: r.cfg.Rate > 0,
		Start:    r.base,
		Errors:   map[Class]*ErrorCount{},
		Status:   map[int]uint64{},
	}
	labels := map[string]*Stats{}
	last := stopAt
	for _, w := range workers {
		for l, s := range w.byLabel {
			if s.Requests == 0 && l == "" {
				continue
			}
			res.Stats.merge(s)
			if l != "" {
				if labels[l] == nil {
					labels[l] = &Stats{}
				}
				labels[l].merge(s)
			}
		}
		for c, e := range w.errors {
			if res.Errors[c] == nil {
				res.Errors[c] = &ErrorCount{}
			}
			res.Errors[c].merge(e)
		}
		for code, n := range w.status {
			res.Status[code] += n
		}
		res.Warmup += w.warmup
		last = max(last, w.lastDone)
	}
	if len(labels) > 0 {
		res.Labels = labels
	}
	res.Duration = max(time.Duration(last-r.warm), 0)
	if res.OpenLoop {
		scheduled := r.limit - r.first
		if due := r.dueBefore(min(stopAt, r.end)); due < r.limit {
			scheduled = due - r.first // the run was stopped early
		}
		res.Missed = uint64(max(scheduled-r.sent.Load(), 0))
		res.MaxBacklog = uint64(max(r.maxBehind, 0))
		res.SendDelay = r.late
	}
	counts := make([]uint64, len(r.timeln.slots))
	for i := range r.timeln.slots {
		counts[i] = r.timeln.slots[i].Load()
	}
	end := len(counts)
	for end > 0 && counts[end-1] == 0 {
		end--
	}
	res.Timeline = Timeline{Interval: time.Duration(r.timeln.interval), Counts: counts[:end]}
	return res
}

// Every returns the timeline's counts summed over intervals of d (a
// multiple of t.Interval; shorter intervals are kept as they are).
func (t Timeline) Every(d time.Duration) []uint64 {
	k := max(int(d/max(t.Interval, 1)), 1)
	out := make([]uint64, 0, (len(t.Counts)+k-1)/k)
	for i, c := range t.Counts {
		if i%k == 0 {
			out = append(out, 0)
		}
		out[len(out)-1] += c
	}
	return out
}
