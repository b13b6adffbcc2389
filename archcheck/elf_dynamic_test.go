package archcheck

import (
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
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nativego/nativego/internal/testenv"
)

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
	s := firstSlice(t, path)
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
