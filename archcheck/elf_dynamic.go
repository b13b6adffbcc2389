package archcheck

// This file reads an ELF slice's dynamic table, its string table and its
// version needs the way the dynamic linker finds them: the dynamic table
// through the PT_DYNAMIC segment, the string table (DT_STRTAB, DT_STRSZ)
// and the version needs (DT_VERNEED, DT_VERNEEDNUM) through the virtual
// addresses the dynamic table gives, mapped to file offsets through the
// PT_LOAD segments. Section headers are a fallback only, for an address no
// segment maps from the file.
//
// debug/elf offers the same facts through DynString, DynValue and
// DynamicVersionNeeds, at a cost out of all proportion to them: every
// DynString call reads and parses the whole .dynstr again (megabytes for
// libLLVM or libstdc++), and DynamicVersionNeeds parses the whole dynamic
// symbol table, allocating every symbol name, to return a few dozen
// version names. That was about 40% of the CPU of a scan of a Debian
// /usr. Here a file costs a handful of 4 KiB reads. debug/elf also finds
// the dynamic table through the section headers alone, so a file whose
// section headers were stripped (sstrip), which the loader runs without
// looking at them, had no readable libraries.
//
// References: System V ABI, "Dynamic Section" (Elf32_Dyn, Elf64_Dyn and
// the DT_ tags); Linux Standard Base Core Specification, "Symbol
// Versioning" (Elf_Verneed, Elf_Vernaux); glibc elf/dl-version.c
// (_dl_check_map_versions), which walks the version needs at load time.

import (
	"bytes"
	"debug/elf"
	"errors"
	"io"
	"strings"
)

// On-disk sizes, from glibc elf.h.
const (
	// dynEntSize32 and dynEntSize64 are the sizes of Elf32_Dyn and
	// Elf64_Dyn: a d_tag and a d_un, each one word of the file's class.
	dynEntSize32 = 2 * 4
	dynEntSize64 = 2 * 8

	// verneedSize is the size of Elf32_Verneed and Elf64_Verneed alike:
	// vn_version and vn_cnt (2 bytes each), vn_file, vn_aux and vn_next
	// (4 bytes each).
	verneedSize = 2*2 + 3*4

	// vernauxSize is the size of Elf32_Vernaux and Elf64_Vernaux alike:
	// vna_hash (4 bytes), vna_flags and vna_other (2 each), vna_name and
	// vna_next (4 each).
	vernauxSize = 4 + 2*2 + 2*4
)

// Limits on what one file may make us do.
const (
	// chunkSize is the unit in which the tables are read and cached: a
	// page, which holds the whole dynamic table of most files, and the
	// version needs with the library and version names they refer to
	// (linkers put those at the end of .dynstr, next to .gnu.version_r).
	chunkSize = 4 << 10

	// maxDynString bounds one string: four times PATH_MAX (4096), which
	// bounds a path the loader can open. Library and version names are
	// short, and a search path of many directories is longer, but not by
	// this much: the longest DT_NEEDED, DT_SONAME, DT_RUNPATH or DT_RPATH
	// string in a Debian 12 /usr is 58 bytes.
	maxDynString = 16 << 10

	// maxDynStringBytes bounds the bytes of strings one file may ask
	// for: scanned, and handed out again from the cache. Without it,
	// distinct offsets into one long run of non-NUL bytes would cost
	// maxDynString each, and what is built from the strings grows with
	// their use, not their number: a thousand DT_RUNPATH entries naming
	// one string of colons, or a thousand version needs naming one long
	// library. The most any of the 2,445 ELF files of a Debian 12 /usr
	// asks for (libLLVM, gdb and the Google Cloud SDK among them) is
	// 1,129 bytes, by gdb.
	maxDynStringBytes = 64 << 10

	// maxVersionNeeds bounds the Elf_Vernaux records read from one file.
	// Each gives a version index (vna_other) for the 16-bit .gnu.version
	// entries, whose top bit is the "hidden" flag and whose values 0 and
	// 1 are reserved (VER_NDX_LOCAL, VER_NDX_GLOBAL), which leaves 0x7ffe.
	// The records must also fit in the file (see versionNeeds), which
	// bounds them more tightly in a small file.
	maxVersionNeeds = 0x7fff - 1

	// maxTableErrors bounds the errors reported from one table (the
	// version needs, or the strings of the dynamic table) before giving
	// up on it. Past a few, the table is garbage, and every further
	// message would repeat the damage at a cost: 0x7ffe unreadable
	// version names are megabytes of messages.
	maxTableErrors = 16
)

