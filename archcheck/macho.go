package archcheck

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/nativego/nativego/internal/saferio"
)

// Mach-O load commands are decoded here from their bytes rather than with
// debug/macho, which types only segments, symbol tables, LC_LOAD_DYLIB and
// LC_RPATH: the commands the loader cares about (platform, entry point,
// weak and re-exported libraries, code signature) arrive there as raw
// bytes anyway, and a decoder that owns its bounds checks needs no guard.
//
// Structures and constants are from mach-o/loader.h (cctools and xnu
// EXTERNAL_HEADERS); offsets below are within one load command.

// Load command types, from mach-o/loader.h. LC_REQ_DYLD (0x80000000) marks
// commands a loader must understand to load the image.
const (
	lcReqDyld             = 0x80000000
	lcSegment             = 0x1
	lcUnixThread          = 0x5
	lcLoadDylib           = 0xc
	lcLoadWeakDylib       = 0x18 | lcReqDyld // 0x80000018
	lcSegment64           = 0x19
	lcUUID                = 0x1b
	lcRpath               = 0x1c | lcReqDyld // 0x8000001c
	lcCodeSignature       = 0x1d
	lcReexportDylib       = 0x1f | lcReqDyld // 0x8000001f
	lcLazyLoadDylib       = 0x20
	lcEncryptionInfo      = 0x21
	lcLoadUpwardDylib     = 0x23 | lcReqDyld // 0x80000023
	lcVersionMinMacOSX    = 0x24
	lcVersionMinIPhoneOS  = 0x25
	lcMain                = 0x28 | lcReqDyld // 0x80000028
	lcEncryptionInfo64    = 0x2c
	lcVersionMinTVOS      = 0x2f
	lcVersionMinWatchOS   = 0x30
	lcBuildVersion        = 0x32
	loadCommandHeaderSize = 8 // struct load_command {cmd, cmdsize}
)

// mach_header is 7 uint32s {magic, cputype, cpusubtype, filetype, ncmds,
// sizeofcmds, flags}; mach_header_64 adds a reserved uint32. Load commands
// follow immediately.
const (
	machHeader32Size = 7 * 4
	machHeader64Size = 8 * 4
	mhPIE            = 0x200000 // MH_PIE: load the main executable at a random address
)

// Fixed sizes of the commands decoded here, from mach-o/loader.h.
const (
	segmentCommandSize   = 8 + 16 + 4*4 + 4*4 // segment_command: cmd, cmdsize, segname[16], vmaddr..filesize (uint32), maxprot, initprot, nsects, flags
	segmentCommand64Size = 8 + 16 + 4*8 + 4*4 // segment_command_64: the four address fields are uint64
	section32Size        = 16 + 16 + 9*4      // struct section
	section64Size        = 16 + 16 + 2*8 + 8*4
	section32AlignOff    = 16 + 16 + 3*4 // section.align, after sectname, segname, addr, size, offset
	section64AlignOff    = 16 + 16 + 2*8 + 4
	uuidCommandSize      = 8 + 16
	buildVersionSize     = 6 * 4 // build_version_command {cmd, cmdsize, platform, minos, sdk, ntools}
	buildToolVersionSize = 2 * 4 // build_tool_version {tool, version}, ntools of them follow
	versionMinSize       = 4 * 4 // version_min_command {cmd, cmdsize, version, sdk}
	entryPointSize       = 8 + 2*8
	dylibCommandSize     = 6 * 4 // dylib_command {cmd, cmdsize, dylib{name, timestamp, current_version, compatibility_version}}
	rpathCommandSize     = 3 * 4
	linkeditDataSize     = 4 * 4 // linkedit_data_command {cmd, cmdsize, dataoff, datasize}
	encryptionInfoSize   = 5 * 4 // encryption_info_command {cmd, cmdsize, cryptoff, cryptsize, cryptid}; _64 adds pad
	threadStateHdrSize   = 2 * 4 // each thread state in a thread_command: {flavor, count}, then count uint32s
)

