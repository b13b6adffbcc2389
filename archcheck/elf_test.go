package archcheck

import (
	"bufio"
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nativego/nativego/internal/testenv"
)

// elfFacts is the part of a slice that readelf can vouch for.
type elfFacts struct {
	Type         FileType
	OSABI        string
	Interpreter  string
	Soname       string
	Needed       []string
	RunPath      []string
	RPath        []string
	Static       bool
	PIE          bool
	Glibc        string
	VersionNeeds []string
	MaxLoadAlign uint64
	EntryOffset  int64
	GNUStack     string
}

func factsOf(s *Slice) elfFacts {
	e := s.ELF
	return elfFacts{
		Type: s.Type, OSABI: e.OSABI, Interpreter: e.Interpreter, Soname: e.Soname,
		Needed: e.Needed, RunPath: e.RunPath, RPath: e.RPath, Static: e.Static, PIE: e.PIE,
		Glibc: e.Glibc, VersionNeeds: e.VersionNeeds, MaxLoadAlign: e.MaxLoadAlign,
		EntryOffset: e.EntryOffset, GNUStack: e.GNUStack,
	}
}

var readelfPath = sync.OnceValues(func() (string, error) { return exec.LookPath("readelf") })

func mustHaveReadelf(t *testing.T) string {
	t.Helper()
	p, err := readelfPath()
	if err != nil {
		if testenv.InCI() {
			t.Fatalf("CI=true but readelf (binutils) is missing: %v", err)
		}
		t.Skipf("readelf (Debian package binutils) not installed: %v", err)
	}
	return p
}

// readelfOSABI maps readelf's OS/ABI wording (binutils readelf.c
// get_osabi_name) to ELFInfo.OSABI for the systems the tests meet.
var readelfOSABI = map[string]string{
	"UNIX - System V": "none",
	"UNIX - GNU":      "linux",
	"UNIX - FreeBSD":  "freebsd",
	"UNIX - OpenBSD":  "openbsd",
}

var (
	reDynString = regexp.MustCompile(`\((NEEDED|SONAME|RUNPATH|RPATH)\)\s+.*?\[(.*)\]$`)
	reFlags1    = regexp.MustCompile(`\(FLAGS_1\)\s+Flags:(.*)$`)
	reInterp    = regexp.MustCompile(`\[Requesting program interpreter: (.*)\]$`)
	reNeedFile  = regexp.MustCompile(`Version: \d+\s+File: (\S+)`)
	reNeedName  = regexp.MustCompile(`^\s+0x[0-9a-f]+:\s+Name: (\S+)`)
)

