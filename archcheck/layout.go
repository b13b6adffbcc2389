package archcheck

import (
	"debug/elf"
	"debug/pe"
	"errors"
)

// The standard debug parsers read a section's data with the length the
// file claims, allocating a 10 MiB chunk before any byte arrives when the
// claim is large (internal/saferio). A 1 KiB file claiming a 1 GiB section
// would cost 10 MiB per read, once in each parser that touches it. So each
// slice's segments and sections are checked against the slice's size
// first, and a slice whose layout points outside itself is not handed to
// the parsers that read section data (build information, version recovery,
// instruction sampling).

// errLayout is wrapped by the errors of the layout checks, so that
// readDetails can tell a slice whose layout points outside itself from one
// with a merely odd load command.
var errLayout = errors.New("layout outside the file")

// elfLayoutError returns an error when a segment or a section with file
// contents lies past the end of a size-byte slice based at base.
func elfLayoutError(f *elf.File, size, base int64) error {
	if size < 0 {
		return nil
	}
	for _, p := range f.Progs {
		if outside(p.Off, p.Filesz, size) {
			return formatErr(base, errLayout, "%v segment [%#x, +%#x) extends past the end of the %d-byte file", p.Type, p.Off, p.Filesz, size)
		}
	}
	for _, sec := range f.Sections {
		if sec.Type != elf.SHT_NOBITS && outside(sec.Offset, sec.FileSize, size) {
			return formatErr(base, errLayout, "section %q [%#x, +%#x) extends past the end of the %d-byte file", sec.Name, sec.Offset, sec.FileSize, size)
		}
	}
	return nil
}

// peLayoutError is elfLayoutError for PE sections.
func peLayoutError(f *pe.File, size, base int64) error {
	if size < 0 {
		return nil
	}
	for _, sec := range f.Sections {
		if outside(uint64(sec.Offset), uint64(sec.Size), size) {
			return formatErr(base, errLayout, "section %q [%#x, +%#x) extends past the end of the %d-byte file", sec.Name, sec.Offset, sec.Size, size)
		}
	}
	return nil
}

// outside reports whether [off, off+n) is not within [0, size).
func outside(off, n uint64, size int64) bool {
	return off > uint64(size) || n > uint64(size)-off
}