// Thread state flavors used by LC_UNIXTHREAD, from xnu
// osfmk/mach/i386/thread_status.h and osfmk/mach/arm/thread_status.h.
// Flavor numbers are per CPU family.
const (
	x86ThreadState64      = 4
	x86ThreadState64Count = 42 // x86_thread_state64_t in uint32s: 21 uint64 registers
	x86RIPIndex           = 16 // rax rbx rcx rdx rdi rsi rbp rsp r8..r15, then rip
	armThreadState64      = 6
	armThreadState64Count = 68     // arm_thread_state64_t in uint32s: x0..x28 fp lr sp pc (33 uint64), cpsr, pad
	armPCIndex            = 29 + 3 // x0..x28, fp, lr, sp, then pc
)

// dylib_use_command (loader.h of the macOS 15 SDK) reuses dylib_command's
// layout: DYLIB_USE_MARKER where the timestamp was, and after the
// versions a flags word saying weak, re-exported or upward, which newer
// linkers use instead of the separate load commands.
const (
	dylibUseMarker   = 0x1a741800
	dylibUseWeakLink = 0x1
	dylibUseReexport = 0x2
	dylibUseUpward   = 0x4
)

// MachOInfo is what macOS's loader needs from one Mach-O slice: the
// platform and OS version it was built for, its entry point, the
// libraries it links and how, and whether it is signed or encrypted.
type MachOInfo struct {
	// Platform is the platform the slice was built for, from
	// LC_BUILD_VERSION or implied by an older LC_VERSION_MIN_* command:
	// "macos", "ios", "tvos", "watchos", "bridgeos", "maccatalyst",
	// "ios-simulator", "tvos-simulator", "watchos-simulator", "driverkit",
	// "visionos", "visionos-simulator", or "platform(N)" for a number
	// loader.h did not name when this was written. A zippered binary
	// carries two LC_BUILD_VERSION commands; Platform is the first.
	Platform string `json:"platform,omitempty"`
	// MinOS and SDK are the minimum OS version and the SDK version, as
	// otool shows them: "11.0", or "10.13.4" when the patch level is not
	// zero. SDK is empty when the file says 0 (otool's "n/a").
	MinOS string `json:"min_os,omitempty"`
	SDK   string `json:"sdk,omitempty"`
	// UUID is LC_UUID in canonical upper-case 8-4-4-4-12 form.
	UUID string `json:"uuid,omitempty"`
	// EntryCommand is "LC_MAIN", "LC_UNIXTHREAD" or empty (libraries).
	EntryCommand string `json:"entry_command,omitempty"`
	// EntryOffset is the offset, within the slice, of the first
	// instruction: LC_MAIN's entryoff, or the program counter of
	// LC_UNIXTHREAD (x86_64 rip, arm64 pc) mapped through the segments to
	// a file offset. It is -1 when the address lies in no segment's file
	// contents or the thread state is of a kind not decoded here.
	EntryOffset int64    `json:"entry_offset,omitempty"`
	Dylibs      []Dylib  `json:"dylibs,omitempty"`
	Rpaths      []string `json:"rpaths,omitempty"`
	PIE         bool     `json:"pie"`   // MH_PIE: loaded at a random address
	Flags       uint32   `json:"flags"` // the mach_header flags
	// CodeSignatureOffset and CodeSignatureSize are LC_CODE_SIGNATURE's
	// dataoff and datasize, within the slice; both 0 when it is absent.
	CodeSignatureOffset, CodeSignatureSize uint32 `json:"-"`
	// Encrypted reports an LC_ENCRYPTION_INFO(_64) with a non-zero
	// cryptid: App Store encryption, which only the device can undo.
	Encrypted bool `json:"encrypted,omitempty"`
	// Signature is the code signature LC_CODE_SIGNATURE points at, with its
	// page hashes checked against the file; nil when there is none, or when
	// it could not be decoded at all (the slice's Err then says why, and
	// macOS would refuse it too).
	Signature *CodeSignature `json:"signature,omitempty"`
}

// A Dylib is one library a Mach-O slice links, in load-command order.
type Dylib struct {
	Name string    `json:"name"`
	Kind DylibKind `json:"kind"`
	// CurrentVersion and CompatibilityVersion are printed as otool prints
	// them, always with three parts: "1.0.0".
	CurrentVersion       string `json:"current_version"`
	CompatibilityVersion string `json:"compatibility_version"`
}

// A DylibKind says how a library is linked, which decides what the loader
// does when it is missing.
type DylibKind int

