package sqlload

import "github.com/nativego/nativego/benchkit/load"

// Summary is a run's result in the shape the sqlload command prints with
// -json: the engine's summary (latency per query under "labels", errors
// by class) and the pool's efficiency, times in seconds.
type Summary struct {
	Load *load.Summary `json:"load"`
	Pool PoolSummary   `json:"pool"`
}

// PoolSummary is a PoolReport in seconds.
type PoolSummary struct {
	MaxOpenConns int                 `json:"max_open_conns"`
	Run          PoolWindowSummary   `json:"run"`
	Windows      []PoolWindowSummary `json:"windows"`
}

// PoolWindowSummary is a PoolWindow in seconds.
type PoolWindowSummary struct {
	StartSec          float64              `json:"start_sec"`
	EndSec            float64              `json:"end_sec"`
	Queries           int64                `json:"queries"`
	Opened            int64                `json:"opened"`
	ConnectFailed     int64                `json:"connect_failed"`
	ReuseRate         float64              `json:"reuse_rate"`
	WaitCount         int64                `json:"wait_count"`
	WaitSec           float64              `json:"wait_sec"`
	AcquireSec        *load.SummaryLatency `json:"acquire_sec,omitempty"`
	MaxIdleClosed     int64                `json:"max_idle_closed"`
	MaxIdleTimeClosed int64                `json:"max_idle_time_closed"`
	MaxLifetimeClosed int64                `json:"max_lifetime_closed"`
	Open              int                  `json:"open"`
	InUse             int                  `json:"in_use"`
	Idle              int                  `json:"idle"`
	MaxOpen           int                  `json:"max_open"`
	MaxInUse          int                  `json:"max_in_use"`
}

func (w *PoolWindow) summary() PoolWindowSummary {
	s := PoolWindowSummary{
		StartSec: w.Start.Seconds(), EndSec: w.End.Seconds(),
		Queries: w.Queries, Opened: w.Opened, ConnectFailed: w.ConnectFailed, ReuseRate: w.ReuseRate,
		WaitCount: w.WaitCount, WaitSec: w.WaitDuration.Seconds(),
		MaxIdleClosed: w.MaxIdleClosed, MaxIdleTimeClosed: w.MaxIdleTimeClosed, MaxLifetimeClosed: w.MaxLifetimeClosed,
		Open: w.Open, InUse: w.InUse, Idle: w.Idle, MaxOpen: w.MaxOpen, MaxInUse: w.MaxInUse,
	}
	if p := w.Acquire; p != nil {
		s.AcquireSec = &load.SummaryLatency{P50: p.P50.Seconds(), P90: p.P90.Seconds(), P99: p.P99.Seconds(),
			P999: p.P999.Seconds(), Max: p.Max.Seconds(), Mean: p.Mean.Seconds()}
	}
	return s
}

// Summary returns r in the shape of the sqlload command's JSON output.
func (r *Result) Summary() *Summary {
	s := &Summary{Load: r.Load.Summary()}
	s.Pool.MaxOpenConns = r.Pool.MaxOpenConns
	s.Pool.Run = r.Pool.Run.summary()
	s.Pool.Windows = make([]PoolWindowSummary, 0, len(r.Pool.Windows))
	for i := range r.Pool.Windows {
		s.Pool.Windows = append(s.Pool.Windows, r.Pool.Windows[i].summary())
	}
	return s
}
