package archcheck

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/nativego/nativego/internal/testenv"
)

// TestAssess judges real cross-compiled binaries for hosts given as plain
// structs, so every platform's verdict logic runs here on Linux.
func TestAssess(t *testing.T) {
	qemuLinux := &Host{OS: "linux", Arch: "amd64", HardwareArch: "amd64",
		Runners: []Runner{{Arch: "arm64", Name: "qemu-aarch64"}}}
	tests := []struct {
		name       string
		build      testenv.BuildSpec
		host       *Host
		want       Verdict
		wantReason string // a substring of one reason
	}{
		{name: "arm64 on Apple Silicon", build: testenv.BuildSpec{GOOS: "darwin", GOARCH: "arm64"},
			host: Target("darwin", "arm64"), want: Native, wantReason: "arm64 code is native to darwin/arm64"},
		{name: "amd64 on Apple Silicon", build: testenv.BuildSpec{GOOS: "darwin", GOARCH: "amd64"},
			host: Target("darwin", "arm64"), want: Translated, wantReason: "translated by Rosetta 2"},
		{name: "amd64 on Apple Silicon without Rosetta", build: testenv.BuildSpec{GOOS: "darwin", GOARCH: "amd64"},
			host: &Host{OS: "darwin", Arch: "arm64", HardwareArch: "arm64"}, want: Incompatible, wantReason: "Rosetta 2, which is not installed"},
		{name: "macOS too old", build: testenv.BuildSpec{GOOS: "darwin", GOARCH: "arm64"},
			host: &Host{OS: "darwin", Arch: "arm64", HardwareArch: "arm64", OSVersion: "10.15"}, want: Incompatible, wantReason: "host runs 10.15"},
		{name: "GOAMD64=v3 under Rosetta's v1 CPU", build: testenv.BuildSpec{GOOS: "darwin", GOARCH: "amd64", Env: []string{"GOAMD64=v3"}},
			host: &Host{OS: "darwin", Arch: "arm64", HardwareArch: "arm64", GOAMD64: "v1", Runners: Target("darwin", "arm64").Runners},
			want: Incompatible, wantReason: "built with GOAMD64=v3; Rosetta 2's x86-64 CPU supports v1"},
		{name: "GOAMD64=v3 on a v2 CPU", build: testenv.BuildSpec{GOOS: "linux", GOARCH: "amd64", Env: []string{"GOAMD64=v3"}},
			host: &Host{OS: "linux", Arch: "amd64", HardwareArch: "amd64", GOAMD64: "v2"}, want: Incompatible, wantReason: "this CPU supports v2"},
		{name: "GOAMD64=v3 on a v4 CPU", build: testenv.BuildSpec{GOOS: "linux", GOARCH: "amd64", Env: []string{"GOAMD64=v3"}},
			host: &Host{OS: "linux", Arch: "amd64", HardwareArch: "amd64", GOAMD64: "v4"}, want: Native},
		{name: "glibc too old", build: testenv.BuildSpec{GOOS: "linux", GOARCH: "amd64", CGO: true, Source: cgoProgram},
			host: &Host{OS: "linux", Arch: "amd64", HardwareArch: "amd64", Glibc: "2.0"}, want: Incompatible, wantReason: "host has 2.0"},
		{name: "4 KiB alignment on a 16 KiB-page kernel", build: testenv.BuildSpec{GOOS: "linux", GOARCH: "amd64"},
			host: &Host{OS: "linux", Arch: "amd64", HardwareArch: "amd64", PageSize: 16384}, want: Incompatible, wantReason: "this kernel's pages are 16384 bytes"},
		{name: "arm64 64 KiB alignment on a 16 KiB-page kernel", build: testenv.BuildSpec{GOOS: "linux", GOARCH: "arm64"},
			host: &Host{OS: "linux", Arch: "arm64", HardwareArch: "arm64", PageSize: 16384}, want: Native},
		{name: "arm64 under qemu-user", build: testenv.BuildSpec{GOOS: "linux", GOARCH: "arm64"},
			host: qemuLinux, want: Emulated, wantReason: "emulated by qemu-aarch64"},
		{name: "arm64 without an emulator", build: testenv.BuildSpec{GOOS: "linux", GOARCH: "arm64"},
			host: Target("linux", "amd64"), want: Incompatible, wantReason: "no translator or emulator"},
		{name: "arm64 with qemu-user installed but not registered", build: testenv.BuildSpec{GOOS: "linux", GOARCH: "arm64"},
			host: &Host{OS: "linux", Arch: "amd64", HardwareArch: "amd64",
				Unregistered: []Runner{{Arch: "arm64", Name: "qemu-aarch64", Path: "/usr/bin/qemu-aarch64"}}},
			want: Incompatible, wantReason: "qemu-aarch64 is installed (/usr/bin/qemu-aarch64) but not registered with binfmt_misc; run the program through it (qemu-aarch64 PROGRAM)"},
		{name: "386 on amd64", build: testenv.BuildSpec{GOOS: "linux", GOARCH: "386"},
			host: Target("linux", "amd64"), want: Native, wantReason: "32-bit compatibility mode"},
		{name: "Windows x64 on Windows on Arm", build: testenv.BuildSpec{GOOS: "windows", GOARCH: "amd64"},
			host: Target("windows", "arm64"), want: Emulated, wantReason: "Prism"},
		{name: "PE on Linux", build: testenv.BuildSpec{GOOS: "windows", GOARCH: "amd64"},
			host: Target("linux", "amd64"), want: Incompatible, wantReason: "linux does not load this format"},
		{name: "ELF on macOS", build: testenv.BuildSpec{GOOS: "linux", GOARCH: "arm64"},
			host: Target("darwin", "arm64"), want: Incompatible},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Open(testenv.Build(t, tt.build))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			a := Assess(f, tt.host)
			if a.Verdict != tt.want {
				t.Errorf("verdict %v, want %v; reasons %q", a.Verdict, tt.want, a.Reasons)
			}
			if tt.wantReason != "" && !strings.Contains(strings.Join(a.Reasons, "\n"), tt.wantReason) {
				t.Errorf("reasons %q lack %q", a.Reasons, tt.wantReason)
			}
		})
	}
}

