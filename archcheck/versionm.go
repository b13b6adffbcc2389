package archcheck

import (
	"debug/buildinfo"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

// VersionM returns what `go version -m name` prints on standard output
// for a binary with this build information: the version line, then the
// module and build lines, each indented by a tab (cmd/go/internal/version,
// scanFile). It returns "" for recovered information: without build
// information the go command prints nothing on standard output.
//
// It formats the exported fields, not BuildInfo, so a GoInfo decoded from
// JSON formats like one read from the file. name is used only in the
// output.
func (g *GoInfo) VersionM(name string) string {
	if g == nil || g.Recovered {
		return ""
	}
	return versionM(name, g.debugBuildInfo())
}

// versionM follows scanFile in cmd/go/internal/version byte for byte: the
// version is printed on its own line and then cleared so BuildInfo.String
// omits its "go\t" line; the remaining lines, without the final newline,
// are indented by turning each "\n" into "\n\t".
func versionM(name string, bi *debug.BuildInfo) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s\n", name, bi.GoVersion)
	c := *bi
	c.GoVersion = ""
	if mod := c.String(); len(mod) > 0 {
		fmt.Fprintf(&b, "\t%s\n", strings.ReplaceAll(mod[:len(mod)-1], "\n", "\n\t"))
	}
	return b.String()
}

// WriteVersionM writes to w exactly what `go version -m name` prints on
// standard output for f, and nothing when the go command would print
// nothing there. name is used only in the output.
//
// Like the go command it reports on the first slice of a universal file
// only (the Slices field has the others). For a universal file it also
// fails where the go command does, on a 64-bit universal header or a slice
// that debug/macho rejects, by reading the file the way debug/buildinfo
// does.
//
// For a non-Go file, or a slice whose version was only recovered, the go
// command prints an error on standard error and nothing on standard
// output: WriteVersionM then writes nothing and returns an error wrapping
// ErrNoBuildInfo.
func WriteVersionM(w io.Writer, name string, f *File) error {
	if f == nil || len(f.Slices) == 0 {
		return fmt.Errorf("%s: %w", name, ErrNoBuildInfo)
	}
	s := f.Slices[0]
	var bi *debug.BuildInfo
	if f.Format == FormatMachOFat {
		whole := s.Reader()
		if sr, ok := whole.(*io.SectionReader); ok {
			whole, _, _ = sr.Outer()
		}
		var err error
		bi, err = guard("debug/buildinfo", func() (*debug.BuildInfo, error) { return buildinfo.Read(whole) })
		if err != nil {
			return fmt.Errorf("%s: %w: %v", name, ErrNoBuildInfo, err)
		}
	} else {
		switch g := s.Go; {
		case g == nil:
			return fmt.Errorf("%s: %w", name, ErrNoBuildInfo)
		case g.Recovered:
			return fmt.Errorf("%s: %w; %s recovered from the runtime's data", name, ErrNoBuildInfo, g.Version)
		default:
			bi = g.debugBuildInfo()
		}
	}
	_, err := io.WriteString(w, versionM(name, bi))
	return err
}
