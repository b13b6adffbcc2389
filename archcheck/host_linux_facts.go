package archcheck

import (
	"bufio"
	"bytes"
	"debug/elf"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// This file derives a Linux Host from the files the kernel and the C
// library expose. It takes an fs.FS rooted at "/" so that its logic runs
// in tests against recorded /proc and /sys trees from other machines.

// linuxProbe is what linuxHost needs beyond the file system.
type linuxProbe struct {
	fsys     fs.FS  // the machine's root
	goarch   string // runtime.GOARCH of this process
	pageSize int    // os.Getpagesize()
	// x86 is the process's own view of the CPU features (golang.org/x/sys/cpu),
	// used when the process runs natively on x86-64; nil otherwise.
	x86 map[string]bool
	// path is the PATH list of directories, where installed emulators
	// that the kernel does not know about are looked for.
	path []string
}

// linuxHost derives a Host from p.
func linuxHost(p linuxProbe) *Host {
	h := &Host{OS: "linux", Arch: p.goarch, PageSize: p.pageSize}
	h.addEvidence("arch", p.goarch, "runtime.GOARCH")
	if p.pageSize > 0 {
		h.addEvidence("page_size", strconv.Itoa(p.pageSize), "getpagesize(2)")
	}
	if b, err := fs.ReadFile(p.fsys, "proc/sys/kernel/osrelease"); err == nil {
		h.OSVersion = firstLine(string(b))
		h.addEvidence("os_version", h.OSVersion, "/proc/sys/kernel/osrelease")
	}

	info := parseCPUInfo(p.fsys)
	h.HardwareArch = info.arch
	if h.HardwareArch != "" {
		h.addEvidence("hardware_arch", h.HardwareArch, "/proc/cpuinfo: "+info.archClue)
	} else {
		h.HardwareArch = p.goarch
		h.addEvidence("hardware_arch", p.goarch, "assumed equal to runtime.GOARCH: /proc/cpuinfo unreadable or unrecognised")
	}
	h.CPU = info.brand
	if h.CPU != "" {
		h.addEvidence("cpu", h.CPU, "/proc/cpuinfo: "+info.brandClue)
	}

	// qemu-user passes the host's /proc/cpuinfo through, so a CPU of another
	// architecture than this process means it is emulated. The kernel's
	// view of the process name, unlike /proc/self/exe (which qemu rewrites),
	// names the emulator.
	if h.HardwareArch != p.goarch && compatMode(h.HardwareArch, p.goarch) == "" {
		h.Emulated = true
		h.Emulator = "unknown"
		if b, err := fs.ReadFile(p.fsys, "proc/self/status"); err == nil {
			if name := statusField(b, "Name"); name != "" {
				h.Emulator = name
			}
		}
		h.addEvidence("emulated", "true", fmt.Sprintf("process runs as %s on %s hardware; /proc/self/status names %s", p.goarch, h.HardwareArch, h.Emulator))
	}

	switch h.HardwareArch {
	case "amd64":
		features, source := info.x86, "/proc/cpuinfo flags"
		if p.x86 != nil && !h.Emulated {
			features, source = p.x86, "CPUID via golang.org/x/sys/cpu"
		}
		if features != nil {
			h.GOAMD64 = amd64Level(features)
			h.addEvidence("goamd64", h.GOAMD64, source)
		}
	case "arm64":
		if info.arm64Features != nil {
			h.GOARM64 = arm64Level(info.arm64Features["atomics"])
			h.addEvidence("goarm64", h.GOARM64, `/proc/cpuinfo Features ("atomics" is FEAT_LSE)`)
		}
	}

	linuxCores(h, p.fsys)
	h.Runners = binfmtRunners(h, p.fsys)
	h.Unregistered = unregisteredQEMU(h, p.fsys, p.path)
	linuxLibc(h, p.fsys)
	return h
}

// statusField returns a "Key:\tvalue" field of /proc/<pid>/status.
func statusField(b []byte, key string) string {
	for line := range strings.Lines(string(b)) {
		k, v, ok := strings.Cut(line, ":")
		if ok && k == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// cpuInfo is what /proc/cpuinfo says about the hardware.
type cpuInfo struct {
	arch, archClue   string
	brand, brandClue string
	x86              map[string]bool // flags of the first x86 CPU
	arm64Features    map[string]bool // Features of the first arm64 CPU
}

// maxCPUInfo bounds how much of /proc/cpuinfo is read: the first CPU's
// block is all that is used, and a 512-CPU machine's file is under 1 MiB.
const maxCPUInfo = 1 << 20

// parseCPUInfo reads the first processor block of /proc/cpuinfo. Each
// architecture's kernel writes its own keys (arch/*/kernel/cpuinfo.c or
// setup.c), which is how the hardware is recognised.
func parseCPUInfo(fsys fs.FS) cpuInfo {
	var ci cpuInfo
	f, err := fsys.Open("proc/cpuinfo")
	if err != nil {
		return ci
	}
	defer f.Close()
	kv := map[string]string{}
	sc := bufio.NewScanner(io.LimitReader(f, maxCPUInfo))
	sc.Buffer(make([]byte, 0, 64<<10), 64<<10)
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" && len(kv) > 0 {
			break
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		k = strings.TrimSpace(k)
		if _, dup := kv[k]; !dup {
			kv[k] = strings.TrimSpace(v)
		}
	}
	switch {
	case kv["flags"] != "" && (kv["vendor_id"] != "" || kv["model name"] != ""):
		ci.x86 = featureSet(kv["flags"], linuxX86Flags)
		ci.arch, ci.archClue = "386", "x86 flags without lm (long mode)"
		if ci.x86["lm"] {
			ci.arch, ci.archClue = "amd64", "x86 flags include lm (long mode)"
		}
		ci.brand, ci.brandClue = kv["model name"], "model name"
	case kv["CPU implementer"] != "":
		ci.archClue = "CPU implementer " + kv["CPU implementer"] + ", CPU architecture " + kv["CPU architecture"]
		ci.arch = "arm"
		if kv["CPU architecture"] == "8" && (strings.Contains(kv["Features"], "asimd") || kv["Features"] == "") {
			ci.arch = "arm64"
		}
		ci.arm64Features = featureSet(kv["Features"], nil)
		ci.brand, ci.brandClue = armCPUName(kv["CPU implementer"], kv["CPU part"]), "CPU implementer and CPU part"
	case strings.HasPrefix(kv["isa"], "rv64"):
		ci.arch, ci.archClue = "riscv64", "isa "+kv["isa"]
		ci.brand, ci.brandClue = kv["uarch"], "uarch"
	case strings.HasPrefix(kv["cpu"], "POWER"):
		ci.arch, ci.archClue = "ppc64le", "cpu "+kv["cpu"]+" (byte order not in cpuinfo; little-endian assumed, as every current distribution)"
		ci.brand, ci.brandClue = kv["cpu"], "cpu"
	case kv["vendor_id"] == "IBM/S390":
		ci.arch, ci.archClue = "s390x", "vendor_id IBM/S390"
	}
	return ci
}

// armCPUName names a few common Arm server and SBC cores by MIDR fields,
// from Linux's arch/arm64/include/asm/cputype.h; others are shown as
// their raw implementer and part numbers.
func armCPUName(implementer, part string) string {
	known := map[string]string{
		"0x41/0xd03": "Arm Cortex-A53", "0x41/0xd08": "Arm Cortex-A72", "0x41/0xd0b": "Arm Cortex-A76",
		"0x41/0xd0c": "Arm Neoverse N1", "0x41/0xd40": "Arm Neoverse V1", "0x41/0xd49": "Arm Neoverse N2",
		"0x41/0xd4f": "Arm Neoverse V2", "0x41/0xd84": "Arm Neoverse V3",
		"0xc0/0xac3": "Ampere AmpereOne", "0x48/0xd01": "HiSilicon Kunpeng 920",
		"0x61/0x022": "Apple M1 Icestorm", "0x61/0x023": "Apple M1 Firestorm",
	}
	if n, ok := known[implementer+"/"+part]; ok {
		return n
	}
	if implementer == "" {
		return ""
	}
	return "implementer " + implementer + " part " + part
}

// linuxCores counts performance and efficiency cores from the scheduler's
// CPU capacities (/sys/devices/system/cpu/cpuN/cpu_capacity, present on
// heterogeneous Arm systems): the cores of the highest capacity are
// performance cores, the rest efficiency cores. Without capacities every
// online CPU is counted as a performance core.
func linuxCores(h *Host, fsys fs.FS) {
	const dir = "sys/devices/system/cpu"
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return
	}
	var caps []int
	cpus := 0
	for _, e := range entries {
		n := e.Name()
		if !strings.HasPrefix(n, "cpu") || strings.TrimLeft(n[3:], "0123456789") != "" || len(n) == 3 {
			continue
		}
		cpus++
		if b, err := fs.ReadFile(fsys, path.Join(dir, n, "cpu_capacity")); err == nil {
			if c, err := strconv.Atoi(firstLine(string(b))); err == nil {
				caps = append(caps, c)
			}
		}
	}
	if cpus == 0 {
		return
	}
	if len(caps) != cpus {
		h.PerformanceCores = cpus
		h.addEvidence("performance_cores", strconv.Itoa(cpus), "/sys/devices/system/cpu: no cpu_capacity, all cores alike")
		return
	}
	top := slices.Max(caps)
	for _, c := range caps {
		if c == top {
			h.PerformanceCores++
		} else {
			h.EfficiencyCores++
		}
	}
	h.addEvidence("performance_cores", strconv.Itoa(h.PerformanceCores), fmt.Sprintf("cpu_capacity %d (the highest)", top))
	h.addEvidence("efficiency_cores", strconv.Itoa(h.EfficiencyCores), "cpu_capacity below the highest")
}

// binfmtRunners lists the enabled binfmt_misc handlers that run ELF code
// of another architecture: qemu-user, FEX, box64, or Rosetta inside a
// Linux VM on Apple Silicon. The architecture is read from the handler's
// magic, an ELF header prefix whose e_machine (bytes 18 and 19) names it.
func binfmtRunners(h *Host, fsys fs.FS) []Runner {
	const dir = "proc/sys/fs/binfmt_misc"
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil
	}
	var runners []Runner
	for _, e := range entries {
		name := e.Name()
		if name == "register" || name == "status" {
			continue
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil || !bytes.HasPrefix(b, []byte("enabled")) {
			continue
		}
		var interp, magic string
		for line := range strings.Lines(string(b)) {
			k, v, _ := strings.Cut(strings.TrimSpace(line), " ")
			switch k {
			case "interpreter":
				interp = v
			case "magic":
				magic = v
			}
		}
		arch := binfmtArch(magic)
		if arch == "" || arch == h.HardwareArch {
			continue
		}
		r := Runner{Arch: arch, Name: name, Path: interp, Translate: strings.Contains(strings.ToLower(name), "rosetta")}
		runners = append(runners, r)
		h.addEvidence("runners", arch+" via "+name, "/proc/sys/fs/binfmt_misc/"+name+" (interpreter "+interp+")")
	}
	return runners
}

// qemuArch maps qemu-user's target names (the suffix of qemu-NAME, as in
// qemu's configs/targets/NAME-linux-user.mak) to GOARCH, for the targets
// that have a Go port.
var qemuArch = map[string]string{
	"aarch64": "arm64", "arm": "arm", "i386": "386", "x86_64": "amd64",
	"loongarch64": "loong64", "mips": "mips", "mipsel": "mipsle",
	"mips64": "mips64", "mips64el": "mips64le", "ppc64": "ppc64",
	"ppc64le": "ppc64le", "riscv64": "riscv64", "s390x": "s390x",
}

// unregisteredQEMU finds qemu-user emulators in the PATH directories dirs
// (Debian's qemu-user installs qemu-aarch64, qemu-user-static installs
// qemu-aarch64-static) for architectures that no binfmt_misc handler of
// h covers: programs for those run only when started through the
// emulator. The first of each architecture on PATH is reported, as the
// shell would pick it.
func unregisteredQEMU(h *Host, fsys fs.FS, dirs []string) []Runner {
	var found []Runner
	have := func(arch string) bool {
		if arch == h.HardwareArch || compatMode(h.HardwareArch, arch) != "" {
			return true // the hardware runs it, as 386 code on amd64
		}
		for _, r := range slices.Concat(h.Runners, found) {
			if r.Arch == arch {
				return true
			}
		}
		return false
	}
	for _, dir := range dirs {
		if !path.IsAbs(dir) {
			continue // the shell would look relative to its directory; so would nothing else here
		}
		rel := strings.TrimPrefix(path.Clean(dir), "/")
		if rel == "" {
			rel = "."
		}
		entries, err := fs.ReadDir(fsys, rel)
		if err != nil {
			continue
		}
		for _, e := range entries {
			target, ok := strings.CutPrefix(e.Name(), "qemu-")
			if !ok {
				continue
			}
			arch := qemuArch[strings.TrimSuffix(target, "-static")]
			if arch == "" || have(arch) {
				continue
			}
			fi, err := fs.Stat(fsys, path.Join(rel, e.Name())) // follows a symlink, as exec does
			if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
				continue
			}
			p := path.Join(dir, e.Name())
			found = append(found, Runner{Arch: arch, Name: e.Name(), Path: p})
			h.addEvidence("unregistered_runners", arch+" via "+e.Name(),
				p+" is on PATH, but no binfmt_misc handler runs "+arch+" programs")
		}
	}
	return found
}

