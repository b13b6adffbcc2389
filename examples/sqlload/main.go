// Sqlload measures a Go program's database path: query latency through
// database/sql and a real driver, and how well the connection pool reuses
// its connections under given pool settings.
//
// Usage:
//
//	sqlload -driver pgx|sqlite -dsn DSN [-query NAME=SQL ...] [-c 16] [-d 10s] [-n N] [-rate R]
//	        [-warmup D] [-max-open N] [-max-idle N] [-max-lifetime D] [-min-conns N] [-prepared]
//	        [-sweep] [-p99 D] [-json]
//
// Each -query is NAME=SQL; NAME! marks a write (run with Exec) and
// NAME*W gives it weight W in the mix. Without -query it runs SELECT 1.
// -c clients run queries one at a time each, in a closed loop, or in an
// open loop at -rate queries per second. -max-open, -max-idle and
// -max-lifetime set the *sql.DB pool; with the pgx driver, -min-conns
// puts pgx's own pool (pgxpool, which keeps that many connections open)
// under database/sql.
//
// It prints latency per query, errors by class, and the pool's efficiency:
// connections opened, reuse rate (1 − opened/queries), waits for a
// connection, connection acquisition time, closures. -sweep runs the load
// once per pool setting of a MaxOpen × MaxIdle grid and prints a Markdown
// table naming the setting that met -p99 with the fewest connections.
//
// Passwords in the DSN never appear in the output: the DSN is printed
// redacted and its secrets are scrubbed from every message.
//
// Exit status: 0 when the run finished without errors; 1 when queries
// failed, no setting met -p99, or the run could not be made; 2 for a
// usage error.
package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers "sqlite"

	"github.com/nativego/nativego/benchkit/load"
	"github.com/nativego/nativego/benchkit/load/sqlload"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(runContext(ctx, os.Stdout, os.Stderr, os.Args[1:]))
}

func run(stdout, stderr io.Writer, args []string) int {
	return runContext(context.Background(), stdout, stderr, args)
}

// queryFlags collects repeated -query flags.
type queryFlags []sqlload.Query

func (q *queryFlags) String() string { return "" }
func (q *queryFlags) Set(s string) error {
	p, err := sqlload.ParseQuery(s)
	if err != nil {
		return err
	}
	*q = append(*q, p)
	return nil
}

// intList is a comma-separated list of integers.
type intList []int

func (l *intList) String() string {
	return strings.Trim(strings.Join(strings.Fields(fmt.Sprint([]int(*l))), ","), "[]")
}

func (l *intList) Set(s string) error {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		var n int
		if _, err := fmt.Sscan(strings.TrimSpace(f), &n); err != nil || n < 0 {
			return fmt.Errorf("%q is not a count", f)
		}
		out = append(out, n)
	}
	*l = out
	return nil
}

type options struct {
	driver, dsn       string
	queries           queryFlags
	clients           int
	duration, warmup  time.Duration
	requests          int64
	rate              float64
	maxOpen, maxIdle  int
	maxLifetime       time.Duration
	minConns          int
	prepared, jsonOut bool
	sweep             bool
	sweepOpen         intList
	sweepIdle         intList
	p99               time.Duration
}

// runContext runs the command. Everything it prints is gathered and
// passes through sqlload.Scrub on the way out, so that a password can
// leave only redacted, even inside a driver's error message.
func runContext(ctx context.Context, stdout, stderr io.Writer, args []string) int {
	var o options
	var outBuf, errBuf bytes.Buffer
	defer func() {
		io.WriteString(stdout, sqlload.Scrub(outBuf.String(), o.dsn))
		io.WriteString(stderr, sqlload.Scrub(errBuf.String(), o.dsn))
	}()
	return parseAndRun(ctx, &outBuf, &errBuf, args, &o)
}

