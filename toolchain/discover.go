package toolchain

import (
	"cmp"
	"context"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/nativego/nativego/archcheck"
)

// DiscoverOptions says where and for whom Discover looks. The zero value
// looks at this machine, as the current user.
type DiscoverOptions struct {
	// Root is the filesystem root prefix; "" means "/". Every absolute
	// path consulted, including Home, the PATH entries and the targets of
	// absolute symbolic links, is taken inside it, so a test can build a
	// whole machine in a temporary directory, and the CLI can inspect a
	// mounted disk.
	Root string

	// Home is the user's home directory inside Root; "" means
	// os.UserHomeDir().
	Home string

	// PATH is the search path, in the host's list syntax; "" means $PATH.
	PATH string

	// Env is the environment (GOROOT, GOPATH, GOMODCACHE, GOBIN,
	// GOTOOLCHAIN, GOENV and the version managers' own variables such as
	// GOENV_ROOT); nil means os.Environ().
	Env []string

	// Host is the machine whose findings apply: an amd64 toolchain is a
	// Rosetta problem on an Apple Silicon Mac only. nil means
	// archcheck.Target(runtime.GOOS, runtime.GOARCH).
	Host *archcheck.Host

	// Extra names more GOROOTs to include (inside Root), such as trees
	// given on a command line.
	Extra []string

	// Only limits the result to the Extra trees, as "go version FILE"
	// reports on the files named only. The other installs are still
	// discovered: findings about a named tree (shadowed on PATH, the
	// active go) depend on them.
	Only bool
}

// An Install is one Go tree: a GOROOT with a bin/go.
type Install struct {
	// Root is the GOROOT, with symbolic links resolved, as a path inside
	// DiscoverOptions.Root.
	Root string `json:"root"`

	// Version is the first line of Root/VERSION, such as "go1.27.3";
	// empty for a source build without one.
	Version string `json:"version"`

	// BinaryVersion is the Go version recorded in bin/go's build
	// information: the release that built the go command.
	BinaryVersion string `json:"binary_version,omitempty"`

	// GOOS and GOARCH are the platform bin/go is built for, read from its
	// header. A universal binary's architectures are joined with "+".
	GOOS   string `json:"goos"`
	GOARCH string `json:"goarch"`

	// Source is the install method, one of the Source constants.
	Source string `json:"source"`

	// OnPath is the 1-based position of Root/bin/go among the go
	// commands found on PATH (each PATH directory holding a go counts,
	// after resolving symbolic links), or 0 when it is not on PATH.
	OnPath int `json:"on_path"`

	// Active reports that this is the go a shell would run: the first go
	// on PATH. The go that starts may hand over to another release: when
	// GOTOOLCHAIN (from the environment, the go/env file or go.env) or
	// the main module's go.mod asks for a newer one, it execs that
	// release from the module cache (an install with Source
	// "gotoolchain"). Discover reads no go.mod, so Active names the go
	// that starts, not necessarily the one that compiles. A version
	// manager's shim first on PATH (a script, not a Go tree) leaves every
	// Install inactive: which release it runs depends on files Discover
	// does not evaluate.
	Active bool `json:"active"`

	// Tools are the executables in Root/pkg/tool/*.
	Tools []Tool `json:"tools,omitempty"`

	// Findings are the problems found with this install, most severe
	// first.
	Findings []Finding `json:"findings,omitempty"`
}

func (inst *Install) addFinding(f Finding) { inst.Findings = append(inst.Findings, f) }

// A candidate is a place that may be a GOROOT, and why it was looked at.
type candidate struct {
	dir    string
	source string
}

// Discover finds the Go installations on a machine without executing
// anything: it lists the directories where each install method puts Go
// trees (see the Source constants), the GOROOTs of the go commands on
// PATH and $GOROOT, and reads a few files of each tree (VERSION, the
// headers and build information of bin/go and pkg/tool/*/*, go.env).
// Trees are deduplicated by their root with symbolic links resolved.
//
// The result is sorted by position on PATH, then by root. An error is
// returned only when the context ends; unreadable places are skipped, and
// a damaged tree is reported with a finding.
func Discover(ctx context.Context, opts DiscoverOptions) ([]Install, error) {
	d, err := newDiscovery(opts)
	if err != nil {
		return nil, err
	}
	return d.run(ctx)
}

// A discovery holds one Discover call's resolved options.
type discovery struct {
	fsys rootFS
	home string
	path []string // PATH's directories, in order
	env  *goEnv
	host *archcheck.Host
	locs []location
	opts DiscoverOptions
}

func newDiscovery(opts DiscoverOptions) (*discovery, error) {
	d := &discovery{fsys: newRootFS(opts.Root), host: opts.Host, opts: opts}
	if d.host == nil {
		d.host = archcheck.Target(runtime.GOOS, runtime.GOARCH)
	}
	environ := opts.Env
	if environ == nil {
		environ = os.Environ()
	}
	d.home = filepath.ToSlash(opts.Home)
	if d.home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return nil, err
		}
		d.home = filepath.ToSlash(h)
	}
	list := opts.PATH
	if list == "" {
		list = os.Getenv("PATH")
	}
	sep := ":"
	if d.host.OS == "windows" {
		sep = ";"
	}
	for _, dir := range strings.Split(list, sep) {
		// An empty or relative entry means a directory relative to the
		// shell's working directory, which Discover does not know.
		if dir = filepath.ToSlash(dir); path.IsAbs(dir) {
			d.path = append(d.path, path.Clean(dir))
		}
	}
	d.env = newGoEnv(d.fsys, environ, d.home, d.host.OS)
	d.locs = locations(d.env, d.home)
	return d, nil
}