// readelfFacts runs `readelf -hlWd --version-info` on path and derives
// the facts from its output alone.
func readelfFacts(t *testing.T, path string) elfFacts {
	t.Helper()
	out := testenv.Run(t, exec.CommandContext(t.Context(), mustHaveReadelf(t), "-hlWd", "--version-info", path))
	var (
		f       = elfFacts{EntryOffset: -1}
		entry   uint64
		loads   [][3]uint64 // offset, vaddr, filesz
		inProgs bool
		inNeeds bool
		lib     string
		pieFlag bool
		typ     string
	)
	hex := func(s string) uint64 {
		v, err := strconv.ParseUint(strings.TrimPrefix(s, "0x"), 16, 64)
		if err != nil {
			t.Fatalf("readelf %s: bad number %q in output", path, s)
		}
		return v
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if k, v, ok := strings.Cut(line, ":"); ok && strings.HasPrefix(k, "  ") && !inProgs && !inNeeds {
			v = strings.TrimSpace(v)
			switch strings.TrimSpace(k) {
			case "OS/ABI":
				name, ok := readelfOSABI[v]
				if !ok {
					t.Fatalf("readelf %s: OS/ABI %q not in the test's table", path, v)
				}
				f.OSABI = name
			case "Type":
				typ = v
			case "Entry point address":
				entry = hex(v)
			}
		}
		switch {
		case strings.HasPrefix(line, "Program Headers:"):
			inProgs = true
			continue
		case strings.HasPrefix(line, "Version needs section"):
			inNeeds = true
			continue
		case line == "" || !strings.HasPrefix(line, " "):
			inProgs, inNeeds = false, false
		}
		if m := reInterp.FindStringSubmatch(line); m != nil {
			f.Interpreter = m[1]
			continue
		}
		if inProgs {
			fields := strings.Fields(line)
			if len(fields) < 8 || fields[0] == "Type" {
				continue
			}
			align := hex(fields[len(fields)-1])
			switch fields[0] {
			case "LOAD":
				f.MaxLoadAlign = max(f.MaxLoadAlign, align)
				loads = append(loads, [3]uint64{hex(fields[1]), hex(fields[2]), hex(fields[4])})
			case "GNU_STACK":
				f.GNUStack = strings.Join(fields[6:len(fields)-1], "")
			}
			continue
		}
		if inNeeds {
			if m := reNeedFile.FindStringSubmatch(line); m != nil {
				lib = m[1]
			} else if m := reNeedName.FindStringSubmatch(line); m != nil {
				f.VersionNeeds = append(f.VersionNeeds, lib+": "+m[1])
			}
			continue
		}
		if m := reDynString.FindStringSubmatch(line); m != nil {
			switch m[1] {
			case "NEEDED":
				f.Needed = append(f.Needed, m[2])
			case "SONAME":
				f.Soname = m[2]
			case "RUNPATH":
				f.RunPath = append(f.RunPath, strings.Split(m[2], ":")...)
			case "RPATH":
				f.RPath = append(f.RPath, strings.Split(m[2], ":")...)
			}
		}
		if m := reFlags1.FindStringSubmatch(line); m != nil {
			pieFlag = slices.Contains(strings.Fields(m[1]), "PIE")
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(loads) == 0 || typ == "" {
		t.Fatalf("readelf %s: found no file type or no PT_LOAD in its output; has its format changed?\n%s", path, out)
	}
	// e_entry zero means no entry point (System V ABI, "ELF Header").
	if entry != 0 {
		for _, l := range loads {
			if entry >= l[1] && entry-l[1] < l[2] {
				f.EntryOffset = int64(l[0] + entry - l[1])
				break
			}
		}
	}
	switch {
	case strings.HasPrefix(typ, "EXEC"), strings.Contains(typ, "Position-Independent Executable"):
		f.Type = TypeExecutable
	case strings.HasPrefix(typ, "DYN"):
		f.Type = TypeSharedLibrary
	default:
		t.Fatalf("readelf %s: file type %q not in the test's table", path, typ)
	}
	// readelf calls an ET_DYN a Position-Independent Executable for
	// DF_1_PIE alone. ELFInfo.PIE also counts an ET_DYN with an
	// interpreter and no DT_SONAME, for linkers before binutils 2.26,
	// which did not set DF_1_PIE; runnable ET_DYN files without it are
	// still made (Debian 12's pam_cap.so is one). Derive that from
	// readelf's own PT_INTERP and SONAME lines.
	f.PIE = strings.HasPrefix(typ, "DYN") && (pieFlag || f.Type == TypeExecutable || (f.Interpreter != "" && f.Soname == ""))
	if f.PIE {
		f.Type = TypeExecutable
	}
	f.Static = f.Interpreter == "" && len(f.Needed) == 0
	slices.Sort(f.VersionNeeds)
	f.VersionNeeds = slices.Compact(f.VersionNeeds)
	var best []int
	for _, n := range f.VersionNeeds {
		_, dep, _ := strings.Cut(n, ": ")
		v, ok := parseDottedVersion(strings.TrimPrefix(dep, "GLIBC_"))
		if strings.HasPrefix(dep, "GLIBC_") && ok && (best == nil || compareDotted(v, best) > 0) {
			best, f.Glibc = v, strings.TrimPrefix(dep, "GLIBC_")
		}
	}
	return f
}

// parseDottedVersion parses "2.3.4" into its parts; "PRIVATE" fails.
func parseDottedVersion(s string) ([]int, bool) {
	var v []int
	for p := range strings.SplitSeq(s, ".") {
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil, false
		}
		v = append(v, n)
	}
	return v, len(v) >= 2
}

func compareDotted(a, b []int) int {
	for i := range max(len(a), len(b)) {
		var x, y int
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			return x - y
		}
	}
	return 0
}

// pieInternal lists the GOOS/GOARCH pairs whose Go linker builds
// -buildmode=pie without cgo (cmd/link internal linking); elsewhere PIE
// needs an external linker for that architecture.
var pieInternal = map[string]bool{
	"linux/amd64": true, "linux/arm64": true, "linux/ppc64le": true, "linux/loong64": true,
	"windows/amd64": true, "windows/arm64": true, "windows/386": true,
}

// cgoProgram is a main package that calls into libc through cgo, so the
// host linker records GLIBC_ version needs.
const cgoProgram = `package main

// #include <stdio.h>
// static void hello(void) { puts("hello from cgo"); }
import "C"

func main() { C.hello() }
`

