package archcheck

import (
	"bytes"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"encoding/binary"
	"errors"
	"fmt"
	"go/version"
	"io"
	"strings"

	"github.com/nativego/nativego/internal/saferio"
)

// Recovering the Go version without build information.
//
// Build information disappears in ways that leave the program intact: a
// tool overwrites or zeroes the "\xff Go buildinf:" magic, or the blob is
// damaged. The runtime keeps its own copy of the version for
// runtime.Version: the linker sets the string variable runtime.buildVersion
// to a NUL-terminated string in read-only data, runtime.buildVersion.str
// (cmd/link/internal/ld.addstrdata; the version includes any
// "-X:experiment" suffix, exactly like the build information's).
//
// With a symbol table the variable is found by name. Without one (`strip`,
// -ldflags=-s), the slice must first be shown to be Go at all: the pclntab,
// which the runtime cannot do without, starts with a header whose magic
// names the release range. Only then are the data sections (not code)
// scanned for a NUL-terminated version string from that range. Packed
// binaries (UPX) should hold neither in readable form, and would then be
// reported as ErrNoBuildInfo; this is reasoned, not tested, as no UPX was
// at hand.

// Magic numbers of runtime.pcHeader, from internal/abi/symtab.go
// (PCLnTabMagic): each release that changed the table's layout took a new
// one. The table starts {magic uint32; pad1, pad2 uint8 (0); minLC uint8
// (the instruction size quantum: 1 on x86, 2 on s390x, 4 on fixed-width
// ISAs); ptrSize uint8}.
const (
	pclntabMagic12    = 0xfffffffb // go1.2 to go1.15
	pclntabMagic116   = 0xfffffffa // go1.16 and go1.17
	pclntabMagic118   = 0xfffffff0 // go1.18 and go1.19
	pclntabMagic120   = 0xfffffff1 // go1.20 and later
	pclntabHeaderSize = 4 + 1 + 1 + 1 + 1
)

// pclntabReleases returns the range [first, next) of releases that write
// a pclntab header b; ok is false when b is not one.
func pclntabReleases(b []byte, bo binary.ByteOrder) (first, next string, ok bool) {
	if len(b) < pclntabHeaderSize || b[4] != 0 || b[5] != 0 {
		return "", "", false
	}
	if lc := b[6]; lc != 1 && lc != 2 && lc != 4 {
		return "", "", false
	}
	if ps := b[7]; ps != 4 && ps != 8 {
		return "", "", false
	}
	switch bo.Uint32(b) {
	case pclntabMagic12:
		return "go1.2", "go1.16", true
	case pclntabMagic116:
		return "go1.16", "go1.18", true
	case pclntabMagic118:
		return "go1.18", "go1.20", true
	case pclntabMagic120:
		return "go1.20", "", true
	}
	return "", "", false
}

// maxVersionLen bounds a version string: "go1.27.3" is 8 bytes; a devel
// version with a commit date, or a long GOEXPERIMENT list, stays far
// below this.
const maxVersionLen = 256

// A goImage is what recovery needs from a slice: where its sections are in
// memory and in the file, and the address of runtime.buildVersion when a
// symbol table names it.
type goImage struct {
	r       io.ReaderAt
	size    int64 // the slice's size; -1 when unknown
	bo      binary.ByteOrder
	ptrSize int
	goos    string // from the header, where it says; empty otherwise

	regions    []region // file-backed sections (segments for an ELF file without sections)
	pclntab    *region  // the section named for the pclntab, if any
	scanAll    bool     // no region is known to hold read-only data: scan the whole slice
	versionSym uint64   // address of runtime.buildVersion; 0 when no symbol names it
	budget     int64    // bytes scans may still read
	buf        []byte   // the scan buffer, reused across regions
}

// A region is a section: its address, and its bytes in the file.
type region struct {
	addr uint64
	off  int64
	size int64
	code bool
}

// recoverGoVersion recognises s as Go and recovers its Go version; see
// the comment at the top of this file.
func recoverGoVersion(s *Slice) (*GoInfo, error) {
	img, err := openGoImage(s)
	if err != nil {
		if _, ok := err.(*ParserPanicError); ok {
			return nil, err
		}
		return nil, fmt.Errorf("archcheck: %w: %v", ErrNoBuildInfo, err)
	}
	info := func(v string) *GoInfo {
		return &GoInfo{Version: v, Recovered: true, GOOS: img.goos, GOARCH: s.Arch}
	}
	if img.versionSym != 0 {
		if v, ok := img.stringAt(img.versionSym); ok {
			return info(v), nil
		}
	}
	first, next, err := img.findPclntab()
	if err != nil {
		return nil, err
	}
	if first == "" {
		return nil, fmt.Errorf("archcheck: %w: neither build information nor a Go pclntab", ErrNoBuildInfo)
	}
	v, err := img.scanVersion(first, next)
	if err != nil {
		return nil, err
	}
	if v == "" {
		return nil, fmt.Errorf("archcheck: %w: a Go pclntab (%s or later) but no version string", ErrNoBuildInfo, first)
	}
	return info(v), nil
}

