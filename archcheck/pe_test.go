package archcheck

import (
	"bufio"
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nativego/nativego/internal/testenv"
)

// peFacts is the part of a PE slice that llvm-readobj can vouch for.
type peFacts struct {
	Type             FileType
	Subsystem        string
	Imports          []string
	MinOS            string
	SubsystemVersion string
	EntryOffset      int64
	DynamicBase      bool
	NXCompat         bool
	HighEntropyVA    bool
}

func peFactsOf(s *Slice) peFacts {
	p := s.PE
	return peFacts{
		Type: s.Type, Subsystem: p.Subsystem, Imports: p.Imports, MinOS: p.MinOS,
		SubsystemVersion: p.SubsystemVersion, EntryOffset: p.EntryOffset,
		DynamicBase: p.DynamicBase, NXCompat: p.NXCompat, HighEntropyVA: p.HighEntropyVA,
	}
}

// llvmReadobj finds llvm-readobj on PATH or in Debian's versioned LLVM
// directories. binutils' objdump is no oracle here: Debian builds it
// without the arm64 PE target.
var llvmReadobj = sync.OnceValues(func() (string, error) {
	if p, err := exec.LookPath("llvm-readobj"); err == nil {
		return p, nil
	}
	m, _ := filepath.Glob("/usr/lib/llvm-*/bin/llvm-readobj")
	if len(m) > 0 {
		return m[len(m)-1], nil
	}
	return "", fmt.Errorf("llvm-readobj not on PATH nor in /usr/lib/llvm-*/bin")
})

func mustHaveReadobj(t *testing.T) string {
	t.Helper()
	p, err := llvmReadobj()
	if err != nil {
		if testenv.InCI() {
			t.Fatalf("CI=true but %v", err)
		}
		t.Skipf("%v (Debian package llvm)", err)
	}
	return p
}

// readobjSubsystems maps llvm-readobj's subsystem names
// (llvm/BinaryFormat/COFF.h) to PEInfo.Subsystem for those the tests meet.
var readobjSubsystems = map[string]string{
	"IMAGE_SUBSYSTEM_WINDOWS_CUI":     "console",
	"IMAGE_SUBSYSTEM_WINDOWS_GUI":     "windows-gui",
	"IMAGE_SUBSYSTEM_EFI_APPLICATION": "efi-application",
	"IMAGE_SUBSYSTEM_NATIVE":          "native",
}

var reReadobjField = regexp.MustCompile(`^\s*(\w+): (.*)$`)

