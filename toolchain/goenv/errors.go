package goenv

import (
	"errors"
	"strconv"
)

// A FileError reports an env file that could not be read.
type FileError struct {
	Name string
	Err  error
}

func (e *FileError) Error() string { return "goenv: " + e.Name + ": " + e.Err.Error() }
func (e *FileError) Unwrap() error { return e.Err }

// A ValueError reports a setting the go command would reject, or accept
// and then misread. Value is redacted of credentials, so the error can be
// printed as it is.
type ValueError struct {
	Var   string // the variable, such as "GOPROXY"
	Value string // the offending value, or the part of it at fault; redacted
	Msg   string // what is wrong, and what to do about it
}

func (e *ValueError) Error() string {
	s := "goenv: " + e.Var
	if e.Value != "" {
		s += " " + strconv.Quote(e.Value)
	}
	return s + ": " + e.Msg
}

// ErrNoGoCommand is returned by Resolve when no go command can be found
// and Config.GOROOT does not name one.
var ErrNoGoCommand = errors.New("goenv: no go command on PATH")

func valueErr(name, value, msg string) *ValueError {
	return &ValueError{Var: name, Value: RedactVar(name, value), Msg: msg}
}