// Section attributes, from mach-o/loader.h and the PE specification.
const (
	machoSectionType       = 0x000000ff // SECTION_TYPE
	machoZerofill          = 0x1        // S_ZEROFILL
	machoGBZerofill        = 0xc        // S_GB_ZEROFILL
	machoThreadZerofill    = 0x12       // S_THREAD_LOCAL_ZEROFILL
	machoPureInstructions  = 0x80000000 // S_ATTR_PURE_INSTRUCTIONS
	machoSomeInstructions  = 0x00000400 // S_ATTR_SOME_INSTRUCTIONS
	machoLCVersionMinIOS   = 0x25       // LC_VERSION_MIN_IPHONEOS
	machoLCBuildVersion    = 0x32       // LC_BUILD_VERSION {cmd, cmdsize, platform, ...}
	machoPlatformIOS       = 2          // PLATFORM_IOS
	machoPlatformIOSSim    = 7          // PLATFORM_IOSSIMULATOR
	peScnMemExecute        = 0x20000000 // IMAGE_SCN_MEM_EXECUTE
	peScnUninitializedData = 0x00000080 // IMAGE_SCN_CNT_UNINITIALIZED_DATA
)

// buildVersionSym is the variable the linker points at the version. Go
// names appear unprefixed in every symbol table, also in Mach-O files the
// system linker finished (the official darwin binaries); the C-style "_"
// prefix is accepted in case a tool rewrote the table.
const buildVersionSym = "runtime.buildVersion"

// openGoImage parses s with the standard library's parser for its format.
func openGoImage(s *Slice) (*goImage, error) {
	r := s.Reader()
	img := &goImage{r: r, size: s.Size, bo: s.ByteOrder, ptrSize: s.Bits / 8}
	img.budget = 1 << 30
	if s.Size >= 0 {
		img.budget = 2*s.Size + 1<<20 // each region at most once, plus the pclntab scan
	}
	if img.bo == nil || (img.ptrSize != 4 && img.ptrSize != 8) {
		return nil, errors.New("unknown byte order or pointer size")
	}
	var prefix [identifyMinSize]byte
	if n, _ := r.ReadAt(prefix[:], 0); n < len(prefix) {
		return nil, io.ErrUnexpectedEOF
	}
	var err error
	switch Identify(prefix[:]) {
	case FormatELF:
		err = img.openELF(r)
	case FormatMachO:
		err = img.openMachO(r)
	case FormatPE:
		err = img.openPE(r)
	default:
		err = ErrNotExecutable
	}
	if err != nil {
		return nil, err
	}
	return img, nil
}

func (img *goImage) add(name string, rg region, pclntabName string) {
	if rg.size <= 0 || rg.off < 0 || (img.size >= 0 && rg.off >= img.size) {
		return
	}
	if img.size >= 0 && rg.size > img.size-rg.off {
		rg.size = img.size - rg.off
	}
	img.regions = append(img.regions, rg)
	if name == pclntabName && img.pclntab == nil {
		img.pclntab = &img.regions[len(img.regions)-1]
	}
}

func (img *goImage) openELF(r io.ReaderAt) error {
	f, err := guard("debug/elf", func() (*elf.File, error) { return elf.NewFile(r) })
	if err != nil {
		return err
	}
	switch f.OSABI {
	case elf.ELFOSABI_FREEBSD:
		img.goos = "freebsd"
	case elf.ELFOSABI_NETBSD:
		img.goos = "netbsd"
	case elf.ELFOSABI_OPENBSD:
		img.goos = "openbsd"
	}
	for _, sec := range f.Sections {
		if sec.Flags&elf.SHF_ALLOC == 0 || sec.Type == elf.SHT_NOBITS || sec.Size > 1<<62 || sec.Offset > 1<<62 {
			continue
		}
		img.add(sec.Name, region{addr: sec.Addr, off: int64(sec.Offset), size: int64(sec.Size), code: sec.Flags&elf.SHF_EXECINSTR != 0}, ".gopclntab")
	}
	if len(f.Sections) == 0 {
		// Without section headers (sstrip, packers) the segments still
		// map addresses; the pclntab may be anywhere in them.
		img.scanAll = true
		for _, p := range f.Progs {
			if p.Type == elf.PT_LOAD && p.Filesz <= 1<<62 && p.Off <= 1<<62 {
				img.add("", region{addr: p.Vaddr, off: int64(p.Off), size: int64(p.Filesz), code: p.Flags&elf.PF_X != 0}, "-")
			}
		}
	}
	syms, err := guard("debug/elf", f.Symbols)
	if _, ok := err.(*ParserPanicError); ok {
		return err
	}
	for _, sym := range syms {
		if sym.Name == buildVersionSym && sym.Section != elf.SHN_UNDEF {
			img.versionSym = sym.Value
			break
		}
	}
	return nil
}

