package archcheck

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"slices"

	"github.com/nativego/nativego/internal/saferio"
)

// UniversalOptions configures WriteUniversal. A nil *UniversalOptions
// and the zero value both write what lipo -create writes by default.
type UniversalOptions struct {
	// Fat64 writes a FAT_MAGIC_64 header, whose fat_arch_64 entries hold
	// 64-bit offsets and sizes (lipo -fat64). It is needed only when a
	// slice would start at or beyond 4 GiB; macOS 10.14 and later load it,
	// but Go's debug/macho and buildinfo cannot read it.
	Fat64 bool
}

// Page alignments lipo gives slices, as powers of two: 4 KiB pages on
// Intel and PowerPC, 16 KiB on Apple's ARM (cctools lipo, and llvm-lipo's
// calculateAlignment, which copies it). Other CPUs get the alignment of
// their segments, between 2^2 and maxSliceAlign.
const (
	alignIntel    = 12
	alignARM      = 14
	minSliceAlign = 2
	maxSliceAlign = 15 // MAXSECTALIGN in cctools lipo: 2^15
)

// CPU types lipo aligns by page, from xnu osfmk/mach/machine.h.
const (
	cpuTypePowerPC   = 18
	cpuTypePowerPC64 = 18 | 0x01000000
	cpuTypeArm64_32  = 12 | 0x02000000 // CPU_ARCH_ABI64_32
	mhObject         = 0x1             // MH_OBJECT, from mach-o/loader.h
)

// A universalInput is one thin file on its way into a universal file.
type universalInput struct {
	index        int // position in the caller's list, for messages
	r            io.ReaderAt
	size         int64
	cpu, subtype uint32
	align        uint32 // log2
	name         string
}

// WriteUniversal writes to w a universal ("fat") Mach-O file holding the
// thin Mach-O files in slices, as lipo -create does: each slice aligned
// to its CPU's page size (2^12 for Intel, 2^14 for ARM), arm64 slices
// last and the others by alignment, then by CPU subtype. With the same
// inputs the output is byte for byte what llvm-lipo -create writes.
//
// Every input must be a thin Mach-O whose size can be told (a Size or
// Stat method, as *os.File and *bytes.Reader have); two inputs for the
// same CPU are an error, as is a slice starting beyond 4 GiB without
// opts.Fat64. The inputs are checked and the layout computed before
// anything is written; the slices' bytes are then streamed to w.
func WriteUniversal(w io.Writer, slices []io.ReaderAt, opts *UniversalOptions) error {
	if opts == nil {
		opts = &UniversalOptions{}
	}
	if len(slices) == 0 {
		return errors.New("archcheck: a universal file needs at least one slice")
	}
	if len(slices) > maxFatArchs {
		return fmt.Errorf("archcheck: %d slices; readers take more than %d for a Java class file", len(slices), maxFatArchs)
	}
	inputs := make([]universalInput, len(slices))
	for i, r := range slices {
		in, err := newUniversalInput(i, r)
		if err != nil {
			return err
		}
		for _, prev := range inputs[:i] {
			if prev.cpu == in.cpu && prev.subtype&machoSubtypeMask == in.subtype&machoSubtypeMask {
				return fmt.Errorf("archcheck: universal inputs %d and %d are both %s", prev.index, i, in.name)
			}
		}
		inputs[i] = in
	}
	sortUniversal(inputs)

	entSize := int64(fatArchSize)
	magic := uint32(fatMagic)
	if opts.Fat64 {
		entSize, magic = fatArch64Size, fatMagic64
	}
	headerSize := fatHeaderSize + int64(len(inputs))*entSize
	header := make([]byte, fatHeaderSize, headerSize)
	binary.BigEndian.PutUint32(header, magic)
	binary.BigEndian.PutUint32(header[4:], uint32(len(inputs)))
	offsets := make([]int64, len(inputs))
	off := headerSize
	for i, in := range inputs {
		a := int64(1) << in.align
		if off > math.MaxInt64-a || in.size > math.MaxInt64-(off+a) {
			return fmt.Errorf("archcheck: universal input %d (%s) puts the file beyond 2^63 bytes", in.index, in.name)
		}
		off = (off + a - 1) &^ (a - 1)
		if !opts.Fat64 && (off > math.MaxUint32 || in.size > math.MaxUint32) {
			return fmt.Errorf("archcheck: universal input %d (%s) at offset %#x with size %#x does not fit the 32-bit fat_arch; use UniversalOptions.Fat64",
				in.index, in.name, off, in.size)
		}
		offsets[i] = off
		header = appendFatArch(header, in, off, opts.Fat64)
		off += in.size
	}
	if _, err := w.Write(header); err != nil {
		return err
	}
	pos := int64(len(header))
	for i, in := range inputs {
		if err := writeZeros(w, offsets[i]-pos); err != nil {
			return err
		}
		n, err := io.Copy(w, io.NewSectionReader(in.r, 0, in.size))
		if err != nil {
			return fmt.Errorf("archcheck: copying universal input %d (%s): %w", in.index, in.name, err)
		}
		if n != in.size {
			return fmt.Errorf("archcheck: universal input %d (%s) shrank from %d to %d bytes while being copied", in.index, in.name, in.size, n)
		}
		pos = offsets[i] + in.size
	}
	return nil
}