// TestAssessUniversal checks the slice the loader would pick from a
// universal binary assembled from real thin ones.
func TestAssessUniversal(t *testing.T) {
	var thin []io.ReaderAt
	for _, goarch := range []string{"amd64", "arm64"} {
		b := testenv.BuildBytes(t, testenv.BuildSpec{GOOS: "darwin", GOARCH: goarch})
		thin = append(thin, bytes.NewReader(b))
	}
	var buf bytes.Buffer
	if err := WriteUniversal(&buf, thin, nil); err != nil {
		t.Fatal(err)
	}
	f, err := NewFile(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		host    *Host
		wantCPU string
	}{
		{Target("darwin", "arm64"), "arm64"},
		{Target("darwin", "amd64"), "x86_64"},
	} {
		a := Assess(f, tt.host)
		if a.Verdict != Native || f.Slices[a.Slice].CPU != tt.wantCPU {
			t.Errorf("on %s/%s: %v with slice %s, want native with %s; reasons %q",
				tt.host.OS, tt.host.HardwareArch, a.Verdict, f.Slices[a.Slice].CPU, tt.wantCPU, a.Reasons)
		}
	}
}

// TestAssessBuildInfoMismatch pins the consistency check between the
// header and the build information, on a real file whose header was
// rewritten: a darwin/amd64 binary relabelled as arm64.
func TestAssessBuildInfoMismatch(t *testing.T) {
	b := testenv.BuildBytes(t, testenv.BuildSpec{GOOS: "darwin", GOARCH: "amd64"})
	b = bytes.Clone(b)
	copy(b[4:8], []byte{0x0c, 0x00, 0x00, 0x01}) // cputype CPU_TYPE_ARM64, little-endian
	f, err := NewFile(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	a := Assess(f, Target("darwin", "arm64"))
	if !strings.Contains(strings.Join(a.Reasons, "\n"), "build info says GOARCH=amd64 but the header says arm64") {
		t.Errorf("reasons %q lack the build-info mismatch", a.Reasons)
	}
	if a.Verdict != Incompatible {
		t.Errorf("verdict %v, want incompatible (an arm64 header without a signature)", a.Verdict)
	}
}
