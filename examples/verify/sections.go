package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/nativego/nativego/archcheck"
	"github.com/nativego/nativego/benchkit"
	"github.com/nativego/nativego/toolchain"
	"github.com/nativego/nativego/toolchain/goenv"
)

// A verifier runs the sections in order; later ones use what earlier
// ones found.
type verifier struct {
	opts     options
	progress func(string)

	host     *archcheck.Host
	injected bool // host came from NATIVEGO_HOST_FACTS

	active *toolchain.Install // the go a shell runs; nil when none
	env    *goenv.Env

	tmp      string // the build section's directory, removed by cleanup
	native   string // the program built for the host
	foreign  string // the same program cross-built for the other architecture
	crossErr error  // why foreign is empty
}

func (v *verifier) section(name string, f func(context.Context, *section)) *section {
	v.progress(name)
	s := &section{Name: name}
	start := time.Now()
	f(context.Background(), s)
	s.finish(start)
	return s
}

func (v *verifier) cleanup() {
	if v.tmp != "" {
		os.RemoveAll(v.tmp)
	}
}

type hostDetails struct {
	Host    *archcheck.Host        `json:"host"`
	Machine *benchkit.MachineState `json:"machine"`
}

func (v *verifier) checkHost(ctx context.Context, s *section) {
	if v.host == nil {
		h, err := archcheck.DetectHost(ctx)
		if err != nil {
			s.fail("detect", err.Error(), "")
			v.host = archcheck.Target(runtime.GOOS, runtime.GOARCH)
			return
		}
		v.host = h
	}
	h := v.host
	d := &hostDetails{Host: h}
	s.Details = d
	hw := cmp.Or(h.HardwareArch, h.Arch)
	desc := fmt.Sprintf("%s/%s", h.OS, hw)
	if h.OSVersion != "" {
		desc += " " + h.OSVersion
	}
	if h.CPU != "" {
		desc += ", " + h.CPU
	}
	switch {
	case h.EfficiencyCores > 0:
		desc += fmt.Sprintf(", %d performance + %d efficiency cores", h.PerformanceCores, h.EfficiencyCores)
	case h.PerformanceCores > 0:
		desc += fmt.Sprintf(", %d cores", h.PerformanceCores)
	}
	if h.PageSize > 0 {
		desc += fmt.Sprintf(", %d KiB pages", h.PageSize/1024)
	}
	s.ok("hardware", desc)

	switch {
	case h.Translated:
		s.fail("process", fmt.Sprintf("this process runs as %s translated by %s on %s hardware: the shell or terminal runs under Rosetta 2, and every go it starts builds %s programs", h.Arch, cmp.Or(h.Emulator, "Rosetta 2"), hw, h.Arch),
			"open the terminal natively (Finder > Get Info > untick \"Open using Rosetta\"), or start a native shell with arch -arm64 /bin/zsh")
	case h.Emulated:
		s.fail("process", fmt.Sprintf("this process runs as %s emulated by %s on %s hardware", h.Arch, cmp.Or(h.Emulator, "an emulator"), hw),
			fmt.Sprintf("run verify with a %s/%s go", h.OS, hw))
	default:
		s.ok("process", fmt.Sprintf("this process runs natively as %s/%s", h.OS, h.Arch))
	}

	var runners []string
	for _, r := range h.Runners {
		runners = append(runners, fmt.Sprintf("%s for %s", r.Name, r.Arch))
	}
	if len(runners) > 0 {
		s.ok("runners", "foreign code runs through "+strings.Join(runners, ", "))
	}
	// The emulator for the other common architecture matters to Go
	// developers (cross-built tests, the performance section); the rest
	// of Debian's qemu-user family is listed in one line.
	var others []string
	for _, r := range h.Unregistered {
		if r.Arch != otherArch(h) {
			others = append(others, r.Name)
			continue
		}
		s.warn("runner-"+r.Arch,
			fmt.Sprintf("%s is installed (%s) but not registered with binfmt_misc: %s programs fail with \"exec format error\" unless started as %s ./prog", r.Name, r.Path, r.Arch, r.Name),
			fmt.Sprintf("run them through %s, or install qemu-user-binfmt (Debian, Ubuntu) so the kernel starts it by itself", r.Name))
	}
	if len(others) > 0 {
		s.ok("runners-unregistered", "also installed but not registered with binfmt_misc: "+strings.Join(others, ", "))
	}
	if len(h.Runners) == 0 && len(h.Unregistered) == 0 {
		s.ok("runners", "nothing here runs code for another architecture")
	}

	if v.injected {
		s.skip("machine-state", "host facts injected: the state of this machine says nothing about that one")
		return
	}
	ms, err := benchkit.ReadMachineState(ctx)
	if err != nil {
		s.warn("machine-state", err.Error(), "")
		return
	}
	d.Machine = ms
	if len(ms.Warnings) == 0 {
		s.ok("machine-state", fmt.Sprintf("quiet enough for benchmarks: load %.2f on %d CPUs", ms.LoadAvg[0], ms.NumCPU))
		return
	}
	s.warn("machine-state", "benchmarks will be noisy: "+strings.Join(ms.Warnings, "; "),
		"close what keeps the machine busy, plug in the power, and measure again")
}