func (d *discovery) run(ctx context.Context) ([]Install, error) {
	var cands []candidate
	for _, l := range d.locs {
		for _, dir := range d.expand(l.pattern) {
			cands = append(cands, candidate{dir, l.source})
		}
	}
	cands = append(cands, d.pathsD()...)
	for _, dir := range d.opts.Extra {
		cands = append(cands, candidate{filepath.ToSlash(dir), SourceExplicit})
	}
	if gr := d.env.proc["GOROOT"]; gr != "" {
		cands = append(cands, candidate{filepath.ToSlash(gr), SourceGOROOT})
	}
	onPath, firstGo := d.scanPath()
	for _, root := range onPath.roots {
		cands = append(cands, candidate{root, SourcePath})
	}

	byRoot := make(map[string]*Install)
	named := make(map[string]bool) // the roots of the Extra trees
	var installs []*Install
	for _, c := range cands {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		dir, ok := d.goRoot(c.dir)
		if !ok {
			continue
		}
		root, err := d.fsys.resolve(dir)
		if err == nil && c.source == SourceExplicit {
			named[root] = true
		}
		if err != nil || byRoot[root] != nil {
			continue
		}
		inst := inspect(d.fsys, root, d.host.OS)
		inst.Source = c.source
		if c.source == SourcePath || c.source == SourceGOROOT || c.source == SourceExplicit {
			if s := classify(d.locs, root); s != "" {
				inst.Source = s
			}
		}
		inst.OnPath = onPath.pos[root]
		inst.Active = firstGo != "" && firstGo == root
		byRoot[root] = inst
		installs = append(installs, inst)
	}

	ctxf := d.findingContext(byRoot, firstGo)
	out := make([]Install, 0, len(installs))
	for _, inst := range installs {
		ctxf.check(inst)
		if d.opts.Only && !named[inst.Root] {
			continue
		}
		out = append(out, *inst)
	}
	slices.SortStableFunc(out, func(a, b Install) int {
		// On-PATH installs first, in PATH order; then by root.
		pa, pb := a.OnPath, b.OnPath
		if pa == 0 {
			pa = 1 << 30
		}
		if pb == 0 {
			pb = 1 << 30
		}
		return cmp.Or(cmp.Compare(pa, pb), strings.Compare(a.Root, b.Root))
	})
	return out, nil
}

// goRoot reports whether dir, or its "go" subdirectory, holds a Go tree,
// and returns which.
func (d *discovery) goRoot(dir string) (string, bool) {
	if !path.IsAbs(dir) {
		return "", false
	}
	for _, p := range []string{dir, path.Join(dir, "go")} {
		if d.fsys.isFile(path.Join(p, "VERSION")) || d.fsys.isFile(path.Join(p, "bin/go")) || d.fsys.isFile(path.Join(p, "bin/go.exe")) {
			return p, true
		}
	}
	return "", false
}

// expand returns the directories matching pattern, listing one directory
// per wildcard element.
func (d *discovery) expand(pattern string) []string {
	dirs := []string{"/"}
	for _, elem := range strings.Split(strings.TrimPrefix(pattern, "/"), "/") {
		var next []string
		for _, dir := range dirs {
			if !strings.ContainsAny(elem, `*?[\`) {
				if p := path.Join(dir, elem); d.fsys.exists(p) {
					next = append(next, p)
				}
				continue
			}
			names, _ := d.fsys.readDirNames(dir)
			slices.Sort(names)
			for _, n := range names {
				if ok, _ := path.Match(elem, n); ok && n[0] != '.' {
					next = append(next, path.Join(dir, n))
				}
			}
		}
		dirs = next
		if len(dirs) == 0 {
			break
		}
	}
	return dirs
}

// pathsD reads /etc/paths.d/go, which the macOS .pkg installer writes
// with the line "/usr/local/go/bin" and path_helper(8) adds to every
// login shell's PATH.
func (d *discovery) pathsD() []candidate {
	b, err := d.fsys.readSmall("/etc/paths.d/go")
	if err != nil {
		return nil
	}
	var cands []candidate
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if path.IsAbs(line) && path.Base(line) == "bin" {
			cands = append(cands, candidate{path.Dir(line), SourceOfficial})
		}
	}
	return cands
}

// pathScan is what the PATH holds.
type pathScan struct {
	roots []string       // GOROOTs of the go commands on PATH, in order
	pos   map[string]int // GOROOT → its first 1-based position among go entries
}

// scanPath finds the go commands on PATH. Every directory holding a go
// counts as a position, even one whose go is not in a Go tree (a version
// manager's shim script, a copied binary); firstGo is the GOROOT of the
// first, or "" when the first is not in a Go tree.
func (d *discovery) scanPath() (scan pathScan, firstGo string) {
	scan.pos = make(map[string]int)
	name := "go"
	if d.host.OS == "windows" {
		name = "go.exe"
	}
	seen := make(map[string]bool)
	n := 0
	for _, dir := range d.path {
		if seen[dir] {
			continue // the shell would have stopped at the first copy
		}
		seen[dir] = true
		p := path.Join(dir, name)
		if !d.fsys.isFile(p) {
			continue
		}
		n++
		root := ""
		if real, err := d.fsys.resolve(p); err == nil && path.Base(path.Dir(real)) == "bin" {
			if r, ok := d.goRoot(path.Dir(path.Dir(real))); ok && r == path.Dir(path.Dir(real)) {
				root = r
			}
		}
		if n == 1 {
			firstGo = root
		}
		if root == "" {
			continue
		}
		if _, ok := scan.pos[root]; !ok {
			scan.pos[root] = n
			scan.roots = append(scan.roots, root)
		}
	}
	return scan, firstGo
}