// cgoSpec builds cgoProgram for linux/amd64 with the host C compiler.
func cgoSpec(flags ...string) testenv.BuildSpec {
	return testenv.BuildSpec{GOOS: "linux", GOARCH: "amd64", CGO: true, Source: cgoProgram, Flags: flags}
}

var hostGCC = sync.OnceValues(func() (string, error) { return exec.LookPath("gcc") })

func mustHaveGCC(t *testing.T) {
	t.Helper()
	if _, err := hostGCC(); err != nil {
		t.Skipf("no host C compiler for cgo: %v", err)
	}
}

// hostStaticPIE reports whether the host gcc can link -static-pie: it
// needs glibc's rcrt1.o, which gcc prints a bare name for when absent.
var hostStaticPIE = sync.OnceValue(func() bool {
	gcc, err := hostGCC()
	if err != nil {
		return false
	}
	out, err := exec.Command(gcc, "-print-file-name=rcrt1.o").Output()
	p := strings.TrimSpace(string(out))
	return err == nil && filepath.IsAbs(p)
})

type elfCase struct {
	name string
	path func(t *testing.T) string
}

func goELF(spec testenv.BuildSpec) func(t *testing.T) string {
	return func(t *testing.T) string {
		if spec.CGO {
			mustHaveGCC(t)
			if slices.Contains(spec.Flags, "-ldflags=-linkmode=external -extldflags=-static-pie") && !hostStaticPIE() {
				t.Skip("host gcc cannot link -static-pie (no rcrt1.o)")
			}
		}
		return testenv.Build(t, spec)
	}
}

func systemFile(path string) func(t *testing.T) string {
	return func(t *testing.T) string {
		if _, err := os.Stat(path); err != nil {
			t.Skipf("%s not on this system: %v", path, err)
		}
		return path
	}
}

func elfCases(short bool) []elfCase {
	var cases []elfCase
	for _, p := range testenv.Matrix {
		if p.GOOS != "linux" && p.GOOS != "freebsd" {
			continue
		}
		if short && p.GOARCH != "amd64" {
			continue
		}
		plat := p.GOOS + "/" + p.GOARCH
		spec := testenv.BuildSpec{GOOS: p.GOOS, GOARCH: p.GOARCH}
		cases = append(cases, elfCase{plat, goELF(spec)})
		spec.Flags = []string{"-ldflags=-s -w"}
		cases = append(cases, elfCase{plat + "/stripped", goELF(spec)})
		if pieInternal[plat] {
			spec.Flags = []string{"-buildmode=pie"}
			cases = append(cases, elfCase{plat + "/pie", goELF(spec)})
		}
	}
	// Go links OpenBSD binaries against libc without cgo, so these are
	// the dynamic tables of 32-bit and big-endian files that
	// cross-compile anywhere.
	for _, arch := range []string{"386", "arm", "ppc64"} {
		if short && arch != "386" {
			continue
		}
		cases = append(cases, elfCase{"openbsd/" + arch, goELF(testenv.BuildSpec{GOOS: "openbsd", GOARCH: arch})})
	}
	cgo := cgoSpec
	cases = append(cases,
		elfCase{"linux/amd64/cgo", goELF(cgo())},
		elfCase{"linux/amd64/cgo-pie", goELF(cgo("-buildmode=pie"))},
		elfCase{"linux/amd64/static-pie", goELF(cgo("-buildmode=pie", "-ldflags=-linkmode=external -extldflags=-static-pie"))},
		elfCase{"linux/amd64/cgo-runpath", goELF(cgo("-ldflags=-extldflags=-Wl,-rpath,/opt/nativego/lib:$ORIGIN/../lib"))},
		elfCase{"linux/amd64/cgo-rpath", goELF(cgo("-ldflags=-extldflags=-Wl,--disable-new-dtags,-rpath,/opt/nativego/old"))},
		elfCase{"system/ls", systemFile("/bin/ls")},
		elfCase{"system/libc", systemFile("/usr/lib/x86_64-linux-gnu/libc.so.6")},
		elfCase{"system/libm", systemFile("/usr/lib/x86_64-linux-gnu/libm.so.6")},
		elfCase{"system/libz", systemFile("/usr/lib/x86_64-linux-gnu/libz.so.1")},
		elfCase{"system/libstdc++", systemFile("/usr/lib/x86_64-linux-gnu/libstdc++.so.6")},
		elfCase{"system/ld.so", systemFile("/lib64/ld-linux-x86-64.so.2")},
	)
	return cases
}

