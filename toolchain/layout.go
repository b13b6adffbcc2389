package toolchain

import (
	"bytes"
	"debug/elf"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/nativego/nativego/archcheck"
)

// A Go release exists twice: as the binary distribution (the .tar.gz,
// .zip, .pkg or .msi a user installs) and as the module
// golang.org/toolchain that the go command downloads for GOTOOLCHAIN
// switching. Both come from one run of cmd/distpack
// ($GOROOT/src/cmd/distpack/pack.go), which builds the module from the
// binary distribution by:
//
//   - removing api/**, doc/**, misc/** and test/** (modArch.Remove);
//   - prefixing every name with "golang.org/toolchain@v0.0.1-<VERSION
//     line 1>.<goos>-<goarch>/" (modPath, modVersionPrefix);
//   - renaming every "go.mod" to "_go.mod" (Archive.RenameGoMod), because a
//     module zip cannot hold nested modules.
//
// The module's h1: hash is in the Go checksum database, so an installed
// tree mapped back onto the module's file names can be proven intact.
//
// Mapping decisions, and why:
//
//   - Everything else under the tree counts, including files a user added
//     (bin/gopls, pkg/mod from GOPATH=GOROOT, .DS_Store). An added file is a
//     difference; hashing it is what makes the tree differ, and the module
//     zip then names it "added". Guessing which files are "the user's" from
//     the tree alone would need per-release lists: pkg/tool kept every tool
//     until distpack began keeping only the eight build tools.
//   - A go.mod with a sibling _go.mod is the go command's own copy, made on
//     first use of a module-cache toolchain
//     (cmd/go/internal/toolchain/select.go): it is ignored.
//   - Symbolic links to regular files are hashed by content, as
//     dirhash.HashDir would; any other non-regular file is an error,
//     since no release holds one.

// modulePath is the module a Go release is published as (distpack's modPath).
const modulePath = "golang.org/toolchain"

// modVersionPrefix is distpack's modVersionPrefix: every toolchain module
// version is v0.0.1-<go version>.<goos>-<goarch>.
const modVersionPrefix = "v0.0.1"

// droppedDirs are the binary distribution's top-level directories that
// distpack leaves out of the module.
var droppedDirs = map[string]bool{"api": true, "doc": true, "misc": true, "test": true}

// moduleVersion returns the module version of the release goVersion
// (a VERSION first line such as "go1.27.3") for goos/goarch.
func moduleVersion(goVersion, goos, goarch string) string {
	return modVersionPrefix + "-" + goVersion + "." + goos + "-" + goarch
}

// A treeFile is one file of an installed tree that belongs in the hash.
type treeFile struct {
	Name string // tree-relative, slash-separated: what the user sees, "src/go.mod"
	Mod  string // module-relative (no module@version prefix): "src/_go.mod"
}

// A layout is an installed tree mapped onto its module.
type layout struct {
	Root  string     // the tree, symbolic links resolved
	Files []treeFile // in walk order
	// PlainGoMod is true when the tree names its go.mod files go.mod (an
	// installed distribution) rather than _go.mod (a module-cache copy).
	PlainGoMod bool
}

// mapTree walks root and maps it onto the module's file names.
func mapTree(root string) (*layout, error) {
	real, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil, err
	}
	l := &layout{Root: real}
	sawUnderscore := false
	err = filepath.WalkDir(real, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(real, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel != "." && !strings.Contains(rel, "/") && droppedDirs[rel] {
				return fs.SkipDir
			}
			return nil
		}
		if rel == "." {
			return fmt.Errorf("%s is not a directory", root)
		}
		if !d.Type().IsRegular() {
			fi, err := os.Stat(p)
			if err != nil {
				return err
			}
			if !fi.Mode().IsRegular() {
				return fmt.Errorf("%s: not a regular file (%v); no Go release holds one", rel, fi.Mode().Type())
			}
		}
		mod := rel
		switch path.Base(rel) {
		case "go.mod":
			if _, err := os.Lstat(filepath.Join(filepath.Dir(p), "_go.mod")); err == nil {
				return nil // the go command's copy of _go.mod in a module-cache toolchain
			}
			mod = strings.TrimSuffix(rel, "go.mod") + "_go.mod"
			l.PlainGoMod = true
		case "_go.mod":
			sawUnderscore = true
		}
		l.Files = append(l.Files, treeFile{Name: rel, Mod: mod})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if sawUnderscore {
		l.PlainGoMod = false
	}
	return l, nil
}

