package load

import "context"

// A Target is what the engine sends requests to. It knows nothing of the
// engine's schedule: the engine opens one [Session] per connection and calls
// its Do method once per request.
//
// The HTTP targets ([NewHTTP]) are the first implementations; a database
// target would open a session per connection (a *sql.Conn, or a handle on a
// shared *sql.DB), run one query per Do, and label each outcome with the
// query's name so that latencies are reported per query.
type Target interface {
	// Open returns a new session. The engine calls it once per connection
	// before the run starts, and an error ends the run before it begins, so
	// Open should do no I/O that can fail transiently: sessions connect in
	// Do, where a failure is one request's error, counted in its class.
	// ctx ends when the run is cancelled or its grace period is over.
	Open(ctx context.Context) (Session, error)
}

// A Session sends requests one at a time. The engine never calls a
// session's methods concurrently.
type Session interface {
	// Do sends one request and waits for its whole response. It must
	// return soon after ctx is done. Do is the engine's inner loop: it
	// should not allocate when nothing goes wrong.
	Do(ctx context.Context) Outcome
	// Close releases the session's resources.
	Close() error
}

// An Outcome describes one finished request.
type Outcome struct {
	// Label names the kind of request (a query's name, an endpoint);
	// the engine reports latencies per label as well as in total. Empty
	// means unlabelled. Labels should come from a small fixed set.
	Label string
	// Bytes is the number of bytes received.
	Bytes int64
	// Status is a protocol status code to count (an HTTP status), or 0.
	Status int
	// Err is nil when the request succeeded. A request that got an answer
	// the target considers a failure (an HTTP 500) has a non-nil Err.
	Err error
	// Class classifies Err. When it is empty the engine calls
	// [Classify]; a target that knows more (which phase failed, what a
	// driver's error codes mean) sets it, and may use classes of its own.
	Class Class
}
