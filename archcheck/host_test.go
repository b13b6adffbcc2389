package archcheck

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// readSysctlRecording loads a testdata/host recording as a sysctl lookup.
func readSysctlRecording(t *testing.T, name string) func(string) (string, bool) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "host", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	values := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		k, v, ok := strings.Cut(line, ": ")
		if !ok {
			t.Fatalf("%s: malformed line %q", name, line)
		}
		values[k] = v
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return func(name string) (string, bool) {
		v, ok := values[name]
		return v, ok
	}
}

func TestDarwinHost(t *testing.T) {
	tests := []struct {
		name      string
		recording string
		goarch    string
		pageSize  int
		rosetta   bool
		want      Host
	}{
		{
			name: "M1 Pro native", recording: "darwin-m1pro.txt", goarch: "arm64", pageSize: 16384, rosetta: true,
			want: Host{OS: "darwin", Arch: "arm64", HardwareArch: "arm64", PageSize: 16384, CPU: "Apple M1 Pro",
				PerformanceCores: 8, EfficiencyCores: 2, GOARM64: "v8.1",
				Runners: []Runner{{Arch: "amd64", Name: "rosetta", Translate: true, Path: rosettaRuntimePath}}},
		},
		{
			name: "M4 without Rosetta installed", recording: "darwin-m4.txt", goarch: "arm64", pageSize: 16384,
			want: Host{OS: "darwin", Arch: "arm64", HardwareArch: "arm64", PageSize: 16384,
				PerformanceCores: 8, EfficiencyCores: 4, GOARM64: "v8.1"},
		},
		{
			name: "M1 Pro, translated process", recording: "darwin-m1pro-rosetta.txt", goarch: "amd64", pageSize: 4096, rosetta: true,
			want: Host{OS: "darwin", Arch: "amd64", HardwareArch: "arm64", Translated: true, Emulator: "rosetta",
				PageSize: 4096, CPU: "Apple M1 Pro", GOAMD64: "v1", GOARM64: "v8.0",
				Runners: []Runner{{Arch: "amd64", Name: "rosetta", Translate: true, Path: rosettaRuntimePath}}},
		},
		{
			name: "Intel Broadwell", recording: "darwin-intel-broadwell.txt", goarch: "amd64", pageSize: 4096,
			want: Host{OS: "darwin", Arch: "amd64", HardwareArch: "amd64", PageSize: 4096,
				CPU: "Intel(R) Core(TM) i5-5257U CPU @ 2.70GHz", GOAMD64: "v3"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := darwinHost(darwinProbe{
				sysctl: readSysctlRecording(t, tt.recording), goarch: tt.goarch,
				pageSize: tt.pageSize, rosettaRuntime: tt.rosetta,
			})
			if diff := cmp.Diff(&tt.want, got, cmpopts.IgnoreFields(Host{}, "Evidence")); diff != "" {
				t.Errorf("darwinHost mismatch (-want +got):\n%s", diff)
			}
			for _, e := range got.Evidence {
				if e.Source == "" {
					t.Errorf("evidence for %s has no source", e.Fact)
				}
			}
		})
	}
}

// TestDarwinHostRosettaLevel pins a consequence worth a test of its own:
// Rosetta 2's virtual CPU in the recording has SSE4.2 but neither POPCNT
// in machdep.cpu.features nor LAHF in extfeatures, so amd64 code built with
// GOAMD64=v2 or higher is not known to run translated there.
func TestDarwinHostRosettaLevel(t *testing.T) {
	h := darwinHost(darwinProbe{sysctl: readSysctlRecording(t, "darwin-m1pro-rosetta.txt"), goarch: "amd64"})
	if h.GOAMD64 != "v1" {
		t.Errorf("GOAMD64 under the recorded Rosetta CPU = %q, want v1", h.GOAMD64)
	}
}

// TestLinuxHostHere checks DetectHost on this machine against the system's
// own tools.
func TestLinuxHostHere(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("Linux host probe")
	}
	h, err := DetectHost(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if h.Arch != runtime.GOARCH {
		t.Errorf("Arch = %q, want runtime.GOARCH %q", h.Arch, runtime.GOARCH)
	}
	if h.PageSize != os.Getpagesize() {
		t.Errorf("PageSize = %d, want %d", h.PageSize, os.Getpagesize())
	}
	if out, err := exec.Command("getconf", "_NPROCESSORS_CONF").Output(); err == nil {
		n, _ := strconv.Atoi(strings.TrimSpace(string(out)))
		if got := h.PerformanceCores + h.EfficiencyCores; got != n {
			t.Errorf("cores = %d+%d, getconf _NPROCESSORS_CONF says %d", h.PerformanceCores, h.EfficiencyCores, n)
		}
	}
	if out, err := exec.Command("uname", "-r").Output(); err == nil && !h.Emulated {
		if want := strings.TrimSpace(string(out)); h.OSVersion != want {
			t.Errorf("OSVersion = %q, uname -r says %q", h.OSVersion, want)
		}
	}
	// ldd --version's first line ends with the glibc version.
	if out, err := exec.Command("ldd", "--version").Output(); err == nil && strings.Contains(string(out), "GLIBC") {
		fields := strings.Fields(firstLine(string(out)))
		if want := fields[len(fields)-1]; h.Glibc != want {
			t.Errorf("Glibc = %q, ldd --version says %q", h.Glibc, want)
		}
	}
	for _, e := range h.Evidence {
		if e.Source == "" {
			t.Errorf("evidence for %s has no source", e.Fact)
		}
	}
}