// A dynamicTable is an ELF slice's dynamic table, with what is needed to
// read the strings and the version needs it points at. Offsets are from
// the start of the slice; errors add base to report them in the file.
type dynamicTable struct {
	f    *elf.File
	c    *chunkReader
	base int64 // the slice's offset in the file, for errors
	off  int64 // the table's offset

	// String-table offsets of the string entries, in table order.
	needed, soname, runpath, rpath []uint64

	flags1 uint64 // every DT_FLAGS_1 ORed together

	// Single-valued entries. As in glibc's elf_get_dynamic_info and in
	// readelf, a later entry overrides an earlier one.
	strtab, strsz, verneed, verneedNum uint64
	hasStrtab, hasStrsz                bool
	hasVerneed, hasVerneedNum          bool

	strs    *dynStrings // set by stringTable on success
	strsErr error       // set by stringTable on failure
}

// readDynamicTable reads the entries of the first PT_DYNAMIC segment of s,
// up to DT_NULL or the end of the segment's file image. It returns nil and
// no error when there is no PT_DYNAMIC: nothing in the slice is linked
// dynamically. When an entry cannot be read it returns the entries before
// it with the error.
//
// A table that runs past the segment's file image without a DT_NULL is
// not all in the file, and the libraries are unknown, not absent. That is
// what objcopy --only-keep-debug leaves in a separate debug-information
// file: PT_DYNAMIC keeps its p_memsz, and its p_filesz is zero. glibc's
// _dl_map_object_from_fd ignores such a segment, and then refuses a
// shared object as having "no dynamic section".
//
// glibc takes the last PT_DYNAMIC and readelf the first, complaining of
// the others; linkers write one.
func readDynamicTable(s *Slice, f *elf.File) (*dynamicTable, error) {
	var p *elf.Prog
	for _, q := range f.Progs {
		if q.Type == elf.PT_DYNAMIC {
			p = q
			break
		}
	}
	if p == nil {
		return nil, nil
	}
	d := &dynamicTable{f: f, c: newChunkReader(s), base: s.Offset}
	if p.Off > 1<<62 || p.Filesz > 1<<62-p.Off {
		return nil, formatErr(s.Offset, nil, "PT_DYNAMIC segment at offset %#x, size %#x, beyond any file", p.Off, p.Filesz)
	}
	d.off = int64(p.Off)
	entSize := int64(dynEntSize64)
	if f.Class == elf.ELFCLASS32 {
		entSize = dynEntSize32
	}
	var buf [dynEntSize64]byte
	ent := buf[:entSize]
	// A trailing partial entry is ignored, as readelf and glibc do.
	for off, end := d.off, d.off+int64(p.Filesz)/entSize*entSize; off < end; off += entSize {
		if err := d.c.readAt(ent, off); err != nil {
			return d, formatErr(d.base+off, err, "reading dynamic table entry")
		}
		var tag, val uint64
		if entSize == dynEntSize32 {
			tag, val = uint64(f.ByteOrder.Uint32(ent)), uint64(f.ByteOrder.Uint32(ent[4:]))
		} else {
			tag, val = f.ByteOrder.Uint64(ent), f.ByteOrder.Uint64(ent[8:])
		}
		switch elf.DynTag(tag) {
		case elf.DT_NULL:
			return d, nil
		case elf.DT_NEEDED:
			d.needed = append(d.needed, val)
		case elf.DT_SONAME:
			d.soname = append(d.soname, val)
		case elf.DT_RUNPATH:
			d.runpath = append(d.runpath, val)
		case elf.DT_RPATH:
			d.rpath = append(d.rpath, val)
		case elf.DT_FLAGS_1:
			d.flags1 |= val
		case elf.DT_STRTAB:
			d.strtab, d.hasStrtab = val, true
		case elf.DT_STRSZ:
			d.strsz, d.hasStrsz = val, true
		case elf.DT_VERNEED:
			d.verneed, d.hasVerneed = val, true
		case elf.DT_VERNEEDNUM:
			d.verneedNum, d.hasVerneedNum = val, true
		}
	}
	if p.Memsz > p.Filesz {
		return d, formatErr(d.base+d.off, nil, "dynamic table continues past the file image of PT_DYNAMIC (p_filesz %#x, p_memsz %#x): no loadable file, perhaps separate debug information", p.Filesz, p.Memsz)
	}
	return d, nil
}

