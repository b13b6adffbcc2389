package sqlload

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"io"
	"sync/atomic"
)

// A Connector wraps a driver.Connector and counts the connections it
// really makes. sql.DBStats says how many connections are open now and
// how many were closed for each reason, but not how many were ever
// opened: that count, against the number of queries, is what says how
// well the pool reuses its connections.
//
// Use it in place of the driver's connector:
//
//	c := sqlload.NewConnector(driverConnector)
//	db := sql.OpenDB(c)
//
// or let [Open] do both from a registered driver's name.
type Connector struct {
	c      driver.Connector
	opened atomic.Int64
	failed atomic.Int64
}

// NewConnector returns a Connector that connects through c.
func NewConnector(c driver.Connector) *Connector { return &Connector{c: c} }

// Connect calls the wrapped connector's Connect and counts the outcome.
func (c *Connector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.c.Connect(ctx)
	if err != nil {
		c.failed.Add(1)
		return nil, err
	}
	c.opened.Add(1)
	return conn, nil
}

// Driver returns the wrapped connector's driver.
func (c *Connector) Driver() driver.Driver { return c.c.Driver() }

// Close closes the wrapped connector if it has a Close method;
// sql.DB.Close calls it.
func (c *Connector) Close() error {
	if cl, ok := c.c.(io.Closer); ok {
		return cl.Close()
	}
	return nil
}

// Opened returns how many connections have been made.
func (c *Connector) Opened() int64 { return c.opened.Load() }

// Failed returns how many attempts to connect have failed.
func (c *Connector) Failed() int64 { return c.failed.Load() }

// Open opens a *sql.DB for the registered driver driverName and dsn whose
// connections are counted by the returned Connector. Like sql.Open it
// does not connect.
func Open(driverName, dsn string) (*sql.DB, *Connector, error) {
	// sql.Open validates the name and gives us the driver; its *sql.DB
	// has not connected and is dropped.
	probe, err := sql.Open(driverName, dsn)
	if err != nil {
		return nil, nil, err
	}
	d := probe.Driver()
	probe.Close()
	var dc driver.Connector
	if dctx, ok := d.(driver.DriverContext); ok {
		if dc, err = dctx.OpenConnector(dsn); err != nil {
			return nil, nil, err
		}
	} else {
		dc = dsnConnector{dsn: dsn, d: d}
	}
	c := NewConnector(dc)
	return sql.OpenDB(c), c, nil
}

// dsnConnector is the connector database/sql itself uses for drivers
// without OpenConnector.
type dsnConnector struct {
	dsn string
	d   driver.Driver
}

func (c dsnConnector) Connect(context.Context) (driver.Conn, error) { return c.d.Open(c.dsn) }
func (c dsnConnector) Driver() driver.Driver                        { return c.d }