func TestReadELF(t *testing.T) {
	mustHaveReadelf(t)
	for _, tc := range elfCases(testing.Short()) {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.path(t)
			compareReadelf(t, path, readelfFacts(t, path))
		})
	}
}

// compareReadelf opens path and compares its first slice's facts with
// want, which readelf vouched for.
func compareReadelf(t *testing.T, path string, want elfFacts) {
	t.Helper()
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := f.Slices[0]
	if s.Err != nil {
		t.Fatalf("slice error: %v", s.Err)
	}
	if s.ELF == nil || s.PE != nil {
		t.Fatalf("ELF = %v, PE = %v; want ELF details only", s.ELF, s.PE)
	}
	if diff := cmp.Diff(want, factsOf(s)); diff != "" {
		t.Errorf("facts mismatch with readelf (-want +got):\n%s", diff)
	}
	// The same through a reader that cannot tell its size, where reads
	// are bounded by the data alone.
	osf, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer osf.Close()
	f, err = NewFile(sizeHidden{osf})
	if err != nil {
		t.Fatal(err)
	}
	if s := f.Slices[0]; s.Err != nil || s.ELF == nil {
		t.Errorf("size hidden: Err = %v, ELF = %v", s.Err, s.ELF)
	} else if diff := cmp.Diff(want, factsOf(s)); diff != "" {
		t.Errorf("size hidden: facts mismatch with readelf (-want +got):\n%s", diff)
	}
}

// TestReadELFExpectations pins what each build is for, beyond agreeing
// with readelf: a cgo binary needs glibc, a static PIE is an executable
// with no interpreter, libc.so.6 (which has an interpreter so that it can
// be run) is still a shared library, and the linker flags reached the
// dynamic section.
func TestReadELFExpectations(t *testing.T) {
	byName := map[string]elfCase{}
	for _, tc := range elfCases(true) {
		byName[tc.name] = tc
	}
	tests := []struct {
		name  string
		check func(t *testing.T, s *Slice)
	}{
		{"linux/amd64", func(t *testing.T, s *Slice) {
			if !s.ELF.Static || s.ELF.PIE || s.Type != TypeExecutable {
				t.Errorf("Static, PIE, Type = %v, %v, %v; want true, false, executable", s.ELF.Static, s.ELF.PIE, s.Type)
			}
		}},
		{"linux/amd64/cgo", func(t *testing.T, s *Slice) {
			if v, ok := parseDottedVersion(s.ELF.Glibc); !ok || v[0] != 2 {
				t.Errorf("Glibc = %q, want 2.x", s.ELF.Glibc)
			}
			if !slices.Contains(s.ELF.Needed, "libc.so.6") {
				t.Errorf("Needed = %q, want libc.so.6 in it", s.ELF.Needed)
			}
		}},
		{"linux/amd64/static-pie", func(t *testing.T, s *Slice) {
			if !s.ELF.Static || !s.ELF.PIE || s.Type != TypeExecutable || s.ELF.Interpreter != "" {
				t.Errorf("Static, PIE, Type, Interpreter = %v, %v, %v, %q; want true, true, executable, none",
					s.ELF.Static, s.ELF.PIE, s.Type, s.ELF.Interpreter)
			}
		}},
		{"linux/amd64/cgo-runpath", func(t *testing.T, s *Slice) {
			want := []string{"/opt/nativego/lib", "$ORIGIN/../lib"}
			if diff := cmp.Diff(want, s.ELF.RunPath); diff != "" {
				t.Errorf("RunPath (-want +got):\n%s", diff)
			}
		}},
		{"linux/amd64/cgo-rpath", func(t *testing.T, s *Slice) {
			if diff := cmp.Diff([]string{"/opt/nativego/old"}, s.ELF.RPath); diff != "" {
				t.Errorf("RPath (-want +got):\n%s", diff)
			}
		}},
		{"system/libc", func(t *testing.T, s *Slice) {
			if s.Type != TypeSharedLibrary || s.ELF.PIE || s.ELF.Interpreter == "" {
				t.Errorf("Type, PIE, Interpreter = %v, %v, %q; want shared-library, false, set", s.Type, s.ELF.PIE, s.ELF.Interpreter)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tc, ok := byName[tt.name]
			if !ok {
				t.Fatalf("no case %q", tt.name)
			}
			f, err := Open(tc.path(t))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if s := f.Slices[0]; s.Err != nil || s.ELF == nil {
				t.Fatalf("Err = %v, ELF = %v", s.Err, s.ELF)
			}
			tt.check(t, f.Slices[0])
		})
	}
}

// TestReadELFSystemTree compares with readelf over a sample of the host's
// own executables and shared libraries: what a scan of /usr meets, built
// by toolchains and linkers other than Go's.
func TestReadELFSystemTree(t *testing.T) {
	mustHaveReadelf(t)
	dirs := []string{"/usr/bin"}
	if dir := multiarchLibDir(); dir != "" {
		dirs = append(dirs, dir)
	}
	n := 300
	if testing.Short() {
		n = 40
	}
	paths := systemELFFiles(t, n, dirs...)
	if len(paths) == 0 {
		t.Skipf("no ELF executables or shared libraries in %q", dirs)
	}
	for _, path := range paths {
		t.Run(strings.TrimPrefix(path, "/"), func(t *testing.T) {
			t.Parallel()
			compareReadelf(t, path, readelfFacts(t, path))
		})
	}
}

// systemELFFiles returns up to n ELF executables and shared objects from
// the trees under dirs: every k-th regular file in path order, so that
// the sample is spread over the trees and the same from run to run.
func systemELFFiles(t *testing.T, n int, dirs ...string) []string {
	t.Helper()
	var all []string
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return nil // an unreadable directory is not the test's subject
			}
			if d.Type().IsRegular() && isELFProgram(path) {
				all = append(all, path)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(all)
	k := max(1, len(all)/n)
	var sample []string
	for i := 0; i < len(all) && len(sample) < n; i += k {
		sample = append(sample, all[i])
	}
	return sample
}

// isELFProgram reports whether path starts with an ELF header of type
// ET_EXEC or ET_DYN, read by hand so that the sample does not depend on
// the code under test.
func isELFProgram(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	// e_ident (16 bytes) and e_type (2 bytes), System V ABI "ELF Header".
	var h [18]byte
	if _, err := f.ReadAt(h[:], 0); err != nil || string(h[:4]) != "\x7fELF" {
		return false
	}
	var typ uint16
	switch elf.Data(h[elf.EI_DATA]) {
	case elf.ELFDATA2LSB:
		typ = uint16(h[16]) | uint16(h[17])<<8
	case elf.ELFDATA2MSB:
		typ = uint16(h[16])<<8 | uint16(h[17])
	}
	return elf.Type(typ) == elf.ET_EXEC || elf.Type(typ) == elf.ET_DYN
}

// multiarchTriplets maps GOARCH to the Debian multiarch directory name
// under /usr/lib (dpkg-architecture's DEB_HOST_MULTIARCH).
var multiarchTriplets = map[string]string{
	"amd64":   "x86_64-linux-gnu",
	"arm64":   "aarch64-linux-gnu",
	"386":     "i386-linux-gnu",
	"arm":     "arm-linux-gnueabihf",
	"riscv64": "riscv64-linux-gnu",
	"ppc64le": "powerpc64le-linux-gnu",
	"s390x":   "s390x-linux-gnu",
	"loong64": "loongarch64-linux-gnu",
}

// multiarchLibDir returns the host's multiarch library directory, such as
// /usr/lib/x86_64-linux-gnu, or "" when there is none.
func multiarchLibDir() string {
	triplet, ok := multiarchTriplets[runtime.GOARCH]
	if !ok {
		return ""
	}
	dir := filepath.Join("/usr/lib", triplet)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return ""
	}
	return dir
}

