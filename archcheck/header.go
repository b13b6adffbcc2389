package archcheck

import (
	"debug/elf"
	"debug/macho"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/nativego/nativego/internal/saferio"
)

// A FileType says what a slice is for: something to run, to load into
// something else, or neither.
type FileType int

// File types. A Mach-O dylib, an ELF shared object and a PE DLL are all
// TypeSharedLibrary; an ELF position-independent executable is
// TypeExecutable, not TypeSharedLibrary, even though its e_type is ET_DYN.
const (
	TypeUnknown         FileType = iota
	TypeExecutable               // MH_EXECUTE, ET_EXEC or a PIE, a PE image without IMAGE_FILE_DLL
	TypeSharedLibrary            // MH_DYLIB, ET_DYN without an interpreter, a PE DLL
	TypeBundle                   // MH_BUNDLE: a Mach-O plug-in loaded with dlopen
	TypeObject                   // MH_OBJECT, ET_REL: not linked yet
	TypeCore                     // MH_CORE, ET_CORE: a memory dump
	TypeDynamicLinker            // MH_DYLINKER: dyld itself
	TypeKernelExtension          // MH_KEXT_BUNDLE
	TypeDebugSymbols             // MH_DSYM: a dSYM companion file, never run
	TypeOther                    // MH_FVMLIB, MH_PRELOAD, MH_DYLIB_STUB, MH_FILESET and the like
)

var fileTypeNames = [...]string{
	TypeUnknown:         "unknown",
	TypeExecutable:      "executable",
	TypeSharedLibrary:   "shared-library",
	TypeBundle:          "bundle",
	TypeObject:          "object",
	TypeCore:            "core",
	TypeDynamicLinker:   "dynamic-linker",
	TypeKernelExtension: "kext",
	TypeDebugSymbols:    "dsym",
	TypeOther:           "other",
}

// String returns the type's name as used in JSON, such as "executable".
func (t FileType) String() string {
	if t >= 0 && int(t) < len(fileTypeNames) {
		return fileTypeNames[t]
	}
	return fmt.Sprintf("FileType(%d)", int(t))
}

// MarshalText implements encoding.TextMarshaler with String.
func (t FileType) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// Mach-O file types, from mach-o/loader.h.
func machoFileType(t macho.Type) FileType {
	switch t {
	case macho.TypeExec:
		return TypeExecutable
	case macho.TypeDylib:
		return TypeSharedLibrary
	case macho.TypeBundle:
		return TypeBundle
	case macho.TypeObj:
		return TypeObject
	case 4: // MH_CORE
		return TypeCore
	case 7: // MH_DYLINKER
		return TypeDynamicLinker
	case 0xa: // MH_DSYM
		return TypeDebugSymbols
	case 0xb: // MH_KEXT_BUNDLE
		return TypeKernelExtension
	case 3, 5, 9, 0xc: // MH_FVMLIB, MH_PRELOAD, MH_DYLIB_STUB, MH_FILESET
		return TypeOther
	}
	return TypeUnknown
}

// A SliceHeader is what the first bytes of one architecture's image say,
// before any load command, program header or section is read.
type SliceHeader struct {
	Offset int64    `json:"offset"` // where the slice starts in the file; 0 unless universal
	Size   int64    `json:"size"`   // the slice's length in bytes; -1 if unknown
	Arch   string   `json:"arch"`   // Go's GOARCH name; empty when Go has no port
	CPU    string   `json:"cpu"`    // the exact CPU, as the platform's tools name it
	Type   FileType `json:"type"`
	Bits   int      `json:"bits"` // 32 or 64

	// ByteOrder is the slice's byte order.
	ByteOrder binary.ByteOrder `json:"-"`

	// Machine and Subtype are the raw CPU fields: the Mach-O cputype and
	// cpusubtype (capability bits included), the ELF e_machine or the PE
	// Machine. Subtype is zero outside Mach-O.
	Machine uint32 `json:"machine"`
	Subtype uint32 `json:"subtype,omitempty"`
}