// binfmtArch decodes the architecture an ELF binfmt_misc magic matches.
func binfmtArch(magic string) string {
	b, err := hex.DecodeString(magic)
	if err != nil || len(b) < 20 || string(b[:4]) != elfMagic {
		return ""
	}
	class, data := elf.Class(b[elf.EI_CLASS]), elf.Data(b[elf.EI_DATA])
	var machine uint16
	switch data {
	case elf.ELFDATA2LSB:
		machine = binary.LittleEndian.Uint16(b[18:])
	case elf.ELFDATA2MSB:
		machine = binary.BigEndian.Uint16(b[18:])
	default:
		return ""
	}
	goarch, _ := elfArch(elf.Machine(machine), class, data)
	return goarch
}

// linuxLibc finds the C library's version. glibc's libc.so.6 carries its
// release banner ("... release version 2.36."), which is what it prints
// when run; reading it needs no execution and works for any glibc.
func linuxLibc(h *Host, fsys fs.FS) {
	for _, p := range libcCandidates(h.HardwareArch) {
		f, err := fsys.Open(p)
		if err != nil {
			continue
		}
		v, err := glibcBanner(f)
		f.Close()
		if err == nil && v != "" {
			h.Glibc = v
			h.addEvidence("glibc", v, "/"+p+": release banner")
			return
		}
	}
	if m, _ := fs.Glob(fsys, "lib/ld-musl-*.so.1"); len(m) > 0 {
		h.addEvidence("glibc", "", "/"+m[0]+": musl libc, not glibc")
	}
}

