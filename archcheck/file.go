package archcheck

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/nativego/nativego/internal/saferio"
)

// A File is an executable file opened for inspection: its format and one
// Slice per architecture it holds. Only universal Mach-O files hold more
// than one slice.
type File struct {
	Format Format   `json:"format"`
	Size   int64    `json:"size"` // -1 when the reader could not tell
	Slices []*Slice `json:"slices"`

	closer io.Closer
}

// A Slice is one architecture's image inside a File, with what its
// platform's loader needs to run it.
//
// Header facts are always set. The format-specific details and the Go
// information are set when they could be read; Err says why any could not.
// A problem in one slice's details never hides the other slices.
type Slice struct {
	SliceHeader

	// Err collects the problems met while reading this slice's details
	// (errors.Join of *FormatError and *ParserPanicError values); nil when
	// there were none.
	Err error `json:"-"`

	// MachO, ELF and PE hold the loader-facing details of a slice of that
	// format; nil for other formats or when they could not be read (see Err).
	MachO *MachOInfo `json:"macho,omitempty"`
	ELF   *ELFInfo   `json:"elf,omitempty"`
	PE    *PEInfo    `json:"pe,omitempty"`

	// Go is the slice's Go build information; nil when it is not a Go
	// binary.
	Go *GoInfo `json:"go"`

	r      io.ReaderAt // the slice's bytes, starting at its own offset 0
	format Format      // the containing file's format
	goEv   goEvidence  // what the section table says about being Go
}

// Open opens the named file and reads its headers and details.
func Open(name string) (*File, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	ff, err := NewFile(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	ff.closer = f
	return ff, nil
}

// NewFile reads an executable from r, which must stay valid while the File
// is used. When r cannot tell its size (a Size or Stat method), reads are
// bounded by the data actually present instead of by the size.
func NewFile(r io.ReaderAt) (*File, error) {
	size, ok := saferio.SizeOf(r)
	if !ok {
		size = -1
	}
	h, err := readHeader(r, size)
	if err != nil {
		return nil, err
	}
	f := &File{Format: h.Format, Size: size, Slices: make([]*Slice, len(h.Slices))}
	for i, sh := range h.Slices {
		s := &Slice{SliceHeader: sh, r: r, format: h.Format}
		if h.Format == FormatMachOFat {
			s.r = io.NewSectionReader(r, sh.Offset, sh.Size)
		} else if sh.Size < 0 {
			s.r = io.NewSectionReader(r, 0, 1<<63-1)
		}
		s.readDetails()
		f.Slices[i] = s
	}
	return f, nil
}

// Close closes the file opened by Open. It does nothing for a File made
// by NewFile: the caller owns that reader.
func (f *File) Close() error {
	if f.closer == nil {
		return nil
	}
	err := f.closer.Close()
	f.closer = nil
	return err
}

// Reader returns the slice's bytes, addressed from the slice's own start.
func (s *Slice) Reader() io.ReaderAt { return s.r }

// readDetails fills the format-specific details and the Go information,
// recording problems in s.Err.
func (s *Slice) readDetails() {
	var err error
	switch s.format {
	case FormatMachO, FormatMachOFat:
		s.MachO, err = readMachO(s)
		if m := s.MachO; m != nil && m.CodeSignatureSize > 0 {
			var serr error
			m.Signature, serr = readCodeSignature(s.r, s.Offset, m.CodeSignatureOffset, m.CodeSignatureSize)
			err = errors.Join(err, serr)
		}
	case FormatELF:
		s.ELF, err = readELF(s)
	case FormatPE:
		s.PE, err = readPE(s)
	}
	// When the slice's headers could not be read, or its layout points
	// outside the slice, the Go build-information readers (which open it
	// again with the standard parsers, and read section data with the
	// lengths the file claims) would fail again at a cost, or trust a lie.
	// A section table with none of Go's sections rules the readers out
	// (see gosections.go).
	if errors.Is(err, errLayout) || (s.MachO == nil && s.ELF == nil && s.PE == nil) || s.goEv == goAbsent {
		s.Err = errors.Join(s.Err, err)
		return
	}
	g, gerr := readGoInfo(s)
	s.Go = g
	if errors.Is(gerr, ErrNoBuildInfo) { // not being Go is normal
		gerr = nil
	}
	s.Err = errors.Join(s.Err, err, gerr)
}