// largestSharedObject returns the largest regular file in dir whose name
// holds ".so", or "" when there is none.
func largestSharedObject(dir string) string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return ""
	}
	var best string
	var bestSize int64
	for _, e := range entries {
		if !e.Type().IsRegular() || !strings.Contains(e.Name(), ".so") {
			continue
		}
		if fi, err := e.Info(); err == nil && fi.Size() > bestSize {
			best, bestSize = filepath.Join(dir, e.Name()), fi.Size()
		}
	}
	return best
}

// stripSectionHeaders returns a copy of an ELF file with e_shoff, e_shnum
// and e_shstrndx zeroed, which is what sstrip-like tools leave: the
// section headers gone, the program headers the loader uses intact.
func stripSectionHeaders(t testing.TB, data []byte) []byte {
	t.Helper()
	// Field offsets from the System V ABI "ELF Header" (elf.h Elf32_Ehdr,
	// Elf64_Ehdr): e_shnum and e_shstrndx are the last two 2-byte fields.
	var shoff, shoffSize, shnum int
	switch {
	case len(data) >= 64 && elf.Class(data[elf.EI_CLASS]) == elf.ELFCLASS64:
		shoff, shoffSize, shnum = 0x28, 8, 0x3c
	case len(data) >= 52 && elf.Class(data[elf.EI_CLASS]) == elf.ELFCLASS32:
		shoff, shoffSize, shnum = 0x20, 4, 0x30
	default:
		t.Fatalf("not an ELF file of a known class")
	}
	out := bytes.Clone(data)
	clear(out[shoff : shoff+shoffSize])
	clear(out[shnum : shnum+2*2])
	return out
}