// readobjFacts runs `llvm-readobj --file-headers --sections
// --coff-imports` on path and derives the facts from its output alone.
func readobjFacts(t *testing.T, path string) peFacts {
	t.Helper()
	out := testenv.Run(t, exec.CommandContext(t.Context(), mustHaveReadobj(t),
		"--file-headers", "--sections", "--coff-imports", path))
	f := peFacts{EntryOffset: -1}
	num := func(s string) uint64 {
		s, _, _ = strings.Cut(s, " ")
		v, err := strconv.ParseUint(s, 0, 64)
		if err != nil {
			t.Fatalf("llvm-readobj %s: bad number %q", path, s)
		}
		return v
	}
	var (
		block                          string // innermost "X {" block
		fileChars                      bool   // inside ImageFileHeader's Characteristics list
		ver                            = map[string]uint64{}
		entry                          uint64
		sections                       [][4]uint64 // VirtualSize, VirtualAddress, RawDataSize, PointerToRawData
		cur                            [4]uint64
		haveEntry, haveSubsys, haveSec bool
	)
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasSuffix(line, " {"):
			block = strings.TrimSuffix(line, " {")
			continue
		case line == "}":
			if block == "Section" {
				sections = append(sections, cur)
				cur = [4]uint64{}
			}
			block = ""
			continue
		case strings.HasPrefix(line, "Characteristics ["):
			fileChars = block == "ImageFileHeader"
			continue
		case line == "]":
			fileChars = false
			continue
		case strings.HasPrefix(line, "IMAGE_FILE_DLL "):
			if fileChars {
				f.Type = TypeSharedLibrary
			}
		case strings.HasPrefix(line, "IMAGE_DLL_CHARACTERISTICS_DYNAMIC_BASE "):
			f.DynamicBase = true
		case strings.HasPrefix(line, "IMAGE_DLL_CHARACTERISTICS_NX_COMPAT "):
			f.NXCompat = true
		case strings.HasPrefix(line, "IMAGE_DLL_CHARACTERISTICS_HIGH_ENTROPY_VA "):
			f.HighEntropyVA = true
		}
		m := reReadobjField.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		k, v := m[1], m[2]
		switch block {
		case "ImageOptionalHeader":
			switch k {
			case "Subsystem":
				name, _, _ := strings.Cut(v, " ")
				s, ok := readobjSubsystems[name]
				if !ok {
					t.Fatalf("llvm-readobj %s: subsystem %q not in the test's table", path, v)
				}
				f.Subsystem, haveSubsys = s, true
			case "AddressOfEntryPoint":
				entry, haveEntry = num(v), true
			case "MajorOperatingSystemVersion", "MinorOperatingSystemVersion",
				"MajorSubsystemVersion", "MinorSubsystemVersion":
				ver[k] = num(v)
			}
		case "Section":
			haveSec = true
			switch k {
			case "VirtualSize":
				cur[0] = num(v)
			case "VirtualAddress":
				cur[1] = num(v)
			case "RawDataSize":
				cur[2] = num(v)
			case "PointerToRawData":
				cur[3] = num(v)
			}
		case "Import":
			if k == "Name" {
				f.Imports = append(f.Imports, v)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if !haveEntry || !haveSubsys || !haveSec {
		t.Fatalf("llvm-readobj %s: no entry point, subsystem or section in its output; has its format changed?\n%s", path, out)
	}
	if f.Type == TypeUnknown {
		f.Type = TypeExecutable
	}
	f.MinOS = fmt.Sprintf("%d.%d", ver["MajorOperatingSystemVersion"], ver["MinorOperatingSystemVersion"])
	f.SubsystemVersion = fmt.Sprintf("%d.%d", ver["MajorSubsystemVersion"], ver["MinorSubsystemVersion"])
	if entry != 0 {
		for _, s := range sections {
			vsize := s[0]
			if vsize == 0 {
				vsize = s[2]
			}
			if entry >= s[1] && entry-s[1] < vsize && entry-s[1] < s[2] {
				f.EntryOffset = int64(s[3] + entry - s[1])
				break
			}
		}
	}
	return f
}

type peCase struct {
	name string
	path func(t *testing.T) string
}

// distlibLaunchers finds the Windows launcher executables that pip
// vendors (pip/_vendor/distlib/*.exe): real MSVC-built images for i386,
// x86_64 and arm64, console and GUI. Debian's own python3-pip drops them;
// pip installed any other way ships them.
var distlibLaunchers = sync.OnceValue(func() []string {
	py, err := exec.LookPath("python3")
	if err != nil {
		return nil
	}
	out, err := exec.Command(py, "-c", "import os, pip._vendor.distlib as d; print(os.path.dirname(d.__file__))").Output()
	if err != nil {
		return nil
	}
	m, _ := filepath.Glob(filepath.Join(strings.TrimSpace(string(out)), "*.exe"))
	return m
})

func peCases(short bool) []peCase {
	var cases []peCase
	for _, p := range testenv.Matrix {
		if p.GOOS != "windows" || (short && p.GOARCH != "amd64") {
			continue
		}
		plat := p.GOOS + "/" + p.GOARCH
		for _, v := range []struct {
			name  string
			flags []string
		}{
			{"", nil},
			{"/stripped", []string{"-ldflags=-s -w"}},
			{"/gui", []string{"-ldflags=-H=windowsgui"}},
			{"/exe", []string{"-buildmode=exe"}}, // not PIE: no ASLR relocations
		} {
			spec := testenv.BuildSpec{GOOS: p.GOOS, GOARCH: p.GOARCH, Flags: v.flags}
			cases = append(cases, peCase{plat + v.name, func(t *testing.T) string { return testenv.Build(t, spec) }})
		}
	}
	return cases
}

func TestReadPE(t *testing.T) {
	mustHaveReadobj(t)
	cases := peCases(testing.Short())
	for _, p := range distlibLaunchers() {
		cases = append(cases, peCase{"distlib/" + filepath.Base(p), func(*testing.T) string { return p }})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.path(t)
			s := firstSlice(t, path)
			if s.Err != nil {
				t.Fatalf("slice error: %v", s.Err)
			}
			if s.PE == nil || s.ELF != nil {
				t.Fatalf("PE = %v, ELF = %v; want PE details only", s.PE, s.ELF)
			}
			want := readobjFacts(t, path)
			if diff := cmp.Diff(want, peFactsOf(s)); diff != "" {
				t.Errorf("facts mismatch with llvm-readobj (-want +got):\n%s", diff)
			}
		})
	}
}

// TestReadPEGoBuilds pins what the Go builds are for, beyond agreeing
// with llvm-readobj: every Go program imports kernel32.dll, -H=windowsgui
// selects the GUI subsystem, and the default build mode on Windows is
// PIE (Go 1.15 and later) with ASLR and DEP. Go's linker leaves out base
// relocations, and so ASLR, only for non-PIE x86 builds
// (cmd/link/internal/ld/pe.go needPEBaseReloc); arm64 images always have
// them.
func TestReadPEGoBuilds(t *testing.T) {
	for _, tc := range peCases(testing.Short()) {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Open(tc.path(t))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			p := f.Slices[0].PE
			if p == nil {
				t.Fatalf("no PE details: %v", f.Slices[0].Err)
			}
			wantSub := "console"
			if strings.HasSuffix(tc.name, "/gui") {
				wantSub = "windows-gui"
			}
			if p.Subsystem != wantSub {
				t.Errorf("Subsystem = %q, want %q", p.Subsystem, wantSub)
			}
			if !containsFold(p.Imports, "kernel32.dll") {
				t.Errorf("Imports = %q, want kernel32.dll among them", p.Imports)
			}
			if p.EntryOffset <= 0 {
				t.Errorf("EntryOffset = %d, want a file offset", p.EntryOffset)
			}
			wantASLR := !strings.HasSuffix(tc.name, "/exe") || strings.HasPrefix(tc.name, "windows/arm64/")
			if p.DynamicBase != wantASLR || !p.NXCompat {
				t.Errorf("DynamicBase, NXCompat = %v, %v; want %v, true", p.DynamicBase, p.NXCompat, wantASLR)
			}
		})
	}
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
