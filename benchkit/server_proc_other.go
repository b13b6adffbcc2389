//go:build !unix

package benchkit

import (
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/nativego/nativego/metricsx"
)

// serverProc is not implemented where there are no process groups to
// stop: benchkit would leave server processes behind.
type serverProc struct {
	pid     int
	start   time.Time
	done    chan struct{}
	tail    tailBuffer
	cycles  []metricsx.GCCycle
	dropped int
	trace   metricsx.GCTraceStats
}

func startServer(path string, args, env []string, dir string) (*serverProc, error) {
	return nil, fmt.Errorf("benchkit: running servers on %s: %w", runtime.GOOS, errors.ErrUnsupported)
}

func (p *serverProc) stop(grace time.Duration) bool                  { return true }
func (p *serverProc) finish()                                        {}
func (p *serverProc) exited() bool                                   { return true }
func (p *serverProc) hwm() int64                                     { return 0 }
func (p *serverProc) usage() (user, sys time.Duration, maxRSS int64) { return 0, 0, 0 }
func (p *serverProc) exitStatus() (code int, signal string)          { return 0, "" }
