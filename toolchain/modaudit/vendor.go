package modaudit

import (
	"errors"
	"fmt"
	"go/version"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
)

// VendorOptions configures [CheckVendor]. The zero value checks the way
// the running go command would.
type VendorOptions struct {
	// GOWORK selects workspace mode as the go command's GOWORK does: ""
	// looks for a go.work file in the directory and its parents, "off"
	// disables workspace mode, anything else names the go.work file.
	GOWORK string
	// GoVersion is the version of the go command that builds, such as
	// "1.26.8", against which "## go" annotations are checked. When
	// empty it is the version of the Go release that built this program.
	GoVersion string
	// ModCache, when set, is the module cache in which to look up the
	// go.mod of a vendored module that has no "## go" annotation, to tell
	// a module without a go directive (no problem) from an annotation
	// removed by hand (a warning). Without it such modules get a note of
	// severity "info".
	ModCache string
}

// A VendorReport is what [CheckVendor] concluded about a vendor
// directory.
type VendorReport struct {
	// Dir is the directory the check was made from: where the go command
	// would run. Paths in messages are relative to it when shorter.
	Dir string `json:"dir"`
	// Root is the main module's directory, or the workspace's (the
	// directory of go.work).
	Root      string `json:"root"`
	VendorDir string `json:"vendor_dir"`
	Workspace bool   `json:"workspace"` // workspace mode: a go.work file applies
	// Present reports whether the vendor directory exists. When it does
	// not, nothing else is checked.
	Present bool `json:"present"`
	// Used reports whether the go command builds from the vendor
	// directory by default, without -mod=vendor; UsedReason says why, in
	// the go command's words.
	Used       bool   `json:"used"`
	UsedReason string `json:"used_reason,omitempty"`
	// Consistent is false when "go build -mod=vendor" (or a default build,
	// when Used) fails with "inconsistent vendoring" or a too-new go
	// version; Message is then the go command's error message.
	Consistent bool              `json:"consistent"`
	Message    string            `json:"message,omitempty"`
	Problems   []VendorProblem   `json:"problems,omitempty"`
	Modules    []*VendoredModule `json:"modules,omitempty"`
}

// A VendorProblem is one finding about the vendor directory.
type VendorProblem struct {
	// Kind is a stable identifier, one of the Problem* constants.
	Kind string `json:"kind"`
	// Severity is "error" for problems that make the go command fail,
	// "warning" for ones that change what is built.
	Severity string `json:"severity"`
	// Module names the module as the go command does: path@version, or
	// path for a wildcard replacement.
	Module string `json:"module"`
	// Message is the go command's own text for this problem when it has
	// one, without the module name.
	Message string `json:"message"`
	Fix     string `json:"fix"`
}

// Kinds of [VendorProblem]. The first six are the go command's
// consistency checks (cmd/go/internal/modload.checkVendorConsistency);
// ProblemGoTooNew is its check of "## go" annotations; the rest are what
// it reports, or silently does, only when a package is imported.
const (
	ProblemNotExplicit         = "not-explicit"          // required in go.mod, no "## explicit"
	ProblemVersionMismatch     = "version-mismatch"      // go < 1.14: required version differs from the vendored one
	ProblemReplaceNotMarked    = "replace-not-vendored"  // replaced in go.mod or go.work, not in modules.txt
	ProblemReplaceMismatch     = "replace-mismatch"      // replaced by something else in modules.txt
	ProblemExplicitNotRequired = "explicit-not-required" // "## explicit" but not required
	ProblemReplacedNotReplaced = "replaced-not-replaced" // replaced in modules.txt, not in go.mod or go.work
	ProblemGoTooNew            = "go-too-new"            // "## go" newer than the go command
	ProblemNoGoVersion         = "no-go-version"         // no "## go": packages compile as Go 1.16
	ProblemUnlistedPackage     = "unlisted-package"      // a vendored directory with Go files that modules.txt lacks
	ProblemMissingPackage      = "missing-package"       // a package of modules.txt with no directory
	ProblemWrongMode           = "wrong-mode"            // modules.txt of a workspace outside one, or the reverse
)

