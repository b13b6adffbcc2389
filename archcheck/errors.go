package archcheck

import (
	"errors"
	"fmt"
)

// ErrNotExecutable is returned, wrapped, for input that is in none of the
// executable formats archcheck reads (Mach-O, universal Mach-O, ELF, PE).
// Callers scanning trees test for it with errors.Is to skip ordinary files.
var ErrNotExecutable = errors.New("not an executable file")

// ErrNoBuildInfo is returned, wrapped, when a slice holds no Go build
// information: either it is not a Go binary, or the build information was
// stripped and the Go version could not be recovered either.
var ErrNoBuildInfo = errors.New("no Go build information")

// A FormatError reports malformed input: where it was found and what was
// wrong. Off is the byte offset from the start of the file (not of the
// slice) at which the problem was detected.
type FormatError struct {
	Off int64  // byte offset in the file
	Msg string // what was wrong
	Err error  // underlying error, if any
}

func (e *FormatError) Error() string {
	msg := fmt.Sprintf("archcheck: %s at offset %#x", e.Msg, e.Off)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *FormatError) Unwrap() error { return e.Err }

func formatErr(off int64, err error, format string, args ...any) *FormatError {
	return &FormatError{Off: off, Msg: fmt.Sprintf(format, args...), Err: err}
}

// A ParserPanicError reports that one of the standard library's parsers
// (debug/macho, debug/elf, debug/pe, debug/buildinfo) panicked on this
// input. The panic is contained to the one file; Value is what it panicked
// with, kept so the bug can be reported upstream.
type ParserPanicError struct {
	Parser string // such as "debug/elf"
	Value  any    // the value passed to panic
}

func (e *ParserPanicError) Error() string {
	return fmt.Sprintf("archcheck: %s panicked on this input: %v", e.Parser, e.Value)
}

// guard runs fn, turning a panic into a *ParserPanicError. The standard
// debug/* parsers have panicked on malformed input many times over the
// years (golang.org/issue/47653, 48085, 52524, 58754 among others); one bad
// file must cost an error, not the process.
func guard[T any](parser string, fn func() (T, error)) (v T, err error) {
	defer func() {
		if p := recover(); p != nil {
			var zero T
			v, err = zero, &ParserPanicError{Parser: parser, Value: p}
		}
	}()
	return fn()
}