func parseAndRun(ctx context.Context, stdout, stderr io.Writer, args []string, o *options) int {
	fs := flag.NewFlagSet("sqlload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.driver, "driver", "", "database `driver`: pgx or sqlite")
	fs.StringVar(&o.dsn, "dsn", "", "data source name (printed redacted)")
	fs.Var(&o.queries, "query", "`NAME=SQL` to run (repeatable; NAME! for a write, NAME*W for weight W); default sel=SELECT 1")
	fs.IntVar(&o.clients, "c", 16, "concurrent clients")
	fs.DurationVar(&o.duration, "d", 10*time.Second, "measured duration (per setting with -sweep)")
	fs.DurationVar(&o.warmup, "warmup", 0, "unmeasured warmup before each run")
	fs.Int64Var(&o.requests, "n", 0, "stop after `N` measured queries")
	fs.Float64Var(&o.rate, "rate", 0, "open loop at `R` queries per second (0: closed loop)")
	fs.IntVar(&o.maxOpen, "max-open", 0, "SetMaxOpenConns (0: unlimited)")
	fs.IntVar(&o.maxIdle, "max-idle", 2, "SetMaxIdleConns (database/sql's default is 2)")
	fs.DurationVar(&o.maxLifetime, "max-lifetime", 0, "SetConnMaxLifetime (0: unlimited)")
	fs.IntVar(&o.minConns, "min-conns", 0, "pgx only: use pgxpool under database/sql, keeping `N` connections open")
	fs.BoolVar(&o.prepared, "prepared", false, "prepare each query once through database/sql")
	fs.BoolVar(&o.sweep, "sweep", false, "run once per pool setting and print a table")
	o.sweepOpen = intList{1, 2, 4, 8, 16}
	o.sweepIdle = intList{0, 2, 16}
	fs.Var(&o.sweepOpen, "sweep-open", "MaxOpen `values` for -sweep")
	fs.Var(&o.sweepIdle, "sweep-idle", "MaxIdle `values` for -sweep")
	fs.DurationVar(&o.p99, "p99", 5*time.Millisecond, "p99 latency target for -sweep")
	fs.BoolVar(&o.jsonOut, "json", false, "print one JSON object")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: sqlload -driver pgx|sqlite -dsn DSN [flags]\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "sqlload: "+format+"\n", a...)
		return 2
	}
	switch {
	case fs.NArg() > 0:
		return usage("unexpected arguments %q", fs.Args())
	case o.driver != "pgx" && o.driver != "sqlite":
		return usage("-driver must be pgx or sqlite")
	case o.dsn == "":
		return usage("-dsn is required")
	case o.clients < 1:
		return usage("-c must be at least 1")
	case o.maxOpen < 0 || o.maxIdle < 0 || o.minConns < 0 || o.maxLifetime < 0:
		return usage("pool settings must not be negative")
	case o.minConns > 0 && o.driver != "pgx":
		return usage("-min-conns needs -driver pgx")
	case o.minConns > 0 && o.sweep:
		return usage("-min-conns and -sweep do not mix: the sweep varies database/sql's pool")
	}
	if len(o.queries) == 0 {
		o.queries = queryFlags{{Name: "sel", SQL: "SELECT 1"}}
	}
	return measure(ctx, stdout, stderr, o)
}