// A Header is the result of the fast path: the format and each slice's
// architecture and type, read from a few hundred bytes at most.
type Header struct {
	Format Format
	Slices []SliceHeader
}

// prefixSize is how many bytes ReadHeader reads first: enough for a
// 64-bit ELF header (64 bytes) and any Mach-O header (32 bytes); PE needs
// a second read at e_lfanew, universal files one per slice.
const prefixSize = 64

// ReadHeader reads the format and the architectures of r from its
// headers alone, without parsing load commands, sections or symbols. It
// is the fast path for scans: a thin file costs one or two small reads.
//
// It returns an error wrapping ErrNotExecutable for other files, and a
// *FormatError for headers that are truncated or inconsistent.
func ReadHeader(r io.ReaderAt) (*Header, error) {
	size, ok := saferio.SizeOf(r)
	if !ok {
		size = -1
	}
	return readHeader(r, size)
}

func readHeader(r io.ReaderAt, size int64) (*Header, error) {
	var buf [prefixSize]byte
	n, err := r.ReadAt(buf[:], 0)
	if n < len(buf) && err != nil && err != io.EOF {
		return nil, err
	}
	prefix := buf[:n]
	h := &Header{Format: Identify(prefix)}
	switch h.Format {
	case FormatMachO:
		s, err := machoSliceHeader(prefix, 0, size)
		if err != nil {
			return nil, err
		}
		h.Slices = []SliceHeader{s}
	case FormatMachOFat:
		h.Slices, err = fatSliceHeaders(r, prefix, size)
		if err != nil {
			return nil, err
		}
	case FormatELF:
		s, err := elfSliceHeader(r, prefix, size)
		if err != nil {
			return nil, err
		}
		h.Slices = []SliceHeader{s}
	case FormatPE:
		s, err := peSliceHeader(r, prefix, size)
		if err != nil {
			return nil, err
		}
		h.Slices = []SliceHeader{s}
	default:
		return nil, fmt.Errorf("archcheck: %w", ErrNotExecutable)
	}
	return h, nil
}

// machoHeaderSize is the part of mach_header(_64) read here: magic,
// cputype, cpusubtype, filetype (4 bytes each); mach_header_64 only adds
// fields after these.
const machoHeaderSize = 16

// machoSliceHeader decodes the Mach-O header at the start of b, which
// starts at file offset off.
func machoSliceHeader(b []byte, off, size int64) (SliceHeader, error) {
	if len(b) < machoHeaderSize {
		return SliceHeader{}, formatErr(off, io.ErrUnexpectedEOF, "truncated Mach-O header")
	}
	var bo binary.ByteOrder
	var bits int
	switch binary.LittleEndian.Uint32(b) {
	case machoMagic32:
		bo, bits = binary.LittleEndian, 32
	case machoMagic64:
		bo, bits = binary.LittleEndian, 64
	case machoCigam32:
		bo, bits = binary.BigEndian, 32
	case machoCigam64:
		bo, bits = binary.BigEndian, 64
	default:
		return SliceHeader{}, formatErr(off, nil, "bad Mach-O magic %#x", binary.BigEndian.Uint32(b))
	}
	cpu, sub := macho.Cpu(bo.Uint32(b[4:])), bo.Uint32(b[8:])
	goarch, name := machoArch(cpu, sub)
	return SliceHeader{
		Offset: off, Size: size,
		Arch: goarch, CPU: name,
		Type:      machoFileType(macho.Type(bo.Uint32(b[12:]))),
		Bits:      bits,
		ByteOrder: bo,
		Machine:   uint32(cpu), Subtype: sub,
	}, nil
}

// Universal headers, from mach-o/fat.h: fat_header {magic, nfat_arch},
// then nfat_arch entries of fat_arch {cputype, cpusubtype, offset, size,
// align} (5*4 bytes) or fat_arch_64 {cputype, cpusubtype, offset, size,
// align, reserved} (2*4 + 2*8 + 2*4 bytes), all big-endian.
const (
	fatHeaderSize = 8
	fatArchSize   = 5 * 4
	fatArch64Size = 2*4 + 2*8 + 2*4
)

