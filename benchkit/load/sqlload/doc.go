// Package sqlload drives a database through database/sql with the
// benchkit/load engine and measures what users of database/sql tune:
// query latency per query, and how well the connection pool reuses its
// connections under the settings chosen with SetMaxOpenConns,
// SetMaxIdleConns and SetConnMaxLifetime.
//
// The package imports no driver: it works on any *sql.DB. Drivers appear
// only in the sqlload example (examples/sqlload, a module of its own)
// and its tests.
//
// # Running a load
//
// [Run] drives a *sql.DB with a weighted mix of [Query] values through
// the engine of benchkit/load, closed or open loop, and returns the
// engine's result (latency per query name, errors by class: connect,
// reset, query, timeout, canceled) with a [PoolReport]: connections
// opened, reuse rate (1 − opened/queries), waits for a connection and
// the time each query took to get one, closures by reason, and
// connections open and in use, per window and over the run. [Target]
// is the same load as a load.Target, for callers that run the engine
// themselves. [Sweep] repeats a run over a grid of pool settings
// ([Grid]) and names the one that meets a p99 target with the fewest
// connections.
//
//	db, conn, err := sqlload.Open("pgx", dsn)
//	...
//	db.SetMaxOpenConns(8)
//	res, err := sqlload.Run(ctx, db, conn, sqlload.Config{
//		TargetConfig: sqlload.TargetConfig{Queries: []sqlload.Query{
//			{Name: "get", SQL: "SELECT v FROM kv WHERE k = $1", Args: []any{1}, Weight: 9},
//			{Name: "put", SQL: "UPDATE kv SET v = v + 1 WHERE k = $1", Args: []any{1}, Write: true},
//		}},
//		Load: load.Config{Connections: 16, Duration: 10 * time.Second},
//	})
//	fmt.Println(res.Load.Labels["get"].Latency.Percentile(99), res.Pool.Run.ReuseRate)
//
// # Counting connections
//
// sql.DBStats says how many connections are open and how many were
// closed for each reason, but not how many were ever made. A [Connector]
// wraps the driver's connector and counts them; [Open] builds a *sql.DB
// around one from a registered driver's name.
//
// # Credentials
//
// DSNs hold passwords. [RedactDSN] hides them in URLs
// (postgres://user:secret@host/db), libpq key=value strings and query
// parameters; [Scrub] removes them from any text, such as a driver's
// error message, before it is printed.
package sqlload