// treeName returns the name a module file has, or would have, in a tree
// laid out like l: "_go.mod" becomes "go.mod" in an installed tree.
func (l *layout) treeName(mod string) string {
	if l.PlainGoMod && path.Base(mod) == "_go.mod" {
		return strings.TrimSuffix(mod, "_go.mod") + "go.mod"
	}
	return mod
}

// readVersion returns the first line of root's VERSION file, which
// distpack's readVERSION takes as the release's version.
func readVersion(root string) (string, error) {
	f, err := os.Open(filepath.Join(root, "VERSION"))
	if err != nil {
		return "", err
	}
	defer f.Close()
	// The first line is a version such as "go1.27.3" or
	// "go1.28rc1"; 256 bytes bound it with room to spare.
	var buf [256]byte
	n, err := f.Read(buf[:])
	if n == 0 && err != nil {
		return "", fmt.Errorf("VERSION: %w", err)
	}
	line, _, _ := bytes.Cut(buf[:n], []byte("\n"))
	v := strings.TrimSpace(string(line))
	if !strings.HasPrefix(v, "go") || strings.ContainsAny(v, " \t/@") {
		return "", fmt.Errorf("VERSION: first line %q is not a Go release version", v)
	}
	return v, nil
}

// readPlatform reads GOOS and GOARCH from the header of root's bin/go
// (bin/go.exe on Windows). The architecture comes from the CPU field; the
// operating system from the format: Mach-O is darwin, PE is windows, and
// ELF is linux unless EI_OSABI names a BSD (Go's linker sets
// ELFOSABI_FREEBSD, _NETBSD or _OPENBSD for those and ELFOSABI_NONE for
// every other ELF target, so solaris, illumos, dragonfly and android
// trees need GOOS set explicitly).
func readPlatform(root string) (goos, goarch string, err error) {
	var f *os.File
	for _, name := range []string{"go", "go.exe"} {
		f, err = os.Open(filepath.Join(root, "bin", name))
		if err == nil {
			break
		}
	}
	if err != nil {
		return "", "", err
	}
	defer f.Close()
	h, err := archcheck.ReadHeader(f)
	if err != nil {
		return "", "", fmt.Errorf("bin/go: %w", err)
	}
	if len(h.Slices) != 1 {
		return "", "", fmt.Errorf("bin/go: %d architectures; a Go release's bin/go holds one", len(h.Slices))
	}
	goarch = h.Slices[0].Arch
	if goarch == "" {
		return "", "", fmt.Errorf("bin/go: CPU %s has no Go port", h.Slices[0].CPU)
	}
	switch h.Format {
	case archcheck.FormatMachO:
		goos = "darwin"
	case archcheck.FormatPE:
		goos = "windows"
	case archcheck.FormatELF:
		var ident [elf.EI_NIDENT]byte
		if _, err := f.ReadAt(ident[:], 0); err != nil {
			return "", "", fmt.Errorf("bin/go: %w", err)
		}
		switch elf.OSABI(ident[elf.EI_OSABI]) {
		case elf.ELFOSABI_FREEBSD:
			goos = "freebsd"
		case elf.ELFOSABI_NETBSD:
			goos = "netbsd"
		case elf.ELFOSABI_OPENBSD:
			goos = "openbsd"
		default:
			goos = "linux"
		}
	default:
		return "", "", fmt.Errorf("bin/go: unexpected format %v", h.Format)
	}
	return goos, goarch, nil
}