type toolchainDetails struct {
	Installs []toolchain.Install `json:"installs"`
	Active   *toolchain.Install  `json:"active"`
}

func (v *verifier) checkToolchains(ctx context.Context, s *section) {
	installs, err := toolchain.Discover(ctx, toolchain.DiscoverOptions{Host: v.host})
	if installs == nil {
		installs = []toolchain.Install{}
	}
	d := &toolchainDetails{Installs: installs}
	s.Details = d
	if err != nil {
		s.fail("discover", err.Error(), "")
		return
	}
	for i := range installs {
		if installs[i].Active {
			v.active = &installs[i]
		}
	}
	d.Active = v.active
	if v.active == nil {
		s.fail("active", fmt.Sprintf("no Go installation is first on PATH (%d found)", len(installs)),
			"install Go from the official archive and put its bin directory first on PATH")
	} else {
		a := v.active
		s.ok("active", fmt.Sprintf("%s %s/%s at %s (%s), %d installation(s) found", a.Version, a.GOOS, a.GOARCH, a.Root, a.Source, len(installs)))
		hw := cmp.Or(v.host.HardwareArch, v.host.Arch)
		if a.GOOS == v.host.OS && strings.Contains("+"+a.GOARCH+"+", "+"+hw+"+") {
			s.ok("native", fmt.Sprintf("the active go is built for this %s/%s machine", v.host.OS, hw))
		} else {
			s.fail("native", fmt.Sprintf("the active go is built for %s/%s, not for this %s/%s machine", a.GOOS, a.GOARCH, v.host.OS, hw),
				fmt.Sprintf("install the %s-%s build of %s and put it first on PATH", v.host.OS, hw, cmp.Or(a.Version, "Go")))
		}
	}
	for _, inst := range installs {
		for _, f := range inst.Findings {
			name := f.Code
			msg := fmt.Sprintf("%s (%s): %s", inst.Root, cmp.Or(inst.Version, "unknown version"), f.Message)
			switch f.Severity {
			case toolchain.SeverityError:
				s.fail(name, msg, f.Fix)
			case toolchain.SeverityWarning:
				s.warn(name, msg, f.Fix)
			default:
				s.add(check{Name: name, Verdict: verdictOK, Message: msg, Fix: f.Fix})
			}
		}
	}
}