var (
	reVerneedTag  = regexp.MustCompile(`\(VERNEED\)\s+0x([0-9a-f]+)`)
	reVerneedAddr = regexp.MustCompile(`(?m)^Version needs section .*\n Addr: 0x([0-9a-f]+)`)
)

// readelfVerneed returns the DT_VERNEED address and the address of the
// version needs section, as readelf prints them; "" for what is absent.
func readelfVerneed(t *testing.T, path string) (tag, section string) {
	t.Helper()
	out := testenv.Run(t, exec.CommandContext(t.Context(), mustHaveReadelf(t), "-dW", "--version-info", path))
	trim := func(m [][]byte) string {
		if m == nil {
			return ""
		}
		return strings.TrimLeft(string(m[1]), "0")
	}
	return trim(reVerneedTag.FindSubmatch(out)), trim(reVerneedAddr.FindSubmatch(out))
}

// TestReadELFSectionHeadersStripped reads files whose section headers are
// gone. The loader runs them from the program headers alone, and so must
// readELF: the libraries and version needs come through PT_DYNAMIC.
// debug/elf finds the dynamic table through the section headers only.
func TestReadELFSectionHeadersStripped(t *testing.T) {
	mustHaveReadelf(t)
	byName := map[string]elfCase{}
	for _, tc := range elfCases(false) {
		byName[tc.name] = tc
	}
	tests := []struct {
		name     string
		versions bool // whether the file needs symbol versions
	}{
		{"linux/amd64/cgo", true},
		{"linux/amd64/cgo-pie", true},
		{"openbsd/386", false}, // a 32-bit dynamic table
		{"system/libz", true},
		{"system/libstdc++", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tc, ok := byName[tt.name]
			if !ok {
				t.Fatalf("no case %q", tt.name)
			}
			orig := tc.path(t)
			data, err := os.ReadFile(orig)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "stripped")
			if err := os.WriteFile(path, stripSectionHeaders(t, data), 0o755); err != nil {
				t.Fatal(err)
			}
			want := readelfFacts(t, path)
			// readelf reads the dynamic table of such a file from
			// PT_DYNAMIC, but binutils 2.40 prints version needs from a
			// SHT_GNU_verneed section header only, and says "No version
			// information found". The bytes are the original's: check
			// that readelf's DT_VERNEED of the copy is the address of the
			// original's version needs section, and take the needs
			// readelf reads there.
			tag, _ := readelfVerneed(t, path)
			if want.VersionNeeds == nil && tag != "" {
				_, section := readelfVerneed(t, orig)
				if section != tag {
					t.Fatalf("DT_VERNEED of the copy is 0x%s, the original's version needs section is at 0x%s", tag, section)
				}
				o := readelfFacts(t, orig)
				want.VersionNeeds, want.Glibc = o.VersionNeeds, o.Glibc
			}
			if len(want.Needed) == 0 || (len(want.VersionNeeds) > 0) != tt.versions {
				t.Fatalf("readelf found DT_NEEDED %q and version needs %q; the test expects libraries, and version needs: %v",
					want.Needed, want.VersionNeeds, tt.versions)
			}
			compareReadelf(t, path, want)
		})
	}
}

// dynLayout locates, in a 64-bit little-endian ELF file, the dynamic
// table and each of its entries (the file offset of its d_val, by tag),
// the string table, and the first version need record with its first
// auxiliary record.
type dynLayout struct {
	dynamic      int                // offset of the dynamic table
	val          map[elf.DynTag]int // offset of d_val, by tag
	strtab       int                // offset of the string table
	verneed, aux int                // offsets of the first Elf_Verneed and its first Elf_Vernaux
}

