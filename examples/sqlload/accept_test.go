//go:build unix

package main

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/nativego/nativego/benchkit/load"
	"github.com/nativego/nativego/benchkit/load/sqlload"
	"github.com/nativego/nativego/internal/testenv"
)

// These tests drive real servers: a throwaway PostgreSQL cluster from
// Debian's packages (testenv.StartPostgres) through pgx, and SQLite in WAL
// mode on a temporary file through modernc.org/sqlite. Each server's own
// count is the oracle for the engine's.

// TestPostgres runs the tests that need a PostgreSQL server against one
// cluster, started once: initdb and a start cost seconds. The restart
// test runs last.
func TestPostgres(t *testing.T) {
	pg := startPostgres(t)
	t.Run("CountsMatchServer", func(t *testing.T) { testPostgresCountsMatchServer(t, pg) })
	t.Run("PoolOfOneShowsWaits", func(t *testing.T) { testPoolOfOneShowsWaits(t, "pgx", loadDSN(pg)) })
	t.Run("CLI", func(t *testing.T) { testCLIPostgres(t, pg) })
	t.Run("RestartMidRun", func(t *testing.T) { testPostgresRestartMidRun(t, pg) })
}

// startPostgres starts a cluster with a database "load" for the tests'
// traffic, so that psql's own queries, which go to "postgres", stay out of
// its statistics.
func startPostgres(t *testing.T) *testenv.Postgres {
	t.Helper()
	pg := testenv.StartPostgres(t)
	pg.Psql(t, "CREATE DATABASE load")
	return pg
}

func loadDSN(pg *testenv.Postgres) string {
	return fmt.Sprintf("host=%s port=%d user=%s dbname=load sslmode=disable", pg.SocketDir, pg.Port, pg.User)
}

func openTestDB(t *testing.T, driver, dsn string) (*sql.DB, *sqlload.Connector) {
	t.Helper()
	db, c, err := sqlload.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, c
}

// xactCommit returns the load database's committed transactions as the
// server counts them. Backends report their counts when they go idle (at
// most once a second) and when they exit; callers close their pool and
// wait for the backends to exit first.
func xactCommit(t *testing.T, pg *testenv.Postgres) int64 {
	t.Helper()
	n, err := strconv.ParseInt(pg.Psql(t, "SELECT xact_commit FROM pg_stat_database WHERE datname = 'load'"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// waitBackendsGone waits until no client backend is connected to the load
// database, so that every backend has flushed its statistics.
func waitBackendsGone(t *testing.T, pg *testenv.Postgres) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		n := pg.Psql(t, "SELECT count(*) FROM pg_stat_activity WHERE datname = 'load'")
		if n == "0" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s backends still connected to load after 20 s", n)
		}
		time.Sleep(20 * time.Millisecond) // polling the server's own view; there is no event to wait on
	}
}

