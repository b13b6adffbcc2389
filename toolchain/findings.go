package toolchain

import (
	"cmp"
	"fmt"
	"go/version"
	"path"
	"slices"
	"strings"

	"github.com/nativego/nativego/archcheck"
)

// A Finding is a problem with an install, with the change that fixes it.
type Finding struct {
	Severity string `json:"severity"` // SeverityError, SeverityWarning or SeverityInfo
	Code     string `json:"code"`     // stable identifier, such as "rosetta-toolchain"
	Message  string `json:"message"`  // what is wrong, for people
	Fix      string `json:"fix"`      // a concrete change that removes the finding
}

// Severities, from most to least severe. An error means builds with this
// install are wrong or slow today; a warning, that they will be in some
// situation; info is worth knowing.
const (
	SeverityError   = "error"
	SeverityWarning = "warning"
	SeverityInfo    = "info"
)

var severityRank = map[string]int{SeverityError: 0, SeverityWarning: 1, SeverityInfo: 2}

// findingContext is what the checks need beyond the install itself.
type findingContext struct {
	d       *discovery
	active  *Install // nil when no Go tree is first on PATH
	goroot  string   // $GOROOT from the process environment, resolved when possible
	gobin   string   // GOBIN as the go command would see it, resolved when possible
	appleSi bool     // the host is an Apple Silicon Mac
}

func (d *discovery) findingContext(byRoot map[string]*Install, firstGo string) *findingContext {
	c := &findingContext{d: d, active: byRoot[firstGo]}
	c.appleSi = d.host.OS == "darwin" && (d.host.HardwareArch == "arm64" || d.host.Arch == "arm64")
	resolved := func(p string) string {
		p = path.Clean(p)
		if r, err := d.fsys.resolve(p); err == nil {
			return r
		}
		return p
	}
	if gr := d.env.proc["GOROOT"]; path.IsAbs(gr) {
		c.goroot = resolved(gr)
	}
	if gb := d.env.get("GOBIN"); path.IsAbs(gb) {
		c.gobin = resolved(gb)
	}
	return c
}

// check adds every finding that applies to inst.
func (c *findingContext) check(inst *Install) {
	c.checkPlatform(inst)
	c.checkHomebrewPrefix(inst)
	c.checkGOROOT(inst)
	checkVersions(inst)
	c.checkGOBIN(inst)
	c.checkGoEnv(inst)
	c.checkDownload(inst)
	c.checkToolchainSwitch(inst)
	slices.SortStableFunc(inst.Findings, func(a, b Finding) int {
		return severityRank[a.Severity] - severityRank[b.Severity]
	})
}

// activeSeverity is error for the install the shell runs, where the
// problem hits every build, and warning for the others.
func activeSeverity(inst *Install) string {
	if inst.Active {
		return SeverityError
	}
	return SeverityWarning
}

// checkPlatform reports a go command that the host runs translated, or
// cannot run at all.
func (c *findingContext) checkPlatform(inst *Install) {
	h := c.d.host
	if inst.GOOS == "" || inst.GOARCH == "" || h.OS == "" {
		return
	}
	archs := strings.Split(inst.GOARCH, "+")
	hw := cmp.Or(h.HardwareArch, h.Arch)
	if inst.GOOS == h.OS && slices.Contains(archs, hw) {
		return
	}
	if c.appleSi && inst.GOOS == "darwin" && slices.Contains(archs, "amd64") {
		fix := fmt.Sprintf("install the darwin-arm64 build of %s (the go%s.darwin-arm64 archive or .pkg) and remove this tree", cmp.Or(inst.Version, "this release"), strings.TrimPrefix(inst.Version, "go"))
		if inst.Source == SourceHomebrew {
			fix = "uninstall it with the Intel Homebrew (arch -x86_64 /usr/local/bin/brew uninstall go) and install Go with the Apple Silicon one (/opt/homebrew/bin/brew install go)"
		}
		inst.addFinding(Finding{
			Severity: activeSeverity(inst),
			Code:     "rosetta-toolchain",
			Message:  "bin/go is a darwin/amd64 binary: on this Apple Silicon Mac it runs under Rosetta 2, and by default it builds darwin/amd64 programs, which run translated too",
			Fix:      fix,
		})
		return
	}
	if _, ok := runnerFor(h, archs); ok && inst.GOOS == h.OS {
		return // emulated, but the host's own runner handles it (Prism, WoW64)
	}
	if inst.Source == SourceGoToolchain {
		// The go command only ever switches to the toolchain module of
		// its own GOHOSTOS-GOHOSTARCH; others in the module cache were
		// fetched as plain modules (go mod download) and never run.
		inst.addFinding(Finding{
			Severity: SeverityInfo,
			Code:     "foreign-toolchain",
			Message:  fmt.Sprintf("a %s/%s toolchain module in the module cache: the go command never runs it on this %s/%s machine", inst.GOOS, inst.GOARCH, h.OS, hw),
			Fix:      "nothing to do; go clean -modcache removes it with the rest of the cache",
		})
		return
	}
	inst.addFinding(Finding{
		Severity: activeSeverity(inst),
		Code:     "foreign-toolchain",
		Message:  fmt.Sprintf("bin/go is built for %s/%s and cannot run natively on this %s/%s machine", inst.GOOS, inst.GOARCH, h.OS, hw),
		Fix:      fmt.Sprintf("install the %s-%s build of %s and remove this tree", h.OS, hw, cmp.Or(inst.Version, "this release")),
	})
}

