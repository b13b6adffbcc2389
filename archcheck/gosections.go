package archcheck

import (
	"debug/elf"
	"slices"
)

// Telling Go from other code by the section table.
//
// Reading Go build information, or recovering the Go version without it,
// means parsing a slice a second time and searching its data: cheap for
// one file, most of the cost of a scan where nearly every executable is C
// or C++. Go's linker names the sections it writes, and external linkers
// keep those names (they are orphans in every default linker script), so
// a section table without any of them is a table of something else.
//
// A slice without a section table (sstrip, packers) is never ruled out:
// the build information readers then search its segments as before.

// A goEvidence is what the section table says about a slice being Go.
type goEvidence uint8

const (
	goUnknown goEvidence = iota // no section table to tell by: try the readers
	goAbsent                    // a section table without any section Go writes
	goPresent                   // a section only Go writes
)

// goSectionsELF are the sections cmd/link writes into every Go ELF
// binary (cmd/link/internal/ld: .go.buildinfo since go1.13, .gopclntab,
// and the .note.go.buildid note).
var goSectionsELF = []string{".go.buildinfo", ".gopclntab", ".note.go.buildid"}

// goSectionsMachO are their Mach-O names, in __DATA and __TEXT.
var goSectionsMachO = []string{"__go_buildinfo", "__gopclntab"}

// elfGoEvidence looks for Go's sections in an ELF section table.
func elfGoEvidence(f *elf.File) goEvidence {
	if len(f.Sections) <= 1 { // index 0 is always the null section
		return goUnknown
	}
	for _, s := range f.Sections {
		if slices.Contains(goSectionsELF, s.Name) {
			return goPresent
		}
	}
	return goAbsent
}