// addrRange maps a virtual address to the file bytes behind it: the
// offset of addr, and the end of the file image of the first PT_LOAD
// segment that maps it. Bytes past that end are, in memory, zero fill or
// another segment, never the file's next bytes.
func (d *dynamicTable) addrRange(addr uint64) (off, end int64, ok bool) {
	for _, p := range d.f.Progs {
		if p.Type != elf.PT_LOAD {
			continue
		}
		if off, ok := loadOffset(p, addr); ok {
			// loadOffset keeps off within 1<<62, and so does end. The
			// segment lies within the slice (elfLayoutError) when the
			// slice's size is known; otherwise reads stop where the data
			// does.
			return off, off + int64(min(p.Filesz-(addr-p.Vaddr), 1<<62-uint64(off))), true
		}
	}
	return 0, 0, false
}

// stringTable returns the dynamic string table: DT_STRTAB, bounded by
// DT_STRSZ, or when no PT_LOAD segment maps DT_STRTAB from the file the
// section the SHT_DYNAMIC section links to. The table is located once.
func (d *dynamicTable) stringTable() (*dynStrings, error) {
	if d.strs != nil || d.strsErr != nil {
		return d.strs, d.strsErr
	}
	d.strs, d.strsErr = d.locateStrings()
	return d.strs, d.strsErr
}

// locateStrings does the work of stringTable.
func (d *dynamicTable) locateStrings() (*dynStrings, error) {
	if d.hasStrtab {
		if off, end, ok := d.addrRange(d.strtab); ok {
			size := end - off
			if d.hasStrsz {
				size = int64(min(uint64(size), d.strsz))
			}
			return &dynStrings{c: d.c, base: d.base, off: off, size: size}, nil
		}
	}
	if ds := d.f.SectionByType(elf.SHT_DYNAMIC); ds != nil && int(ds.Link) < len(d.f.Sections) {
		if str := d.f.Sections[ds.Link]; str.Type == elf.SHT_STRTAB && str.Offset <= 1<<62 {
			size := min(str.FileSize, 1<<62-str.Offset)
			return &dynStrings{c: d.c, base: d.base, off: int64(str.Offset), size: int64(size)}, nil
		}
	}
	if !d.hasStrtab {
		return nil, formatErr(d.base+d.off, nil, "dynamic table has no DT_STRTAB and no section gives its string table")
	}
	return nil, formatErr(d.base+d.off, nil, "DT_STRTAB address %#x is in no PT_LOAD segment's file image and no section gives the string table", d.strtab)
}

// str returns the string at offset i of the dynamic string table; what
// names the string's referrer in errors.
func (d *dynamicTable) str(i uint64, what string) (string, error) {
	t, err := d.stringTable()
	if err != nil {
		return "", err
	}
	return t.str(i, what)
}

// A versionNeed is one symbol version a slice requires: Elf_Verneed's
// vn_file names the library and Elf_Vernaux's vna_name the version.
type versionNeed struct {
	File, Version string
}

