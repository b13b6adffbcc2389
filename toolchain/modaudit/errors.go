package modaudit

import (
	"errors"
	"fmt"
	"io/fs"
)

// A ParseError reports a malformed line in a file the go command writes:
// go.sum, vendor/modules.txt or a .ziphash file.
type ParseError struct {
	File string // the file's name, used only in the message
	Line int    // 1-based line number; 0 when the whole file is at fault
	Msg  string // what was wrong
}

func (e *ParseError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// ErrNoModule is returned, wrapped, when a directory holds neither a
// go.mod file nor, for vendoring, a go.work file naming it.
var ErrNoModule = errors.New("no go.mod file")

// ErrNoModCache is returned, wrapped, when the module cache directory
// does not exist or is not a directory.
var ErrNoModCache = errors.New("module cache not found")

// A FileError reports a file that could not be read or parsed, wrapping
// the cause.
type FileError struct {
	Path string
	Err  error
}

func (e *FileError) Error() string { return e.Path + ": " + e.Err.Error() }

func (e *FileError) Unwrap() error { return e.Err }

func fileNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