func (v *verifier) checkIntegrity(ctx context.Context, s *section) {
	switch {
	case v.opts.offline:
		s.skip("checksum-database", "-offline: the active toolchain was not checked against the Go checksum database")
		return
	case v.active == nil:
		s.skip("checksum-database", "no active toolchain to verify")
		return
	case v.injected:
		s.skip("checksum-database", "host facts injected: verify the toolchain on the machine itself")
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	res, err := toolchain.Verify(ctx, v.active.Root, toolchain.VerifyOptions{Source: v.active.Source})
	s.Details = res
	root := v.active.Root
	switch {
	case res == nil:
		s.skip("checksum-database", fmt.Sprintf("could not check %s: %v", root, err))
	case res.Status == toolchain.StatusOK:
		s.ok("checksum-database", fmt.Sprintf("%s is exactly %s (%s)", root, res.Module, res.Expected))
	case res.Status == toolchain.StatusMismatch:
		var files []string
		onlyGoEnv := len(res.Files) > 0
		for _, f := range res.Files {
			files = append(files, f.Change+" "+f.Name)
			onlyGoEnv = onlyGoEnv && f.Name == "go.env"
		}
		msg := fmt.Sprintf("%s differs from %s: got %s, the checksum database says %s", root, res.Module, res.Got, res.Expected)
		if len(files) > 0 {
			msg += " (" + strings.Join(files, ", ") + ")"
		}
		fix := "reinstall " + res.Module[strings.LastIndex(res.Module, "-go")+1:] + " from the official archive"
		if onlyGoEnv {
			// The programs are the release's; only the settings file
			// was edited, which the toolchains section explains.
			s.warn("checksum-database", msg+": every program is intact, only the settings in go.env were edited", "restore go.env from the release archive and make settings with go env -w")
			return
		}
		s.fail("checksum-database", msg, fix)
	case res.Status == toolchain.StatusNotVerifiable:
		s.skip("checksum-database", fmt.Sprintf("%s cannot be verified: %s", root, strings.Join(res.Notes, "; ")))
	case errors.Is(err, toolchain.ErrSecurity):
		s.fail("checksum-database", err.Error(), "check GOPROXY and GOSUMDB; a checksum database that misbehaves is a security problem")
	default:
		s.skip("checksum-database", fmt.Sprintf("checksum database unreachable, %s not verified: %v", root, cmp.Or[error](err, errors.New(res.Err))))
	}
}

type envDetails struct {
	Settings []goenv.Var     `json:"settings"`
	Findings []goenv.Finding `json:"findings"`
}

// keySettings are the variables shown even when they are defaults.
var keySettings = []string{"GOVERSION", "GOROOT", "GOPATH", "GOOS", "GOARCH", "GOAMD64", "GOARM64", "CGO_ENABLED", "CC", "GOPROXY", "GOSUMDB", "GOTOOLCHAIN", "GOFLAGS"}

func (v *verifier) checkEnvironment(ctx context.Context, s *section) {
	env, err := goenv.Resolve(nil)
	if err != nil {
		s.fail("resolve", err.Error(), "")
		return
	}
	v.env = env
	d := &envDetails{Settings: []goenv.Var{}, Findings: []goenv.Finding{}}
	s.Details = d
	var changed []string
	for _, x := range env.Vars {
		if x.Changed || slices.Contains(keySettings, x.Name) {
			d.Settings = append(d.Settings, x)
		}
		if x.Changed {
			changed = append(changed, fmt.Sprintf("%s=%s (%s)", x.Name, goenv.RedactVar(x.Name, x.Value), x.Origin))
		}
	}
	if len(changed) == 0 {
		s.ok("settings", fmt.Sprintf("%d settings, all defaults", len(env.Vars)))
	} else {
		s.ok("settings", fmt.Sprintf("%d settings, changed: %s", len(env.Vars), strings.Join(changed, ", ")))
	}
	findings := goenv.Lint(env)
	arch, err := goenv.AuditArch(ctx, env, &goenv.ArchOptions{Host: v.host, NoRunCC: v.injected})
	if err != nil {
		s.fail("arch-audit", err.Error(), "")
	}
	findings = append(findings, arch...)
	d.Findings = append(d.Findings, findings...)
	if len(findings) == 0 {
		s.ok("lint", "no findings in the settings or against this machine")
	}
	for _, f := range findings {
		msg := f.Message
		if f.Var != "" {
			msg = fmt.Sprintf("%s (%s): %s", f.Var, f.Origin, f.Message)
		}
		switch f.Severity {
		case goenv.Error:
			s.fail(f.ID, msg, f.Fix)
		case goenv.Warning:
			s.warn(f.ID, msg, f.Fix)
		default:
			s.add(check{Name: f.ID, Verdict: verdictOK, Message: msg, Fix: f.Fix})
		}
	}
}

// otherArch is the architecture verify cross-builds for: arm64 on amd64
// hardware and amd64 on everything else.
func otherArch(h *archcheck.Host) string {
	if cmp.Or(h.HardwareArch, h.Arch) == "amd64" {
		return "arm64"
	}
	return "amd64"
}