// fatSliceHeaders decodes a universal header and the Mach-O header at the
// start of each slice.
func fatSliceHeaders(r io.ReaderAt, prefix []byte, size int64) ([]SliceHeader, error) {
	entries, err := readFatArchs(r, prefix, size)
	if err != nil {
		return nil, err
	}
	slices := make([]SliceHeader, 0, len(entries))
	for _, e := range entries {
		var b [machoHeaderSize]byte
		if _, err := r.ReadAt(b[:], e.offset); err != nil {
			return nil, formatErr(e.offset, err, "reading Mach-O header of %s slice", e.name())
		}
		s, err := machoSliceHeader(b[:], e.offset, e.size)
		if err != nil {
			return nil, err
		}
		if s.Machine != e.cpu {
			return nil, formatErr(e.offset, nil, "universal header says %s but the slice's header says %s", e.name(), s.CPU)
		}
		slices = append(slices, s)
	}
	return slices, nil
}

// A fatArch is one entry of a universal header.
type fatArch struct {
	cpu, subtype uint32
	offset, size int64
	align        uint32
}

func (e fatArch) name() string {
	_, name := machoArch(macho.Cpu(e.cpu), e.subtype)
	return name
}

// readFatArchs reads and validates a universal header's entries: each
// slice must lie inside the file, after the header, and not overlap
// another.
func readFatArchs(r io.ReaderAt, prefix []byte, size int64) ([]fatArch, error) {
	if len(prefix) < fatHeaderSize {
		return nil, formatErr(0, io.ErrUnexpectedEOF, "truncated universal header")
	}
	magic := binary.BigEndian.Uint32(prefix)
	n := binary.BigEndian.Uint32(prefix[4:])
	if n == 0 || n > maxFatArchs { // Identify already excluded this; keep readFatArchs safe alone
		return nil, formatErr(4, nil, "universal header claims %d architectures", n)
	}
	entSize := fatArchSize
	if magic == fatMagic64 {
		entSize = fatArch64Size
	}
	var tab [maxFatArchs * fatArch64Size]byte
	table := tab[:int(n)*entSize]
	if got, err := r.ReadAt(table, fatHeaderSize); got < len(table) {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, formatErr(fatHeaderSize, err, "truncated universal header with %d architectures", n)
	}
	headerEnd := int64(fatHeaderSize + len(table))
	entries := make([]fatArch, n)
	for i := range entries {
		b := table[i*entSize:]
		e := fatArch{cpu: binary.BigEndian.Uint32(b), subtype: binary.BigEndian.Uint32(b[4:])}
		if magic == fatMagic64 {
			off, sz := binary.BigEndian.Uint64(b[8:]), binary.BigEndian.Uint64(b[16:])
			if off > 1<<62 || sz > 1<<62 {
				return nil, formatErr(int64(fatHeaderSize+i*entSize), nil, "slice %d: offset %#x or size %#x out of range", i, off, sz)
			}
			e.offset, e.size, e.align = int64(off), int64(sz), binary.BigEndian.Uint32(b[24:])
		} else {
			e.offset, e.size, e.align = int64(binary.BigEndian.Uint32(b[8:])), int64(binary.BigEndian.Uint32(b[12:])), binary.BigEndian.Uint32(b[16:])
		}
		entOff := int64(fatHeaderSize + i*entSize)
		switch {
		case e.offset < headerEnd:
			return nil, formatErr(entOff, nil, "%s slice at %#x overlaps the universal header", e.name(), e.offset)
		case e.size < machoHeaderSize:
			return nil, formatErr(entOff, nil, "%s slice is %d bytes, too small for a Mach-O header", e.name(), e.size)
		case size >= 0 && e.offset+e.size > size:
			return nil, formatErr(entOff, nil, "%s slice [%#x, %#x) extends past the end of the %d-byte file", e.name(), e.offset, e.offset+e.size, size)
		case e.align > 31:
			return nil, formatErr(entOff, nil, "%s slice alignment 2^%d is not plausible", e.name(), e.align)
		}
		for _, prev := range entries[:i] {
			if e.offset < prev.offset+prev.size && prev.offset < e.offset+e.size {
				return nil, formatErr(entOff, nil, "%s slice overlaps the %s slice", e.name(), prev.name())
			}
			if e.cpu == prev.cpu && e.subtype&machoSubtypeMask == prev.subtype&machoSubtypeMask {
				return nil, formatErr(entOff, nil, "two slices for %s", e.name())
			}
		}
		entries[i] = e
	}
	return entries, nil
}