func measure(ctx context.Context, stdout, stderr io.Writer, o *options) int {
	fail := func(err error) int {
		fmt.Fprintf(stderr, "sqlload: %v\n", err)
		return 1
	}
	db, conn, pool, err := openDB(ctx, o)
	if err != nil {
		return fail(err)
	}
	defer db.Close()
	if pool != nil {
		defer pool.Close()
	}
	db.SetMaxOpenConns(o.maxOpen)
	if pool == nil {
		db.SetMaxIdleConns(o.maxIdle)
	}
	db.SetConnMaxLifetime(o.maxLifetime)
	cfg := sqlload.Config{
		TargetConfig: sqlload.TargetConfig{Queries: o.queries, Prepared: o.prepared},
		Load: load.Config{
			Connections: o.clients, Duration: o.duration, Requests: o.requests,
			Warmup: o.warmup, Rate: o.rate,
		},
	}
	if o.sweep {
		grid := sqlload.Grid(o.sweepOpen, o.sweepIdle, nil)
		if o.maxLifetime > 0 {
			grid = sqlload.Grid(o.sweepOpen, o.sweepIdle, []time.Duration{0, o.maxLifetime})
		}
		res, err := sqlload.Sweep(ctx, db, conn, cfg, grid, o.p99)
		if err != nil {
			return fail(err)
		}
		if o.jsonOut {
			writeJSON(stdout, sweepJSON(o, res))
		} else {
			printSweep(stdout, o, res)
		}
		if res.Best < 0 {
			return 1
		}
		return 0
	}
	var newConns0 int64
	if pool != nil {
		newConns0 = pool.Stat().NewConnsCount()
	}
	res, err := sqlload.Run(ctx, db, conn, cfg)
	if res == nil {
		return fail(err)
	}
	var pgxpoolOpened *int64
	if pool != nil {
		// database/sql's "connections" are pgxpool acquisitions here;
		// the real connects are pgxpool's.
		n := pool.Stat().NewConnsCount() - newConns0
		pgxpoolOpened = &n
	}
	if o.jsonOut {
		s := res.Summary()
		writeJSON(stdout, runJSON{Driver: o.driver, DSN: sqlload.RedactDSN(o.dsn), Clients: o.clients,
			MaxOpen: o.maxOpen, MaxIdle: o.maxIdle, MaxLifetimeSec: o.maxLifetime.Seconds(),
			MinConns: o.minConns, Prepared: o.prepared, PgxpoolOpened: pgxpoolOpened, Summary: s})
	} else {
		printRun(stdout, o, res, pgxpoolOpened)
	}
	if err != nil {
		return fail(err)
	}
	if res.Load.Stats.Errors > 0 {
		return 1
	}
	return 0
}

// openDB opens the pool o describes. With -min-conns the pgx driver runs
// over a pgxpool.Pool, whose minimum size database/sql has no setting for.
func openDB(ctx context.Context, o *options) (*sql.DB, *sqlload.Connector, *pgxpool.Pool, error) {
	if o.minConns == 0 {
		db, c, err := sqlload.Open(o.driver, o.dsn)
		return db, c, nil, err
	}
	pc, err := pgxpool.ParseConfig(o.dsn)
	if err != nil {
		return nil, nil, nil, err
	}
	pc.MinConns = int32(min(o.minConns, 1<<30))
	if o.maxOpen > 0 {
		pc.MaxConns = int32(min(max(o.maxOpen, o.minConns), 1<<30))
	} else {
		pc.MaxConns = int32(min(max(o.clients, o.minConns), 1<<30))
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, nil, nil, err
	}
	c := sqlload.NewConnector(stdlib.GetPoolConnector(pool))
	db := sql.OpenDB(c)
	db.SetMaxIdleConns(0) // pgxpool keeps the idle connections (stdlib.OpenDBFromPool does the same)
	return db, c, pool, nil
}

type runJSON struct {
	Driver         string           `json:"driver"`
	DSN            string           `json:"dsn"`
	Clients        int              `json:"clients"`
	MaxOpen        int              `json:"max_open"`
	MaxIdle        int              `json:"max_idle"`
	MaxLifetimeSec float64          `json:"max_lifetime_sec"`
	MinConns       int              `json:"min_conns,omitempty"`
	Prepared       bool             `json:"prepared"`
	PgxpoolOpened  *int64           `json:"pgxpool_opened,omitempty"`
	Summary        *sqlload.Summary `json:"result"`
}

func writeJSON(w io.Writer, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		// Only NaN or infinities could get here; the summaries hold none.
		fmt.Fprintf(w, "{\"error\": %q}\n", err.Error())
		return
	}
	w.Write(append(b, '\n'))
}

