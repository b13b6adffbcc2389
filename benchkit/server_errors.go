package benchkit

import (
	"errors"
	"fmt"
	"strings"
)

// Errors a [ServerError] wraps for the ways a server can fail a round.
var (
	// ErrNotReady: the server did not become ready within
	// ServerBench.ReadyTimeout.
	ErrNotReady = errors.New("server did not become ready")
	// ErrServerExited: the server exited before it was stopped, while
	// starting or under load.
	ErrServerExited = errors.New("server exited before it was stopped")
	// ErrIgnoredSIGTERM: the server was still running a grace period
	// after SIGTERM and was killed with SIGKILL.
	ErrIgnoredSIGTERM = errors.New("server ignored SIGTERM and was killed")
	// ErrAddrInUse: something already accepts connections on the
	// server's address before it starts, and would answer in its place.
	ErrAddrInUse = errors.New("address already accepts connections before the server starts")
	// ErrNotLoopback: an address or URL is not on the loopback
	// interface; ServerBench loads only loopback servers.
	ErrNotLoopback = errors.New("not a loopback address")
)

// A ServerError reports a round that failed because of its server. Its
// process group is gone by the time the error is returned.
type ServerError struct {
	Server string // the configuration's name
	Round  int    // 1-based
	Op     string // "build", "start", "ready", "load" or "stop"
	Err    error

	// ExitCode and Signal say how the server ended, when it ended by
	// itself (ErrServerExited): ExitCode is -1 when a signal killed it.
	ExitCode int
	Signal   string
	// Stderr is the tail of the server's own output (standard output
	// and standard error, gctrace lines left out).
	Stderr []byte
}

func (e *ServerError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "benchkit: server %s", e.Server)
	if e.Round > 0 {
		fmt.Fprintf(&b, ", round %d", e.Round)
	}
	fmt.Fprintf(&b, ": %s: %v", e.Op, e.Err)
	if errors.Is(e.Err, ErrServerExited) {
		if e.Signal != "" {
			fmt.Fprintf(&b, " (killed by %s)", e.Signal)
		} else {
			fmt.Fprintf(&b, " (exit status %d)", e.ExitCode)
		}
	}
	if s := strings.TrimSpace(string(e.Stderr)); s != "" {
		b.WriteString("\n" + s)
	}
	return b.String()
}

func (e *ServerError) Unwrap() error { return e.Err }