// maxModulesTxt bounds the size of vendor/modules.txt read; the largest
// real ones (Kubernetes) are about 100 KiB.
const maxModulesTxt = 64 << 20

// CheckVendor checks the vendor directory of the module or workspace
// that dir belongs to as the go command does before building with
// -mod=vendor, and names each inconsistency with the go command's own
// message, so that "inconsistent vendoring" is found before a build.
//
// An error is returned only when the check cannot be made: no go.mod,
// unreadable or malformed go.mod or go.work files.
func CheckVendor(dir string, opts VendorOptions) (*VendorReport, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	ws, err := loadWorkspace(abs, opts.GOWORK)
	if err != nil {
		return nil, err
	}
	r := &VendorReport{Dir: abs, Root: ws.root, VendorDir: filepath.Join(ws.root, "vendor"), Workspace: ws.work != nil, Consistent: true}
	fi, err := os.Stat(r.VendorDir)
	if err != nil || !fi.IsDir() {
		return r, nil
	}
	r.Present = true

	modulesTxt := filepath.Join(r.VendorDir, "modules.txt")
	data, err := readFileLimit(modulesTxt, maxModulesTxt)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, &FileError{Path: modulesTxt, Err: err}
	}
	mt := ParseModulesTxt(data, modulesTxt)
	r.Modules = mt.Modules

	r.Used, r.UsedReason = ws.defaultVendor(mt, data != nil)
	if !r.Used && data != nil && mt.Workspace != r.Workspace {
		p := VendorProblem{Kind: ProblemWrongMode, Severity: "warning", Module: "vendor/modules.txt", Message: r.UsedReason}
		if r.Workspace {
			p.Fix = "go work vendor"
		} else {
			p.Fix = "go mod vendor"
		}
		r.Problems = append(r.Problems, p)
	}

	local := opts.GoVersion
	if local == "" {
		local = strings.TrimPrefix(runtime.Version(), "go")
	}
	c := &vendorCheck{ws: ws, mt: mt, dir: abs}
	c.consistency()
	if len(c.problems) > 0 {
		r.Consistent = false
		r.Message = c.message(r.Root)
	}
	// The go command stops at the first too-new annotation while reading
	// modules.txt, before the consistency check.
	for _, m := range mt.Modules {
		if m.GoVersion != "" && compareGo(m.GoVersion, local) > 0 {
			what := m.Path + " in " + shortPath(abs, modulesTxt)
			p := VendorProblem{Kind: ProblemGoTooNew, Severity: "error", Module: m.String(),
				Message: fmt.Sprintf("requires go >= %s (running go %s)", m.GoVersion, local),
				Fix:     "use go " + m.GoVersion + " or later (GOTOOLCHAIN=go" + m.GoVersion + "), or vendor an older version"}
			if r.Consistent {
				r.Consistent = false
				r.Message = fmt.Sprintf("go: %s %s", what, p.Message)
			}
			c.problems = append([]VendorProblem{p}, c.problems...)
			break
		}
	}
	r.Problems = append(r.Problems, c.problems...)
	r.Problems = append(r.Problems, importChecks(r.VendorDir, mt, ws.mainGoVersion(), opts.ModCache)...)
	return r, nil
}

// compareGo compares two go versions such as "1.21" and "1.21.3".
func compareGo(a, b string) int { return version.Compare("go"+a, "go"+b) }

// shortPath is cmd/go/internal/base.ShortPath: path relative to dir when
// that is shorter.
func shortPath(dir, path string) string {
	if rel, err := filepath.Rel(dir, path); err == nil && len(rel) < len(path) {
		return rel
	}
	return path
}

