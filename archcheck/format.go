package archcheck

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// A Format is an executable container format.
type Format int

// The formats archcheck reads. FormatUnknown is the zero value.
const (
	FormatUnknown  Format = iota
	FormatMachO           // a thin Mach-O file
	FormatMachOFat        // a universal ("fat") Mach-O file holding several slices
	FormatELF
	FormatPE // PE/COFF images (EXE, DLL)
)

var formatNames = [...]string{
	FormatUnknown:  "unknown",
	FormatMachO:    "macho",
	FormatMachOFat: "macho-fat",
	FormatELF:      "elf",
	FormatPE:       "pe",
}

// String returns the format's short name, as used in JSON: "unknown",
// "macho", "macho-fat", "elf" or "pe".
func (f Format) String() string {
	if f >= 0 && int(f) < len(formatNames) {
		return formatNames[f]
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// MarshalText implements encoding.TextMarshaler with String.
func (f Format) MarshalText() ([]byte, error) { return []byte(f.String()), nil }

// Magic numbers, from mach-o/loader.h, mach-o/fat.h and the ELF and PE
// specifications. Mach-O magics are read in the file's own byte order, so
// each appears twice: as written by a little-endian and a big-endian
// producer ("cigam" is magic backwards).
const (
	machoMagic32    = 0xfeedface
	machoMagic64    = 0xfeedfacf // Magic32 and Magic64 differ only in the bottom bit
	machoCigam32    = 0xcefaedfe
	machoCigam64    = 0xcffaedfe
	fatMagic        = 0xcafebabe // always big-endian; 32-bit offsets
	fatMagic64      = 0xcafebabf // always big-endian; 64-bit offsets
	maxFatArchs     = 30         // Java .class files share 0xcafebabe; their minor/major version puts the "count" above this (libmagic's rule)
	elfMagic        = "\x7fELF"
	peDOSMagic      = "MZ"
	peSignature     = "PE\x00\x00"
	peLfanewOffset  = 0x3c // e_lfanew: offset of the PE signature, in the DOS header
	identifyMinSize = 8    // bytes Identify needs to decide on a universal header
)

// Identify reports the format of a file from its first bytes, without
// reading further. Eight bytes suffice for every format; PE is reported on
// the DOS "MZ" stub alone, so a DOS-only program is identified as PE and
// then rejected by the full parse. A universal header claiming more than
// 30 slices is a Java class file, and reported as FormatUnknown.
func Identify(prefix []byte) Format {
	if len(prefix) < 4 {
		if len(prefix) >= 2 && string(prefix[:2]) == peDOSMagic {
			return FormatPE
		}
		return FormatUnknown
	}
	switch binary.BigEndian.Uint32(prefix) {
	case machoMagic32, machoMagic64, machoCigam32, machoCigam64:
		return FormatMachO
	case fatMagic, fatMagic64:
		if len(prefix) < identifyMinSize {
			return FormatUnknown
		}
		n := binary.BigEndian.Uint32(prefix[4:])
		if n == 0 || n > maxFatArchs {
			return FormatUnknown
		}
		return FormatMachOFat
	}
	switch {
	case bytes.HasPrefix(prefix, []byte(elfMagic)):
		return FormatELF
	case bytes.HasPrefix(prefix, []byte(peDOSMagic)):
		return FormatPE
	}
	return FormatUnknown
}
