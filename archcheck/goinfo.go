package archcheck

import (
	"debug/buildinfo"
	"runtime/debug"
	"strconv"
)

// GoInfo is what a Go binary says about how it was built: the build
// information the go command embeds (what `go version -m` prints), with the
// settings callers ask about most lifted into fields.
//
// archcheck reads it for every slice of a universal file, where the go
// command and debug/buildinfo read only the first.
//
// When the build information is missing or unreadable (its magic was
// overwritten, or a tool damaged it) but the slice is still recognisably Go,
// the Go version is recovered from the runtime's own copy of it and
// Recovered is true; then only Version, and GOOS and GOARCH where the
// header tells them, are set.
type GoInfo struct {
	Version   string `json:"version"`             // the Go toolchain that built it, such as "go1.27.3"
	Recovered bool   `json:"recovered,omitempty"` // Version came from runtime data, not from build information
	Path      string `json:"path,omitempty"`      // the main package's path

	Main     Module    `json:"main"`               // the main module
	Deps     []Module  `json:"deps,omitempty"`     // dependency modules, in build-info order
	Settings []Setting `json:"settings,omitempty"` // build settings, in build-info order

	// The target, from the GOOS, GOARCH and GOAMD64/GOARM64/GOARM settings.
	GOOS    string `json:"goos,omitempty"`
	GOARCH  string `json:"goarch,omitempty"`
	GOAMD64 string `json:"goamd64,omitempty"`
	GOARM64 string `json:"goarm64,omitempty"`
	GOARM   string `json:"goarm,omitempty"`

	CGO      *bool  `json:"cgo,omitempty"` // CGO_ENABLED; nil when not recorded
	Ldflags  string `json:"ldflags,omitempty"`
	Trimpath bool   `json:"trimpath,omitempty"`

	// Version control facts, recorded when the go command built inside a
	// repository with -buildvcs on (its default outside GOFLAGS overrides).
	VCS         string `json:"vcs,omitempty"`
	VCSRevision string `json:"vcs_revision,omitempty"`
	VCSTime     string `json:"vcs_time,omitempty"`
	VCSModified *bool  `json:"vcs_modified,omitempty"`

	// BuildInfo is the build information as runtime/debug parses it; nil
	// when Recovered.
	BuildInfo *debug.BuildInfo `json:"-"`
}

// Module is a Go module that went into a build: the main module, a
// dependency, or the module a dependency was replaced by.
type Module struct {
	Path    string  `json:"path"`
	Version string  `json:"version,omitempty"` // "(devel)" for the main module of most builds
	Sum     string  `json:"sum,omitempty"`     // the go.sum hash, "h1:..."
	Replace *Module `json:"replace,omitempty"`
}

// Setting is one build setting, such as {"GOARCH", "arm64"}.
type Setting struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// readGoInfo reads the Go build information of s. When build information
// is absent it tries to recover the Go version from the runtime's data
// (see recoverGoVersion). The error wraps ErrNoBuildInfo when the slice is
// not Go, or is Go without any version left to read; an info may come back
// together with a non-nil error when a standard parser panicked on the way
// but the version could still be recovered.
func readGoInfo(s *Slice) (*GoInfo, error) {
	bi, biErr := guard("debug/buildinfo", func() (*debug.BuildInfo, error) {
		return buildinfo.Read(s.Reader())
	})
	if biErr == nil {
		return goInfoFrom(bi), nil
	}
	g, err := recoverGoVersion(s)
	if _, ok := biErr.(*ParserPanicError); ok {
		if g == nil {
			return nil, biErr
		}
		return g, biErr
	}
	if err != nil {
		return nil, err
	}
	return g, nil
}

// goInfoFrom converts runtime/debug's form.
func goInfoFrom(bi *debug.BuildInfo) *GoInfo {
	g := &GoInfo{
		Version:   bi.GoVersion,
		Path:      bi.Path,
		Main:      moduleFrom(bi.Main),
		BuildInfo: bi,
	}
	for _, d := range bi.Deps {
		if d != nil {
			g.Deps = append(g.Deps, moduleFrom(*d))
		}
	}
	for _, st := range bi.Settings {
		g.Settings = append(g.Settings, Setting{Key: st.Key, Value: st.Value})
		switch st.Key {
		case "GOOS":
			g.GOOS = st.Value
		case "GOARCH":
			g.GOARCH = st.Value
		case "GOAMD64":
			g.GOAMD64 = st.Value
		case "GOARM64":
			g.GOARM64 = st.Value
		case "GOARM":
			g.GOARM = st.Value
		case "CGO_ENABLED":
			// cmd/go records "1" or "0"; ParseBool also takes them.
			if v, err := strconv.ParseBool(st.Value); err == nil {
				g.CGO = &v
			}
		case "-ldflags":
			g.Ldflags = st.Value
		case "-trimpath":
			g.Trimpath = st.Value == "true"
		case "vcs":
			g.VCS = st.Value
		case "vcs.revision":
			g.VCSRevision = st.Value
		case "vcs.time":
			g.VCSTime = st.Value
		case "vcs.modified":
			if v, err := strconv.ParseBool(st.Value); err == nil {
				g.VCSModified = &v
			}
		}
	}
	return g
}

func moduleFrom(m debug.Module) Module {
	out := Module{Path: m.Path, Version: m.Version, Sum: m.Sum}
	// A replacement's own Replace is never set by ParseBuildInfo (its
	// format has one "=>" line per module), so one level is all there is.
	if m.Replace != nil {
		r := Module{Path: m.Replace.Path, Version: m.Replace.Version, Sum: m.Replace.Sum}
		out.Replace = &r
	}
	return out
}

// debugBuildInfo rebuilds runtime/debug's form from the exported fields,
// so that a GoInfo decoded from JSON formats like one read from a file.
func (g *GoInfo) debugBuildInfo() *debug.BuildInfo {
	bi := &debug.BuildInfo{GoVersion: g.Version, Path: g.Path, Main: debugModule(g.Main)}
	for _, d := range g.Deps {
		m := debugModule(d)
		bi.Deps = append(bi.Deps, &m)
	}
	for _, st := range g.Settings {
		bi.Settings = append(bi.Settings, debug.BuildSetting{Key: st.Key, Value: st.Value})
	}
	return bi
}

func debugModule(m Module) debug.Module {
	out := debug.Module{Path: m.Path, Version: m.Version, Sum: m.Sum}
	if m.Replace != nil {
		r := debugModule(*m.Replace)
		out.Replace = &r
	}
	return out
}