// A workspace is the main modules: one, or the go.work file's.
type workspace struct {
	root     string // main module directory, or the directory of go.work
	work     *modfile.WorkFile
	workPath string
	modRoots []string
	modFiles []*modfile.File
}

func (ws *workspace) contains(path string) bool {
	for _, f := range ws.modFiles {
		if f.Module != nil && f.Module.Mod.Path == path {
			return true
		}
	}
	return false
}

// mainGoVersion is the go version that governs the build: go.work's in
// a workspace, else the main module's.
func (ws *workspace) mainGoVersion() string {
	if ws.work != nil {
		if ws.work.Go != nil {
			return ws.work.Go.Version
		}
		return ""
	}
	if f := ws.modFiles[0]; f.Go != nil {
		return f.Go.Version
	}
	return ""
}

// defaultVendor reports whether the go command would set -mod=vendor by
// itself, with its reason (modload.setDefaultBuildMod).
func (ws *workspace) defaultVendor(mt *ModulesTxt, haveModulesTxt bool) (bool, string) {
	source := "go.mod"
	if ws.work != nil {
		source = "go.work"
	}
	gv := ws.mainGoVersion()
	switch {
	case gv == "":
		return false, fmt.Sprintf("Go version in %s is unspecified, so vendor directory was not used.", source)
	case compareGo(gv, "1.14") < 0:
		return false, fmt.Sprintf("Go version in %s is %s, so vendor directory was not used.", source, gv)
	}
	vendoredWorkspace := haveModulesTxt && mt.Workspace
	if vendoredWorkspace != (ws.work != nil) {
		if vendoredWorkspace {
			return false, "Outside workspace mode, but vendor directory is for a workspace."
		}
		return false, "In workspace mode, but vendor directory is not for a workspace"
	}
	return true, "Go version in " + source + " is at least 1.14 and vendor directory exists."
}

// maxModFile bounds go.mod and go.work files read.
const maxModFile = 16 << 20

