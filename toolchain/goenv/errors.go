package goenv

import "errors"

// A FileError reports an env file that could not be read.
type FileError struct {
	Name string
	Err  error
}

// Error returns the file name and the cause.
func (e *FileError) Error() string { return "goenv: " + e.Name + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *FileError) Unwrap() error { return e.Err }

// ErrNoGoCommand is returned by Resolve when no go command can be found
// and Config.GOROOT does not name one.
var ErrNoGoCommand = errors.New("goenv: no go command on PATH")
