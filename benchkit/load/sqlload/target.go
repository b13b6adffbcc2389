package sqlload

import (
	"context"
	"database/sql"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nativego/nativego/benchkit/load"
)

// DefaultQueryTimeout bounds each query of a Target whose Timeout is zero,
// connecting included.
const DefaultQueryTimeout = 10 * time.Second

// A Target runs a query mix against a *sql.DB for the load engine: each
// engine connection is a session that draws a query by weight per request,
// gets a connection from the pool, runs the query (reading every row of a
// read) and returns the connection. Outcomes are labelled with the
// query's name, so the engine reports latency per query.
type Target struct {
	db       *sql.DB
	queries  []Query
	cum      []int
	prepared bool
	timeout  time.Duration

	stmtMu sync.Mutex
	stmts  []atomic.Pointer[sql.Stmt]

	// Set by Run: measurement starts at start, windows last window.
	start   time.Time
	window  time.Duration
	started atomic.Int64 // queries started since start
	// inUse counts connections sessions hold; peakInUse is its largest
	// value since the pool was last sampled.
	inUse, peakInUse atomic.Int64

	mu       sync.Mutex
	sessions []*session
	seed     uint64
}

// TargetConfig describes what a Target sends.
type TargetConfig struct {
	Queries []Query
	// Prepared prepares each query once on the *sql.DB (database/sql then
	// prepares it on each connection as needed) and runs the statement;
	// otherwise each query is sent with its SQL text. Drivers may prepare
	// on their own: pgx, by default, caches a prepared statement per
	// connection for every query text.
	Prepared bool
	// Timeout bounds each query; DefaultQueryTimeout when zero.
	Timeout time.Duration
}

// NewTarget returns a Target for db.
func NewTarget(db *sql.DB, cfg TargetConfig) (*Target, error) {
	cum, err := checkMix(cfg.Queries)
	if err != nil {
		return nil, err
	}
	if cfg.Timeout < 0 {
		return nil, &ConfigError{Field: "Timeout", Msg: "negative"}
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultQueryTimeout
	}
	return &Target{
		db:       db,
		queries:  cfg.Queries,
		cum:      cum,
		prepared: cfg.Prepared,
		timeout:  cfg.Timeout,
		stmts:    make([]atomic.Pointer[sql.Stmt], len(cfg.Queries)),
	}, nil
}

// Open returns a session. It does no I/O.
func (t *Target) Open(ctx context.Context) (load.Session, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.seed++
	s := &session{t: t, rng: rand.New(rand.NewPCG(t.seed, 0x9e3779b97f4a7c15))}
	t.sessions = append(t.sessions, s)
	return s, nil
}

// Close closes the prepared statements.
func (t *Target) Close() error {
	var first error
	for i := range t.stmts {
		if st := t.stmts[i].Swap(nil); st != nil {
			if err := st.Close(); err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}

// stmt returns query i's prepared statement, preparing it on first use.
// A failed prepare is retried by the next request.
func (t *Target) stmt(ctx context.Context, i int) (*sql.Stmt, error) {
	if st := t.stmts[i].Load(); st != nil {
		return st, nil
	}
	t.stmtMu.Lock()
	defer t.stmtMu.Unlock()
	if st := t.stmts[i].Load(); st != nil {
		return st, nil
	}
	st, err := t.db.PrepareContext(ctx, t.queries[i].SQL)
	if err != nil {
		return nil, err
	}
	t.stmts[i].Store(st)
	return st, nil
}

// A session is one engine connection. The engine never calls its methods
// concurrently, so its histograms need no lock.
type session struct {
	t   *Target
	rng *rand.Rand
	// acquire[i] holds the times to get a connection in window i.
	acquire []load.Histogram
}

func (s *session) pick() int {
	if len(s.t.cum) == 1 {
		return 0
	}
	n := s.rng.IntN(s.t.cum[len(s.t.cum)-1])
	for i, c := range s.t.cum {
		if n < c {
			return i
		}
	}
	return len(s.t.cum) - 1
}

// Do runs one query.
func (s *session) Do(ctx context.Context) load.Outcome {
	i := s.pick()
	q := &s.t.queries[i]
	ctx, cancel := context.WithTimeout(ctx, s.t.timeout)
	defer cancel()
	t0 := time.Now()
	measured := !t0.Before(s.t.start)
	if measured {
		s.t.started.Add(1)
	}
	if s.t.prepared {
		return s.doPrepared(ctx, i, q)
	}
	conn, err := s.t.db.Conn(ctx)
	if measured {
		s.recordAcquire(t0, time.Since(t0))
	}
	if err != nil {
		return load.Outcome{Label: q.Name, Err: err, Class: classify(ctx, err, true)}
	}
	s.t.hold()
	defer s.t.release(conn)
	if q.Write {
		_, err = conn.ExecContext(ctx, q.SQL, q.Args...)
	} else {
		var rows *sql.Rows
		if rows, err = conn.QueryContext(ctx, q.SQL, q.Args...); err == nil {
			err = drain(rows)
		}
	}
	if err != nil {
		return load.Outcome{Label: q.Name, Err: err, Class: classify(ctx, err, false)}
	}
	return load.Outcome{Label: q.Name}
}

func (s *session) doPrepared(ctx context.Context, i int, q *Query) load.Outcome {
	st, err := s.t.stmt(ctx, i)
	if err == nil {
		if q.Write {
			_, err = st.ExecContext(ctx, q.Args...)
		} else {
			var rows *sql.Rows
			if rows, err = st.QueryContext(ctx, q.Args...); err == nil {
				err = drain(rows)
			}
		}
	}
	if err != nil {
		// The connection was got inside database/sql: a connect error
		// shows itself only by what it wraps (a refused dial).
		return load.Outcome{Label: q.Name, Err: err, Class: classify(ctx, err, false)}
	}
	return load.Outcome{Label: q.Name}
}

// hold counts a connection taken from the pool.
func (t *Target) hold() {
	n := t.inUse.Add(1)
	for {
		p := t.peakInUse.Load()
		if n <= p || t.peakInUse.CompareAndSwap(p, n) {
			return
		}
	}
}

// release returns conn to the pool.
func (t *Target) release(conn *sql.Conn) {
	conn.Close()
	t.inUse.Add(-1)
}

// drain reads every row, as an application would, and closes rows.
func drain(rows *sql.Rows) error {
	for rows.Next() {
	}
	err := rows.Err()
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	return err
}

// maxWindows bounds the acquire-time histograms each session keeps.
const maxWindows = 3600

func (s *session) recordAcquire(at time.Time, d time.Duration) {
	w := 0
	if s.t.window > 0 {
		w = min(int(at.Sub(s.t.start)/s.t.window), maxWindows-1)
	}
	for len(s.acquire) <= w {
		s.acquire = append(s.acquire, load.Histogram{})
	}
	s.acquire[w].Record(d)
}

// Close does nothing: a session holds no connection between requests.
func (s *session) Close() error { return nil }

// acquireWindows merges the sessions' acquire-time histograms per window.
func (t *Target) acquireWindows() []load.Histogram {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []load.Histogram
	for _, s := range t.sessions {
		for len(out) < len(s.acquire) {
			out = append(out, load.Histogram{})
		}
		for i := range s.acquire {
			out[i].Merge(&s.acquire[i])
		}
	}
	return out
}
