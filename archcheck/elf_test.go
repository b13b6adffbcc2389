package archcheck

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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
		// PIE changes the code of every package, so on a cold build cache
		// each PIE build compiles the standard library again: two
		// architectures show the dynamic tables' shape.
		if pieInternal[plat] && (p.GOARCH == "amd64" || p.GOARCH == "arm64") {
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
	s := firstSlice(t, path)
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
	f, err := NewFile(sizeHidden{osf})
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
			s := firstSlice(t, tc.path(t))
			if s.Err != nil || s.ELF == nil {
				t.Fatalf("Err = %v, ELF = %v", s.Err, s.ELF)
			}
			tt.check(t, s)
		})
	}
}
