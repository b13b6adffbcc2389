package modaudit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func addSeeds(f *testing.F, names ...string) {
	for _, name := range names {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

// FuzzParseModulesTxt parses arbitrary modules.txt files and runs the
// consistency check of a fixed go.mod against them: neither may panic,
// and every module the check names must be one the file or go.mod names.
func FuzzParseModulesTxt(f *testing.F) {
	addSeeds(f, "modules.txt", "workspace-modules.txt", "large-modules.txt")
	f.Add([]byte("## workspace\n# a v1.0.0 => ./b\n## explicit; go 1.99\na\n# a => b v1.0.0\n"))
	dir := f.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(mainGoMod), 0o644); err != nil {
		f.Fatal(err)
	}
	ws, err := loadWorkspace(dir, "off")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		mt := ParseModulesTxt(data, "modules.txt")
		for _, m := range mt.Modules {
			if m.Path == "" || m.Line < 1 {
				t.Fatalf("module %+v without path or line", m)
			}
			if !strings.Contains(string(data), m.Path) {
				t.Fatalf("module %q is not in the file", m.Path)
			}
		}
		c := &vendorCheck{ws: ws, mt: mt, dir: dir}
		c.consistency()
		for _, p := range c.problems {
			path, _, _ := strings.Cut(p.Module, "@")
			if !strings.Contains(string(data), path) && !strings.Contains(mainGoMod, path) {
				t.Fatalf("problem names %q, in neither file: %+v", p.Module, p)
			}
		}
	})
}

// FuzzParseGoSum parses arbitrary go.sum files: no panic, and every line
// returned is well formed and comes from the input.
func FuzzParseGoSum(f *testing.F) {
	addSeeds(f, "go.sum", "large-go.sum")
	f.Add([]byte("a v1.0.0 h1:x\n\nb v1.0.0/go.mod h1:G7mAYYxgmS0lVkHyy2hEOLQCFB0DlQFTMLWggykrydY=\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lines, err := ParseGoSum(data, "go.sum")
		if err != nil {
			if _, ok := err.(*ParseError); !ok {
				t.Fatalf("error %T, want *ParseError: %v", err, err)
			}
			return
		}
		for _, l := range lines {
			if _, err := pathsFor(fuzzModCache, l.Module()); err != nil {
				t.Fatalf("line %d %q: no module cache path: %v", l.Line, l, err)
			}
			if !strings.Contains(string(data), l.Hash) {
				t.Fatalf("line %d: hash %q not in input", l.Line, l.Hash)
			}
		}
	})
}

const fuzzModCache = "/nonexistent/modcache"
