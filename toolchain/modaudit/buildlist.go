package modaudit

import (
	"path/filepath"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// A Module is the main module of a directory: its go.mod and go.sum.
type Module struct {
	Dir  string
	File *modfile.File
	Sums []SumLine // go.sum; nil when there is none
}

// maxGoSum bounds the size of go.sum read: Kubernetes' is about 200 KiB.
const maxGoSum = 64 << 20

// LoadModule reads the go.mod and go.sum files in dir (not its parents).
// A missing go.sum is not an error: the module has no dependencies.
func LoadModule(dir string) (*Module, error) {
	p := filepath.Join(dir, "go.mod")
	data, err := readFileLimit(p, maxModFile)
	if err != nil {
		return nil, &FileError{Path: p, Err: err}
	}
	f, err := modfile.Parse(p, data, nil)
	if err != nil {
		return nil, &FileError{Path: p, Err: err}
	}
	if f.Module == nil {
		return nil, &FileError{Path: p, Err: ErrNoModule}
	}
	m := &Module{Dir: dir, File: f}
	p = filepath.Join(dir, "go.sum")
	data, err = readFileLimit(p, maxGoSum)
	if err != nil {
		if fileNotExist(err) {
			return m, nil
		}
		return nil, &FileError{Path: p, Err: err}
	}
	if m.Sums, err = ParseGoSum(data, p); err != nil {
		return nil, err
	}
	return m, nil
}

// BuildList returns the module's build list as its go.sum records it,
// without the main module: for each module path, the highest version
// that go.sum or a require line names. A tidy go.sum holds the go.mod
// hash of every module version in the module graph, and minimal version
// selection picks the highest version of each path in the graph, so this
// is the list "go list -m all" prints (the tests check it against the
// go command). A go.sum that is not tidy can make it differ: pass the
// go command's own list to [VerifyCache] then.
func (m *Module) BuildList() []module.Version {
	sel := make(map[string]string)
	var order []string
	add := func(path, v string) {
		if path == m.File.Module.Mod.Path {
			return
		}
		old, ok := sel[path]
		if !ok {
			order = append(order, path)
		}
		if !ok || semver.Compare(v, old) > 0 {
			sel[path] = v
		}
	}
	for _, r := range m.File.Require {
		add(r.Mod.Path, r.Mod.Version)
	}
	for _, l := range m.Sums {
		mv := l.Module()
		add(mv.Path, mv.Version)
	}
	list := make([]module.Version, 0, len(order))
	for _, p := range order {
		list = append(list, module.Version{Path: p, Version: sel[p]})
	}
	module.Sort(list)
	return list
}
