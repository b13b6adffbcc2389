package sqlload

import (
	"database/sql"
	"time"

	"github.com/nativego/nativego/benchkit/load"
)

// A PoolSample is the pool's state at one moment of a run.
type PoolSample struct {
	// At is the time since measurement started (the end of the warmup).
	At    time.Duration
	Stats sql.DBStats
	// Opened and ConnectFailed are the Connector's counts so far.
	Opened, ConnectFailed int64
	// Queries counts the queries started since measurement started.
	Queries int64
	// PeakInUse is the most connections held at once since the previous
	// sample, counted by the Target as it takes and returns them (0 for
	// prepared statements, whose connections it does not see).
	PeakInUse int
}

// PoolWindow is the pool's activity between two samples, or over a run.
type PoolWindow struct {
	Start, End time.Duration
	// Queries is how many queries were started.
	Queries int64
	// Opened is how many connections were made, ConnectFailed how many
	// attempts failed.
	Opened, ConnectFailed int64
	// ReuseRate is 1 − Opened/Queries: the share of queries that ran on a
	// connection some earlier query had opened. It is 0 when there were no
	// queries and can fall below 0 when connections churn faster than
	// queries run.
	ReuseRate float64
	// WaitCount and WaitDuration are how often, and for how long in
	// total, queries waited for a connection because the pool was at
	// MaxOpenConns (sql.DBStats).
	WaitCount    int64
	WaitDuration time.Duration
	// Acquire summarizes the time each query took to get its connection,
	// whether it waited, reused an idle one or connected; nil when the
	// queries were prepared, as then database/sql picks the connection
	// inside Stmt.Query where it cannot be timed.
	Acquire *load.Percentiles
	// Closures by reason (sql.DBStats).
	MaxIdleClosed, MaxIdleTimeClosed, MaxLifetimeClosed int64
	// Open, InUse and Idle are the connections at End. MaxInUse is the
	// most connections in use at once: exact for queries that are not
	// prepared (counted as they are taken and returned), else the largest
	// count seen at a sample. MaxOpen is the most connections open at a
	// sample, and at least MaxInUse.
	Open, InUse, Idle int
	MaxOpen, MaxInUse int
}

// window returns the activity between samples a and b.
func window(a, b PoolSample) PoolWindow {
	// Counters are cumulative and never go backwards; guard anyway, so
	// that a caller's bad sample cannot produce negative counts.
	d := func(x, y int64) int64 { return max(y-x, 0) }
	w := PoolWindow{
		Start:             a.At,
		End:               b.At,
		Queries:           d(a.Queries, b.Queries),
		Opened:            d(a.Opened, b.Opened),
		ConnectFailed:     d(a.ConnectFailed, b.ConnectFailed),
		WaitCount:         d(a.Stats.WaitCount, b.Stats.WaitCount),
		WaitDuration:      time.Duration(d(int64(a.Stats.WaitDuration), int64(b.Stats.WaitDuration))),
		MaxIdleClosed:     d(a.Stats.MaxIdleClosed, b.Stats.MaxIdleClosed),
		MaxIdleTimeClosed: d(a.Stats.MaxIdleTimeClosed, b.Stats.MaxIdleTimeClosed),
		MaxLifetimeClosed: d(a.Stats.MaxLifetimeClosed, b.Stats.MaxLifetimeClosed),
		Open:              b.Stats.OpenConnections,
		InUse:             b.Stats.InUse,
		Idle:              b.Stats.Idle,
		MaxInUse:          max(a.Stats.InUse, b.Stats.InUse, b.PeakInUse),
	}
	w.MaxOpen = max(a.Stats.OpenConnections, b.Stats.OpenConnections, w.MaxInUse)
	if w.Queries > 0 {
		w.ReuseRate = 1 - float64(w.Opened)/float64(w.Queries)
	}
	return w
}

// PoolReport is a run's pool efficiency: over the whole measured time and
// per window.
type PoolReport struct {
	// MaxOpenConns is the pool's limit during the run (0: unlimited).
	MaxOpenConns int
	Run          PoolWindow
	Windows      []PoolWindow
}

// poolReport builds the report from samples taken at the start of
// measurement, at each window's end and after the run, and from the
// acquire-time histograms per window (nil when not measured).
func poolReport(samples []PoolSample, acquire []load.Histogram, measured bool) PoolReport {
	var r PoolReport
	if len(samples) == 0 {
		return r
	}
	r.MaxOpenConns = samples[len(samples)-1].Stats.MaxOpenConnections
	var all load.Histogram
	for i := 1; i < len(samples); i++ {
		w := window(samples[i-1], samples[i])
		if measured {
			var h load.Histogram
			if i-1 < len(acquire) {
				h = acquire[i-1]
			}
			all.Merge(&h)
			p := h.Summary()
			w.Acquire = &p
		}
		r.Windows = append(r.Windows, w)
	}
	if len(samples) == 1 {
		samples = append(samples, samples[0])
	}
	r.Run = window(samples[0], samples[len(samples)-1])
	for _, w := range r.Windows {
		r.Run.MaxOpen = max(r.Run.MaxOpen, w.MaxOpen)
		r.Run.MaxInUse = max(r.Run.MaxInUse, w.MaxInUse)
	}
	if measured {
		p := all.Summary()
		r.Run.Acquire = &p
	}
	return r
}