// ELF header field offsets, from the System V ABI (elf.h Elf32_Ehdr and
// Elf64_Ehdr): e_type at 16 and e_machine at 18 in both; e_phoff at 28
// (32-bit) or 32 (64-bit); e_phentsize and e_phnum at 42/44 or 54/56.
const (
	elfHeader32Size = 52
	elfHeader64Size = 64
)

// elfSliceHeader decodes an ELF header. An ET_DYN file is an executable
// when it names a program interpreter (PT_INTERP), a shared library
// otherwise; telling a static PIE from a library needs the dynamic
// section, which only the full parse reads.
func elfSliceHeader(r io.ReaderAt, b []byte, size int64) (SliceHeader, error) {
	if len(b) < elf.EI_NIDENT {
		return SliceHeader{}, formatErr(0, io.ErrUnexpectedEOF, "truncated ELF identification")
	}
	class, data := elf.Class(b[elf.EI_CLASS]), elf.Data(b[elf.EI_DATA])
	var bo binary.ByteOrder
	switch data {
	case elf.ELFDATA2LSB:
		bo = binary.LittleEndian
	case elf.ELFDATA2MSB:
		bo = binary.BigEndian
	default:
		return SliceHeader{}, formatErr(elf.EI_DATA, nil, "unknown ELF data encoding %d", data)
	}
	var bits, hdrSize int
	switch class {
	case elf.ELFCLASS32:
		bits, hdrSize = 32, elfHeader32Size
	case elf.ELFCLASS64:
		bits, hdrSize = 64, elfHeader64Size
	default:
		return SliceHeader{}, formatErr(elf.EI_CLASS, nil, "unknown ELF class %d", class)
	}
	if len(b) < hdrSize {
		return SliceHeader{}, formatErr(0, io.ErrUnexpectedEOF, "truncated ELF header")
	}
	machine := elf.Machine(bo.Uint16(b[18:]))
	goarch, name := elfArch(machine, class, data)
	s := SliceHeader{Size: size, Arch: goarch, CPU: name, Bits: bits, ByteOrder: bo, Machine: uint32(machine)}
	switch elf.Type(bo.Uint16(b[16:])) {
	case elf.ET_EXEC:
		s.Type = TypeExecutable
	case elf.ET_REL:
		s.Type = TypeObject
	case elf.ET_CORE:
		s.Type = TypeCore
	case elf.ET_DYN:
		interp, err := elfHasInterp(r, b, bo, class, size)
		if err != nil {
			return SliceHeader{}, err
		}
		s.Type = TypeSharedLibrary
		if interp {
			s.Type = TypeExecutable
		}
	default:
		s.Type = TypeOther
	}
	return s, nil
}

