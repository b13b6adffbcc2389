package modaudit

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
)

// maxVendorWalk bounds the directories importChecks visits, so that a
// vendor directory that is really something else costs little.
const maxVendorWalk = 200_000

// importChecks finds what the go command reports, or silently does,
// only when a vendored package is imported: packages of modules.txt
// without a directory (the import fails), directories with Go files that
// modules.txt does not list (ignored by Go 1.23 and later, with a
// warning), and modules without a "## go" annotation, whose packages
// then compile as Go 1.16.
func importChecks(vendorDir string, mt *ModulesTxt, mainGo, modCache string) []VendorProblem {
	var probs []VendorProblem
	fix := "go mod vendor"
	if mt.Workspace {
		fix = "go work vendor"
	}
	listed := make(map[string]bool)
	for _, m := range mt.Modules {
		for _, pkg := range m.Packages {
			listed[pkg] = true
			if fi, err := os.Stat(filepath.Join(vendorDir, filepath.FromSlash(pkg))); err != nil || !fi.IsDir() {
				probs = append(probs, VendorProblem{Kind: ProblemMissingPackage, Severity: "error", Module: m.String(),
					Message: "package " + pkg + " is listed in vendor/modules.txt, but its directory is missing from the vendor directory",
					Fix:     fix})
			}
		}
		// go mod vendor writes "## go" for every module with a go directive
		// since Go 1.17; modules whose go.mod has none legitimately lack
		// it. A directory replacement's go.mod is read from the directory.
		if m.GoVersion == "" && m.ReplacePath == "" && len(m.Packages) > 0 && mainGo != "" && compareGo(mainGo, "1.17") >= 0 {
			switch goLine, known := cachedGoDirective(modCache, m); {
			case known && goLine == "":
				// No go directive: nothing was removed.
			case known:
				probs = append(probs, VendorProblem{Kind: ProblemNoGoVersion, Severity: "warning", Module: m.String(),
					Message: "has no go version annotation in vendor/modules.txt, but its go.mod says go " + goLine + ": its packages compile with the Go 1.16 language version (no generics)",
					Fix:     fix})
			default:
				probs = append(probs, VendorProblem{Kind: ProblemNoGoVersion, Severity: "info", Module: m.String(),
					Message: "has no go version annotation in vendor/modules.txt: its packages compile with the Go 1.16 language version; expected only when its go.mod has no go directive",
					Fix:     fix})
			}
		}
	}
	if compareGo(mainGo, "1.23") < 0 {
		// Before Go 1.23 unlisted packages are used, not ignored.
		return probs
	}
	var unlisted []string
	visited := 0
	filepath.WalkDir(vendorDir, func(p string, d fs.DirEntry, err error) error {
		visited++
		if err != nil || visited > maxVendorWalk {
			return filepath.SkipAll
		}
		if d.IsDir() || !strings.HasSuffix(d.Name(), ".go") {
			return nil
		}
		rel, err := filepath.Rel(vendorDir, filepath.Dir(p))
		if err != nil || rel == "." {
			return nil
		}
		pkg := filepath.ToSlash(rel)
		if !listed[pkg] && (len(unlisted) == 0 || unlisted[len(unlisted)-1] != pkg) {
			unlisted = append(unlisted, pkg)
		}
		return nil
	})
	slices.Sort(unlisted)
	for _, pkg := range slices.Compact(unlisted) {
		probs = append(probs, VendorProblem{Kind: ProblemUnlistedPackage, Severity: "warning", Module: pkg,
			Message: "exists in the vendor directory but is missing from vendor/modules.txt: the go command ignores it",
			Fix:     fix})
	}
	return probs
}

// cachedGoDirective returns the go directive of m's go.mod as the module
// cache holds it, and whether the cache holds it.
func cachedGoDirective(modCache string, m *VendoredModule) (string, bool) {
	if modCache == "" {
		return "", false
	}
	p, err := pathsFor(modCache, module.Version{Path: m.Path, Version: m.Version})
	if err != nil {
		return "", false
	}
	data, err := readFileLimit(p.Mod, maxModFile)
	if err != nil {
		return "", false
	}
	f, err := modfile.ParseLax(p.Mod, data, nil)
	if err != nil {
		return "", false
	}
	return goVersionOf(f), true
}
