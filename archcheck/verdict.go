package archcheck

import (
	"fmt"
	"slices"
)

// A Verdict says how a file would run on a host.
type Verdict int

// Verdicts, from worst to best. A shared library or bundle gets the verdict
// of a process of the host's own architecture loading it.
const (
	NotExecutable Verdict = iota // nothing to run: an object file, core dump, dSYM, or not an executable format
	Incompatible                 // the host cannot run it at all
	Emulated                     // runs under an emulator such as qemu-user or Prism, typically several times slower
	Translated                   // runs translated by Rosetta 2
	Native                       // runs natively
)

var verdictNames = [...]string{
	NotExecutable: "not-executable",
	Incompatible:  "incompatible",
	Emulated:      "emulated",
	Translated:    "translated",
	Native:        "native",
}

// String returns the verdict's name as used in JSON, such as "native".
func (v Verdict) String() string {
	if v >= 0 && int(v) < len(verdictNames) {
		return verdictNames[v]
	}
	return fmt.Sprintf("Verdict(%d)", int(v))
}

// MarshalText implements encoding.TextMarshaler with String.
func (v Verdict) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// An Assessment is a verdict with the slice it is about and the reasons
// for it, in words a person can act on.
type Assessment struct {
	Verdict Verdict  `json:"verdict"`
	Slice   int      `json:"slice"` // index in File.Slices of the slice the loader would pick; -1 if none
	Reasons []string `json:"reasons"`
}

// Assess decides how f would run on h. For a universal file it first
// picks the slice the platform's loader would pick, then checks what that
// slice needs from the host. Facts h leaves unknown (zero) are not checked.
func Assess(f *File, h *Host) Assessment {
	if f == nil || len(f.Slices) == 0 {
		return Assessment{Verdict: NotExecutable, Slice: -1, Reasons: []string{"not an executable file"}}
	}
	i := pickSlice(f, h)
	s := f.Slices[i]
	a := Assessment{Slice: i}
	a.Verdict, a.Reasons = assessSlice(f.Format, s, h)
	if f.Format == FormatMachOFat {
		a.Reasons = append([]string{fmt.Sprintf("universal binary with %s; the loader picks %s", sliceList(f), s.CPU)}, a.Reasons...)
	}
	return a
}

// sliceList names a universal file's slices, as lipo -archs does.
func sliceList(f *File) string {
	names := make([]string, len(f.Slices))
	for i, s := range f.Slices {
		names[i] = s.CPU
	}
	return fmt.Sprint(names)
}

// pickSlice returns the index of the slice the host's loader would choose.
// Like xnu's grading of fat binaries, it ranks on CPU type alone; the
// chosen slice's other requirements are checked afterwards, and a failing
// check does not make the loader fall back to another slice.
func pickSlice(f *File, h *Host) int {
	best, bestRank := 0, -1
	for i, s := range f.Slices {
		if r := sliceRank(s, h); r > bestRank {
			best, bestRank = i, r
		}
	}
	return best
}

// sliceRank orders slices by the loader's preference on h: the hardware's
// own architecture first, then what it runs in a compatibility mode, then
// what a runner translates or emulates. Within an architecture:
//   - darwin/arm64 prefers a plain arm64 slice over arm64e: macOS runs
//     third-party arm64e code only with the arm64e preview ABI boot
//     argument, so a universal file's arm64 slice is the one that runs.
//   - darwin/amd64 prefers x86_64h on CPUs with Haswell's features
//     (GOAMD64=v3), x86_64 otherwise; Rosetta 2 runs x86_64.
func sliceRank(s *Slice, h *Host) int {
	var rank int
	switch {
	case s.Arch != "" && s.Arch == h.hardwareArch():
		rank = 300
	case compatMode(h.hardwareArch(), s.Arch) != "":
		rank = 200
	default:
		if _, ok := h.runnerFor(s.Arch); ok {
			rank = 100
		}
	}
	if rank == 0 {
		return 0
	}
	switch s.CPU {
	case "arm64", "arm64v8":
		rank += 2
	case "arm64e":
		rank++
	case "x86_64h":
		if h.GOAMD64 >= "v3" && h.hardwareArch() == "amd64" {
			rank += 2
		}
	case "x86_64":
		rank++
	}
	return rank
}

// hardwareArch is the CPU's own architecture, falling back to the process
// architecture when only that is known.
func (h *Host) hardwareArch() string {
	if h.HardwareArch != "" {
		return h.HardwareArch
	}
	return h.Arch
}