func runnerFor(h *archcheck.Host, archs []string) (archcheck.Runner, bool) {
	for _, r := range h.Runners {
		if slices.Contains(archs, r.Arch) {
			return r, true
		}
	}
	return archcheck.Runner{}, false
}

// intelHomebrewCellar is where an Intel Homebrew keeps its kegs. On an
// Apple Silicon Mac its presence means an x86_64 Homebrew, running under
// Rosetta 2, was installed (often by a migration from an Intel Mac).
const intelHomebrewCellar = "/usr/local/Cellar/"

func (c *findingContext) checkHomebrewPrefix(inst *Install) {
	if !c.appleSi || !strings.HasPrefix(inst.Root, intelHomebrewCellar) {
		return
	}
	inst.addFinding(Finding{
		Severity: SeverityWarning,
		Code:     "intel-homebrew-prefix",
		Message:  "installed by the Intel Homebrew in /usr/local, which runs under Rosetta 2 on this Apple Silicon Mac and installs x86_64 bottles",
		Fix:      "install Go with the Apple Silicon Homebrew (/opt/homebrew/bin/brew install go), then remove the Intel one's (arch -x86_64 /usr/local/bin/brew uninstall go) and take /usr/local/bin out of PATH ahead of /opt/homebrew/bin",
	})
}

// checkGOROOT reports $GOROOT naming another tree than the active go's.
// The go command then takes the standard library and pkg/tool from
// $GOROOT while running its own code, mixing two releases ("compile:
// version X does not match go tool version Y").
func (c *findingContext) checkGOROOT(inst *Install) {
	if !inst.Active || c.goroot == "" || c.goroot == inst.Root {
		return
	}
	inst.addFinding(Finding{
		Severity: SeverityError,
		Code:     "goroot-mismatch",
		Message:  fmt.Sprintf("GOROOT is %s, but the go on PATH is %s/bin/go: it will use the standard library and tools of the other tree", c.goroot, inst.Root),
		Fix:      "unset GOROOT (the go command finds its own tree), or put $GOROOT/bin first on PATH",
	})
}

// goVersionField is a build information version without the
// " X:experiment" suffix a GOEXPERIMENT build adds.
func goVersionField(v string) string {
	f, _, _ := strings.Cut(v, " ")
	return f
}

// checkVersions compares VERSION with the build information of bin/go
// and of each tool. A release's files are all built by the release
// itself; a difference means files from two releases were mixed, usually
// by unpacking a new archive over an old tree (go.dev/doc/install says to
// remove the old tree first).
func checkVersions(inst *Install) {
	if inst.Version == "" || !strings.HasPrefix(inst.Version, "go") {
		return
	}
	if bv := goVersionField(inst.BinaryVersion); bv != "" && bv != inst.Version {
		inst.addFinding(Finding{
			Severity: SeverityError,
			Code:     "version-mismatch",
			Message:  fmt.Sprintf("VERSION says %s but bin/go was built by %s", inst.Version, bv),
			Fix:      fmt.Sprintf("remove %s entirely and install one release into it fresh", inst.Root),
		})
	}
	var odd []string
	for _, t := range inst.Tools {
		if tv := goVersionField(t.Version); tv != "" && tv != inst.Version {
			odd = append(odd, t.Name+" ("+tv+")")
		}
	}
	if len(odd) > 0 {
		inst.addFinding(Finding{
			Severity: SeverityError,
			Code:     "tool-version-mismatch",
			Message:  fmt.Sprintf("VERSION says %s but pkg/tool holds tools built by other releases: %s", inst.Version, strings.Join(odd, ", ")),
			Fix:      fmt.Sprintf("remove %s entirely and install one release into it fresh", inst.Root),
		})
	}
}

// checkGOBIN reports GOBIN inside a Go tree: go install then writes into
// the toolchain, the next upgrade deletes those programs, and the tree no
// longer matches its release.
func (c *findingContext) checkGOBIN(inst *Install) {
	if c.gobin == "" || !within(c.gobin, inst.Root) {
		return
	}
	inst.addFinding(Finding{
		Severity: SeverityWarning,
		Code:     "gobin-in-goroot",
		Message:  fmt.Sprintf("GOBIN is %s, inside this Go tree: go install writes programs into the toolchain, and upgrading it deletes them", c.gobin),
		Fix:      "point GOBIN outside any Go tree (go env -w GOBIN=" + path.Join(c.d.env.gopath(c.d.home), "bin") + "), move the programs there, and put that directory on PATH",
	})
}