// Dylib kinds, one per load command of mach-o/loader.h.
const (
	DylibLoad     DylibKind = iota // LC_LOAD_DYLIB: required
	DylibWeak                      // LC_LOAD_WEAK_DYLIB: may be missing
	DylibReexport                  // LC_REEXPORT_DYLIB: its symbols are re-exported
	DylibLazy                      // LC_LAZY_LOAD_DYLIB: loaded on first use (obsolete)
	DylibUpward                    // LC_LOAD_UPWARD_DYLIB: a dependency cycle, initialised upward
)

var dylibKindNames = [...]string{
	DylibLoad: "load", DylibWeak: "weak", DylibReexport: "reexport", DylibLazy: "lazy", DylibUpward: "upward",
}

// String returns the kind's name as used in JSON: "load", "weak",
// "reexport", "lazy" or "upward".
func (k DylibKind) String() string {
	if k >= 0 && int(k) < len(dylibKindNames) {
		return dylibKindNames[k]
	}
	return fmt.Sprintf("DylibKind(%d)", int(k))
}

// MarshalText implements encoding.TextMarshaler with String.
func (k DylibKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Platforms of build_version_command, from mach-o/loader.h (PLATFORM_*).
var platformNames = [...]string{
	1: "macos", 2: "ios", 3: "tvos", 4: "watchos", 5: "bridgeos", 6: "maccatalyst",
	7: "ios-simulator", 8: "tvos-simulator", 9: "watchos-simulator", 10: "driverkit",
	11: "visionos", 12: "visionos-simulator",
}

func platformName(p uint32) string {
	if p < uint32(len(platformNames)) && platformNames[p] != "" {
		return platformNames[p]
	}
	return fmt.Sprintf("platform(%d)", p)
}

// A machoImage is a thin Mach-O's header and load commands, checked for
// the bounds the loader checks.
type machoImage struct {
	base     int64 // file offset of the slice, for error offsets
	size     int64 // the slice's size; -1 when unknown
	bo       binary.ByteOrder
	is64     bool
	cpu      uint32
	subtype  uint32
	filetype uint32
	flags    uint32
	cmds     []loadCommand
	segments []machoSegment
	sections int        // sections in all segments
	goEv     goEvidence // whether a section is one only Go writes
}

// A loadCommand is one load command: its type, where it starts in the
// slice, and all its bytes, header included.
type loadCommand struct {
	cmd  uint32
	off  int64
	data []byte
}

// A machoSegment is the part of LC_SEGMENT(_64) needed to map addresses
// to file offsets, and the largest section alignment (a power of two)
// that lipo uses for object files.
type machoSegment struct {
	vmaddr, fileoff, filesize uint64
	nsects                    uint32
	maxSectAlign              uint32
}

// readMachOImage reads the header and load commands of the thin Mach-O
// in r, whose size is size (-1 if unknown) and which starts at file offset
// base.
func readMachOImage(r io.ReaderAt, size, base int64) (*machoImage, error) {
	var hdr [machHeader64Size]byte
	n, err := r.ReadAt(hdr[:], 0)
	if n < machHeader32Size {
		return nil, formatErr(base, readErr(err), "truncated Mach-O header")
	}
	m := &machoImage{base: base, size: size}
	switch binary.LittleEndian.Uint32(hdr[:]) {
	case machoMagic32:
		m.bo = binary.LittleEndian
	case machoMagic64:
		m.bo, m.is64 = binary.LittleEndian, true
	case machoCigam32:
		m.bo = binary.BigEndian
	case machoCigam64:
		m.bo, m.is64 = binary.BigEndian, true
	default:
		return nil, formatErr(base, nil, "bad Mach-O magic %#x", binary.BigEndian.Uint32(hdr[:]))
	}
	hdrSize, align := int64(machHeader32Size), uint32(4)
	if m.is64 {
		hdrSize, align = machHeader64Size, 8
	}
	if int64(n) < hdrSize {
		return nil, formatErr(base, readErr(err), "truncated Mach-O header")
	}
	bo := m.bo
	m.cpu, m.subtype, m.filetype = bo.Uint32(hdr[4:]), bo.Uint32(hdr[8:]), bo.Uint32(hdr[12:])
	ncmds, sizeofcmds := bo.Uint32(hdr[16:]), bo.Uint32(hdr[20:])
	m.flags = bo.Uint32(hdr[24:])
	if size >= 0 && int64(sizeofcmds) > size-hdrSize {
		return nil, formatErr(base+20, nil, "load commands (%d bytes) extend past the end of the %d-byte slice", sizeofcmds, size)
	}
	// Every command is at least 8 bytes, so ncmds is bounded by
	// sizeofcmds before anything is allocated for it.
	if ncmds > sizeofcmds/loadCommandHeaderSize {
		return nil, formatErr(base+16, nil, "%d load commands cannot fit in %d bytes", ncmds, sizeofcmds)
	}
	table, err := saferio.ReadAt(r, hdrSize, int64(sizeofcmds))
	if err != nil {
		return nil, formatErr(base+hdrSize, readErr(err), "reading %d bytes of load commands", sizeofcmds)
	}
	m.cmds = make([]loadCommand, 0, ncmds)
	rest := table
	for i := range ncmds {
		off := hdrSize + int64(len(table)-len(rest))
		if len(rest) < loadCommandHeaderSize {
			return nil, formatErr(base+off, nil, "load command %d extends past sizeofcmds", i)
		}
		cmd, cmdsize := bo.Uint32(rest), bo.Uint32(rest[4:])
		switch {
		case cmdsize < loadCommandHeaderSize:
			return nil, formatErr(base+off+4, nil, "load command %d (%#x) has cmdsize %d", i, cmd, cmdsize)
		case cmdsize%align != 0:
			return nil, formatErr(base+off+4, nil, "load command %d (%#x) cmdsize %d is not a multiple of %d", i, cmd, cmdsize, align)
		case cmdsize > uint32(len(rest)):
			return nil, formatErr(base+off+4, nil, "load command %d (%#x) of %d bytes extends past sizeofcmds", i, cmd, cmdsize)
		}
		lc := loadCommand{cmd: cmd, off: off, data: rest[:cmdsize]}
		rest = rest[cmdsize:]
		m.cmds = append(m.cmds, lc)
		if cmd == lcSegment || cmd == lcSegment64 {
			seg, err := m.segment(lc)
			if err != nil {
				return nil, err
			}
			m.segments = append(m.segments, seg)
		}
	}
	return m, nil
}

// readErr turns a short read's error into io.ErrUnexpectedEOF.
func readErr(err error) error {
	if err == nil || err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// errAt reports a problem in load command lc, at byte off within it.
func (m *machoImage) errAt(lc loadCommand, off int, format string, args ...any) error {
	return formatErr(m.base+lc.off+int64(off), nil, format, args...)
}

// layoutErrAt is errAt for a segment or section outside the file.
func (m *machoImage) layoutErrAt(lc loadCommand, off int, format string, args ...any) error {
	return formatErr(m.base+lc.off+int64(off), errLayout, format, args...)
}

// need checks that lc is at least n bytes long.
func (m *machoImage) need(lc loadCommand, n int, name string) error {
	if len(lc.data) < n {
		return m.errAt(lc, 4, "%s of %d bytes is shorter than %d", name, len(lc.data), n)
	}
	return nil
}

func (m *machoImage) segment(lc loadCommand) (machoSegment, error) {
	b, bo := lc.data, m.bo
	var s machoSegment
	var hdr, sectSize, alignOff int
	if lc.cmd == lcSegment64 {
		if err := m.need(lc, segmentCommand64Size, "LC_SEGMENT_64"); err != nil {
			return s, err
		}
		s.vmaddr, s.fileoff, s.filesize = bo.Uint64(b[24:]), bo.Uint64(b[40:]), bo.Uint64(b[48:])
		s.nsects = bo.Uint32(b[64:])
		hdr, sectSize, alignOff = segmentCommand64Size, section64Size, section64AlignOff
	} else {
		if err := m.need(lc, segmentCommandSize, "LC_SEGMENT"); err != nil {
			return s, err
		}
		s.vmaddr, s.fileoff, s.filesize = uint64(bo.Uint32(b[24:])), uint64(bo.Uint32(b[32:])), uint64(bo.Uint32(b[36:]))
		s.nsects = bo.Uint32(b[48:])
		hdr, sectSize, alignOff = segmentCommandSize, section32Size, section32AlignOff
	}
	if uint64(s.nsects) > uint64(len(b)-hdr)/uint64(sectSize) {
		return s, m.errAt(lc, hdr-8, "segment claims %d sections in a %d-byte command", s.nsects, len(b))
	}
	if m.size >= 0 && outside(s.fileoff, s.filesize, m.size) {
		return s, m.layoutErrAt(lc, 0, "segment [%#x, +%#x) extends past the end of the %d-byte file", s.fileoff, s.filesize, m.size)
	}
	m.sections += int(s.nsects)
	for i := range int(s.nsects) {
		sect := b[hdr+i*sectSize:]
		if slices.Contains(goSectionsMachO, cstring(sect[:16])) {
			m.goEv = goPresent
		}
		s.maxSectAlign = max(s.maxSectAlign, bo.Uint32(sect[alignOff:]))
		// struct section(_64): size precedes offset, which precedes align;
		// zero-fill sections (S_ZEROFILL 0x1, S_GB_ZEROFILL 0xc,
		// S_THREAD_LOCAL_ZEROFILL 0x12 in the low byte of flags) have no
		// file contents.
		var off, n uint64
		var flags uint32
		if lc.cmd == lcSegment64 {
			n, off, flags = bo.Uint64(sect[40:]), uint64(bo.Uint32(sect[48:])), bo.Uint32(sect[64:])
		} else {
			n, off, flags = uint64(bo.Uint32(sect[36:])), uint64(bo.Uint32(sect[40:])), bo.Uint32(sect[56:])
		}
		switch flags & 0xff {
		case 0x1, 0xc, 0x12:
			continue
		}
		if m.size >= 0 && off != 0 && outside(off, n, m.size) {
			return s, m.layoutErrAt(lc, hdr+i*sectSize, "section %d [%#x, +%#x) extends past the end of the %d-byte file", i, off, n, m.size)
		}
	}
	return s, nil
}

// cstring returns a fixed-size name field up to its first NUL, such as
// a section's 16-byte sectname (which has none when it is 16 bytes long).
func cstring(b []byte) string {
	if n := bytes.IndexByte(b, 0); n >= 0 {
		b = b[:n]
	}
	return string(b)
}

// str returns the NUL-terminated string at the lc_str offset stored at
// byte at of lc; the string must lie after the command's fixed part
// (fixed bytes) and inside the command.
func (m *machoImage) str(lc loadCommand, at, fixed int) (string, error) {
	off := m.bo.Uint32(lc.data[at:])
	if off < uint32(fixed) || off >= uint32(len(lc.data)) {
		return "", m.errAt(lc, at, "string offset %d outside the %d-byte load command", off, len(lc.data))
	}
	s := lc.data[off:]
	n := bytes.IndexByte(s, 0)
	if n < 0 {
		return "", m.errAt(lc, int(off), "string not NUL-terminated inside its load command")
	}
	return string(s[:n]), nil
}

// fileOffset maps a virtual address to an offset in the slice through
// the segments' file contents, or returns -1.
func (m *machoImage) fileOffset(addr uint64) int64 {
	for _, s := range m.segments {
		if addr >= s.vmaddr && addr-s.vmaddr < s.filesize {
			off := s.fileoff + (addr - s.vmaddr)
			if off < s.fileoff || off > math.MaxInt64 {
				return -1
			}
			return int64(off)
		}
	}
	return -1
}

// readMachO decodes the load commands of the Mach-O slice s.
func readMachO(s *Slice) (*MachOInfo, error) {
	m, err := readMachOImage(s.Reader(), s.Size, s.Offset)
	if err != nil {
		return nil, err
	}
	info := &MachOInfo{Flags: m.flags, PIE: m.flags&mhPIE != 0}
	s.goEv = m.goEv
	if m.sections > 0 && m.goEv == goUnknown {
		s.goEv = goAbsent
	}
	for _, lc := range m.cmds {
		if err := m.decode(info, lc); err != nil {
			return nil, err
		}
	}
	return info, nil
}

// decode adds what load command lc says to info.
func (m *machoImage) decode(info *MachOInfo, lc loadCommand) error {
	b, bo := lc.data, m.bo
	switch lc.cmd {
	case lcUUID:
		if err := m.need(lc, uuidCommandSize, "LC_UUID"); err != nil {
			return err
		}
		u := b[8:24]
		info.UUID = fmt.Sprintf("%X-%X-%X-%X-%X", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])

	case lcBuildVersion:
		if err := m.need(lc, buildVersionSize, "LC_BUILD_VERSION"); err != nil {
			return err
		}
		ntools := bo.Uint32(b[20:])
		if uint64(ntools) > uint64(len(b)-buildVersionSize)/buildToolVersionSize {
			return m.errAt(lc, 20, "LC_BUILD_VERSION claims %d tools in %d bytes", ntools, len(b))
		}
		if info.Platform == "" {
			info.Platform = platformName(bo.Uint32(b[8:]))
			info.MinOS, info.SDK = osVersion(bo.Uint32(b[12:])), sdkVersion(bo.Uint32(b[16:]))
		}

	case lcVersionMinMacOSX, lcVersionMinIPhoneOS, lcVersionMinTVOS, lcVersionMinWatchOS:
		if err := m.need(lc, versionMinSize, "LC_VERSION_MIN"); err != nil {
			return err
		}
		if info.Platform == "" {
			info.Platform = m.versionMinPlatform(lc.cmd)
			info.MinOS, info.SDK = osVersion(bo.Uint32(b[8:])), sdkVersion(bo.Uint32(b[12:]))
		}

	case lcMain:
		if err := m.need(lc, entryPointSize, "LC_MAIN"); err != nil {
			return err
		}
		if info.EntryCommand != "" {
			return m.errAt(lc, 0, "LC_MAIN after %s: two entry points", info.EntryCommand)
		}
		info.EntryCommand, info.EntryOffset = "LC_MAIN", -1
		if off := bo.Uint64(b[8:]); off <= math.MaxInt64 {
			info.EntryOffset = int64(off)
		}

	case lcUnixThread:
		if info.EntryCommand != "" {
			return m.errAt(lc, 0, "LC_UNIXTHREAD after %s: two entry points", info.EntryCommand)
		}
		pc, ok, err := m.threadPC(lc)
		if err != nil {
			return err
		}
		info.EntryCommand, info.EntryOffset = "LC_UNIXTHREAD", -1
		if ok {
			info.EntryOffset = m.fileOffset(pc)
		}

	case lcLoadDylib, lcLoadWeakDylib, lcReexportDylib, lcLazyLoadDylib, lcLoadUpwardDylib:
		d, err := m.dylib(lc)
		if err != nil {
			return err
		}
		info.Dylibs = append(info.Dylibs, d)

	case lcRpath:
		if err := m.need(lc, rpathCommandSize, "LC_RPATH"); err != nil {
			return err
		}
		p, err := m.str(lc, 8, rpathCommandSize)
		if err != nil {
			return err
		}
		info.Rpaths = append(info.Rpaths, p)

	case lcCodeSignature:
		if err := m.need(lc, linkeditDataSize, "LC_CODE_SIGNATURE"); err != nil {
			return err
		}
		info.CodeSignatureOffset, info.CodeSignatureSize = bo.Uint32(b[8:]), bo.Uint32(b[12:])

	case lcEncryptionInfo, lcEncryptionInfo64:
		if err := m.need(lc, encryptionInfoSize, "LC_ENCRYPTION_INFO"); err != nil {
			return err
		}
		info.Encrypted = info.Encrypted || bo.Uint32(b[16:]) != 0
	}
	return nil
}

// versionMinPlatform names the platform an LC_VERSION_MIN_* command
// implies. Before LC_BUILD_VERSION, simulator binaries said iOS, tvOS or
// watchOS on an Intel CPU; dyld reads them that way, and so does this.
func (m *machoImage) versionMinPlatform(cmd uint32) string {
	intel := m.cpu == uint32(cpuTypeX86) || m.cpu == uint32(cpuTypeX86_64)
	var p string
	switch cmd {
	case lcVersionMinMacOSX:
		return "macos"
	case lcVersionMinIPhoneOS:
		p = "ios"
	case lcVersionMinTVOS:
		p = "tvos"
	case lcVersionMinWatchOS:
		p = "watchos"
	}
	if intel {
		p += "-simulator"
	}
	return p
}

// CPU types used to interpret thread states and simulator platforms, from
// xnu osfmk/mach/machine.h.
const (
	cpuTypeX86    = 7
	cpuTypeX86_64 = 7 | 0x01000000 // CPU_ARCH_ABI64
	cpuTypeArm    = 12
	cpuTypeArm64  = 12 | 0x01000000
)

// threadPC finds the initial program counter in an LC_UNIXTHREAD:
// {cmd, cmdsize} followed by any number of {flavor, count, state[count]}.
// ok is false when no state of a decoded flavor is present.
func (m *machoImage) threadPC(lc loadCommand) (pc uint64, ok bool, err error) {
	b, bo := lc.data, m.bo
	for off := loadCommandHeaderSize; off < len(b); {
		if len(b)-off < threadStateHdrSize {
			return 0, false, m.errAt(lc, off, "truncated thread state header")
		}
		flavor, count := bo.Uint32(b[off:]), bo.Uint32(b[off+4:])
		state := off + threadStateHdrSize
		if uint64(count) > uint64(len(b)-state)/4 {
			return 0, false, m.errAt(lc, off+4, "thread state of %d words overruns the %d-byte command", count, len(b))
		}
		switch {
		case m.cpu == cpuTypeX86_64 && flavor == x86ThreadState64 && count >= x86ThreadState64Count:
			return bo.Uint64(b[state+8*x86RIPIndex:]), true, nil
		case m.cpu == cpuTypeArm64 && flavor == armThreadState64 && count >= armThreadState64Count:
			return bo.Uint64(b[state+8*armPCIndex:]), true, nil
		}
		off = state + int(count)*4
	}
	return 0, false, nil
}

// dylib decodes a dylib_command or a dylib_use_command.
func (m *machoImage) dylib(lc loadCommand) (Dylib, error) {
	if err := m.need(lc, dylibCommandSize, "dylib load command"); err != nil {
		return Dylib{}, err
	}
	b, bo := lc.data, m.bo
	name, err := m.str(lc, 8, dylibCommandSize)
	if err != nil {
		return Dylib{}, err
	}
	d := Dylib{
		Name:                 name,
		CurrentVersion:       dylibVersion(bo.Uint32(b[16:])),
		CompatibilityVersion: dylibVersion(bo.Uint32(b[20:])),
	}
	switch lc.cmd {
	case lcLoadWeakDylib:
		d.Kind = DylibWeak
	case lcReexportDylib:
		d.Kind = DylibReexport
	case lcLazyLoadDylib:
		d.Kind = DylibLazy
	case lcLoadUpwardDylib:
		d.Kind = DylibUpward
	}
	// dylib_use_command {cmd, cmdsize, nameoff == 28, marker, current,
	// compat, flags}: the flags word is the 7th uint32.
	const useSize = 7 * 4
	if bo.Uint32(b[12:]) == dylibUseMarker && bo.Uint32(b[8:]) == useSize && len(b) >= useSize {
		switch flags := bo.Uint32(b[24:]); {
		case flags&dylibUseReexport != 0:
			d.Kind = DylibReexport
		case flags&dylibUseUpward != 0:
			d.Kind = DylibUpward
		case flags&dylibUseWeakLink != 0:
			d.Kind = DylibWeak
		}
	}
	return d, nil
}

// Versions are packed as xxxx.yy.zz in nibbles: 16 bits major, 8 minor,
// 8 patch (mach-o/loader.h, version_min_command).
func versionParts(v uint32) (major, minor, patch uint32) {
	return v >> 16, v >> 8 & 0xff, v & 0xff
}

// osVersion prints a version as otool does for minimum OS versions:
// "11.0", with the patch level only when it is not zero.
func osVersion(v uint32) string {
	major, minor, patch := versionParts(v)
	if patch == 0 {
		return fmt.Sprintf("%d.%d", major, minor)
	}
	return fmt.Sprintf("%d.%d.%d", major, minor, patch)
}

// sdkVersion is osVersion, but empty for 0, which otool prints as "n/a".
func sdkVersion(v uint32) string {
	if v == 0 {
		return ""
	}
	return osVersion(v)
}

// dylibVersion prints a library version as otool does: always three parts.
func dylibVersion(v uint32) string {
	major, minor, patch := versionParts(v)
	return fmt.Sprintf("%d.%d.%d", major, minor, patch)
}