// newUniversalInput checks that r is a well-formed thin Mach-O and works
// out its alignment.
func newUniversalInput(i int, r io.ReaderAt) (universalInput, error) {
	size, ok := saferio.SizeOf(r)
	if !ok {
		return universalInput{}, fmt.Errorf("archcheck: universal input %d: cannot tell its size (it needs a Size or Stat method)", i)
	}
	h, err := readHeader(r, size)
	if err != nil {
		return universalInput{}, fmt.Errorf("archcheck: universal input %d: %w", i, err)
	}
	switch h.Format {
	case FormatMachO:
	case FormatMachOFat:
		return universalInput{}, fmt.Errorf("archcheck: universal input %d is itself universal; pass its slices", i)
	default:
		return universalInput{}, fmt.Errorf("archcheck: universal input %d is %s, not Mach-O: %w", i, h.Format, ErrNotExecutable)
	}
	// The whole load-command table is read and checked, as lipo parses
	// each input, so that a damaged file is refused rather than packed.
	m, err := readMachOImage(r, size, 0)
	if err != nil {
		return universalInput{}, fmt.Errorf("archcheck: universal input %d: %w", i, err)
	}
	in := universalInput{index: i, r: r, size: size, cpu: m.cpu, subtype: m.subtype, name: h.Slices[0].CPU}
	switch m.cpu {
	case cpuTypeX86, cpuTypeX86_64, cpuTypePowerPC, cpuTypePowerPC64:
		in.align = alignIntel
	case cpuTypeArm, cpuTypeArm64, cpuTypeArm64_32:
		in.align = alignARM
	default:
		in.align = m.fileAlignment()
	}
	return in, nil
}

// fileAlignment is lipo's alignment for CPUs without a fixed page size:
// the smallest alignment of any segment's address, or for an object
// file the largest alignment of any section, kept within [2^2, 2^15].
func (m *machoImage) fileAlignment() uint32 {
	align := uint32(maxSliceAlign)
	for _, s := range m.segments {
		var cur uint32
		switch {
		case m.filetype == mhObject && s.nsects > 0:
			cur = max(minSliceAlign, s.maxSectAlign)
		case m.filetype == mhObject:
			continue
		case m.is64:
			cur = uint32(bits.TrailingZeros64(s.vmaddr))
		default:
			cur = uint32(bits.TrailingZeros32(uint32(s.vmaddr)))
		}
		align = min(align, cur)
	}
	return max(minSliceAlign, min(align, maxSliceAlign))
}

// sortUniversal orders slices as lipo does: for one CPU type by
// subtype; arm64 after every other type ("for compatibility", says
// cctools); otherwise by alignment, smallest first, to waste the least
// padding. The sort is stable, so equal slices keep the caller's order.
func sortUniversal(inputs []universalInput) {
	less := func(a, b universalInput) bool {
		switch {
		case a.cpu == b.cpu:
			return a.subtype < b.subtype
		case a.cpu == cpuTypeArm64:
			return false
		case b.cpu == cpuTypeArm64:
			return true
		}
		return a.align < b.align
	}
	slices.SortStableFunc(inputs, func(a, b universalInput) int {
		switch {
		case less(a, b):
			return -1
		case less(b, a):
			return 1
		}
		return 0
	})
}

// appendFatArch appends a fat_arch or fat_arch_64 entry (mach-o/fat.h),
// big-endian like the rest of the universal header.
func appendFatArch(b []byte, in universalInput, off int64, fat64 bool) []byte {
	b = binary.BigEndian.AppendUint32(b, in.cpu)
	b = binary.BigEndian.AppendUint32(b, in.subtype)
	if fat64 {
		b = binary.BigEndian.AppendUint64(b, uint64(off))
		b = binary.BigEndian.AppendUint64(b, uint64(in.size))
		b = binary.BigEndian.AppendUint32(b, in.align)
		return binary.BigEndian.AppendUint32(b, 0) // reserved
	}
	b = binary.BigEndian.AppendUint32(b, uint32(off))
	b = binary.BigEndian.AppendUint32(b, uint32(in.size))
	return binary.BigEndian.AppendUint32(b, in.align)
}

// writeZeros writes n zero bytes of padding, at most one page at a time.
func writeZeros(w io.Writer, n int64) error {
	var zeros [1 << alignARM]byte
	for n > 0 {
		k := min(n, int64(len(zeros)))
		if _, err := w.Write(zeros[:k]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}
