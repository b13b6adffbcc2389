package toolchain

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/nativego/nativego/archcheck"
)

// A Tool is one executable in a GOROOT's pkg/tool directory, such as
// compile or link: what it was built for and by which Go.
type Tool struct {
	Name    string `json:"name"`
	GOOS    string `json:"goos"`
	GOARCH  string `json:"goarch"`
	Version string `json:"version,omitempty"` // the Go version that built it, from its build information
}

// maxToolDirs and maxTools bound the pkg/tool listing. A release has one
// directory (pkg/tool/<goos>_<goarch>) of eight tools (FACTS: asm, cgo,
// compile, cover, fix, link, preprofile, vet); a source build may add a
// cross-compilation directory or two and a few older tools.
const (
	maxToolDirs = 8
	maxTools    = 64
)

// inspect reads what Discover reports about the GOROOT at root: VERSION,
// bin/go's header and build information, pkg/tool's headers and build
// information, and go.env (read later, by the findings). These are the
// only files of a tree it opens.
func inspect(fsys rootFS, root, goos string) *Install {
	inst := &Install{Root: root}
	if b, err := fsys.readSmall(path.Join(root, "VERSION")); err == nil {
		// VERSION's first line is the version; later lines (Go 1.21+)
		// hold "time ..." and the like.
		line, _, _ := strings.Cut(string(b), "\n")
		inst.Version = strings.TrimSpace(line)
	}
	exe := ""
	if goos == "windows" {
		exe = ".exe"
	}
	goBin := path.Join(root, "bin", "go"+exe)
	if !fsys.isFile(goBin) && exe == "" && fsys.isFile(goBin+".exe") {
		goBin += ".exe" // a Windows tree examined from another OS
	}
	info, err := readExecutable(fsys, goBin)
	if err != nil {
		inst.addFinding(Finding{Severity: SeverityError, Code: "no-go-command",
			Message: fmt.Sprintf("cannot read %s: %v", goBin, err),
			Fix:     "reinstall this Go release; the tree is incomplete or damaged"})
	} else {
		inst.GOOS, inst.GOARCH, inst.BinaryVersion = info.goos, info.goarch, info.version
	}
	inst.Tools = readTools(fsys, root)
	return inst
}

// readTools reads pkg/tool/*/*.
func readTools(fsys rootFS, root string) []Tool {
	base := path.Join(root, "pkg/tool")
	dirs, _ := fsys.readDirNames(base)
	slices.Sort(dirs)
	if len(dirs) > maxToolDirs {
		dirs = dirs[:maxToolDirs]
	}
	var tools []Tool
	for _, d := range dirs {
		names, _ := fsys.readDirNames(path.Join(base, d))
		slices.Sort(names)
		for _, n := range names {
			if len(tools) == maxTools {
				return tools
			}
			info, err := readExecutable(fsys, path.Join(base, d, n))
			if err != nil {
				continue // not an executable: a stray file, a directory
			}
			tools = append(tools, Tool{Name: strings.TrimSuffix(n, ".exe"), GOOS: info.goos, GOARCH: info.goarch, Version: info.version})
		}
	}
	return tools
}

// exeInfo is what Discover needs from one executable.
type exeInfo struct {
	goos, goarch string
	version      string // Go build information's version; "" when absent
}

// ELF identification: e_ident[EI_OSABI] is byte 7 (System V ABI). Go's
// linker writes ELFOSABI_FREEBSD (9) for freebsd and leaves 0 (System V)
// for linux; other systems Go also leaves at 0 cannot be told from linux
// by the header alone, and are reported as linux.
const (
	elfOSABIOffset  = 7
	elfOSABIFreeBSD = 9
)

// readExecutable reads an executable's platform from its header
// (archcheck.ReadHeader: Mach-O means darwin, PE windows, ELF its OSABI)
// and the Go version from its build information.
func readExecutable(fsys rootFS, name string) (exeInfo, error) {
	f, err := fsys.open(name)
	if err != nil {
		return exeInfo{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return exeInfo{}, err
	}
	if !fi.Mode().IsRegular() {
		return exeInfo{}, fmt.Errorf("%s: not a regular file", name)
	}
	h, err := archcheck.ReadHeader(f)
	if err != nil {
		return exeInfo{}, err
	}
	var info exeInfo
	switch h.Format {
	case archcheck.FormatMachO, archcheck.FormatMachOFat:
		info.goos = "darwin"
	case archcheck.FormatPE:
		info.goos = "windows"
	case archcheck.FormatELF:
		info.goos = "linux"
		var b [1]byte
		if _, err := f.ReadAt(b[:], elfOSABIOffset); err == nil && b[0] == elfOSABIFreeBSD {
			info.goos = "freebsd"
		}
	}
	archs := make([]string, 0, len(h.Slices))
	for _, s := range h.Slices {
		archs = append(archs, s.Arch)
	}
	// A universal go binary is not something Go releases ship, but a
	// repackager could make one: report every slice, "amd64+arm64".
	info.goarch = strings.Join(archs, "+")
	info.version = goVersion(f, h)
	return info, nil
}

// A parserPanicError reports that a standard library parser panicked on
// one file. archcheck's ParserPanicError is the public form; this package
// keeps its own because the panic never leaves it (the version is just
// reported unknown).
type parserPanicError struct {
	parser string
	value  any
}

func (e *parserPanicError) Error() string {
	return fmt.Sprintf("toolchain: %s panicked: %v", e.parser, e.value)
}

// guard runs fn, turning a panic into an error: debug/buildinfo has
// panicked on malformed input before (golang.org/issue/58754 among
// others), and one damaged binary must not cost the whole scan.
func guard[T any](parser string, fn func() (T, error)) (v T, err error) {
	defer func() {
		if p := recover(); p != nil {
			var zero T
			v, err = zero, &parserPanicError{parser: parser, value: p}
		}
	}()
	return fn()
}