// versionNeeds walks the version needs that DT_VERNEED points at,
// DT_VERNEEDNUM records at most. When no PT_LOAD segment maps DT_VERNEED
// from the file, the SHT_GNU_VERNEED section and its sh_info count stand
// in. A slice without DT_VERNEED needs no versions: the loader checks
// none.
//
// The walk follows glibc: a record's vn_next (or vna_next) of zero ends
// its chain, and vn_cnt (like DT_VERNEEDNUM) bounds it too, as readelf
// has it. The links are unsigned offsets forward, so a walk cannot cycle.
// Chains may still overlap (records may point into one another, and many
// Verneed records at one Vernaux chain), so the walk visits no more
// records than fit, without overlapping, between DT_VERNEED and the end of
// its segment's file image: each record of a real table is visited once,
// and what the walk returns stays in proportion to the file. The records
// it could read are returned with an error joining the problems met. The
// string table must have been located (stringTable).
func (d *dynamicTable) versionNeeds() ([]versionNeed, error) {
	if !d.hasVerneed || d.strs == nil {
		return nil, nil
	}
	off, end, ok := d.addrRange(d.verneed)
	count, counted := d.verneedNum, d.hasVerneedNum
	if !ok {
		sec := d.f.SectionByType(elf.SHT_GNU_VERNEED)
		if sec == nil || sec.Offset > 1<<62 {
			return nil, formatErr(d.base+d.off, nil, "DT_VERNEED address %#x is in no PT_LOAD segment's file image and there is no SHT_GNU_verneed section", d.verneed)
		}
		off, end = int64(sec.Offset), int64(sec.Offset+min(sec.FileSize, 1<<62-sec.Offset))
		count, counted = uint64(sec.Info), true
	}
	var (
		needs []versionNeed
		errs  []error
		ent   [verneedSize]byte
		aux   [vernauxSize]byte
		bo    = d.f.ByteOrder
		nAux  int
		// Verneed and Vernaux records are both 16 bytes.
		visits = max(0, end-off) / verneedSize
	)
	visit := func(at int64) bool {
		if visits--; visits >= 0 {
			return true
		}
		errs = append(errs, formatErr(d.base+at, nil, "version needs visit more records than fit in their segment"))
		return false
	}
	giveUp := func(at int64) bool {
		if len(errs) < maxTableErrors {
			return false
		}
		errs = append(errs, formatErr(d.base+at, nil, "giving up on the version needs after %d errors", len(errs)))
		return true
	}
	for n := uint64(0); !counted || n < count; n++ {
		if off > end-verneedSize {
			errs = append(errs, formatErr(d.base+off, io.ErrUnexpectedEOF, "version need record past the end of its segment"))
			break
		}
		if !visit(off) {
			break
		}
		if err := d.c.readAt(ent[:], off); err != nil {
			errs = append(errs, formatErr(d.base+off, err, "reading version need record"))
			break
		}
		cnt := bo.Uint16(ent[2:])
		file, err := d.strs.str(uint64(bo.Uint32(ent[4:])), "vn_file of a version need record")
		if err != nil {
			errs = append(errs, err)
			if giveUp(off) {
				break
			}
			cnt = 0 // its versions would belong to no library; the next record may do better
		}
		a := off + int64(bo.Uint32(ent[8:]))
		for j := 0; j < int(cnt); j++ {
			if nAux == maxVersionNeeds {
				errs = append(errs, formatErr(d.base+a, nil, "more than %d version need auxiliary records", maxVersionNeeds))
				return needs, errors.Join(errs...)
			}
			nAux++
			if a > end-vernauxSize {
				errs = append(errs, formatErr(d.base+a, io.ErrUnexpectedEOF, "version need auxiliary record past the end of its segment"))
				break
			}
			if !visit(a) {
				return needs, errors.Join(errs...)
			}
			if err := d.c.readAt(aux[:], a); err != nil {
				errs = append(errs, formatErr(d.base+a, err, "reading version need auxiliary record"))
				break
			}
			if v, err := d.strs.str(uint64(bo.Uint32(aux[8:])), "vna_name of a version need record"); err != nil {
				errs = append(errs, err)
				if giveUp(a) {
					return needs, errors.Join(errs...)
				}
			} else {
				needs = append(needs, versionNeed{file, v})
			}
			next := bo.Uint32(aux[12:])
			if next == 0 {
				break
			}
			a += int64(next)
		}
		next := bo.Uint32(ent[12:])
		if next == 0 {
			break
		}
		off += int64(next)
	}
	return needs, errors.Join(errs...)
}

// dynStrings reads NUL-terminated strings from a string table on demand,
// through the slice's chunk cache, so that only the pages holding the
// strings asked for are read: a .dynstr of megabytes is mostly symbol
// names no loader-facing fact needs.
type dynStrings struct {
	c    *chunkReader
	base int64 // the slice's offset in the file, for errors
	off  int64 // the table's offset in the slice
	size int64 // the table's length: DT_STRSZ or the section's, within the file image

	strs  map[uint64]string // by table offset, for names asked for twice
	spent int64             // bytes scanned or handed out, bounded by maxDynStringBytes
}