// libcCandidates lists where distributions install glibc, for hardware
// arch: Debian's multiarch directories first, then the lib64 layout of
// Fedora, SUSE and Arch.
func libcCandidates(arch string) []string {
	triplet := map[string]string{
		"amd64": "x86_64-linux-gnu", "arm64": "aarch64-linux-gnu", "386": "i386-linux-gnu",
		"arm": "arm-linux-gnueabihf", "ppc64le": "powerpc64le-linux-gnu", "s390x": "s390x-linux-gnu",
		"riscv64": "riscv64-linux-gnu",
	}[arch]
	var c []string
	if triplet != "" {
		c = append(c, "lib/"+triplet+"/libc.so.6", "usr/lib/"+triplet+"/libc.so.6")
	}
	return append(c, "lib64/libc.so.6", "usr/lib64/libc.so.6", "lib/libc.so.6", "usr/lib/libc.so.6")
}

// maxLibcScan bounds the banner search; glibc's libc.so.6 is about 2 MiB.
const maxLibcScan = 16 << 20

// glibcBanner scans r for glibc's release banner and returns its
// version, or "" when r has none.
func glibcBanner(r io.Reader) (string, error) {
	const marker = "release version "
	lr := io.LimitReader(r, maxLibcScan)
	buf := make([]byte, 64<<10)
	var carry []byte
	for {
		n, err := io.ReadFull(lr, buf)
		data := append(carry, buf[:n]...)
		if i := bytes.Index(data, []byte(marker)); i >= 0 {
			v := data[i+len(marker):]
			end := bytes.IndexFunc(v, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
			if end > 0 {
				return strings.TrimSuffix(string(v[:end]), "."), nil
			}
			if end < 0 && n == len(buf) && len(v) < 64 {
				carry = append([]byte(nil), data[i:]...) // the version runs past this chunk
				continue
			}
		}
		if n < len(buf) || (err != nil && err != io.ErrUnexpectedEOF) {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				err = nil
			}
			return "", err
		}
		carry = append(carry[:0], data[len(data)-len(marker):]...)
	}
}