func mustRun(t *testing.T, db *sql.DB, c *sqlload.Connector, cfg sqlload.Config) *sqlload.Result {
	t.Helper()
	res, err := sqlload.Run(t.Context(), db, c, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestPostgresCountsMatchServer checks the engine's count of queries
// against the server's: pg_stat_database.xact_commit, where every
// statement outside a transaction block commits one transaction, and the
// rows the writes inserted.
//
// The server also commits transactions of its own for each connection:
// one when the backend starts, measured here on connections that are
// opened and reused but run nothing. pgx would add one for the empty
// query it sends as a ping before reusing a connection idle for over a
// second (a new one counts as idle since the epoch), which database/sql's
// scheduling makes happen for some connections and not others: the test
// turns pings off. With pgx's default statement cache the server would
// also commit for each statement pgx prepares; pgx's simple protocol
// prepares nothing.
func testPostgresCountsMatchServer(t *testing.T, pg *testenv.Postgres) {
	dsn := loadDSN(pg) + " default_query_exec_mode=simple_protocol"
	db, _ := openTestDB(t, "pgx", dsn)
	if _, err := db.Exec("CREATE TABLE IF NOT EXISTS t (n int)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	waitBackendsGone(t, pg)

	// Calibrate: what does opening a connection commit?
	const probe = 4
	before := xactCommit(t, pg)
	db, _ = openNoPing(t, dsn)
	db.SetMaxIdleConns(probe)
	for range 2 { // open, then reuse
		var conns []*sql.Conn
		for range probe {
			cn, err := db.Conn(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, cn)
		}
		for _, cn := range conns {
			cn.Close()
		}
	}
	if n := db.Stats().MaxIdleClosed; n != 0 {
		t.Fatalf("calibration closed %d idle connections", n)
	}
	db.Close()
	waitBackendsGone(t, pg)
	after := xactCommit(t, pg)
	if (after-before)%probe != 0 {
		t.Fatalf("%d connections committed %d transactions: not a whole number each", probe, after-before)
	}
	perConn := (after - before) / probe
	t.Logf("a connection opened and reused commits %d transaction(s) on the server", perConn)

	before = after
	db, c := openNoPing(t, dsn)
	res := mustRun(t, db, c, sqlload.Config{
		TargetConfig: sqlload.TargetConfig{Queries: []sqlload.Query{
			{Name: "sel", SQL: "SELECT $1::int", Args: []any{7}, Weight: 3},
			{Name: "ins", SQL: "INSERT INTO t VALUES ($1)", Args: []any{1}, Write: true},
		}},
		Load: load.Config{Connections: 8, Requests: 2000},
	})
	db.Close()
	waitBackendsGone(t, pg)
	after = xactCommit(t, pg)
	if res.Load.Stats.Errors != 0 || res.Load.Warmup != 0 {
		t.Fatalf("errors %v, warmup %d", res.Load.Errors, res.Load.Warmup)
	}
	want := int64(res.Load.Requests) + perConn*c.Opened()
	if got := after - before; got != want {
		t.Errorf("server committed %d transactions; want %d queries + %d connections × %d = %d",
			got, res.Load.Requests, c.Opened(), perConn, want)
	}
	ins := res.Load.Labels["ins"]
	rows := countRows(t, pg)
	if rows != int64(ins.Requests) {
		t.Errorf("table holds %d rows, client completed %d inserts", rows, ins.Requests)
	}
	t.Logf("%d queries (%d sel, %d ins), %.0f q/s, p50 %v p99 %v; server: %d commits, %d rows; opened %d",
		res.Load.Requests, res.Load.Labels["sel"].Requests, ins.Requests, res.Load.RequestsPerSec(),
		res.Load.Latency.Percentile(50), res.Load.Latency.Percentile(99), after-before, rows, c.Opened())

	// Prepared statements, through pgx's default extended protocol:
	// the server's prepares commit too, so count the inserted rows.
	db, c = openTestDB(t, "pgx", loadDSN(pg))
	res = mustRun(t, db, c, sqlload.Config{
		TargetConfig: sqlload.TargetConfig{Prepared: true, Queries: []sqlload.Query{
			{Name: "sel", SQL: "SELECT $1::int", Args: []any{7}, Weight: 3},
			{Name: "ins", SQL: "INSERT INTO t VALUES ($1)", Args: []any{2}, Write: true},
		}},
		Load: load.Config{Connections: 8, Requests: 2000},
	})
	if res.Load.Stats.Errors != 0 {
		t.Fatalf("prepared: errors %v", res.Load.Errors)
	}
	if got, want := countRows(t, pg)-rows, int64(res.Load.Labels["ins"].Requests); got != want {
		t.Errorf("prepared: %d rows inserted, client completed %d inserts", got, want)
	}
}

// openNoPing opens dsn through pgx with its pings before reuse turned off.
func openNoPing(t *testing.T, dsn string) (*sql.DB, *sqlload.Connector) {
	t.Helper()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	c := sqlload.NewConnector(stdlib.GetConnector(*cfg,
		stdlib.OptionShouldPing(func(context.Context, stdlib.ShouldPingParams) bool { return false })))
	db := sql.OpenDB(c)
	t.Cleanup(func() { db.Close() })
	return db, c
}

// countRows counts the rows of table t in database load with psql.
func countRows(t *testing.T, pg *testenv.Postgres) int64 {
	t.Helper()
	n, err := strconv.ParseInt(pg.PsqlDB(t, "load", "SELECT count(*) FROM t"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSQLiteCountsMatchCounterTable checks the engine's count of writes
// against a counter the writes increment, in SQLite's WAL mode.
func TestSQLiteCountsMatchCounterTable(t *testing.T) {
	if testing.Short() {
		t.Skip("load against SQLite in -short mode")
	}
	dsn := sqliteDSN(t)
	db, c := openTestDB(t, "sqlite", dsn)
	var mode string
	if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v; want wal", mode, err)
	}
	if _, err := db.Exec("CREATE TABLE counter (n INTEGER NOT NULL); INSERT INTO counter VALUES (0)"); err != nil {
		t.Fatal(err)
	}
	res := mustRun(t, db, c, sqlload.Config{
		TargetConfig: sqlload.TargetConfig{Queries: []sqlload.Query{
			{Name: "read", SQL: "SELECT n FROM counter", Weight: 4},
			{Name: "inc", SQL: "UPDATE counter SET n = n + 1", Write: true},
		}},
		Load: load.Config{Connections: 8, Requests: 3000, Warmup: 50 * time.Millisecond},
	})
	var n int64
	if err := db.QueryRow("SELECT n FROM counter").Scan(&n); err != nil {
		t.Fatal(err)
	}
	// Warmup writes have no label stats; the counter counts them too, so
	// compare the total of successful writes with a run without warmup's
	// share: every inc that succeeded, measured or not, added one.
	inc := res.Load.Labels["inc"]
	if res.Load.Stats.Errors != 0 {
		t.Fatalf("errors: %v", res.Load.Errors)
	}
	if res.Load.Warmup == 0 && n != int64(inc.Requests) {
		t.Errorf("counter = %d, client completed %d writes", n, inc.Requests)
	}
	if n < int64(inc.Requests) || n > int64(inc.Requests+res.Load.Warmup) {
		t.Errorf("counter = %d, client completed %d measured writes and %d warmup queries", n, inc.Requests, res.Load.Warmup)
	}
	t.Logf("%d queries, %.0f q/s, counter %d, inc %d, warmup %d; pool %+v", res.Load.Requests, res.Load.RequestsPerSec(),
		n, inc.Requests, res.Load.Warmup, res.Pool.Run)
}

// TestSQLiteCounterExact runs without warmup, so the counter must equal
// the client's count of writes exactly.
func TestSQLiteCounterExact(t *testing.T) {
	if testing.Short() {
		t.Skip("load against SQLite in -short mode")
	}
	db, c := openTestDB(t, "sqlite", sqliteDSN(t))
	if _, err := db.Exec("CREATE TABLE counter (n INTEGER NOT NULL); INSERT INTO counter VALUES (0)"); err != nil {
		t.Fatal(err)
	}
	res := mustRun(t, db, c, sqlload.Config{
		TargetConfig: sqlload.TargetConfig{Prepared: true, Queries: []sqlload.Query{
			{Name: "inc", SQL: "UPDATE counter SET n = n + ?", Args: []any{1}, Write: true},
		}},
		Load: load.Config{Connections: 4, Requests: 1000},
	})
	var n int64
	if err := db.QueryRow("SELECT n FROM counter").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if got := res.Load.Labels["inc"].Requests - res.Load.Stats.Errors; int64(got) != n || res.Load.Requests != 1000 {
		t.Errorf("counter = %d, client completed %d writes of %d (errors %v)", n, got, res.Load.Requests, res.Load.Errors)
	}
}

func sqliteDSN(t *testing.T) string {
	// busy_timeout makes writers wait for the lock instead of failing
	// with SQLITE_BUSY; WAL lets readers run beside the writer.
	return "file:" + filepath.Join(t.TempDir(), "load.db") + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)"
}

// TestPoolOfOneShowsWaits runs 16 clients through a pool of one
// connection: every query but those that find it free waits, the pool
// opens one connection, and the waits show in DBStats and in the
// acquisition times.
func TestSQLitePoolOfOneShowsWaits(t *testing.T) {
	if testing.Short() {
		t.Skip("load against SQLite in -short mode")
	}
	testPoolOfOneShowsWaits(t, "sqlite", sqliteDSN(t))
}

func testPoolOfOneShowsWaits(t *testing.T, driver, dsn string) {
	db, c := openTestDB(t, driver, dsn)
	db.SetMaxOpenConns(1)
	res := mustRun(t, db, c, sqlload.Config{
		TargetConfig: sqlload.TargetConfig{Queries: []sqlload.Query{{Name: "sel", SQL: "SELECT 1"}}},
		Load:         load.Config{Connections: 16, Requests: 3000},
		Window:       100 * time.Millisecond,
	})
	p := res.Pool.Run
	if res.Load.Stats.Errors != 0 {
		t.Fatalf("errors: %v", res.Load.Errors)
	}
	if p.Opened != 1 || c.Opened() != 1 {
		t.Errorf("opened %d in the run, %d in all; want 1", p.Opened, c.Opened())
	}
	if p.MaxOpen > 1 || res.Pool.MaxOpenConns != 1 {
		t.Errorf("max open %d, limit %d; want 1", p.MaxOpen, res.Pool.MaxOpenConns)
	}
	// With 16 clients and one connection, at least the queries
	// issued while it was busy wait: most of them.
	if p.WaitCount < p.Queries/2 || p.WaitDuration <= 0 {
		t.Errorf("waits %d (%v) for %d queries: want most to wait", p.WaitCount, p.WaitDuration, p.Queries)
	}
	if p.ReuseRate < 0.99 {
		t.Errorf("reuse rate %.4f, want ≥ 0.99", p.ReuseRate)
	}
	if a := p.Acquire; a == nil || a.P50 <= 0 || a.P99 < a.P50 {
		t.Errorf("acquire times %+v: want waits to show", a)
	}
	var winQueries int64
	for _, w := range res.Pool.Windows {
		winQueries += w.Queries
	}
	if winQueries != p.Queries || p.Queries != int64(res.Load.Requests) {
		t.Errorf("queries: %d in windows, %d in the run, engine %d", winQueries, p.Queries, res.Load.Requests)
	}
	t.Logf("%s: %d queries, %.0f q/s, waits %d (%v), acquire %+v, windows %d",
		driver, p.Queries, res.Load.RequestsPerSec(), p.WaitCount, p.WaitDuration, *p.Acquire, len(res.Pool.Windows))
}

// TestPostgresRestartMidRun takes the server away for a moment during a
// run: the queries that fail then are counted as connection errors (or
// as connections lost mid-query, for those in flight), the pool recovers
// when the server is back, and the run ends on time.
func testPostgresRestartMidRun(t *testing.T, pg *testenv.Postgres) {
	db, c := openTestDB(t, "pgx", loadDSN(pg))
	db.SetMaxOpenConns(4)
	db.SetMaxIdleConns(4)
	// Long enough for a stop and a start on a busy two-core machine
	// (each can take a second or more there) and some load after.
	const runFor = 6 * time.Second
	const window = 250 * time.Millisecond
	type done struct {
		res *sqlload.Result
		err error
	}
	ch := make(chan done, 1)
	ctx, cancel := context.WithTimeout(t.Context(), runFor+30*time.Second)
	defer cancel()
	start := time.Now()
	go func() {
		res, err := sqlload.Run(ctx, db, c, sqlload.Config{
			TargetConfig: sqlload.TargetConfig{Queries: []sqlload.Query{{Name: "sel", SQL: "SELECT 1"}},
				Timeout: time.Second},
			Load:   load.Config{Connections: 4, Duration: runFor},
			Window: window,
		})
		ch <- done{res, err}
	}()
	time.Sleep(time.Second) // let the pool fill and serve
	pg.Stop(t)
	down := time.Since(start)
	pg.Start(t)
	back := time.Since(start)
	var d done
	select {
	case d = <-ch:
	case <-ctx.Done():
		t.Fatal("run did not end")
	}
	elapsed := time.Since(start)
	if d.err != nil {
		t.Fatal(d.err)
	}
	res := d.res
	t.Logf("server down at %v, back at %v; run ended at %v; %d queries, errors %v; opened %d, failed connects %d",
		down, back, elapsed, res.Load.Requests, errorCounts(res.Load), res.Pool.Run.Opened, res.Pool.Run.ConnectFailed)
	for _, w := range res.Pool.Windows {
		t.Logf("  window %5v-%5v: %6d queries, opened %d, failed %d, in use %d", w.Start.Round(time.Millisecond),
			w.End.Round(time.Millisecond), w.Queries, w.Opened, w.ConnectFailed, w.InUse)
	}
	for _, c := range []load.Class{load.ClassConnect, load.ClassReset} {
		if s := res.Load.Errors[c]; s != nil {
			t.Logf("first %s errors: %q", c, s.Samples)
		}
	}
	if elapsed > runFor+load.DefaultGrace+2*time.Second {
		t.Errorf("run took %v for %v of load", elapsed, runFor)
	}
	if back > runFor-time.Second {
		t.Fatalf("the server took until %v of a %v run to come back: nothing left to test", back, runFor)
	}
	if connect := res.Load.Errors[load.ClassConnect]; connect == nil || connect.Count == 0 {
		t.Errorf("no connect errors while the server was down; errors: %v", errorCounts(res.Load))
	} else if res.Pool.Run.ConnectFailed == 0 {
		t.Errorf("%d connect errors but the connector saw no failed connect", connect.Count)
	}
	for c := range res.Load.Errors {
		if c != load.ClassConnect && c != load.ClassReset {
			t.Errorf("errors of class %q: %+v", c, res.Load.Errors[c])
		}
	}
	// Recovery: some window after the server came back served queries
	// without a failed connect, on connections made after the restart.
	recovered := false
	for _, w := range res.Pool.Windows {
		if w.Start > back && w.Queries > 0 && w.ConnectFailed == 0 {
			recovered = true
		}
	}
	if !recovered {
		t.Errorf("no window after %v served queries without failures: the pool did not recover", back)
	}
	if res.Pool.Run.Opened <= 4 {
		t.Errorf("opened %d connections: want new ones after the restart", res.Pool.Run.Opened)
	}
}

func errorCounts(r *load.Result) map[load.Class]uint64 {
	m := map[load.Class]uint64{}
	for c, e := range r.Errors {
		m[c] = e.Count
	}
	return m
}