func printRun(w io.Writer, o *options, res *sqlload.Result, pgxpoolOpened *int64) {
	lr := res.Load
	mode := "closed loop"
	if lr.OpenLoop {
		mode = fmt.Sprintf("open loop at %g/s", lr.Config.Rate)
	}
	fmt.Fprintf(w, "sqlload: %s %s\n", o.driver, sqlload.RedactDSN(o.dsn))
	fmt.Fprintf(w, "%d clients, %s, %v; pool max-open %d max-idle %d max-lifetime %v", o.clients, mode,
		lr.Duration.Round(time.Millisecond), o.maxOpen, o.maxIdle, o.maxLifetime)
	if o.minConns > 0 {
		fmt.Fprintf(w, " (pgxpool min-conns %d)", o.minConns)
	}
	if o.prepared {
		fmt.Fprintf(w, ", prepared")
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "query\tqueries\tq/s\tp50\tp90\tp99\tmax\terrors\t")
	row := func(name string, s *load.Stats) {
		p := s.Latency.Summary()
		rate := 0.0
		if lr.Duration > 0 {
			rate = float64(s.Requests) / lr.Duration.Seconds()
		}
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%v\t%v\t%v\t%v\t%d\t\n", name, s.Requests, rate,
			dur(p.P50), dur(p.P90), dur(p.P99), dur(p.Max), s.Errors)
	}
	for _, name := range slices.Sorted(maps.Keys(lr.Labels)) {
		row(name, lr.Labels[name])
	}
	if len(lr.Labels) != 1 {
		row("all", &lr.Stats)
	}
	tw.Flush()
	if len(lr.Errors) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "errors:")
		for _, c := range slices.Sorted(maps.Keys(lr.Errors)) {
			e := lr.Errors[c]
			fmt.Fprintf(w, "  %s: %d", c, e.Count)
			if len(e.Samples) > 0 {
				fmt.Fprintf(w, " (first: %s)", e.Samples[0])
			}
			fmt.Fprintln(w)
		}
	}
	p := res.Pool.Run
	fmt.Fprintln(w)
	opened := fmt.Sprintf("%d", p.Opened)
	reuse := p.ReuseRate
	if pgxpoolOpened != nil {
		opened = fmt.Sprintf("%d by pgxpool (%d acquisitions through database/sql)", *pgxpoolOpened, p.Opened)
		if p.Queries > 0 {
			reuse = 1 - float64(*pgxpoolOpened)/float64(p.Queries)
		}
	}
	fmt.Fprintf(w, "pool: opened %s, failed %d, reuse %.2f%%\n", opened, p.ConnectFailed, 100*reuse)
	fmt.Fprintf(w, "      waits %d (%v total)", p.WaitCount, p.WaitDuration.Round(time.Microsecond))
	if a := p.Acquire; a != nil {
		fmt.Fprintf(w, ", acquire p50 %v p99 %v max %v", dur(a.P50), dur(a.P99), dur(a.Max))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "      closed: max-idle %d, idle-time %d, lifetime %d; open at end %d (in use %d, idle %d), most open %d\n",
		p.MaxIdleClosed, p.MaxIdleTimeClosed, p.MaxLifetimeClosed, p.Open, p.InUse, p.Idle, p.MaxOpen)
	if g := lr.Generator; g.Saturated || len(g.Warnings) > 0 {
		fmt.Fprintln(w)
		for _, m := range g.Warnings {
			fmt.Fprintf(w, "warning: %s\n", m)
		}
	}
}