func (img *goImage) openMachO(r io.ReaderAt) error {
	f, err := guard("debug/macho", func() (*macho.File, error) { return macho.NewFile(r) })
	if err != nil {
		return err
	}
	img.goos = "darwin"
	for _, l := range f.Loads {
		raw := l.Raw()
		if len(raw) < 12 {
			continue
		}
		switch cmd := f.ByteOrder.Uint32(raw); {
		case cmd == machoLCVersionMinIOS:
			img.goos = "ios"
		case cmd == machoLCBuildVersion:
			if p := f.ByteOrder.Uint32(raw[8:]); p == machoPlatformIOS || p == machoPlatformIOSSim {
				img.goos = "ios"
			}
		}
	}
	for _, sec := range f.Sections {
		switch sec.Flags & machoSectionType {
		case machoZerofill, machoGBZerofill, machoThreadZerofill:
			continue
		}
		if sec.Size > 1<<62 {
			continue
		}
		code := sec.Flags&(machoPureInstructions|machoSomeInstructions) != 0
		img.add(sec.Name, region{addr: sec.Addr, off: int64(sec.Offset), size: int64(sec.Size), code: code}, "__gopclntab")
	}
	if f.Symtab != nil {
		for _, sym := range f.Symtab.Syms {
			if sym.Name == buildVersionSym || sym.Name == "_"+buildVersionSym {
				img.versionSym = sym.Value
				break
			}
		}
	}
	return nil
}

func (img *goImage) openPE(r io.ReaderAt) error {
	f, err := guard("debug/pe", func() (*pe.File, error) { return pe.NewFile(r) })
	if err != nil {
		return err
	}
	img.goos = "windows"
	var base uint64
	switch oh := f.OptionalHeader.(type) {
	case *pe.OptionalHeader32:
		base = uint64(oh.ImageBase)
	case *pe.OptionalHeader64:
		base = oh.ImageBase
	}
	// PE has no section for the pclntab (it sits in .rdata), so a PE
	// file is always scanned.
	img.scanAll = true
	for _, sec := range f.Sections {
		if sec.Characteristics&peScnUninitializedData != 0 {
			continue
		}
		size := int64(sec.Size) // SizeOfRawData, rounded up to the file alignment
		if sec.VirtualSize != 0 && int64(sec.VirtualSize) < size {
			size = int64(sec.VirtualSize)
		}
		img.add("", region{addr: base + uint64(sec.VirtualAddress), off: int64(sec.Offset), size: size, code: sec.Characteristics&peScnMemExecute != 0}, "-")
	}
	for _, sym := range f.Symbols {
		// COFF symbol values are offsets in their section (1-based number).
		if sym.Name == buildVersionSym && sym.SectionNumber > 0 && int(sym.SectionNumber) <= len(f.Sections) {
			img.versionSym = base + uint64(f.Sections[sym.SectionNumber-1].VirtualAddress) + uint64(sym.Value)
			break
		}
	}
	return nil
}

// readAddr reads n bytes at virtual address addr, which must lie in one
// region.
func (img *goImage) readAddr(addr uint64, n int) ([]byte, bool) {
	for _, rg := range img.regions {
		if addr < rg.addr || addr-rg.addr >= uint64(rg.size) || uint64(n) > uint64(rg.size)-(addr-rg.addr) {
			continue
		}
		b, err := saferio.ReadAt(img.r, rg.off+int64(addr-rg.addr), int64(n))
		return b, err == nil
	}
	return nil, false
}

// stringAt reads the Go string variable at addr: a {data pointer, length}
// header in the slice's byte order, then the bytes it points to.
func (img *goImage) stringAt(addr uint64) (string, bool) {
	hdr, ok := img.readAddr(addr, 2*img.ptrSize)
	if !ok {
		return "", false
	}
	var ptr, n uint64
	if img.ptrSize == 8 {
		ptr, n = img.bo.Uint64(hdr), img.bo.Uint64(hdr[8:])
	} else {
		ptr, n = uint64(img.bo.Uint32(hdr)), uint64(img.bo.Uint32(hdr[4:]))
	}
	if n == 0 || n > maxVersionLen {
		return "", false
	}
	b, ok := img.readAddr(ptr, int(n))
	if !ok {
		return "", false
	}
	for _, c := range b {
		if c < ' ' || c > '~' {
			return "", false
		}
	}
	return string(b), true
}

