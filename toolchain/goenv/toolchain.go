package goenv

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nativego/nativego/archcheck"
)

// A Toolchain is what Resolve read about the go command whose defaults
// apply, without running it.
type Toolchain struct {
	GoCommand string `json:"go_command"` // the go binary, as found on PATH
	Version   string `json:"version"`    // its Go version, from its build information

	// GOOS and GOARCH are the go binary's own platform, read from its
	// headers: the go command's runtime.GOOS and runtime.GOARCH, so the
	// defaults of GOOS, GOARCH, GOHOSTOS and GOHOSTARCH.
	GOOS   string `json:"goos"`
	GOARCH string `json:"goarch"`

	// Defaults holds the buildcfg defaults that "go tool dist" compiled
	// into this toolchain (DefaultGOAMD64, DefaultGOARM64, DefaultCGO_ENABLED
	// and the like), keyed by variable name. They are read from
	// $GOROOT/src/internal/buildcfg/zbootstrap.go, the file dist generated
	// for that build; where it is missing, from the defaults every release
	// build uses.
	Defaults map[string]string `json:"defaults"`
	// DefaultsFile is the zbootstrap.go read; empty when built-in values
	// were used.
	DefaultsFile string `json:"defaults_file,omitempty"`
	defaultLines map[string]int
}

// releaseDefaults are the buildcfg defaults of release builds made by
// "go tool dist" without GOAMD64 and the like in its environment
// (internal/buildcfg: each Default* falls back to these constants).
var releaseDefaults = map[string]string{
	"GO386":        "sse2",
	"GOAMD64":      "v1",
	"GOARM":        "7",
	"GOARM64":      "v8.0",
	"GOMIPS":       "hardfloat",
	"GOMIPS64":     "hardfloat",
	"GOPPC64":      "power8",
	"GORISCV64":    "rva20u64",
	"GOFIPS140":    "off",
	"GOEXPERIMENT": "",
	"CGO_ENABLED":  "",
}

// binaryKey identifies one version of a file for the cache.
type binaryKey struct {
	path  string
	size  int64
	mtime time.Time
}

type binaryFacts struct {
	goos, goarch, version string
	err                   error
}

// binaryCache memoizes readGoBinary: parsing a 15 MB go binary costs a
// quarter of a millisecond, several times the rest of Resolve.
var binaryCache sync.Map // binaryKey -> binaryFacts

// readGoBinary reads the platform and Go version of the go binary at
// name with archcheck.
func readGoBinary(name string) (goos, goarch, version string, err error) {
	fi, err := os.Stat(name)
	if err != nil {
		return "", "", "", err
	}
	key := binaryKey{name, fi.Size(), fi.ModTime()}
	if v, ok := binaryCache.Load(key); ok {
		f := v.(binaryFacts)
		return f.goos, f.goarch, f.version, f.err
	}
	f := binaryFacts{}
	f.goos, f.goarch, f.version, f.err = parseGoBinary(name)
	binaryCache.Store(key, f)
	return f.goos, f.goarch, f.version, f.err
}

func parseGoBinary(name string) (goos, goarch, version string, err error) {
	f, err := archcheck.Open(name)
	if err != nil {
		return "", "", "", err
	}
	defer f.Close()
	if len(f.Slices) == 0 {
		return "", "", "", fmt.Errorf("%s: no architectures", name)
	}
	// A universal go binary runs as the slice the host's loader picks; the
	// official distributions ship thin binaries, and the first slice is
	// what the go command's own "go version" reads.
	s := f.Slices[0]
	goarch = s.Arch
	switch f.Format {
	case archcheck.FormatMachO, archcheck.FormatMachOFat:
		goos = "darwin"
	case archcheck.FormatPE:
		goos = "windows"
	}
	if s.Go == nil {
		return goos, goarch, "", fmt.Errorf("%s: %w", name, archcheck.ErrNoBuildInfo)
	}
	if s.Go.GOOS != "" {
		goos = s.Go.GOOS
	}
	if s.Go.GOARCH != "" {
		goarch = s.Go.GOARCH
	}
	if goos == "" {
		goos = "linux" // an ELF go binary without build settings: the common case
	}
	return goos, goarch, s.Go.Version, nil
}

// readBuildcfgDefaults parses zbootstrap.go, written by cmd/dist
// (mkbuildcfg in cmd/dist/buildruntime.go), for its "const Default... =
// `value`" lines.
func (tc *Toolchain) readBuildcfgDefaults(goroot string) {
	tc.Defaults = make(map[string]string, len(releaseDefaults))
	for k, v := range releaseDefaults {
		tc.Defaults[k] = v
	}
	if goroot == "" {
		return
	}
	name := filepath.Join(goroot, "src", "internal", "buildcfg", "zbootstrap.go")
	f, err := os.Open(name)
	if err != nil {
		return
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, 64<<10)) // about 1 KiB in practice
	if err != nil {
		return
	}
	tc.DefaultsFile = name
	tc.defaultLines = make(map[string]int)
	for n := 1; len(data) > 0; n++ {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		rest, ok := bytes.CutPrefix(line, []byte("const "))
		if !ok {
			continue
		}
		name, val, ok := strings.Cut(string(rest), " = ")
		if !ok {
			continue
		}
		key, ok := strings.CutPrefix(name, "Default")
		if !ok {
			key, ok = strings.CutPrefix(name, "default")
		}
		if !ok || key == "GOOS" || key == "GOARCH" {
			continue // defaultGOOS = runtime.GOOS: read from the binary instead
		}
		if v, err := strconv.Unquote(strings.TrimSpace(val)); err == nil {
			tc.Defaults[key] = v
			tc.defaultLines[key] = n
		}
	}
}

// defaultOrigin returns the origin of the buildcfg default for key.
func (tc *Toolchain) defaultOrigin(key string) Origin {
	if n := tc.defaultLines[key]; n > 0 {
		return Origin{Source: FromDefault, Rule: "toolchain's buildcfg.Default" + key, File: tc.DefaultsFile, Line: n}
	}
	return defaultOrigin("release default of " + key)
}

// errNotGOROOT is returned by findGOROOT when no directory qualifies.
var errNotGOROOT = errors.New("no GOROOT found for the go command")

// findGOROOT finds the GOROOT of the go binary at goCmd the way the go
// command finds its own (cmd/go/internal/cfg.findGOROOT): the directory
// two levels up (or three, for bin/GOOS_GOARCH) holding pkg/tool, first
// of the path as found, then with symbolic links resolved.
//
// The go command starts from os.Executable, which on Linux is already
// resolved; trying the unresolved path first gives the same answer there
// and the go command's answer on macOS, where os.Executable is not.
func findGOROOT(goCmd string) (string, string, error) {
	for _, p := range []string{goCmd, ""} {
		if p == "" {
			r, err := filepath.EvalSymlinks(goCmd)
			if err != nil {
				break
			}
			p = r
		}
		for _, up := range []string{"../..", "../../.."} {
			dir := filepath.Join(p, up)
			if fi, err := os.Stat(filepath.Join(dir, "pkg", "tool")); err == nil && fi.IsDir() {
				return dir, "the directory holding pkg/tool above " + p, nil
			}
		}
	}
	return "", "", errNotGOROOT
}
