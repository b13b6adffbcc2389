package archcheck

import (
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// ELFInfo is what Linux's and the BSDs' loaders need from an ELF slice:
// the program interpreter, the libraries and symbol versions the dynamic
// linker must find, and the alignment of the segments the kernel maps.
type ELFInfo struct {
	// OSABI is the e_ident[EI_OSABI] byte in lower case without its
	// ELFOSABI_ prefix: "none" (System V, what Linux binaries usually
	// say), "linux" (GNU extensions in use), "freebsd", ...
	OSABI string `json:"osabi,omitempty"`

	// Interpreter is the PT_INTERP path: the dynamic linker the kernel
	// starts instead of the program.
	Interpreter string `json:"interpreter,omitempty"`

	Soname  string   `json:"soname,omitempty"`  // DT_SONAME
	Needed  []string `json:"needed,omitempty"`  // DT_NEEDED, in file order
	RunPath []string `json:"runpath,omitempty"` // DT_RUNPATH, split on ':'
	RPath   []string `json:"rpath,omitempty"`   // DT_RPATH, split on ':'

	// Static reports a slice the dynamic linker takes no part in: no
	// PT_INTERP and no DT_NEEDED. A static PIE is Static and PIE.
	Static bool `json:"static"`

	// PIE reports a position-independent executable: ET_DYN with
	// DF_1_PIE, or ET_DYN with a PT_INTERP and no DT_SONAME (linkers
	// older than binutils 2.26 did not set DF_1_PIE). A shared library
	// that can also be run, like glibc's libc.so.6, has a PT_INTERP and a
	// DT_SONAME but no DF_1_PIE, and is not a PIE.
	PIE bool `json:"pie"`

	// Glibc is the highest GLIBC_x.y[.z] symbol version the slice needs
	// (from its DT_VERNEED table), compared numerically, such as
	// "2.34": the oldest glibc it can run with. Versions a library
	// defines for others are not needs.
	Glibc string `json:"glibc,omitempty"`

	// VersionNeeds lists every symbol version required, as
	// "library: version", sorted.
	VersionNeeds []string `json:"version_needs,omitempty"`

	// MaxLoadAlign is the largest PT_LOAD p_align. A value smaller than
	// the kernel's page size (16 KiB or 64 KiB on some arm64 kernels)
	// makes the kernel refuse to map the file.
	MaxLoadAlign uint64 `json:"max_load_align"`

	// EntryOffset is the file offset of the entry point e_entry, found
	// through the PT_LOAD segment whose file image holds it; -1 when
	// e_entry is zero (no entry point, as for most shared libraries) or
	// no segment maps it from the file.
	EntryOffset int64 `json:"entry_offset"`

	// GNUStack holds the PT_GNU_STACK flags as readelf prints them ("RW",
	// "RWE"); empty when there is no PT_GNU_STACK, in which case Linux
	// gives many architectures an executable stack.
	GNUStack string `json:"gnu_stack,omitempty"`
}

// maxInterpSize bounds PT_INTERP: Linux's binfmt_elf.c rejects an
// interpreter segment larger than PATH_MAX (4096, linux/limits.h) or
// shorter than 2 bytes.
const maxInterpSize = 4096

// dt1PIE is DF_1_PIE in DT_FLAGS_1 (glibc elf.h: 0x08000000), set by
// binutils 2.26 and later and by Go's linker for position-independent
// executables.
const dt1PIE = uint64(elf.DF_1_PIE)

// readELF reads the dynamic-linking facts of an ELF slice: the headers
// through debug/elf, the dynamic table as the loader finds it
// (elf_dynamic.go). It returns what it could read together with an error
// joining every problem met, so one bad table hides nothing else. For
// ET_DYN it also settles s.Type, which the header fast path can only
// guess: a static PIE (DF_1_PIE, no interpreter) is an executable, and a
// runnable shared library (interpreter and DT_SONAME, no DF_1_PIE) is a
// shared library.
func readELF(s *Slice) (*ELFInfo, error) {
	f, err := guard("debug/elf", func() (*elf.File, error) { return elf.NewFile(s.r) })
	if err != nil {
		return nil, elfErr(s.Offset, err, "reading ELF file")
	}
	if err := elfLayoutError(f, s.Size, s.Offset); err != nil {
		return nil, err
	}
	info := &ELFInfo{OSABI: osabiName(f.OSABI), EntryOffset: -1}
	s.goEv = elfGoEvidence(f)
	var errs []error
	if err := info.readProgs(s, f); err != nil {
		errs = append(errs, err)
	}
	flags1, unread, err := info.readDynamic(s, f)
	if err != nil {
		errs = append(errs, err)
	}
	// A dynamic table, or a DT_NEEDED name in it, that could not be read
	// leaves the libraries unknown: say so rather than call the slice
	// static.
	info.Static = info.Interpreter == "" && len(info.Needed) == 0 && !unread
	if f.Type == elf.ET_DYN {
		switch {
		case flags1&dt1PIE != 0:
			info.PIE = true
		case info.Interpreter != "" && info.Soname == "":
			info.PIE = true
		}
		if info.PIE {
			s.Type = TypeExecutable
		} else {
			s.Type = TypeSharedLibrary
		}
	}
	return info, errors.Join(errs...)
}

// elfErr turns an error from debug/elf into a *FormatError at off,
// leaving a *ParserPanicError as it is.
func elfErr(off int64, err error, msg string) error {
	var pe *ParserPanicError
	if errors.As(err, &pe) {
		return err
	}
	return formatErr(off, err, "%s", msg)
}

// osabiName names an EI_OSABI value as debug/elf does, in lower case
// without the ELFOSABI_ prefix; an unknown value reads "osabi(N)".
func osabiName(o elf.OSABI) string {
	name := o.String()
	if !strings.HasPrefix(name, "ELFOSABI_") {
		return fmt.Sprintf("osabi(%d)", uint8(o))
	}
	return strings.ToLower(strings.TrimPrefix(name, "ELFOSABI_"))
}

// readProgs reads PT_INTERP, PT_LOAD and PT_GNU_STACK.
func (info *ELFInfo) readProgs(s *Slice, f *elf.File) error {
	var errs []error
	for _, p := range f.Progs {
		switch p.Type {
		case elf.PT_INTERP:
			if info.Interpreter != "" {
				// Linux's binfmt_elf uses the first PT_INTERP; so do we.
				continue
			}
			interp, err := readInterp(p)
			if err != nil {
				errs = append(errs, formatErr(s.Offset+int64(min(p.Off, 1<<62)), err, "reading PT_INTERP"))
				continue
			}
			info.Interpreter = interp
		case elf.PT_LOAD:
			info.MaxLoadAlign = max(info.MaxLoadAlign, p.Align)
			if off, ok := loadOffset(p, f.Entry); ok && f.Entry != 0 && info.EntryOffset < 0 {
				info.EntryOffset = off
			}
		case elf.PT_GNU_STACK:
			info.GNUStack = progFlags(p.Flags)
		}
	}
	return errors.Join(errs...)
}

// readInterp reads the NUL-terminated path in a PT_INTERP segment.
func readInterp(p *elf.Prog) (string, error) {
	if p.Filesz < 2 || p.Filesz > maxInterpSize {
		return "", fmt.Errorf("interpreter segment of %d bytes (want 2 to %d)", p.Filesz, maxInterpSize)
	}
	buf := make([]byte, p.Filesz)
	if n, err := p.ReadAt(buf, 0); n < len(buf) {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return "", err
	}
	// The kernel requires the path's terminating NUL to be the segment's
	// last byte; accept an earlier one, as readelf does, but not none.
	path, _, ok := strings.Cut(string(buf), "\x00")
	if !ok {
		return "", errors.New("interpreter path is not NUL-terminated")
	}
	return path, nil
}

// loadOffset maps a virtual address to a file offset through one PT_LOAD
// segment. Only the file-backed part [p_vaddr, p_vaddr+p_filesz) maps:
// the rest of p_memsz is zero-filled memory with no bytes in the file.
func loadOffset(p *elf.Prog, addr uint64) (int64, bool) {
	if addr < p.Vaddr || addr-p.Vaddr >= p.Filesz {
		return 0, false
	}
	// p.Off+d stays within 1<<62: no overflow, and int64 holds it.
	d := addr - p.Vaddr
	if p.Off > 1<<62 || d > 1<<62-p.Off {
		return 0, false
	}
	return int64(p.Off + d), true
}

// progFlags spells segment permissions the way readelf does.
func progFlags(fl elf.ProgFlag) string {
	var b strings.Builder
	if fl&elf.PF_R != 0 {
		b.WriteByte('R')
	}
	if fl&elf.PF_W != 0 {
		b.WriteByte('W')
	}
	if fl&elf.PF_X != 0 {
		b.WriteByte('E')
	}
	return b.String()
}

// readDynamic reads the libraries, search paths, DT_FLAGS_1 and symbol
// version needs from the dynamic table. unread reports a dynamic table, or
// a DT_NEEDED name in it, that could not be read.
func (info *ELFInfo) readDynamic(s *Slice, f *elf.File) (flags1 uint64, unread bool, err error) {
	d, err := readDynamicTable(s, f)
	if d == nil {
		return 0, err != nil, err
	}
	errs := []error{err}
	unread = err != nil
	if len(d.needed)+len(d.soname)+len(d.runpath)+len(d.rpath) == 0 && !d.hasVerneed {
		// Nothing refers to the string table: a table without one (the
		// empty PT_DYNAMIC of a separate debug-information file) is fine.
		return d.flags1, unread, errors.Join(errs...)
	}
	if _, err := d.stringTable(); err != nil {
		return d.flags1, unread || len(d.needed) > 0, errors.Join(append(errs, err)...)
	}
	strErrs := 0
	strs := func(offs []uint64, tag elf.DynTag) []string {
		var v []string
		for _, o := range offs {
			if strErrs == maxTableErrors {
				break
			}
			str, err := d.str(o, tag.String())
			if err != nil {
				if strErrs++; strErrs == maxTableErrors {
					err = errors.Join(err, formatErr(s.Offset+d.off, nil, "giving up on the dynamic table's strings after %d errors", strErrs))
				}
				errs = append(errs, err)
				continue
			}
			v = append(v, str)
		}
		return v
	}
	info.Needed = strs(d.needed, elf.DT_NEEDED)
	unread = unread || len(info.Needed) < len(d.needed)
	if v := strs(d.soname, elf.DT_SONAME); len(v) > 0 {
		// glibc records the last DT_SONAME, and readelf prints them all.
		info.Soname = v[len(v)-1]
	}
	info.RunPath = splitPaths(strs(d.runpath, elf.DT_RUNPATH))
	info.RPath = splitPaths(strs(d.rpath, elf.DT_RPATH))
	needs, err := d.versionNeeds()
	errs = append(errs, err)
	info.setVersionNeeds(needs)
	return d.flags1, unread, errors.Join(errs...)
}

// splitPaths splits DT_RUNPATH or DT_RPATH strings into their
// colon-separated directories.
func splitPaths(v []string) []string {
	var dirs []string
	for _, s := range v {
		dirs = append(dirs, strings.Split(s, ":")...)
	}
	return dirs
}

// setVersionNeeds sets VersionNeeds and Glibc from the version needs.
func (info *ELFInfo) setVersionNeeds(needs []versionNeed) {
	var best []int
	for _, n := range needs {
		info.VersionNeeds = append(info.VersionNeeds, n.File+": "+n.Version)
		if v, ok := glibcVersion(n.Version); ok && (best == nil || slices.Compare(v, best) > 0) {
			best, info.Glibc = v, strings.TrimPrefix(n.Version, "GLIBC_")
		}
	}
	slices.Sort(info.VersionNeeds)
	info.VersionNeeds = slices.Compact(info.VersionNeeds)
}

// glibcVersion parses a glibc symbol version such as GLIBC_2.2.5 into
// its numeric parts. GLIBC_PRIVATE and GLIBC_ABI_DT_RELR are not
// versions of glibc and are skipped.
func glibcVersion(dep string) ([]int, bool) {
	rest, ok := strings.CutPrefix(dep, "GLIBC_")
	if !ok {
		return nil, false
	}
	parts := strings.Split(rest, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return nil, false
	}
	v := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return nil, false
		}
		v[i] = n
	}
	return v, true
}
