package modaudit

import (
	"strings"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// A VendoredModule is one module of vendor/modules.txt with everything
// the file says about it: a "# path version [=> replacement]" line, the
// "## explicit; go 1.x" annotations after it, and the import paths of the
// packages vendored from it.
type VendoredModule struct {
	Path    string `json:"path"`
	Version string `json:"version,omitempty"` // "" for a wildcard replacement
	// ReplacePath and ReplaceVersion are the replacement after "=>": a
	// module path and version, or a directory with no version.
	ReplacePath    string `json:"replace_path,omitempty"`
	ReplaceVersion string `json:"replace_version,omitempty"`
	// Explicit is set by "## explicit": the main module's go.mod (or one
	// of the workspace's) requires this version.
	Explicit bool `json:"explicit,omitempty"`
	// GoVersion is the module's go directive, from "## go 1.x"; "" when
	// absent, in which case the go command compiles the module's packages
	// as Go 1.16.
	GoVersion string   `json:"go_version,omitempty"`
	Packages  []string `json:"packages,omitempty"`
	Line      int      `json:"line"` // line of the first "# " line naming it
}

// String returns path@version, or path for a wildcard replacement, the
// way the go command names a module in its messages.
func (m *VendoredModule) String() string {
	return describe(module.Version{Path: m.Path, Version: m.Version})
}

func describe(m module.Version) string {
	if m.Version == "" {
		return m.Path
	}
	return m.Path + "@" + m.Version
}

// A ModulesTxt is a parsed vendor/modules.txt.
type ModulesTxt struct {
	// Workspace reports a "## workspace" first line: the file was written
	// by "go work vendor" and is used only in workspace mode.
	Workspace bool `json:"workspace,omitempty"`
	// Modules lists each module line in order of first appearance, its
	// annotations merged over all lines naming the same version, as the
	// go command merges them.
	Modules []*VendoredModule `json:"modules"`
	// Ignored holds the numbers of lines the go command ignores: module
	// lines it cannot interpret, and package or annotation lines with no
	// module line before them. They usually mean the file was edited by
	// hand.
	Ignored []int `json:"ignored,omitempty"`

	// The go command's own views of the file (modload.readVendorList).
	list     []module.Version  // modules contributing packages, in order of appearance
	replaced []module.Version  // replaced modules, once per replacement line
	version  map[string]string // module path -> selected version
	byMod    map[module.Version]*VendoredModule
	pkgMod   map[string]module.Version // package import path -> module
}

// ParseModulesTxt parses the content of a vendor/modules.txt file as the
// go command reads it (cmd/go/internal/modload.readVendorList and
// modulesTextIsForWorkspace): lines it does not understand are skipped,
// never fatal, so ParseModulesTxt returns no error; such lines are listed
// in Ignored. The name file is used only in messages.
func ParseModulesTxt(data []byte, file string) *ModulesTxt {
	mt := &ModulesTxt{
		version: make(map[string]string),
		byMod:   make(map[module.Version]*VendoredModule),
		pkgMod:  make(map[string]module.Version),
	}
	// Only the first line, and only of the first 512 bytes, can mark a
	// workspace vendor directory (modulesTextIsForWorkspace).
	first := data[:min(len(data), 512)]
	firstLine, _, _ := strings.Cut(string(first), "\n")
	if annotations, ok := strings.CutPrefix(firstLine, "## "); ok {
		for entry := range strings.SplitSeq(annotations, ";") {
			if strings.TrimSpace(entry) == "workspace" {
				mt.Workspace = true
			}
		}
	}

	var cur *VendoredModule // the module of the last module line; nil before one or after an unknown one
	lineno := 0
	for line := range strings.SplitSeq(string(data), "\n") {
		lineno++
		if strings.HasPrefix(line, "# ") {
			f := strings.Fields(line)
			if len(f) < 3 {
				mt.Ignored = append(mt.Ignored, lineno)
				continue
			}
			var mod module.Version
			switch {
			case semver.IsValid(f[2]):
				mod = module.Version{Path: f[1], Version: f[2]}
				f = f[3:]
			case f[2] == "=>":
				mod = module.Version{Path: f[1]} // a wildcard replacement
				f = f[2:]
			default:
				cur = nil
				mt.Ignored = append(mt.Ignored, lineno)
				continue
			}
			cur = mt.module(mod, lineno)
			if len(f) >= 2 && f[0] == "=>" {
				switch {
				case len(f) == 2: // a directory replacement
					cur.ReplacePath, cur.ReplaceVersion = f[1], ""
					mt.replaced = append(mt.replaced, mod)
				case len(f) == 3 && semver.IsValid(f[2]):
					cur.ReplacePath, cur.ReplaceVersion = f[1], f[2]
					mt.replaced = append(mt.replaced, mod)
				default:
					// The go command ignores a replacement it cannot read
					// but keeps the module line.
					mt.Ignored = append(mt.Ignored, lineno)
				}
			}
			continue
		}
		if cur == nil {
			if line != "" && (lineno > 1 || !mt.Workspace) {
				mt.Ignored = append(mt.Ignored, lineno)
			}
			continue
		}
		if annotations, ok := strings.CutPrefix(line, "## "); ok {
			for entry := range strings.SplitSeq(annotations, ";") {
				entry = strings.TrimSpace(entry)
				if entry == "explicit" {
					cur.Explicit = true
				}
				if v, ok := strings.CutPrefix(entry, "go "); ok {
					cur.GoVersion = v
				}
				// Other entries are reserved for future use.
			}
			continue
		}
		if f := strings.Fields(line); len(f) == 1 && module.CheckImportPath(f[0]) == nil {
			mod := module.Version{Path: cur.Path, Version: cur.Version}
			cur.Packages = append(cur.Packages, f[0])
			mt.pkgMod[f[0]] = mod
			// A module that provides a package is in the build list at
			// this, its selected, version.
			if v, ok := mt.version[mod.Path]; !ok || modCompare(v, mod.Version) < 0 {
				mt.list = append(mt.list, mod)
				mt.version[mod.Path] = mod.Version
			}
			continue
		}
		if line != "" {
			mt.Ignored = append(mt.Ignored, lineno)
		}
	}
	return mt
}

// module returns the entry for mod, creating it on first sight.
func (mt *ModulesTxt) module(mod module.Version, lineno int) *VendoredModule {
	if m, ok := mt.byMod[mod]; ok {
		return m
	}
	m := &VendoredModule{Path: mod.Path, Version: mod.Version, Line: lineno}
	mt.byMod[mod] = m
	mt.Modules = append(mt.Modules, m)
	return m
}

// Lookup returns the entry for path at version ("" for a wildcard
// replacement), or nil.
func (mt *ModulesTxt) Lookup(path, version string) *VendoredModule {
	return mt.byMod[module.Version{Path: path, Version: version}]
}

// modCompare orders two versions of one module path as
// cmd/go/internal/gover.ModCompare does for ordinary modules: by semver.
func modCompare(v, w string) int { return semver.Compare(v, w) }