// findDynLayout returns the dynLayout of data.
func findDynLayout(t *testing.T, data []byte) dynLayout {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if f.Class != elf.ELFCLASS64 || f.ByteOrder != binary.LittleEndian {
		t.Fatalf("want a 64-bit little-endian file, have %v %v", f.Class, f.ByteOrder)
	}
	l := dynLayout{val: map[elf.DynTag]int{}}
	le := binary.LittleEndian
	for _, p := range f.Progs {
		if p.Type != elf.PT_DYNAMIC {
			continue
		}
		l.dynamic = int(p.Off)
		for off := int(p.Off); off+16 <= int(p.Off+p.Filesz); off += 16 {
			tag := elf.DynTag(le.Uint64(data[off:]))
			if _, ok := l.val[tag]; !ok {
				l.val[tag] = off + 8
			}
			if tag == elf.DT_NULL {
				break
			}
		}
	}
	offset := func(tag elf.DynTag) int {
		at, ok := l.val[tag]
		if !ok {
			t.Fatalf("no %v", tag)
		}
		for _, p := range f.Progs {
			if off, ok := loadOffset(p, le.Uint64(data[at:])); ok && p.Type == elf.PT_LOAD {
				return int(off)
			}
		}
		t.Fatalf("%v maps nowhere", tag)
		return 0
	}
	l.strtab = offset(elf.DT_STRTAB)
	l.verneed = offset(elf.DT_VERNEED)
	l.aux = l.verneed + int(le.Uint32(data[l.verneed+8:]))
	return l
}

// findFormatError returns the *FormatError joined into err whose message
// holds msg, or nil.
func findFormatError(err error, msg string) *FormatError {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			if fe := findFormatError(e, msg); fe != nil {
				return fe
			}
		}
		return nil
	}
	var fe *FormatError
	if errors.As(err, &fe) && strings.Contains(fe.Msg, msg) {
		return fe
	}
	return nil
}

// TestReadELFDynamicDamage damages the dynamic table of a cgo binary and
// of a shared library one field at a time: the section headers stand in
// for addresses no segment maps, a damaged table costs a *FormatError at
// the damage, the walk of the version needs ends where glibc's does, and
// a library whose DT_NEEDED names cannot be read is not called static.
func TestReadELFDynamicDamage(t *testing.T) {
	subjects := []elfCase{
		{"cgo", goELF(cgoSpec())},
		{"libz", systemFile(filepath.Join(multiarchLibDir(), "libz.so.1"))},
	}
	for _, sub := range subjects {
		t.Run(sub.name, func(t *testing.T) {
			if sub.name == "libz" && multiarchLibDir() == "" {
				t.Skip("no multiarch library directory")
			}
			testDynamicDamage(t, sub.path(t))
		})
	}
}