// TestLinuxHostEmulated runs the Linux probe on this machine's real /proc
// and /sys as an arm64 process would see them under qemu-user: the CPU is
// the host's, so the probe must conclude emulation and name the emulator
// from /proc/self/status.
func TestLinuxHostEmulated(t *testing.T) {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("needs an amd64 Linux machine's /proc")
	}
	cpuinfo, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		t.Skip(err)
	}
	fsys := fstest.MapFS{
		"proc/cpuinfo":     {Data: cpuinfo},
		"proc/self/status": {Data: []byte("Name:\tqemu-aarch64\nUmask:\t0022\nState:\tR (running)\n")},
	}
	h := linuxHost(linuxProbe{fsys: fsys, goarch: "arm64"})
	if !h.Emulated || h.Emulator != "qemu-aarch64" || h.HardwareArch != "amd64" || h.Arch != "arm64" {
		t.Errorf("got Emulated=%v Emulator=%q HardwareArch=%q Arch=%q; want true, qemu-aarch64, amd64, arm64",
			h.Emulated, h.Emulator, h.HardwareArch, h.Arch)
	}
}

// TestBinfmtRunners reads a binfmt_misc entry in the kernel's format
// (Documentation/admin-guide/binfmt-misc.rst) carrying the magic that
// Debian's qemu-user-binfmt registers for aarch64
// (/usr/share/binfmts/qemu-aarch64).
func TestBinfmtRunners(t *testing.T) {
	entry := "enabled\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\nflags: PF\noffset 0\n" +
		"magic 7f454c460201010000000000000000000200b700\nmask ffffffffffffff00fffffffffffffffffeffffff\n"
	fsys := fstest.MapFS{
		"proc/sys/fs/binfmt_misc/qemu-aarch64": {Data: []byte(entry)},
		"proc/sys/fs/binfmt_misc/qemu-arm":     {Data: []byte("disabled\n")},
		"proc/sys/fs/binfmt_misc/status":       {Data: []byte("enabled\n")},
		"proc/sys/fs/binfmt_misc/register":     {},
	}
	h := &Host{HardwareArch: "amd64"}
	got := binfmtRunners(h, fsys)
	want := []Runner{{Arch: "arm64", Name: "qemu-aarch64", Path: "/usr/libexec/qemu-binfmt/aarch64-binfmt-P"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("binfmtRunners mismatch (-want +got):\n%s", diff)
	}
}

// TestUnregisteredQEMU finds qemu-user emulators on PATH that no
// binfmt_misc handler covers: the state of a Debian machine with
// qemu-user but without qemu-user-binfmt.
func TestUnregisteredQEMU(t *testing.T) {
	exe := &fstest.MapFile{Mode: 0o755}
	fsys := fstest.MapFS{
		"usr/local/bin/qemu-aarch64-static": exe, // first on PATH: wins over /usr/bin's
		"usr/bin/qemu-aarch64":              exe,
		"usr/bin/qemu-x86_64":               exe, // the hardware's own architecture
		"usr/bin/qemu-i386":                 exe, // the hardware runs it in compatibility mode
		"usr/bin/qemu-riscv64":              exe, // covered by a binfmt_misc handler
		"usr/bin/qemu-s390x":                {Mode: 0o644},
		"usr/bin/qemu-img":                  exe, // not a qemu-user target
		"usr/bin/qemu-ppc64le":              exe,
	}
	h := &Host{HardwareArch: "amd64", Runners: []Runner{{Arch: "riscv64", Name: "qemu-riscv64"}}}
	got := unregisteredQEMU(h, fsys, []string{"relative/bin", "/usr/local/bin", "/nonexistent", "/usr/bin"})
	want := []Runner{
		{Arch: "arm64", Name: "qemu-aarch64-static", Path: "/usr/local/bin/qemu-aarch64-static"},
		{Arch: "ppc64le", Name: "qemu-ppc64le", Path: "/usr/bin/qemu-ppc64le"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("unregisteredQEMU mismatch (-want +got):\n%s", diff)
	}
}

// TestDetectHostUnregisteredQEMU checks the live host: with qemu-aarch64
// on PATH and no binfmt_misc handler for arm64, DetectHost must name it as
// installed but unregistered, never as absent.
func TestDetectHostUnregisteredQEMU(t *testing.T) {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("needs a linux/amd64 host")
	}
	qemu, err := exec.LookPath("qemu-aarch64")
	if err != nil {
		t.Skip("qemu-aarch64 not on PATH")
	}
	h, err := DetectHost(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := h.runnerFor("arm64"); ok {
		if _, ok := h.UnregisteredRunner("arm64"); ok {
			t.Errorf("arm64 both registered and unregistered: %+v %+v", h.Runners, h.Unregistered)
		}
		t.Skip("a binfmt_misc handler runs arm64 here")
	}
	r, ok := h.UnregisteredRunner("arm64")
	if !ok {
		t.Fatalf("qemu-aarch64 at %s not reported; Unregistered = %+v", qemu, h.Unregistered)
	}
	if r.Path != qemu {
		t.Errorf("Unregistered arm64 path = %q, want %q (first on PATH)", r.Path, qemu)
	}
}
