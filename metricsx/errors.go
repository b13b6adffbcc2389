package metricsx

import (
	"errors"
	"fmt"
)

// ErrReset is returned, wrapped, when a window between two snapshots goes
// backwards: the later snapshot is older than the earlier one, or a
// cumulative counter or histogram bucket decreased. That happens when a
// watched process restarted, when snapshots come from different processes,
// and after rare runtime accounting glitches. Such a window is dropped:
// reporting it would show negative rates.
var ErrReset = errors.New("metricsx: window goes backwards")

// ErrBucketMismatch is returned, wrapped, when two histograms that are
// subtracted or merged do not have the same bucket boundaries.
var ErrBucketMismatch = errors.New("metricsx: histogram buckets differ")

// ErrNoMetric is returned, wrapped, when a snapshot lacks a metric that was
// asked for, under its name or any of its aliases.
var ErrNoMetric = errors.New("metricsx: no such metric")

// A FormatError reports malformed JSON Lines input: which line, and what
// was wrong with it.
type FormatError struct {
	Name string // the input's name, for messages only
	Line int64  // 1-based line number
	Msg  string // what was wrong
	Err  error  // underlying error, if any
}

func (e *FormatError) Error() string {
	msg := fmt.Sprintf("metricsx: %s:%d: %s", e.Name, e.Line, e.Msg)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *FormatError) Unwrap() error { return e.Err }