// testDynamicDamage runs TestReadELFDynamicDamage's cases on the file at
// path.
func testDynamicDamage(t *testing.T, path string) {
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	l := findDynLayout(t, orig)
	good, err := NewFile(bytes.NewReader(orig))
	if err != nil || good.Slices[0].Err != nil {
		t.Fatalf("undamaged file: %v, %v", err, good.Slices[0].Err)
	}
	base := factsOf(good.Slices[0])
	if len(base.VersionNeeds) < 2 {
		t.Fatalf("undamaged file needs versions %q; the test wants two or more", base.VersionNeeds)
	}
	le := binary.LittleEndian
	unmapped := uint64(0xfff0_0000_0000) // no segment of either subject maps this
	noStrings := func(f *elfFacts) {
		f.Soname, f.Needed, f.RunPath, f.RPath, f.VersionNeeds, f.Glibc = "", nil, nil, nil, nil, ""
	}
	tests := []struct {
		name   string
		strip  bool              // zero the section headers too
		damage func(d []byte)    // the damage
		want   func(f *elfFacts) // the facts expected, from the undamaged ones
		errMsg string            // part of the *FormatError expected; "" for none
		errOff int64             // its offset
		reason string
	}{
		{
			name:   "strtab unmapped",
			damage: func(d []byte) { le.PutUint64(d[l.val[elf.DT_STRTAB]:], unmapped) },
			want:   func(f *elfFacts) {},
			reason: "the .dynamic section's sh_link gives .dynstr",
		},
		{
			name:   "verneed unmapped",
			damage: func(d []byte) { le.PutUint64(d[l.val[elf.DT_VERNEED]:], unmapped) },
			want:   func(f *elfFacts) {},
			reason: "the SHT_GNU_verneed section gives the table",
		},
		{
			name:   "strtab unmapped, sections stripped",
			strip:  true,
			damage: func(d []byte) { le.PutUint64(d[l.val[elf.DT_STRTAB]:], unmapped) },
			want:   noStrings,
			errMsg: "DT_STRTAB address 0xfff000000000 is in no PT_LOAD segment",
			errOff: int64(l.dynamic),
			reason: "nothing locates the strings; Static stays false",
		},
		{
			name:   "verneed unmapped, sections stripped",
			strip:  true,
			damage: func(d []byte) { le.PutUint64(d[l.val[elf.DT_VERNEED]:], unmapped) },
			want:   func(f *elfFacts) { f.VersionNeeds, f.Glibc = nil, "" },
			errMsg: "DT_VERNEED address 0xfff000000000 is in no PT_LOAD segment",
			errOff: int64(l.dynamic),
			reason: "the libraries are still read",
		},
		{
			name:   "strsz one byte",
			damage: func(d []byte) { le.PutUint64(d[l.val[elf.DT_STRSZ]:], 1) },
			want:   noStrings,
			errMsg: "DT_NEEDED: string offset",
			errOff: int64(l.strtab),
			reason: "every name lies past the table's end",
		},
		{
			name:   "verneednum huge",
			damage: func(d []byte) { le.PutUint64(d[l.val[elf.DT_VERNEEDNUM]:], 1<<40) },
			want:   func(f *elfFacts) {},
			reason: "vn_next zero ends the walk, as in glibc",
		},
		{
			name:   "vna_next zero",
			damage: func(d []byte) { le.PutUint32(d[l.aux+12:], 0) },
			want: func(f *elfFacts) {
				str := func(i uint32) string {
					b := orig[l.strtab+int(i):]
					return string(b[:bytes.IndexByte(b, 0)])
				}
				lib, v := str(le.Uint32(orig[l.verneed+4:])), str(le.Uint32(orig[l.aux+8:]))
				f.VersionNeeds, f.Glibc = []string{lib + ": " + v}, ""
				if _, ok := glibcVersion(v); ok {
					f.Glibc = strings.TrimPrefix(v, "GLIBC_")
				}
			},
			reason: "vna_next zero ends the chain before vn_cnt, as in glibc",
		},
		{
			name:   "vn_aux past the end",
			damage: func(d []byte) { le.PutUint32(d[l.verneed+8:], 0xffff_fff0) },
			want:   func(f *elfFacts) { f.VersionNeeds, f.Glibc = nil, "" },
			errMsg: "version need auxiliary record past the end of its segment",
			errOff: int64(l.verneed) + 0xffff_fff0,
			reason: "the libraries are still read",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := bytes.Clone(orig)
			if tt.strip {
				data = stripSectionHeaders(t, data)
			}
			tt.damage(data)
			f, err := NewFile(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			s := f.Slices[0]
			if s.ELF == nil {
				t.Fatalf("no ELF details: %v", s.Err)
			}
			want := base
			tt.want(&want)
			// Both subjects have DT_NEEDED: read or not, they are not static.
			want.Static = false
			if diff := cmp.Diff(want, factsOf(s)); diff != "" {
				t.Errorf("facts (-want +got), %s:\n%s", tt.reason, diff)
			}
			if tt.errMsg == "" {
				if s.Err != nil {
					t.Errorf("Err = %v, want none (%s)", s.Err, tt.reason)
				}
				return
			}
			checkSliceErr(t, s.Err)
			fe := findFormatError(s.Err, tt.errMsg)
			if fe == nil {
				t.Fatalf("Err = %v, want a *FormatError with %q", s.Err, tt.errMsg)
			}
			if fe.Off != tt.errOff {
				t.Errorf("error at offset %#x, want %#x: %v", fe.Off, tt.errOff, fe)
			}
		})
	}
}

// TestReadELFSeparateDebugInfo reads the separate debug-information file
// objcopy --only-keep-debug makes of a cgo binary: its PT_DYNAMIC keeps
// p_memsz but has no bytes in the file. readelf says "There is no dynamic
// section in this file"; glibc would refuse to load it. Its libraries
// are unknown, not absent, so it is not static, and Err says why.
func TestReadELFSeparateDebugInfo(t *testing.T) {
	objcopy, err := exec.LookPath("objcopy")
	if err != nil {
		t.Skipf("objcopy (Debian package binutils) not installed: %v", err)
	}
	orig := goELF(cgoSpec())(t)
	path := filepath.Join(t.TempDir(), "debug")
	testenv.Run(t, exec.CommandContext(t.Context(), objcopy, "--only-keep-debug", orig, path))
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := f.Slices[0]
	if s.ELF == nil {
		t.Fatalf("no ELF details: %v", s.Err)
	}
	if s.ELF.Static || s.ELF.Needed != nil {
		t.Errorf("Static, Needed = %v, %q; want false, none", s.ELF.Static, s.ELF.Needed)
	}
	checkSliceErr(t, s.Err)
	if findFormatError(s.Err, "dynamic table continues past the file image of PT_DYNAMIC") == nil {
		t.Errorf("Err = %v, want it to say the dynamic table is not in the file", s.Err)
	}
}
