package archcheck

import (
	"fmt"
	"strings"
)

// A Host describes the machine a verdict is about: the platform a binary
// would be run on. DetectHost fills one in for the running machine, with
// the evidence behind each conclusion; Target makes one for a typical
// machine of a platform, for questions such as "will this run on an Apple
// Silicon Mac?" asked on a Linux CI runner.
//
// Zero values mean unknown, and the checks that need an unknown fact are
// skipped rather than guessed.
type Host struct {
	OS string `json:"os"` // GOOS, such as "darwin"

	// Arch is the architecture this process runs as (runtime.GOARCH for a
	// detected host). HardwareArch is the CPU's own architecture. They
	// differ in a process translated by Rosetta 2 or emulated by qemu-user.
	Arch         string `json:"arch"`
	HardwareArch string `json:"hardware_arch"`

	Translated bool   `json:"translated"`         // this process runs under Rosetta 2
	Emulated   bool   `json:"emulated"`           // this process runs under an emulator such as qemu-user
	Emulator   string `json:"emulator,omitempty"` // which one, when Translated or Emulated

	OSVersion string `json:"os_version,omitempty"` // such as "14.5" (macOS) or a kernel release (Linux)
	Glibc     string `json:"glibc,omitempty"`      // the C library's version, such as "2.36"; empty for none or unknown
	PageSize  int    `json:"page_size,omitempty"`  // the kernel's page size in bytes

	CPU              string `json:"cpu,omitempty"` // the CPU's brand name
	PerformanceCores int    `json:"performance_cores,omitempty"`
	EfficiencyCores  int    `json:"efficiency_cores,omitempty"`

	// GOAMD64 and GOARM64 are the highest microarchitecture levels the
	// hardware supports, such as "v3" or "v8.0"; empty when unknown or
	// not applicable.
	GOAMD64 string `json:"goamd64,omitempty"`
	GOARM64 string `json:"goarm64,omitempty"`

	// Runners are the ways this host runs code for other architectures:
	// Rosetta 2 on Apple Silicon, binfmt_misc handlers such as qemu-user
	// on Linux, Prism on Windows on Arm.
	Runners []Runner `json:"runners,omitempty"`

	// Unregistered are emulators installed on this host that the kernel
	// does not start by itself: a qemu-user binary on PATH with no
	// binfmt_misc handler for its architecture. Code for such an
	// architecture runs only when the emulator is named on the command
	// line (qemu-aarch64 ./prog); executed directly it fails with ENOEXEC.
	// Path is the emulator's path.
	Unregistered []Runner `json:"unregistered_runners,omitempty"`

	// Evidence lists what each conclusion above rests on.
	Evidence []Evidence `json:"evidence,omitempty"`
}

// A Runner runs code for a foreign architecture on a Host.
type Runner struct {
	Arch      string `json:"arch"`           // the GOARCH it runs
	Name      string `json:"name"`           // such as "rosetta", "qemu-aarch64", "prism"
	Translate bool   `json:"translate"`      // ahead-of-time translation (Rosetta 2) rather than emulation
	Path      string `json:"path,omitempty"` // the interpreter's path, when known
}

// Evidence is one observation behind a Host conclusion.
type Evidence struct {
	Fact   string `json:"fact"`   // which field it supports, such as "hardware_arch"
	Value  string `json:"value"`  // what was observed
	Source string `json:"source"` // where, such as "sysctl hw.optional.arm64"
}

// Target returns a Host for a typical machine of the platform goos/goarch,
// with the foreign-architecture runners that platform ships: Rosetta 2 for
// amd64 code on darwin/arm64, and Prism emulation for amd64 and 386 code
// on windows/arm64. Facts that vary between machines (OS version, C
// library, page size) are left unknown.
func Target(goos, goarch string) *Host {
	h := &Host{OS: goos, Arch: goarch, HardwareArch: goarch}
	switch goos + "/" + goarch {
	case "darwin/arm64":
		h.Runners = []Runner{{Arch: "amd64", Name: "rosetta", Translate: true}}
	case "windows/arm64":
		h.Runners = []Runner{{Arch: "amd64", Name: "prism"}, {Arch: "386", Name: "prism"}}
	}
	return h
}

// ParseTarget parses a "goos/goarch" platform name, as given to the
// -target flags of the example commands, and returns Target for it.
func ParseTarget(s string) (*Host, error) {
	goos, goarch, ok := strings.Cut(s, "/")
	if !ok || goos == "" || goarch == "" || strings.Contains(goarch, "/") {
		return nil, fmt.Errorf("archcheck: target %q is not of the form goos/goarch", s)
	}
	return Target(goos, goarch), nil
}

// UnregisteredRunner returns an emulator for goarch that is installed but
// must be named on the command line, as Unregistered describes.
func (h *Host) UnregisteredRunner(goarch string) (Runner, bool) {
	for _, r := range h.Unregistered {
		if r.Arch == goarch {
			return r, true
		}
	}
	return Runner{}, false
}

// runnerFor returns the host's runner for goarch, if any.
func (h *Host) runnerFor(goarch string) (Runner, bool) {
	for _, r := range h.Runners {
		if r.Arch == goarch {
			return r, true
		}
	}
	return Runner{}, false
}