// loadWorkspace finds the main modules for dir as the go command does.
func loadWorkspace(dir, gowork string) (*workspace, error) {
	ws := &workspace{}
	switch gowork {
	case "off":
	case "":
		for d := dir; ; d = filepath.Dir(d) {
			if fi, err := os.Stat(filepath.Join(d, "go.work")); err == nil && !fi.IsDir() {
				ws.workPath = filepath.Join(d, "go.work")
				break
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	default:
		ws.workPath, _ = filepath.Abs(gowork)
	}
	if ws.workPath != "" {
		data, err := readFileLimit(ws.workPath, maxModFile)
		if err != nil {
			return nil, &FileError{Path: ws.workPath, Err: err}
		}
		wf, err := modfile.ParseWork(ws.workPath, data, nil)
		if err != nil {
			return nil, &FileError{Path: ws.workPath, Err: err}
		}
		ws.work, ws.root = wf, filepath.Dir(ws.workPath)
		for _, u := range wf.Use {
			d := filepath.FromSlash(u.Path)
			if !filepath.IsAbs(d) {
				d = filepath.Join(ws.root, d)
			}
			ws.modRoots = append(ws.modRoots, d)
		}
		if len(ws.modRoots) == 0 {
			return nil, &FileError{Path: ws.workPath, Err: fmt.Errorf("%w: no modules were found in the current workspace", ErrNoModule)}
		}
	} else {
		for d := dir; ; d = filepath.Dir(d) {
			if fi, err := os.Stat(filepath.Join(d, "go.mod")); err == nil && !fi.IsDir() {
				ws.root = d
				break
			}
			if filepath.Dir(d) == d {
				return nil, &FileError{Path: dir, Err: ErrNoModule}
			}
		}
		ws.modRoots = []string{ws.root}
	}
	for _, root := range ws.modRoots {
		p := filepath.Join(root, "go.mod")
		data, err := readFileLimit(p, maxModFile)
		if err != nil {
			return nil, &FileError{Path: p, Err: err}
		}
		f, err := modfile.Parse(p, data, nil)
		if err != nil {
			return nil, &FileError{Path: p, Err: err}
		}
		ws.modFiles = append(ws.modFiles, f)
	}
	return ws, nil
}

// readFileLimit reads a file of at most limit bytes.
func readFileLimit(name string, limit int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("file is larger than the %d bytes this reads", limit)
	}
	return data, nil
}

// A vendorCheck is one run of the go command's consistency check.
type vendorCheck struct {
	ws       *workspace
	mt       *ModulesTxt
	dir      string
	problems []VendorProblem
	details  []string // the go command's lines, "\n\tmodule: detail"
}

func (c *vendorCheck) errorf(kind string, mod module.Version, format string, args ...any) {
	detail := fmt.Sprintf(format, args...)
	name := describe(mod)
	fix := "go mod vendor"
	if c.ws.work != nil {
		fix = "go work vendor"
	}
	c.problems = append(c.problems, VendorProblem{Kind: kind, Severity: "error", Module: name, Message: detail,
		Fix: fix + " (or build with -mod=readonly or -mod=mod to ignore the vendor directory)"})
	c.details = append(c.details, "\n\t"+name+": "+detail)
}

// message is the go command's whole error message.
func (c *vendorCheck) message(root string) string {
	sub := "mod"
	if c.ws.work != nil {
		sub = "work"
	}
	return fmt.Sprintf("go: inconsistent vendoring in %s:%s\n\n\tTo ignore the vendor directory, use -mod=readonly or -mod=mod.\n\tTo sync the vendor directory, run:\n\t\tgo %s vendor",
		root, strings.Join(c.details, ""), sub)
}

// replacementFrom is modload.replacementFrom: the replacement for mod,
// the root of the main module whose go.mod has it ("" for go.work) and
// the file it is in.
func (c *vendorCheck) replacementFrom(mod module.Version) (r module.Version, modRoot, from string) {
	ws := c.ws
	if ws.contains(mod.Path) && mod.Version == "" {
		return module.Version{}, "", ""
	}
	if ws.work != nil {
		if r, ok := lookupReplace(ws.work.Replace, mod); ok {
			return r, "", ws.workPath
		}
	}
	var found module.Version
	var foundRoot string
	for i, f := range ws.modFiles {
		if r, ok := lookupReplace(f.Replace, mod); ok {
			found, foundRoot = r, ws.modRoots[i]
		}
	}
	if foundRoot == "" {
		return found, "", ""
	}
	return found, foundRoot, filepath.Join(foundRoot, "go.mod")
}

// lookupReplace finds the replacement of mod, of that version first,
// then of all versions. As in the go command's replace maps, a later
// line for the same module wins.
func lookupReplace(reps []*modfile.Replace, mod module.Version) (module.Version, bool) {
	var exact, wild *modfile.Replace
	for _, r := range reps {
		switch r.Old {
		case mod:
			exact = r
		case module.Version{Path: mod.Path}:
			wild = r
		}
	}
	if exact != nil {
		return exact.New, true
	}
	if wild != nil {
		return wild.New, true
	}
	return module.Version{}, false
}

// canonical is modload.canonicalizeReplacePath: in a workspace, a
// relative directory replacement from a module's go.mod is made relative
// to the workspace directory.
func (c *vendorCheck) canonical(r module.Version, modRoot string) module.Version {
	if filepath.IsAbs(r.Path) || r.Version != "" || modRoot == "" || c.ws.work == nil {
		return r
	}
	abs := filepath.Join(modRoot, r.Path)
	if rel, err := filepath.Rel(c.ws.root, abs); err == nil {
		return module.Version{Path: toDirectoryPath(rel), Version: r.Version}
	}
	return module.Version{Path: toDirectoryPath(abs), Version: r.Version}
}

// toDirectoryPath is modload.ToDirectoryPath.
func toDirectoryPath(p string) string {
	if modfile.IsDirectoryPath(p) {
		return p
	}
	return "./" + filepath.ToSlash(filepath.Clean(p))
}

func (c *vendorCheck) vendoredReplacement(mod module.Version) module.Version {
	if m := c.mt.byMod[mod]; m != nil {
		return module.Version{Path: m.ReplacePath, Version: m.ReplaceVersion}
	}
	return module.Version{}
}

// consistency is modload.checkVendorConsistency, check for check and in
// the same order, so that the messages come out as the go command's do.
func (c *vendorCheck) consistency() {
	ws, mt := c.ws, c.mt
	pre114 := ws.work == nil && compareGo(goVersionOf(ws.modFiles[0]), "1.14") < 0

	for _, f := range ws.modFiles {
		for _, r := range f.Require {
			if m := mt.byMod[r.Mod]; m != nil && m.Explicit {
				continue
			}
			if pre114 {
				if vv, ok := mt.version[r.Mod.Path]; ok && vv != r.Mod.Version {
					c.errorf(ProblemVersionMismatch, r.Mod, "is explicitly required in go.mod, but vendor/modules.txt indicates %s@%s", r.Mod.Path, vv)
				}
			} else {
				c.errorf(ProblemNotExplicit, r.Mod, "is explicitly required in go.mod, but not marked as explicit in vendor/modules.txt")
			}
		}
	}

	// Every replacement is checked, applied or not: a replacement's go.mod
	// can change the selected versions of other modules.
	seen := make(map[module.Version]bool)
	checkReplace := func(reps []*modfile.Replace) {
		for _, r := range reps {
			if seen[r.Old] {
				continue
			}
			seen[r.Old] = true
			rNew, modRoot, source := c.replacementFrom(r.Old)
			rNewCanonical := c.canonical(rNew, modRoot)
			vr := c.vendoredReplacement(r.Old)
			switch {
			case vr == (module.Version{}):
				if rNewCanonical == (module.Version{}) {
					// Not actually replaced: perhaps a main module.
				} else if pre114 && (r.Old.Version == "" || mt.version[r.Old.Path] != r.Old.Version) {
					// Before 1.14 modules.txt omitted these.
				} else {
					c.errorf(ProblemReplaceNotMarked, r.Old, "is replaced in %s, but not marked as replaced in vendor/modules.txt", shortPath(c.dir, source))
				}
			case vr != rNewCanonical:
				c.errorf(ProblemReplaceMismatch, r.Old, "is replaced by %s in %s, but marked as replaced by %s in vendor/modules.txt", describe(rNew), shortPath(c.dir, source), describe(vr))
			}
		}
	}
	for _, f := range ws.modFiles {
		checkReplace(f.Replace)
	}
	if ws.work != nil {
		checkReplace(ws.work.Replace)
	}

	for _, mod := range mt.list {
		if m := mt.byMod[mod]; m == nil || !m.Explicit {
			continue
		}
		found := false
		for _, f := range ws.modFiles {
			for _, r := range f.Require {
				if r.Mod == mod {
					found = true
				}
			}
		}
		if !found {
			article := ""
			if ws.work != nil {
				article = "a "
			}
			c.errorf(ProblemExplicitNotRequired, mod, "is marked as explicit in vendor/modules.txt, but not explicitly required in %sgo.mod", article)
		}
	}

	for _, mod := range mt.replaced {
		r, modRoot, _ := c.replacementFrom(mod)
		if c.canonical(r, modRoot) == (module.Version{}) {
			source := "go.mod"
			if ws.work != nil {
				source = "the workspace"
			}
			c.errorf(ProblemReplacedNotReplaced, mod, "is marked as replaced in vendor/modules.txt, but not replaced in %s", source)
		}
	}
}

func goVersionOf(f *modfile.File) string {
	if f.Go == nil {
		return ""
	}
	return f.Go.Version
}
