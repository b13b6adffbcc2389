package archcheck

import (
	"strconv"
	"strings"
)

// This file derives a macOS Host from sysctl values. It takes them through
// a lookup function so that its logic runs in tests against values
// recorded on real Apple Silicon and Intel Macs (testdata/host/darwin-*).

// darwinProbe is what darwinHost needs.
type darwinProbe struct {
	// sysctl returns a sysctl's value as the sysctl command prints it, and
	// false when the name does not exist on this machine.
	sysctl   func(name string) (string, bool)
	goarch   string // runtime.GOARCH of this process
	pageSize int    // os.Getpagesize()
	// rosettaRuntime reports whether Rosetta 2's runtime is installed.
	rosettaRuntime bool
}

// rosettaRuntimePath is the file the Rosetta 2 package installs; its
// presence is the usual test for "is Rosetta installed" (softwareupdate
// --install-rosetta puts it there).
const rosettaRuntimePath = "/Library/Apple/usr/libexec/oah/libRosettaRuntime"

// darwinHost derives a Host from p.
func darwinHost(p darwinProbe) *Host {
	h := &Host{OS: "darwin", Arch: p.goarch}
	h.addEvidence("arch", p.goarch, "runtime.GOARCH")
	get := func(name string) string {
		v, _ := p.sysctl(name)
		return strings.TrimSpace(v)
	}
	if v := get("kern.osproductversion"); v != "" {
		h.OSVersion = v
		h.addEvidence("os_version", v, "sysctl kern.osproductversion")
	}

	// hw.optional.arm64 is 1 on Apple Silicon even inside a translated
	// process, where uname -m and hw.machine say x86_64; it does not exist
	// on Intel Macs.
	switch get("hw.optional.arm64") {
	case "1":
		h.HardwareArch = "arm64"
		h.addEvidence("hardware_arch", "arm64", "sysctl hw.optional.arm64 = 1")
	default:
		if p.goarch == "arm64" {
			h.HardwareArch = "arm64"
			h.addEvidence("hardware_arch", "arm64", "this process runs as arm64, which only Apple Silicon does")
		} else {
			h.HardwareArch = "amd64"
			h.addEvidence("hardware_arch", "amd64", "sysctl hw.optional.arm64 absent or 0: an Intel Mac")
		}
	}
	// sysctl.proc_translated is 1 in a process Rosetta 2 translates, 0 in a
	// native one, and absent on Intel Macs (Apple, "About the Rosetta
	// translation environment").
	if get("sysctl.proc_translated") == "1" {
		h.Translated = true
		h.Emulator = "rosetta"
		h.addEvidence("translated", "true", "sysctl sysctl.proc_translated = 1")
	}
	if h.HardwareArch == "arm64" {
		if p.rosettaRuntime {
			h.Runners = []Runner{{Arch: "amd64", Name: "rosetta", Translate: true, Path: rosettaRuntimePath}}
			h.addEvidence("runners", "amd64 via rosetta", rosettaRuntimePath+" exists")
		} else {
			h.addEvidence("runners", "none", rosettaRuntimePath+" absent: Rosetta 2 is not installed")
		}
	}

	h.PageSize = p.pageSize
	if v, err := strconv.Atoi(get("hw.pagesize")); err == nil && v > 0 {
		h.PageSize = v
		h.addEvidence("page_size", strconv.Itoa(v), "sysctl hw.pagesize (a translated process sees 4 KiB pages, a native arm64 one 16 KiB)")
	} else if p.pageSize > 0 {
		h.addEvidence("page_size", strconv.Itoa(p.pageSize), "getpagesize(3)")
	}

	if v := get("machdep.cpu.brand_string"); v != "" {
		h.CPU = v
		h.addEvidence("cpu", v, "sysctl machdep.cpu.brand_string")
	}
	darwinCores(h, get)

	// machdep.cpu.features describes the x86 CPU this process sees: the
	// hardware's on an Intel Mac, Rosetta 2's virtual CPU in a translated
	// process. Either way it is what amd64 code here may use.
	if f := get("machdep.cpu.features"); f != "" {
		words := f + " " + get("machdep.cpu.leaf7_features") + " " + get("machdep.cpu.extfeatures")
		h.GOAMD64 = amd64Level(featureSet(words, darwinX86Features))
		src := "sysctl machdep.cpu.features, leaf7_features, extfeatures"
		if h.Translated {
			src += " (Rosetta 2's virtual CPU)"
		}
		h.addEvidence("goamd64", h.GOAMD64, src)
	}
	if h.HardwareArch == "arm64" {
		lse := get("hw.optional.arm.FEAT_LSE") == "1" || get("hw.optional.armv8_1_atomics") == "1"
		h.GOARM64 = arm64Level(lse)
		h.addEvidence("goarm64", h.GOARM64, "sysctl hw.optional.arm.FEAT_LSE / hw.optional.armv8_1_atomics")
	}
	return h
}

// darwinCores reads the core kinds. Apple Silicon describes each kind as
// a performance level, level 0 being the fastest (hw.nperflevels,
// hw.perflevelN.physicalcpu); Intel Macs have no levels and alike cores.
func darwinCores(h *Host, get func(string) string) {
	p, perr := strconv.Atoi(get("hw.perflevel0.physicalcpu"))
	if perr != nil {
		if n, err := strconv.Atoi(get("hw.physicalcpu")); err == nil {
			h.PerformanceCores = n
			h.addEvidence("performance_cores", strconv.Itoa(n), "sysctl hw.physicalcpu; no hw.perflevel0: all cores alike")
		}
		return
	}
	h.PerformanceCores = p
	h.addEvidence("performance_cores", strconv.Itoa(p), "sysctl hw.perflevel0.physicalcpu")
	if e, err := strconv.Atoi(get("hw.perflevel1.physicalcpu")); err == nil {
		h.EfficiencyCores = e
		h.addEvidence("efficiency_cores", strconv.Itoa(e), "sysctl hw.perflevel1.physicalcpu")
	}
}
