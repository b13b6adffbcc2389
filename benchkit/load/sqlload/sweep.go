package sqlload

import (
	"context"
	"database/sql"
	"time"
)

// A PoolSetting is one point of a sweep: the arguments of
// SetMaxOpenConns, SetMaxIdleConns and SetConnMaxLifetime.
type PoolSetting struct {
	MaxOpen     int // 0: unlimited
	MaxIdle     int // 0 keeps no idle connection
	MaxLifetime time.Duration
}

// Grid returns every combination of maxOpen, maxIdle and lifetimes in
// that order of nesting, leaving out those with more idle connections
// than open ones (database/sql lowers MaxIdle to MaxOpen, so they repeat
// another point). An empty lifetimes means unlimited lifetime only.
func Grid(maxOpen, maxIdle []int, lifetimes []time.Duration) []PoolSetting {
	if len(lifetimes) == 0 {
		lifetimes = []time.Duration{0}
	}
	var out []PoolSetting
	for _, o := range maxOpen {
		for _, i := range maxIdle {
			if o > 0 && i > o {
				continue
			}
			for _, l := range lifetimes {
				out = append(out, PoolSetting{MaxOpen: o, MaxIdle: i, MaxLifetime: l})
			}
		}
	}
	return out
}

// A SweepRow is the outcome of one setting.
type SweepRow struct {
	Setting        PoolSetting
	Requests       uint64
	Errors         uint64
	RequestsPerSec float64
	P50, P99       time.Duration
	ReuseRate      float64
	Opened         int64
	WaitCount      int64
	// Connections is what the setting costs the server: MaxOpen, or when
	// that is unlimited the most connections seen open at a sample.
	Connections int
	// MeetsTarget reports whether P99 was within the sweep's target with
	// no errors.
	MeetsTarget bool
}

// SweepResult is a sweep's table and its verdict.
type SweepResult struct {
	Rows []SweepRow
	// Best indexes the row that met the p99 target with the fewest
	// connections (ties: the higher throughput), or is -1.
	Best      int
	P99Target time.Duration
}

// Sweep runs cfg once per setting against db, with the pool emptied of
// idle connections between settings so that each starts cold, and names
// the setting that meets p99Target at the fewest connections. The pool's
// settings are left as the last row set them.
func Sweep(ctx context.Context, db *sql.DB, c *Connector, cfg Config, settings []PoolSetting, p99Target time.Duration) (*SweepResult, error) {
	if len(settings) == 0 {
		return nil, &ConfigError{Field: "settings", Msg: "empty sweep"}
	}
	out := &SweepResult{Best: -1, P99Target: p99Target}
	for _, s := range settings {
		if s.MaxOpen < 0 || s.MaxIdle < 0 || s.MaxLifetime < 0 {
			return nil, &ConfigError{Field: "settings", Msg: "negative pool setting"}
		}
		db.SetMaxIdleConns(-1) // closes every idle connection
		db.SetMaxOpenConns(s.MaxOpen)
		db.SetMaxIdleConns(s.MaxIdle)
		db.SetConnMaxLifetime(s.MaxLifetime)
		res, err := Run(ctx, db, c, cfg)
		if err != nil {
			return out, err
		}
		out.Rows = append(out.Rows, sweepRow(s, res, p99Target))
	}
	out.Best = best(out.Rows)
	return out, nil
}

func sweepRow(s PoolSetting, res *Result, target time.Duration) SweepRow {
	lr := res.Load
	r := SweepRow{
		Setting:        s,
		Requests:       lr.Requests,
		Errors:         lr.Stats.Errors,
		RequestsPerSec: lr.RequestsPerSec(),
		P50:            lr.Latency.Percentile(50),
		P99:            lr.Latency.Percentile(99),
		ReuseRate:      res.Pool.Run.ReuseRate,
		Opened:         res.Pool.Run.Opened,
		WaitCount:      res.Pool.Run.WaitCount,
		Connections:    s.MaxOpen,
	}
	if r.Connections == 0 {
		r.Connections = res.Pool.Run.MaxOpen
	}
	r.MeetsTarget = r.Requests > 0 && r.Errors == 0 && (target <= 0 || r.P99 <= target)
	return r
}

// best returns the row meeting the target with the fewest connections,
// then the highest throughput; -1 when none does.
func best(rows []SweepRow) int {
	b := -1
	for i, r := range rows {
		if !r.MeetsTarget {
			continue
		}
		if b < 0 || r.Connections < rows[b].Connections ||
			r.Connections == rows[b].Connections && r.RequestsPerSec > rows[b].RequestsPerSec {
			b = i
		}
	}
	return b
}