// compatMode names how hardware of architecture hw runs code of arch
// natively in a compatibility mode, or returns "" when it does not.
func compatMode(hw, arch string) string {
	if hw == "amd64" && arch == "386" {
		return "32-bit compatibility mode"
	}
	return ""
}

// formatOS is the operating systems whose loader reads each format.
var formatOS = map[Format][]string{
	FormatMachO:    {"darwin", "ios"},
	FormatMachOFat: {"darwin", "ios"},
	FormatPE:       {"windows"},
	FormatELF:      {"linux", "freebsd", "netbsd", "openbsd", "dragonfly", "solaris", "illumos", "android"},
}

// assessSlice checks what one slice needs from the host.
func assessSlice(format Format, s *Slice, h *Host) (Verdict, []string) {
	switch s.Type {
	case TypeObject, TypeCore, TypeDebugSymbols, TypeUnknown, TypeOther:
		return NotExecutable, []string{fmt.Sprintf("%s %s file: nothing the loader runs", s.CPU, s.Type)}
	}
	if !slices.Contains(formatOS[format], h.OS) {
		return Incompatible, []string{fmt.Sprintf("%s file: %s does not load this format", formatTitle(format), h.OS)}
	}
	v, reasons := archVerdict(s, h)
	if v != Incompatible {
		for _, r := range checkRequirements(format, s, h, v) {
			v = min(v, r.max)
			reasons = append(reasons, r.reason)
		}
	}
	if s.Type == TypeSharedLibrary || s.Type == TypeBundle {
		reasons = append(reasons, fmt.Sprintf("a %s: it runs inside a %s process that loads it", s.Type, s.Arch))
	}
	return v, reasons
}

// formatTitle names a format for a sentence.
func formatTitle(f Format) string {
	switch f {
	case FormatMachO:
		return "Mach-O"
	case FormatMachOFat:
		return "universal Mach-O"
	case FormatELF:
		return "ELF"
	case FormatPE:
		return "PE"
	}
	return f.String()
}

// archVerdict decides on architecture alone.
func archVerdict(s *Slice, h *Host) (Verdict, []string) {
	hw := h.hardwareArch()
	platform := h.OS + "/" + hw
	switch {
	case s.Arch == "":
		return Incompatible, []string{fmt.Sprintf("%s code: no Go port and no host runs it here", s.CPU)}
	case s.Arch == hw:
		return Native, []string{fmt.Sprintf("%s code is native to %s", s.CPU, platform)}
	case compatMode(hw, s.Arch) != "":
		return Native, []string{fmt.Sprintf("%s code is native to %s, in %s", s.CPU, platform, compatMode(hw, s.Arch))}
	}
	r, ok := h.runnerFor(s.Arch)
	switch {
	case !ok && h.OS == "darwin" && hw == "arm64" && s.Arch == "amd64":
		return Incompatible, []string{fmt.Sprintf("%s code needs Rosetta 2, which is not installed on this Mac (softwareupdate --install-rosetta)", s.CPU)}
	case h.OS == "darwin" && (s.Arch == "386" || s.Arch == "ppc"):
		return Incompatible, []string{fmt.Sprintf("%s code: macOS has run no 32-bit or PowerPC code since 10.15", s.CPU)}
	}
	if !ok {
		if u, ok := h.UnregisteredRunner(s.Arch); ok {
			return Incompatible, []string{fmt.Sprintf("%s code cannot run directly on %s: %s is installed (%s) but not registered with binfmt_misc; "+
				"run the program through it (%s PROGRAM), or register it (Debian: apt-get install qemu-user-binfmt)", s.CPU, platform, u.Name, u.Path, u.Name)}
		}
		return Incompatible, []string{fmt.Sprintf("%s code cannot run on %s: no translator or emulator for %s is available", s.CPU, platform, s.Arch)}
	}
	if r.Translate {
		return Translated, []string{fmt.Sprintf("%s code runs on %s translated by %s", s.CPU, platform, runnerTitle(r))}
	}
	return Emulated, []string{fmt.Sprintf("%s code runs on %s emulated by %s", s.CPU, platform, runnerTitle(r))}
}

// runnerTitle names a runner for a sentence.
func runnerTitle(r Runner) string {
	switch r.Name {
	case "rosetta":
		return "Rosetta 2"
	case "prism":
		return "Prism"
	}
	return r.Name
}