// scanRegions calls scan for each region that may hold read-only data,
// or for the whole slice when none is known to, until scan reports true.
func (img *goImage) scanRegions(scan func(off, n int64) (bool, error)) (bool, error) {
	known := false
	for _, rg := range img.regions {
		if rg.code {
			continue
		}
		known = true
		if found, err := scan(rg.off, rg.size); found || err != nil {
			return found, err
		}
	}
	if known || !img.scanAll {
		return false, nil
	}
	n := img.size
	if n < 0 {
		n = 1 << 62
	}
	return scan(0, n)
}

// findPclntab returns the release range the pclntab's magic names, or
// empty strings when there is no pclntab.
func (img *goImage) findPclntab() (first, next string, err error) {
	if rg := img.pclntab; rg != nil {
		if b, err := saferio.ReadAt(img.r, rg.off, pclntabHeaderSize); err == nil {
			if first, next, ok := pclntabReleases(b, img.bo); ok {
				return first, next, nil
			}
		}
	}
	if !img.scanAll {
		return "", "", nil
	}
	// Every magic is 0xffffff followed (little-endian) or preceded
	// (big-endian) by its low byte.
	before := 0
	if img.bo == binary.LittleEndian {
		before = 1
	}
	_, err = img.scanRegions(func(off, n int64) (bool, error) {
		return img.scan(off, n, []byte{0xff, 0xff, 0xff}, before, pclntabHeaderSize, func(b []byte, i int) bool {
			if i < before {
				return false
			}
			var ok bool
			first, next, ok = pclntabReleases(b[i-before:], img.bo)
			return ok
		})
	})
	return first, next, err
}

// scanVersion looks for a NUL-terminated Go version in [first, next).
func (img *goImage) scanVersion(first, next string) (v string, err error) {
	_, err = img.scanRegions(func(off, n int64) (bool, error) {
		return img.scan(off, n, []byte("go1."), 0, maxVersionLen+1, func(b []byte, i int) bool {
			v = scannedVersion(b[i:min(len(b), i+maxVersionLen+1)], first, next)
			return v != ""
		})
	})
	return v, err
}

// scannedVersion returns the version b starts with when it is a
// NUL-terminated Go version from the release range [first, next).
func scannedVersion(b []byte, first, next string) string {
	end := bytes.IndexByte(b, 0)
	if end < 0 {
		return ""
	}
	s := string(b[:end])
	base, exp := s, ""
	if i := strings.IndexAny(s, " -"); i >= 0 {
		// The linker appends GOEXPERIMENT as "-X:list" (or " X:list"
		// after a version that already has a "-").
		base, exp = s[:i], s[i+1:]
		if !strings.HasPrefix(exp, "X:") {
			return ""
		}
	}
	if !version.IsValid(base) || version.Compare(base, first) < 0 || (next != "" && version.Compare(base, next) >= 0) {
		return ""
	}
	for _, c := range []byte(exp) {
		if c < ' ' || c > '~' {
			return ""
		}
	}
	return s
}

// scanChunk is how much of the file one read of a scan covers.
const scanChunk = 1 << 20

// scan streams [off, off+n) of the slice in chunks and calls match(b, i)
// for each occurrence of pat at b[i:], where b holds at least `before`
// bytes before i and up to `after` bytes from i when the region has them.
// It stops when match returns true or the scan budget is spent.
func (img *goImage) scan(off, n int64, pat []byte, before, after int, match func(b []byte, i int) bool) (bool, error) {
	if n <= 0 || off < 0 || off >= 1<<62 {
		return false, nil
	}
	n = min(n, 1<<62-off) // keeps off+n, and every read offset, inside int64
	if need := before + int(min(n, scanChunk)) + after; cap(img.buf) < need {
		img.buf = make([]byte, need)
	}
	buf := img.buf[:cap(img.buf)]
	for pos := int64(0); pos < n && img.budget > 0; pos += scanChunk {
		lo := max(pos-int64(before), 0)
		hi := min(pos+scanChunk+int64(after), n)
		b := buf[:hi-lo]
		got, err := img.r.ReadAt(b, off+lo)
		if got < len(b) && err != nil && err != io.EOF {
			return false, formatErr(off+lo, err, "reading while looking for the Go version")
		}
		img.budget -= int64(got)
		short := got < len(b)
		b = b[:got]
		start := int(pos - lo)
		end := min(start+scanChunk, len(b))
		for i := start; i < end; {
			j := bytes.Index(b[i:], pat)
			if j < 0 || i+j >= end {
				break
			}
			if match(b, i+j) {
				return true, nil
			}
			i += j + 1
		}
		if short {
			break
		}
	}
	return false, nil
}
