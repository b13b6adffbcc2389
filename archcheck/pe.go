package archcheck

import (
	"bytes"
	"debug/pe"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// PEInfo is what the Windows (or UEFI) loader needs from a PE image: the
// subsystem that must host it, the DLLs it imports, the Windows version
// it claims to need, and the security features it opts into.
type PEInfo struct {
	// Subsystem is the optional header's Subsystem (IMAGE_SUBSYSTEM_*)
	// in lower case: "console", "windows-gui", "native",
	// "efi-application", ...; "subsystem(N)" for values the PE format
	// specification does not list.
	Subsystem string `json:"subsystem"`

	// Imports lists the DLLs named by the import directory, in file
	// order. Delay-loaded DLLs (data directory 13) are not included.
	Imports []string `json:"imports,omitempty"`

	// MinOS is MajorOperatingSystemVersion.MinorOperatingSystemVersion,
	// such as "6.1" for Windows 7. Windows does not enforce it.
	MinOS string `json:"min_os,omitempty"`

	// SubsystemVersion is MajorSubsystemVersion.MinorSubsystemVersion:
	// the version the loader does enforce, refusing an image whose
	// subsystem version is newer than the running Windows.
	SubsystemVersion string `json:"subsystem_version,omitempty"`

	// EntryOffset is the file offset of AddressOfEntryPoint, through the
	// section whose raw data holds it; -1 when the entry point is zero
	// (a DLL without DllMain) or no section's raw data holds it.
	EntryOffset int64 `json:"entry_offset"`

	// DllCharacteristics flags (PE format specification, "DLL
	// Characteristics"): ASLR relocation, DEP, 64-bit high-entropy ASLR.
	DynamicBase   bool `json:"dynamic_base"`
	NXCompat      bool `json:"nx_compat"`
	HighEntropyVA bool `json:"high_entropy_va"`
}

// PE format constants, from the PE format specification (Microsoft
// Learn, "PE Format"): an import directory entry is
// IMAGE_IMPORT_DESCRIPTOR {OriginalFirstThunk, TimeDateStamp,
// ForwarderChain, Name, FirstThunk}, five 4-byte RVAs or values, and the
// table ends with an all-zero entry.
const (
	peImportDescSize = 5 * 4
	peImportNameOff  = 3 * 4

	// maxPEImports bounds how many import descriptors are read. Real
	// images import tens of DLLs; the loader has no limit, but a table
	// that runs to 4096 entries without its zero terminator is not one a
	// compiler wrote.
	maxPEImports = 4096

	// maxDLLName bounds a DLL name: Windows paths are limited to
	// MAX_PATH (260) characters outside long-path mode, and import names
	// are file names, not paths.
	maxDLLName = 260
)

// subsystemNames maps IMAGE_SUBSYSTEM_* values to the names used in
// PEInfo.Subsystem.
var subsystemNames = map[uint16]string{
	pe.IMAGE_SUBSYSTEM_UNKNOWN:                  "unknown",
	pe.IMAGE_SUBSYSTEM_NATIVE:                   "native",
	pe.IMAGE_SUBSYSTEM_WINDOWS_GUI:              "windows-gui",
	pe.IMAGE_SUBSYSTEM_WINDOWS_CUI:              "console",
	pe.IMAGE_SUBSYSTEM_OS2_CUI:                  "os2-console",
	pe.IMAGE_SUBSYSTEM_POSIX_CUI:                "posix-console",
	pe.IMAGE_SUBSYSTEM_NATIVE_WINDOWS:           "native-windows",
	pe.IMAGE_SUBSYSTEM_WINDOWS_CE_GUI:           "windows-ce-gui",
	pe.IMAGE_SUBSYSTEM_EFI_APPLICATION:          "efi-application",
	pe.IMAGE_SUBSYSTEM_EFI_BOOT_SERVICE_DRIVER:  "efi-boot-service-driver",
	pe.IMAGE_SUBSYSTEM_EFI_RUNTIME_DRIVER:       "efi-runtime-driver",
	pe.IMAGE_SUBSYSTEM_EFI_ROM:                  "efi-rom",
	pe.IMAGE_SUBSYSTEM_XBOX:                     "xbox",
	pe.IMAGE_SUBSYSTEM_WINDOWS_BOOT_APPLICATION: "windows-boot-application",
}

func subsystemName(v uint16) string {
	if name, ok := subsystemNames[v]; ok {
		return name
	}
	return fmt.Sprintf("subsystem(%d)", v)
}

// readPE reads the loader-relevant fields of a PE image through
// debug/pe. Like readELF it returns what it could read together with
// the problems it met.
//
// debug/pe's ImportedLibraries returns nothing, and its ImportedSymbols
// rereads the whole section once per imported DLL; the import directory
// is therefore walked here, with every read bounded.
func readPE(s *Slice) (*PEInfo, error) {
	f, err := guard("debug/pe", func() (*pe.File, error) { return pe.NewFile(s.r) })
	if err != nil {
		var ppe *ParserPanicError
		if errors.As(err, &ppe) {
			return nil, err
		}
		return nil, formatErr(s.Offset, err, "reading PE file")
	}
	if err := peLayoutError(f, s.Size, s.Offset); err != nil {
		return nil, err
	}
	info := &PEInfo{EntryOffset: -1}
	var (
		subsystem, dllChars uint16
		osMajor, osMinor    uint16
		subMajor, subMinor  uint16
		entry               uint32
		dirs                []pe.DataDirectory
	)
	switch oh := f.OptionalHeader.(type) {
	case *pe.OptionalHeader32:
		subsystem, dllChars, entry = oh.Subsystem, oh.DllCharacteristics, oh.AddressOfEntryPoint
		osMajor, osMinor = oh.MajorOperatingSystemVersion, oh.MinorOperatingSystemVersion
		subMajor, subMinor = oh.MajorSubsystemVersion, oh.MinorSubsystemVersion
		dirs = oh.DataDirectory[:min(int(oh.NumberOfRvaAndSizes), len(oh.DataDirectory))]
	case *pe.OptionalHeader64:
		subsystem, dllChars, entry = oh.Subsystem, oh.DllCharacteristics, oh.AddressOfEntryPoint
		osMajor, osMinor = oh.MajorOperatingSystemVersion, oh.MinorOperatingSystemVersion
		subMajor, subMinor = oh.MajorSubsystemVersion, oh.MinorSubsystemVersion
		dirs = oh.DataDirectory[:min(int(oh.NumberOfRvaAndSizes), len(oh.DataDirectory))]
	default:
		return nil, formatErr(s.Offset, nil, "PE image without an optional header")
	}
	info.Subsystem = subsystemName(subsystem)
	info.MinOS = fmt.Sprintf("%d.%d", osMajor, osMinor)
	info.SubsystemVersion = fmt.Sprintf("%d.%d", subMajor, subMinor)
	info.DynamicBase = dllChars&pe.IMAGE_DLLCHARACTERISTICS_DYNAMIC_BASE != 0
	info.NXCompat = dllChars&pe.IMAGE_DLLCHARACTERISTICS_NX_COMPAT != 0
	info.HighEntropyVA = dllChars&pe.IMAGE_DLLCHARACTERISTICS_HIGH_ENTROPY_VA != 0
	if entry != 0 {
		if sec, d, ok := rvaSection(f, entry); ok {
			info.EntryOffset = int64(sec.Offset) + int64(d)
		}
	}
	if len(dirs) > pe.IMAGE_DIRECTORY_ENTRY_IMPORT {
		imp := dirs[pe.IMAGE_DIRECTORY_ENTRY_IMPORT]
		if imp.VirtualAddress != 0 {
			info.Imports, err = readPEImports(s, f, imp.VirtualAddress)
		}
	}
	return info, err
}

// rvaSection finds the section whose raw data holds rva, and rva's
// distance from the section's start. Bytes past SizeOfRawData but within
// VirtualSize are zero-filled by the loader and have no file offset.
func rvaSection(f *pe.File, rva uint32) (*pe.Section, uint32, bool) {
	for _, sec := range f.Sections {
		if rva < sec.VirtualAddress {
			continue
		}
		d := rva - sec.VirtualAddress
		vsize := sec.VirtualSize
		if vsize == 0 { // some linkers leave VirtualSize zero and mean SizeOfRawData
			vsize = sec.Size
		}
		if d < vsize && d < sec.Size {
			return sec, d, true
		}
	}
	return nil, 0, false
}

// readPEImports walks the import directory at rva and returns the DLL
// names it lists.
func readPEImports(s *Slice, f *pe.File, rva uint32) ([]string, error) {
	sec, d, ok := rvaSection(f, rva)
	if !ok {
		return nil, formatErr(s.Offset, nil, "import directory RVA %#x is in no section's raw data", rva)
	}
	fileOff := s.Offset + int64(sec.Offset) + int64(d)
	// The table must lie within the section's raw data; read it in one
	// piece, capped by what the section holds and by maxPEImports.
	n := min(int64(sec.Size-d), (maxPEImports+1)*peImportDescSize)
	table := make([]byte, n-n%peImportDescSize)
	if got, err := sec.ReadAt(table, int64(d)); got < len(table) {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, formatErr(fileOff, err, "reading import directory")
	}
	var dlls []string
	for i := 0; ; i++ {
		off := i * peImportDescSize
		if off+peImportDescSize > len(table) {
			return dlls, formatErr(fileOff+int64(off), nil, "import directory has no terminating entry within %d entries", i)
		}
		desc := table[off : off+peImportDescSize]
		if allZero(desc) {
			return dlls, nil
		}
		nameRVA := binary.LittleEndian.Uint32(desc[peImportNameOff:])
		name, err := readPEString(s, f, nameRVA)
		if err != nil {
			return dlls, formatErr(fileOff+int64(off+peImportNameOff), err, "import %d: reading DLL name at RVA %#x", i, nameRVA)
		}
		dlls = append(dlls, name)
	}
}

// readPEString reads a NUL-terminated DLL name at rva.
func readPEString(s *Slice, f *pe.File, rva uint32) (string, error) {
	sec, d, ok := rvaSection(f, rva)
	if !ok {
		return "", errors.New("RVA in no section's raw data")
	}
	buf := make([]byte, min(maxDLLName+1, sec.Size-d))
	got, err := sec.ReadAt(buf, int64(d))
	buf = buf[:got]
	i := bytes.IndexByte(buf, 0)
	switch {
	case i > 0:
		return string(buf[:i]), nil
	case i == 0:
		return "", errors.New("empty DLL name")
	case got < len(buf) && err != nil && err != io.EOF:
		return "", err
	}
	return "", fmt.Errorf("DLL name not NUL-terminated within %d bytes", len(buf))
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