// dur rounds a latency for a table: three significant digits.
func dur(d time.Duration) time.Duration {
	switch {
	case d >= 100*time.Millisecond:
		return d.Round(time.Millisecond)
	case d >= 10*time.Millisecond:
		return d.Round(100 * time.Microsecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	case d >= 100*time.Microsecond:
		return d.Round(time.Microsecond)
	default:
		return d.Round(100 * time.Nanosecond)
	}
}

func printSweep(w io.Writer, o *options, res *sqlload.SweepResult) {
	fmt.Fprintf(w, "sqlload sweep: %s %s, %d clients, %v per setting, p99 target %v\n\n",
		o.driver, sqlload.RedactDSN(o.dsn), o.clients, o.duration, res.P99Target)
	fmt.Fprintln(w, "| max-open | max-idle | lifetime | q/s | p50 | p99 | reuse | opened | waits | errors | meets p99 |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|")
	for i, r := range res.Rows {
		mark := ""
		if r.MeetsTarget {
			mark = "yes"
		}
		if i == res.Best {
			mark = "**best**"
		}
		open := fmt.Sprint(r.Setting.MaxOpen)
		if r.Setting.MaxOpen == 0 {
			open = "∞"
		}
		life := "∞"
		if r.Setting.MaxLifetime > 0 {
			life = r.Setting.MaxLifetime.String()
		}
		fmt.Fprintf(w, "| %s | %d | %s | %.0f | %v | %v | %.2f%% | %d | %d | %d | %s |\n",
			open, r.Setting.MaxIdle, life, r.RequestsPerSec, dur(r.P50), dur(r.P99),
			100*r.ReuseRate, r.Opened, r.WaitCount, r.Errors, mark)
	}
	fmt.Fprintln(w)
	if res.Best < 0 {
		fmt.Fprintf(w, "No setting met p99 ≤ %v without errors.\n", res.P99Target)
		return
	}
	b := res.Rows[res.Best]
	fmt.Fprintf(w, "Fewest connections meeting p99 ≤ %v: SetMaxOpenConns(%d), SetMaxIdleConns(%d) — %.0f q/s, p99 %v, reuse %.2f%%.\n",
		res.P99Target, b.Setting.MaxOpen, b.Setting.MaxIdle, b.RequestsPerSec, dur(b.P99), 100*b.ReuseRate)
}

type sweepRowJSON struct {
	MaxOpen        int     `json:"max_open"`
	MaxIdle        int     `json:"max_idle"`
	MaxLifetimeSec float64 `json:"max_lifetime_sec"`
	Queries        uint64  `json:"queries"`
	Errors         uint64  `json:"errors"`
	QueriesPerSec  float64 `json:"queries_per_sec"`
	P50Sec         float64 `json:"p50_sec"`
	P99Sec         float64 `json:"p99_sec"`
	ReuseRate      float64 `json:"reuse_rate"`
	Opened         int64   `json:"opened"`
	WaitCount      int64   `json:"wait_count"`
	Connections    int     `json:"connections"`
	MeetsTarget    bool    `json:"meets_target"`
}

type sweepOut struct {
	Driver       string         `json:"driver"`
	DSN          string         `json:"dsn"`
	Clients      int            `json:"clients"`
	P99TargetSec float64        `json:"p99_target_sec"`
	Rows         []sweepRowJSON `json:"rows"`
	Best         int            `json:"best"`
}

func sweepJSON(o *options, res *sqlload.SweepResult) sweepOut {
	out := sweepOut{Driver: o.driver, DSN: sqlload.RedactDSN(o.dsn), Clients: o.clients,
		P99TargetSec: res.P99Target.Seconds(), Best: res.Best, Rows: []sweepRowJSON{}}
	for _, r := range res.Rows {
		out.Rows = append(out.Rows, sweepRowJSON{r.Setting.MaxOpen, r.Setting.MaxIdle, r.Setting.MaxLifetime.Seconds(),
			r.Requests, r.Errors, r.RequestsPerSec, r.P50.Seconds(), r.P99.Seconds(), r.ReuseRate, r.Opened,
			r.WaitCount, r.Connections, r.MeetsTarget})
	}
	return out
}
