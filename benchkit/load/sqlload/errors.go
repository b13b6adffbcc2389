package sqlload

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"strings"

	"github.com/nativego/nativego/benchkit/load"
)

// ClassQuery is the class of errors the database answered with: a
// statement it rejected (a syntax error, a constraint, a lock it gave up
// on). The other classes are the engine's: load.ClassConnect for a
// connection the pool could not make, load.ClassReset for one lost
// mid-query, load.ClassTimeout and load.ClassCanceled.
const ClassQuery load.Class = "query"

// A ConfigError reports a configuration sqlload cannot run.
type ConfigError struct {
	Field string
	Msg   string
}

func (e *ConfigError) Error() string { return "sqlload: " + e.Field + ": " + e.Msg }

// sqlStater is the method PostgreSQL drivers give their server errors
// (pgconn.PgError, lib/pq's Error), which returns the five-character
// SQLSTATE code.
type sqlStater interface{ SQLState() string }

// classify returns the class of an error from a query; connecting says
// whether it came from getting the connection.
func classify(ctx context.Context, err error, connecting bool) load.Class {
	if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return "" // the engine's: timeout or canceled
	}
	if connecting {
		return load.ClassConnect
	}
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) {
		return load.ClassReset
	}
	var st sqlStater
	if errors.As(err, &st) {
		code := st.SQLState()
		switch {
		// Class 08, connection exception; 57P01-57P03, the server
		// shutting down or starting (PostgreSQL appendix A).
		case strings.HasPrefix(code, "08"), code == "57P01", code == "57P02", code == "57P03":
			return load.ClassReset
		}
		return ClassQuery
	}
	switch c := load.Classify(err); c {
	case load.ClassRead, load.ClassWrite:
		// Mid-query, a failed read or write means the connection was lost.
		return load.ClassReset
	case load.ClassOther:
		return ClassQuery
	default:
		return c
	}
}
