package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
)

// A Class is a kind of failed request.
type Class string

// The classes of failure the package knows. Targets may add their own.
const (
	ClassConnect  Class = "connect"  // the connection could not be made
	ClassTimeout  Class = "timeout"  // a deadline passed
	ClassReset    Class = "reset"    // the peer reset or closed the connection mid-request
	ClassRead     Class = "read"     // reading or parsing the response failed
	ClassWrite    Class = "write"    // sending the request failed
	ClassStatus   Class = "status"   // the response said the request failed (HTTP 4xx, 5xx)
	ClassCanceled Class = "canceled" // the run ended before the response came
	ClassOther    Class = "other"    // none of the above
)

// Classify returns the class of err, from the errors it wraps: a timeout
// anywhere wins, then connection resets, then the failed operation of a
// *net.OpError. It returns "" for nil.
func Classify(err error) Class {
	if err == nil {
		return ""
	}
	var ce *ClassError
	if errors.As(err, &ce) {
		return ce.Class
	}
	if errors.Is(err, context.Canceled) {
		return ClassCanceled
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) ||
		(errors.As(err, &ne) && ne.Timeout()) {
		return ClassTimeout
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return ClassConnect
	}
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNABORTED) ||
		errors.Is(err, syscall.EPIPE) {
		return ClassReset
	}
	var op *net.OpError
	if errors.As(err, &op) {
		switch op.Op {
		case "dial":
			return ClassConnect
		case "write":
			return ClassWrite
		case "read":
			return ClassRead
		}
	}
	var se *StatusError
	if errors.As(err, &se) {
		return ClassStatus
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return ClassRead
	}
	var pe *ProtocolError
	if errors.As(err, &pe) {
		return ClassRead
	}
	return ClassOther
}

// A ClassError is an error whose class its maker knew, such as a write that
// failed, which says nothing of phase in its own text.
type ClassError struct {
	Class Class
	Err   error
}

func (e *ClassError) Error() string { return string(e.Class) + ": " + e.Err.Error() }
func (e *ClassError) Unwrap() error { return e.Err }

// A StatusError reports a response whose status says the request failed.
type StatusError struct {
	Code int
}

func (e *StatusError) Error() string { return fmt.Sprintf("status %d", e.Code) }

// A ProtocolError reports a response that does not follow the protocol.
type ProtocolError struct {
	Msg string
}

func (e *ProtocolError) Error() string { return "malformed response: " + e.Msg }

// A ConfigError reports a configuration the engine or a target cannot run.
type ConfigError struct {
	Field string
	Msg   string
}

func (e *ConfigError) Error() string { return "load: " + e.Field + ": " + e.Msg }

// ErrNoAffinity is returned by [SetAffinity] and [Affinity] where the
// operating system has no hard CPU affinity (macOS: QoS classes only bias
// threads towards performance or efficiency cores).
var ErrNoAffinity = errors.New("load: this operating system has no hard CPU affinity")

// maxSamples is how many error texts the engine keeps for each class: enough
// to see what went wrong, few enough to never matter for memory.
const maxSamples = 3

// ErrorCount is the number of failed requests of one class, with the texts
// of the first few.
type ErrorCount struct {
	Count   uint64
	Samples []string
}

func (e *ErrorCount) add(err error) {
	e.Count++
	if len(e.Samples) < maxSamples && err != nil {
		e.Samples = append(e.Samples, err.Error())
	}
}

func (e *ErrorCount) merge(o *ErrorCount) {
	e.Count += o.Count
	for _, s := range o.Samples {
		if len(e.Samples) < maxSamples {
			e.Samples = append(e.Samples, s)
		}
	}
}