// within reports whether p is dir or inside it.
func within(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, strings.TrimSuffix(dir, "/")+"/")
}

// checkGoEnv reports a go.env that differs from what releases ship (see
// releaseGoEnv). go.env sets defaults for every user of the tree; edits
// there vanish on upgrade and make the tree fail verification, while the
// same settings made with go env -w persist in the user's go/env file.
func (c *findingContext) checkGoEnv(inst *Install) {
	if inst.Version == "" || !strings.HasPrefix(inst.Version, "go") || version.Compare(goVersionField(inst.Version), "go1.21") < 0 {
		return // go.env appeared in Go 1.21; source builds may lack VERSION
	}
	switch inst.Source {
	case SourceDebian, SourceFedora, SourceNix, SourceHomebrew:
		// Distributions build from source and may ship their own go.env
		// on purpose (Fedora points GOPROXY and GOSUMDB elsewhere).
		return
	}
	b, err := c.d.fsys.readSmall(path.Join(inst.Root, "go.env"))
	if err != nil {
		inst.addFinding(Finding{
			Severity: SeverityWarning,
			Code:     "missing-go-env",
			Message:  fmt.Sprintf("%s has no readable go.env (%v): the go command then runs without the release's GOPROXY, GOSUMDB and GOTOOLCHAIN defaults", inst.Root, err),
			Fix:      "restore go.env from the release archive of " + inst.Version,
		})
		return
	}
	edits := goEnvEdits(b)
	if len(edits) == 0 {
		return
	}
	inst.addFinding(Finding{
		Severity: SeverityWarning,
		Code:     "edited-go-env",
		Message:  "go.env differs from the release's: " + strings.Join(edits, "; "),
		Fix:      "restore go.env from the release archive of " + inst.Version + ", and make personal settings with go env -w, which writes the user's go/env file and survives upgrades",
	})
}

// unpackedOkay is golang.org/dl's sentinel, a zero-byte file written
// after a download was verified and unpacked; without it the goX.Y.Z
// wrapper refuses to run the tree.
const unpackedOkay = ".unpacked-success"

func (c *findingContext) checkDownload(inst *Install) {
	if inst.Source != SourceGolangDL || c.d.fsys.exists(path.Join(inst.Root, unpackedOkay)) {
		return
	}
	name := path.Base(inst.Root)
	inst.addFinding(Finding{
		Severity: SeverityWarning,
		Code:     "incomplete-download",
		Message:  fmt.Sprintf("%s has no %s marker: the download or unpacking did not finish, and the %s command refuses to run it", inst.Root, unpackedOkay, name),
		Fix:      fmt.Sprintf("remove %s and run %s download again", inst.Root, name),
	})
}

// checkToolchainSwitch reports, on the active install, a GOTOOLCHAIN
// that names a release: the go command then runs that release instead of
// itself (GOTOOLCHAIN=<name> always, <name>+auto and <name>+path as the
// minimum), from the module cache after downloading it on first use
// (cmd/go/internal/toolchain; go.dev/doc/toolchain). The setting comes
// from the environment, the user's go/env file, or the tree's go.env, in
// that order.
func (c *findingContext) checkToolchainSwitch(inst *Install) {
	if !inst.Active || inst.Version == "" {
		return
	}
	gt := c.d.env.get("GOTOOLCHAIN")
	from := "GOTOOLCHAIN"
	if gt == "" {
		if b, err := c.d.fsys.readSmall(path.Join(inst.Root, "go.env")); err == nil {
			gt, from = parseEnvFile(b)["GOTOOLCHAIN"], "GOTOOLCHAIN in go.env"
		}
	}
	name, _, _ := strings.Cut(gt, "+")
	if !strings.HasPrefix(name, "go1") || version.Compare(name, goVersionField(inst.Version)) == 0 || !version.IsValid(name) {
		return // local, auto, path, or this very release
	}
	if strings.Contains(gt, "+") && version.Compare(name, goVersionField(inst.Version)) < 0 {
		return // a minimum this release already meets
	}
	inst.addFinding(Finding{
		Severity: SeverityInfo,
		Code:     "gotoolchain-switch",
		Message:  fmt.Sprintf("%s=%s: this go hands every command over to %s, downloaded into the module cache on first use", from, gt, name),
		Fix:      "to use this install's own " + inst.Version + ", unset GOTOOLCHAIN (go env -u GOTOOLCHAIN, and remove it from the environment)",
	})
}
