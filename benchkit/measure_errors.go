package benchkit

import (
	"fmt"
	"strings"
	"time"
)

// A TimeoutError reports a run that was killed, with its whole process
// group, because it exceeded its time limit.
type TimeoutError struct {
	Command []string
	Timeout time.Duration
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("benchkit: %s: killed after the time limit of %v", strings.Join(e.Command, " "), e.Timeout)
}

// An ExitError reports a run whose process failed: a non-zero exit
// status or death by a signal.
type ExitError struct {
	Command  []string
	ExitCode int    // -1 when killed by a signal
	Signal   string // the signal, if any
	Stderr   []byte // the tail of its standard error
}

func (e *ExitError) Error() string {
	how := fmt.Sprintf("exit status %d", e.ExitCode)
	if e.Signal != "" {
		how = "killed by " + e.Signal
	}
	msg := fmt.Sprintf("benchkit: %s: %s", strings.Join(e.Command, " "), how)
	if s := strings.TrimSpace(string(e.Stderr)); s != "" {
		msg += "\n" + s
	}
	return msg
}