// elfHasInterp reports whether the program headers hold a PT_INTERP.
func elfHasInterp(r io.ReaderAt, b []byte, bo binary.ByteOrder, class elf.Class, size int64) (bool, error) {
	var phoff int64
	var phentsize, phnum int
	if class == elf.ELFCLASS64 {
		phoff, phentsize, phnum = int64(bo.Uint64(b[32:])), int(bo.Uint16(b[54:])), int(bo.Uint16(b[56:]))
	} else {
		phoff, phentsize, phnum = int64(bo.Uint32(b[28:])), int(bo.Uint16(b[42:])), int(bo.Uint16(b[44:]))
	}
	if phnum == 0 {
		return false, nil
	}
	if phoff < 0 || phentsize < 4 || (size >= 0 && phoff+int64(phentsize)*int64(phnum) > size) {
		return false, formatErr(0, nil, "program header table [%#x, +%d*%d) out of range", phoff, phnum, phentsize)
	}
	// phnum < 0x10000 and phentsize < 0x10000, so the table is under 4 GiB;
	// read it in bounded pieces rather than trusting it whole.
	var buf [256]byte
	per := len(buf) / phentsize
	for i := 0; i < phnum; {
		k := min(per, phnum-i)
		if k == 0 {
			return false, formatErr(phoff, nil, "program header entry size %d too large", phentsize)
		}
		chunk := buf[:k*phentsize]
		off := phoff + int64(i*phentsize)
		if got, err := r.ReadAt(chunk, off); got < len(chunk) {
			if err == nil || err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return false, formatErr(off, err, "reading program headers")
		}
		for j := range k {
			if elf.ProgType(bo.Uint32(chunk[j*phentsize:])) == elf.PT_INTERP {
				return true, nil
			}
		}
		i += k
	}
	return false, nil
}

// PE/COFF: the DOS header holds e_lfanew at 0x3c; there the signature
// "PE\0\0" is followed by the 20-byte COFF file header {Machine,
// NumberOfSections, TimeDateStamp, PointerToSymbolTable, NumberOfSymbols,
// SizeOfOptionalHeader, Characteristics}, then the optional header whose
// magic says PE32 (0x10b) or PE32+ (0x20b).
const (
	coffHeaderSize          = 20
	peCharExecutableImage   = 0x0002
	peCharDLL               = 0x2000
	peOptionalMagicPE32     = 0x10b
	peOptionalMagicPE32Plus = 0x20b
)

func peSliceHeader(r io.ReaderAt, prefix []byte, size int64) (SliceHeader, error) {
	if len(prefix) < peLfanewOffset+4 {
		return SliceHeader{}, formatErr(0, io.ErrUnexpectedEOF, "truncated DOS header")
	}
	lfanew := int64(binary.LittleEndian.Uint32(prefix[peLfanewOffset:]))
	if size >= 0 && lfanew+4+coffHeaderSize+2 > size {
		return SliceHeader{}, formatErr(peLfanewOffset, fmt.Errorf("%w: MZ file without a PE header", ErrNotExecutable), "e_lfanew %#x points past the end of the file", lfanew)
	}
	var b [4 + coffHeaderSize + 2]byte
	if got, err := r.ReadAt(b[:], lfanew); got < len(b) {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return SliceHeader{}, formatErr(lfanew, err, "reading PE header")
	}
	if string(b[:4]) != peSignature {
		return SliceHeader{}, formatErr(lfanew, fmt.Errorf("%w: MZ file without a PE signature", ErrNotExecutable), "bad PE signature %q", b[:4])
	}
	coff := b[4:]
	machine := binary.LittleEndian.Uint16(coff)
	chars := binary.LittleEndian.Uint16(coff[18:])
	goarch, name := peArch(machine)
	s := SliceHeader{Size: size, Arch: goarch, CPU: name, ByteOrder: binary.LittleEndian, Machine: uint32(machine)}
	switch binary.LittleEndian.Uint16(b[4+coffHeaderSize:]) {
	case peOptionalMagicPE32:
		s.Bits = 32
	case peOptionalMagicPE32Plus:
		s.Bits = 64
	}
	switch {
	case chars&peCharDLL != 0:
		s.Type = TypeSharedLibrary
	case chars&peCharExecutableImage != 0:
		s.Type = TypeExecutable
	default:
		s.Type = TypeObject
	}
	return s, nil
}
