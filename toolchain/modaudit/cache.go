package modaudit

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/mod/module"
)

// ModCache returns the module cache directory the go command uses when
// its settings come from the process environment: $GOMODCACHE, else
// pkg/mod in the first $GOPATH entry, else $HOME/go/pkg/mod. It does not
// read the go env file; callers that resolve the whole environment
// should pass their GOMODCACHE instead.
func ModCache() (string, error) {
	if d := os.Getenv("GOMODCACHE"); d != "" {
		return d, nil
	}
	if gp := filepath.SplitList(os.Getenv("GOPATH")); len(gp) > 0 && gp[0] != "" {
		return filepath.Join(gp[0], "pkg", "mod"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("%w: neither GOMODCACHE, GOPATH nor a home directory is set", ErrNoModCache)
	}
	return filepath.Join(home, "go", "pkg", "mod"), nil
}

// A cachePaths holds where the go command keeps one module version in
// the module cache (cmd/go/internal/modfetch.CachePath, DownloadDir).
type cachePaths struct {
	Zip, ZipHash, Mod, Partial string // in cache/download/<path>/@v/
	Dir                        string // <path>@<version>, the extracted tree
}

// pathsFor returns the cache paths of m, with path and version
// case-escaped as the go command escapes them ("!" before each capital).
func pathsFor(modCache string, m module.Version) (cachePaths, error) {
	ep, err := module.EscapePath(m.Path)
	if err != nil {
		return cachePaths{}, err
	}
	ev, err := module.EscapeVersion(m.Version)
	if err != nil {
		return cachePaths{}, err
	}
	base := filepath.Join(modCache, "cache", "download", filepath.FromSlash(ep), "@v", ev)
	return cachePaths{
		Zip:     base + ".zip",
		ZipHash: base + ".ziphash",
		Mod:     base + ".mod",
		Partial: base + ".partial",
		Dir:     filepath.Join(modCache, filepath.FromSlash(ep)+"@"+ev),
	}, nil
}

func checkModCache(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return &FileError{Path: dir, Err: fmt.Errorf("%w: %v", ErrNoModCache, err)}
	}
	if !fi.IsDir() {
		return &FileError{Path: dir, Err: fmt.Errorf("%w: not a directory", ErrNoModCache)}
	}
	return nil
}
