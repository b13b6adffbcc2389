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
