package toolchain

import (
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"encoding/binary"
	"errors"
	"io"

	"github.com/nativego/nativego/archcheck"
	"github.com/nativego/nativego/internal/saferio"
)

// Reading the Go version of a binary is the hot path of Discover: a tree
// has nine Go executables (bin/go and eight tools), and debug/buildinfo
// spends most of its time in debug/macho.NewFile, which decodes the whole
// symbol table before anything else (2 s for twenty darwin trees). The
// version needs only the build information blob, at the start of its own
// section, so buildVersion finds that section from the load commands or
// section headers and decodes the blob's first bytes; debug/buildinfo
// remains the fallback for the layouts this does not handle (PE, Go
// releases before 1.18).

// errNoFastPath means the fast path does not apply; the caller falls back.
var errNoFastPath = errors.New("no build information section")

// Build information blob, from debug/buildinfo (src/debug/buildinfo/
// buildinfo.go) and cmd/link's writer: a 32-byte header of the magic
// "\xff Go buildinf:" (14 bytes), the pointer size (1 byte) and flags (1
// byte), padding to 32; with flagsVersionInl (2, Go 1.18 and later) the
// version and module strings follow inline, each a uvarint length and
// bytes.
const (
	buildInfoMagic      = "\xff Go buildinf:"
	buildInfoHeaderSize = 32
	buildInfoFlagsOff   = 15
	flagsVersionInl     = 0x2
	maxVersionLen       = 256 // "go1.27.3 X:nocoverageredesign,..." is far shorter
)

// Mach-O load commands, from mach-o/loader.h.
const (
	machoHeader32Size   = 28 // mach_header: 7 uint32
	machoHeader64Size   = 32 // mach_header_64: 8 uint32
	lcSegment           = 0x1
	lcSegment64         = 0x19
	segmentCommandSize  = 56 // segment_command: cmd, cmdsize, segname[16], 8 uint32
	segmentCommand64    = 72 // segment_command_64: cmd, cmdsize, segname[16], 4 uint64, 4 uint32
	section32Size       = 68 // section: sectname[16], segname[16], 9 uint32
	section64Size       = 80 // section_64: sectname[16], segname[16], 2 uint64, 8 uint32
	maxLoadCommandBytes = 1 << 20
	goBuildInfoMachO    = "__go_buildinfo"
	goBuildInfoELF      = ".go.buildinfo"
)

// buildVersion returns the Go version recorded in the executable r, whose
// header h was read by archcheck.ReadHeader. For a universal file it
// reads the first slice, as debug/buildinfo does.
func buildVersion(r io.ReaderAt, h *archcheck.Header) (string, error) {
	if len(h.Slices) == 0 {
		return "", errNoFastPath
	}
	s := h.Slices[0]
	var off int64
	var err error
	switch h.Format {
	case archcheck.FormatMachO, archcheck.FormatMachOFat:
		off, err = machoSectionOffset(r, s)
		off += s.Offset // section offsets count from the slice's start
	case archcheck.FormatELF:
		off, err = elfSectionOffset(r)
	default:
		return "", errNoFastPath
	}
	if err != nil {
		return "", err
	}
	return decodeBuildInfo(r, off)
}

// machoSectionOffset finds __go_buildinfo by walking the load commands of
// the slice s.
func machoSectionOffset(r io.ReaderAt, s archcheck.SliceHeader) (int64, error) {
	hdrSize := int64(machoHeader32Size)
	if s.Bits == 64 {
		hdrSize = machoHeader64Size
	}
	var hdr [machoHeader64Size]byte
	if _, err := r.ReadAt(hdr[:hdrSize], s.Offset); err != nil {
		return 0, err
	}
	bo := s.ByteOrder
	ncmds, sizeofcmds := bo.Uint32(hdr[16:]), bo.Uint32(hdr[20:])
	if sizeofcmds > maxLoadCommandBytes || (s.Size >= 0 && int64(sizeofcmds) > s.Size-hdrSize) {
		return 0, errNoFastPath
	}
	cmds, err := saferio.ReadAt(r, s.Offset+hdrSize, int64(sizeofcmds))
	if err != nil {
		return 0, err
	}
	for i := uint32(0); i < ncmds && len(cmds) >= 8; i++ {
		cmd, size := bo.Uint32(cmds), bo.Uint32(cmds[4:])
		if size < 8 || uint64(size) > uint64(len(cmds)) {
			return 0, errNoFastPath
		}
		c := cmds[:size]
		cmds = cmds[size:]
		var segSize, secSize int
		var nsectOff int
		switch cmd {
		case lcSegment64:
			segSize, secSize, nsectOff = segmentCommand64, section64Size, 64
		case lcSegment:
			segSize, secSize, nsectOff = segmentCommandSize, section32Size, 48
		default:
			continue
		}
		if len(c) < segSize {
			return 0, errNoFastPath
		}
		nsects := bo.Uint32(c[nsectOff:])
		secs := c[segSize:]
		if uint64(nsects)*uint64(secSize) > uint64(len(secs)) {
			return 0, errNoFastPath
		}
		for j := 0; j < int(nsects); j++ {
			sec := secs[j*secSize:]
			name, _, _ := bytes.Cut(sec[:16], []byte{0})
			if string(name) != goBuildInfoMachO {
				continue
			}
			// section_64.offset follows sectname, segname, addr and size
			// (16+16+8+8); section.offset follows 4-byte addr and size.
			offAt := 16 + 16 + 8 + 8
			if cmd == lcSegment {
				offAt = 16 + 16 + 4 + 4
			}
			return int64(bo.Uint32(sec[offAt:])), nil
		}
	}
	return 0, errNoFastPath
}

// elfSectionOffset finds .go.buildinfo with debug/elf, whose NewFile
// reads only the section headers and their names.
func elfSectionOffset(r io.ReaderAt) (int64, error) {
	return guard("debug/elf", func() (int64, error) {
		f, err := elf.NewFile(r)
		if err != nil {
			return 0, err
		}
		sec := f.Section(goBuildInfoELF)
		if sec == nil || sec.Type == elf.SHT_NOBITS {
			return 0, errNoFastPath
		}
		return int64(sec.Offset), nil
	})
}

// decodeBuildInfo reads the version from the build information blob at
// off.
func decodeBuildInfo(r io.ReaderAt, off int64) (string, error) {
	var buf [buildInfoHeaderSize + binary.MaxVarintLen64 + maxVersionLen]byte
	n, err := r.ReadAt(buf[:], off)
	if n < buildInfoHeaderSize+1 {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return "", err
	}
	b := buf[:n]
	if !bytes.HasPrefix(b, []byte(buildInfoMagic)) || b[buildInfoFlagsOff]&flagsVersionInl == 0 {
		return "", errNoFastPath
	}
	l, w := binary.Uvarint(b[buildInfoHeaderSize:])
	rest := b[buildInfoHeaderSize:]
	if w <= 0 || l > maxVersionLen || l > uint64(len(rest)-w) {
		return "", errNoFastPath
	}
	return string(rest[w : w+int(l)]), nil
}

// goVersion returns the Go version in r's build information, or "".
//
// TODO(lead): switch to archcheck's GoInfo once it lands.
func goVersion(r io.ReaderAt, h *archcheck.Header) string {
	if v, err := buildVersion(r, h); err == nil {
		return v
	}
	bi, err := guard("debug/buildinfo", func() (*buildinfo.BuildInfo, error) { return buildinfo.Read(r) })
	if err != nil {
		return ""
	}
	return bi.GoVersion
}
