package sqlload

import (
	"context"
	"database/sql"
	"time"

	"github.com/nativego/nativego/benchkit/load"
)

// DefaultWindow is the pool-sampling interval of a Config whose Window is
// zero.
const DefaultWindow = time.Second

// Config describes a run.
type Config struct {
	TargetConfig
	// Load is the engine's configuration: Connections is the number of
	// concurrent clients (goroutines each running one query at a time),
	// independent of the pool's size; Rate makes the run open loop.
	Load load.Config
	// Window is the interval at which the pool is sampled and its
	// efficiency reported; DefaultWindow when zero. Runs longer than 3600
	// windows get proportionally longer ones.
	Window time.Duration
}

// Result is what a run measured.
type Result struct {
	// Load is the engine's result: latency per query name in
	// Load.Labels, errors by class in Load.Errors.
	Load *load.Result
	Pool PoolReport
}

// Run drives db with cfg's query mix and reports latency and pool
// efficiency. c, when not nil, is db's Connector (see [Open]); without it
// the connections made are not counted and Opened and ReuseRate stay 0.
//
// The pool is sampled at the end of the warmup, every Window after that,
// and once more after the engine returns, so the last window includes the
// grace period in which requests in flight finish.
func Run(ctx context.Context, db *sql.DB, c *Connector, cfg Config) (*Result, error) {
	tg, err := NewTarget(db, cfg.TargetConfig)
	if err != nil {
		return nil, err
	}
	defer tg.Close()
	if cfg.Window < 0 {
		return nil, &ConfigError{Field: "Window", Msg: "negative"}
	}
	win := cfg.Window
	if win == 0 {
		win = DefaultWindow
	}
	if d := cfg.Load.Duration; d > 0 && d/win > maxWindows {
		win = (d + maxWindows - 1) / maxWindows
	}
	tg.window = win
	tg.start = time.Now().Add(cfg.Load.Warmup)

	sample := func() PoolSample {
		s := PoolSample{At: time.Since(tg.start), Stats: db.Stats(), Queries: tg.started.Load(),
			PeakInUse: int(tg.peakInUse.Swap(tg.inUse.Load()))}
		if c != nil {
			s.Opened, s.ConnectFailed = c.Opened(), c.Failed()
		}
		return s
	}
	var samples []PoolSample
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		warm := time.NewTimer(time.Until(tg.start))
		defer warm.Stop()
		select {
		case <-warm.C:
		case <-stop:
			return
		}
		samples = append(samples, sample())
		tick := time.NewTicker(win)
		defer tick.Stop()
		for len(samples) < maxWindows {
			select {
			case <-tick.C:
				samples = append(samples, sample())
			case <-stop:
				return
			}
		}
	}()
	res, err := load.Run(ctx, tg, cfg.Load)
	close(stop)
	<-sampled
	if res == nil {
		return nil, err
	}
	if len(samples) == 0 { // the run ended within its warmup
		samples = append(samples, sample())
	}
	samples = append(samples, sample())
	return &Result{Load: res, Pool: poolReport(samples, tg.acquireWindows(), !cfg.Prepared)}, err
}
