package modaudit

import (
	"bytes"
	"fmt"
	"strings"

	"golang.org/x/mod/module"
)

// A SumLine is one line of a go.sum file: "path version hash", where
// version ends in "/go.mod" for the hash of the module's go.mod file
// alone.
type SumLine struct {
	Path    string `json:"path"`
	Version string `json:"version"` // with "/go.mod" for a go.mod hash
	Hash    string `json:"hash"`    // "h1:" and base64, for known hashes
	Line    int    `json:"line"`
}

// GoMod reports whether the line is the hash of a go.mod file.
func (l SumLine) GoMod() bool { return strings.HasSuffix(l.Version, "/go.mod") }

// Module returns the module the line is about, without "/go.mod".
func (l SumLine) Module() module.Version {
	return module.Version{Path: l.Path, Version: strings.TrimSuffix(l.Version, "/go.mod")}
}

// String returns the line as go.sum spells it.
func (l SumLine) String() string { return l.Path + " " + l.Version + " " + l.Hash }

// emptyGoModHash is the hash of a one-file tree holding an empty go.mod.
// An old go command bug wrote it into go.sum files for non-modules; the
// go command drops such lines when reading (modfetch.readGoSum).
const emptyGoModHash = "h1:G7mAYYxgmS0lVkHyy2hEOLQCFB0DlQFTMLWggykrydY="

// maxGoSumLines bounds the lines ParseGoSum returns; the go.sum of
// Kubernetes has about 1,500.
const maxGoSumLines = 1 << 20

// ParseGoSum parses a go.sum file as the go command does
// (cmd/go/internal/modfetch.readGoSum): blank lines are skipped, every
// other line must have three fields, and lines holding the empty go.mod
// hash of an old bug are dropped. Unlike the go command it also checks
// that each path and version is well formed, so that they can be used
// to build module cache paths and checksum database queries. The name
// file is used only in messages.
func ParseGoSum(data []byte, file string) ([]SumLine, error) {
	var lines []SumLine
	lineno := 0
	for len(data) > 0 {
		var line []byte
		lineno++
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		f := strings.Fields(string(line))
		if len(f) == 0 {
			continue
		}
		if len(f) != 3 {
			return nil, &ParseError{File: file, Line: lineno, Msg: fmt.Sprintf("wrong number of fields %d", len(f))}
		}
		if f[2] == emptyGoModHash {
			continue
		}
		l := SumLine{Path: f[0], Version: f[1], Hash: f[2], Line: lineno}
		if err := module.Check(l.Path, strings.TrimSuffix(l.Version, "/go.mod")); err != nil {
			return nil, &ParseError{File: file, Line: lineno, Msg: err.Error()}
		}
		if len(lines) == maxGoSumLines {
			return nil, &ParseError{File: file, Line: lineno, Msg: fmt.Sprintf("more than %d lines", maxGoSumLines)}
		}
		lines = append(lines, l)
	}
	return lines, nil
}
