// Package report holds the JSON line that the example commands print for
// each file, so that inspect -json and archscan -json agree on its shape.
package report

import (
	"github.com/nativego/nativego/archcheck"
)

// A Line describes one file: what it holds and how it would run on the
// host the verdict is for. Error is set, and the other fields may be
// empty, when the file could not be read as an executable.
type Line struct {
	Path    string             `json:"path"`
	Format  string             `json:"format"`
	Slices  []*archcheck.Slice `json:"slices"`
	Verdict string             `json:"verdict"`
	Reasons []string           `json:"reasons"`
	Error   string             `json:"error,omitempty"`

	// Bundle is the innermost Apple bundle (.app, .framework, ...) holding
	// the file, as archscan reports it; empty outside bundles and for
	// inspect.
	Bundle string `json:"bundle,omitempty"`
}

// NewLine builds the line for the file at path, opened as f (nil when
// opening failed with err), judged for host h.
func NewLine(path string, f *archcheck.File, err error, h *archcheck.Host) Line {
	l := Line{Path: path, Format: archcheck.FormatUnknown.String(), Slices: []*archcheck.Slice{}, Reasons: []string{}}
	if err != nil {
		l.Error = err.Error()
	}
	if f == nil {
		l.Verdict = archcheck.NotExecutable.String()
		return l
	}
	a := archcheck.Assess(f, h)
	l.Format = f.Format.String()
	l.Slices = f.Slices
	l.Verdict = a.Verdict.String()
	l.Reasons = a.Reasons
	return l
}
