//go:build !linux

package load

import "context"

// closedLoops returns nil: the event loop is Linux's (http_loop_linux.go);
// elsewhere the engine runs a session per connection.
func (t *rawHTTP) closedLoops(ctx context.Context, conns int) []func(*run, *worker) {
	return nil
}