// str returns the string at offset i of the table; what names the
// string's referrer in errors.
func (t *dynStrings) str(i uint64, what string) (string, error) {
	if s, ok := t.strs[i]; ok {
		if t.spent += int64(len(s)) + 1; t.spent > maxDynStringBytes {
			return "", t.overspent(t.off+int64(i), what)
		}
		return s, nil
	}
	if i >= uint64(t.size) {
		return "", formatErr(t.base+t.off, nil, "%s: string offset %#x past the end of the %d-byte string table", what, i, t.size)
	}
	start := t.off + int64(i)
	limit := start + min(t.size-int64(i), maxDynString)
	// Find the NUL first and copy once: a string that spans chunks is
	// gathered only when it is known to end, into one allocation.
	var nul int64 = -1
	for pos := start; pos < limit && nul < 0; {
		if t.spent >= maxDynStringBytes {
			return "", t.overspent(pos, what)
		}
		b, err := t.c.chunkAt(pos)
		if err != nil {
			return "", formatErr(t.base+pos, err, "%s: reading string table", what)
		}
		b = b[:min(int64(len(b)), limit-pos)]
		if k := bytes.IndexByte(b, 0); k >= 0 {
			nul, b = pos+int64(k), b[:k+1]
		}
		t.spent += int64(len(b))
		pos += int64(len(b))
	}
	if nul < 0 {
		if limit-start == maxDynString {
			return "", formatErr(t.base+start, nil, "%s: string longer than %d bytes", what, maxDynString)
		}
		return "", formatErr(t.base+start, nil, "%s: string not NUL-terminated before the end of the string table", what)
	}
	var b strings.Builder
	b.Grow(int(nul - start))
	for pos := start; pos < nul; {
		chunk, err := t.c.chunkAt(pos) // cached by the scan: cannot fail
		if err != nil {
			return "", formatErr(t.base+pos, err, "%s: reading string table", what)
		}
		chunk = chunk[:min(int64(len(chunk)), nul-pos)]
		b.Write(chunk)
		pos += int64(len(chunk))
	}
	s := b.String()
	if t.strs == nil {
		t.strs = make(map[uint64]string)
	}
	t.strs[i] = s
	return s, nil
}

// overspent returns the error for a string at off asked for past
// maxDynStringBytes.
func (t *dynStrings) overspent(off int64, what string) error {
	return formatErr(t.base+off, nil, "%s: more than %d bytes of strings asked for", what, maxDynStringBytes)
}

// A chunkReader reads a slice through a cache of aligned chunkSize-byte
// chunks, each read from the file at most once. The dynamic table, the
// version needs and the strings they name usually share a few pages, so
// a file costs a few small reads. The cache never holds more than the
// slice's bytes: each chunk is a distinct part of it, and a chunk is kept
// only once its bytes have arrived.
type chunkReader struct {
	r      io.ReaderAt
	size   int64            // the slice's size; -1 when unknown
	chunks map[int64][]byte // by offset / chunkSize; the slice's last chunk may be short
}

// newChunkReader returns a chunkReader for s.
func newChunkReader(s *Slice) *chunkReader {
	return &chunkReader{r: s.r, size: s.Size, chunks: make(map[int64][]byte)}
}

// chunkAt returns the cached bytes from off to the end of off's chunk,
// reading the chunk on first use. It returns io.ErrUnexpectedEOF for an
// offset at or past the end of the slice.
func (c *chunkReader) chunkAt(off int64) ([]byte, error) {
	if off < 0 || off > 1<<62 {
		return nil, io.ErrUnexpectedEOF
	}
	i, rel := off/chunkSize, off%chunkSize
	b, ok := c.chunks[i]
	if !ok {
		start, n := i*chunkSize, int64(chunkSize)
		if c.size >= 0 {
			if start >= c.size {
				return nil, io.ErrUnexpectedEOF
			}
			n = min(n, c.size-start)
		}
		b = make([]byte, n)
		got, err := c.r.ReadAt(b, start)
		if got < len(b) {
			// Of a slice whose size is unknown, a short read at the end of
			// the data is its last chunk; of one whose size is known, or
			// for any other reason, it is an error.
			if err == nil || err == io.EOF {
				if c.size < 0 && got > 0 {
					err = nil
				} else {
					err = io.ErrUnexpectedEOF
				}
			}
			if err != nil {
				return nil, err
			}
			b = b[:got]
		}
		c.chunks[i] = b
	}
	if rel >= int64(len(b)) {
		return nil, io.ErrUnexpectedEOF
	}
	return b[rel:], nil
}

// readAt fills p from the slice at off.
func (c *chunkReader) readAt(p []byte, off int64) error {
	for len(p) > 0 {
		b, err := c.chunkAt(off)
		if err != nil {
			return err
		}
		n := copy(p, b)
		p, off = p[n:], off+int64(n)
	}
	return nil
}
