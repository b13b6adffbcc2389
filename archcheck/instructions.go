package archcheck

import (
	"bytes"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"encoding/binary"
	"fmt"
	"io"
	"sync"

	"golang.org/x/arch/arm/armasm"
	"golang.org/x/arch/arm64/arm64asm"
	"golang.org/x/arch/loong64/loong64asm"
	"golang.org/x/arch/ppc64/ppc64asm"
	"golang.org/x/arch/riscv64/riscv64asm"
	"golang.org/x/arch/s390x/s390xasm"
	"golang.org/x/arch/x86/x86asm"
)

// An EvidenceStatus says what the instructions at a slice's entry point
// say about the architecture its header claims.
type EvidenceStatus int

// Evidence statuses. EvidenceInconclusive is the zero value: too few bytes,
// bytes that are all zero (an encrypted or packed image), or no decoder for
// the header's architecture.
const (
	EvidenceInconclusive EvidenceStatus = iota
	EvidenceConsistent                  // the code decodes as the header's architecture, and better than as any other
	EvidenceInconsistent                // the code decodes clearly better as another architecture
)

var evidenceStatusNames = [...]string{
	EvidenceInconclusive: "inconclusive",
	EvidenceConsistent:   "consistent",
	EvidenceInconsistent: "inconsistent",
}

// String returns the status as used in JSON: "inconclusive", "consistent"
// or "inconsistent".
func (s EvidenceStatus) String() string {
	if s >= 0 && int(s) < len(evidenceStatusNames) {
		return evidenceStatusNames[s]
	}
	return fmt.Sprintf("EvidenceStatus(%d)", int(s))
}

// MarshalText implements encoding.TextMarshaler with String.
func (s EvidenceStatus) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// InstructionEvidence is what decoding a sample of a slice's code says
// about its architecture: the check a person makes by eye with
// objdump -d at the entry point.
type InstructionEvidence struct {
	Status EvidenceStatus `json:"status"`
	Offset int64          `json:"offset"` // file offset where decoding began (slice offset included)
	Bytes  int            `json:"bytes"`  // how many bytes were sampled
	Scores []ArchScore    `json:"scores"` // one per decoder tried, the header's architecture first
	Reason string         `json:"reason"` // one sentence for a human
}

// An ArchScore is how a sample decodes as one architecture.
//
// Decoded counts decode attempts, Valid the attempts that gave an
// instruction. Instructions have different lengths (x86 1–15 bytes, arm64
// 4), so comparisons between architectures use ValidBytes, the bytes
// covered by valid instructions, and Plausible, the bytes covered by valid
// instructions that compiled code uses: an x86 privileged, I/O or legacy
// BCD instruction is valid but says "this is not x86 code".
type ArchScore struct {
	Arch       string  `json:"arch"` // GOARCH name of the decoder
	Decoded    int     `json:"decoded"`
	Valid      int     `json:"valid"`
	ValidBytes int     `json:"valid_bytes"`
	Plausible  int     `json:"plausible_bytes"`
	Padding    int     `json:"padding_bytes"` // zero words or int3 bytes between functions
	Rate       float64 `json:"rate"`          // Plausible / (sampled bytes - Padding), 0 to 1
}

// DefaultSampleBytes is the sample CheckInstructions decodes when asked
// for none: 4 KiB is a page, a few dozen functions of compiled code, and
// decodes with every decoder in well under a millisecond.
const DefaultSampleBytes = 4096

// maxSampleBytes caps what a caller may ask for, so that an absurd
// maxBytes cannot allocate more than the sample is worth.
// 64 KiB decodes in tens of milliseconds; beyond it a sample from the entry
// point mostly leaves the code anyway.
const maxSampleBytes = 64 << 10

// CheckInstructions decodes at most maxBytes (DefaultSampleBytes when
// maxBytes <= 0, never more than 64 KiB) of code from the slice's entry
// point, or from the start of its text section when it has none (a shared
// library), and says whether the bytes agree with the header's
// architecture. It decodes as amd64, 386, arm64, arm, ppc64le, ppc64 and
// loong64, and also as riscv64 or s390x when the header names them; MIPS
// and other architectures without a decoder are always inconclusive.
//
// An error means the entry point could not be found or read; a sample that
// merely says nothing is EvidenceInconclusive with a Reason.
func (s *Slice) CheckInstructions(maxBytes int) (*InstructionEvidence, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultSampleBytes
	}
	maxBytes = min(maxBytes, maxSampleBytes)
	off, err := entryFileOffset(s)
	if err != nil {
		return nil, err
	}
	if off < 0 || s.Size >= 0 && off > s.Size {
		return nil, formatErr(s.Offset, nil, "entry point at %#x is outside the %d-byte slice", off, s.Size)
	}
	n := int64(maxBytes)
	if s.Size >= 0 {
		n = min(n, s.Size-off)
	}
	buf := make([]byte, n)
	got, err := s.r.ReadAt(buf, off)
	if got < len(buf) && err != nil && err != io.EOF {
		return nil, formatErr(s.Offset+off, err, "reading code at the entry point")
	}
	ev := scoreSample(s.Arch, buf[:got])
	ev.Offset = s.Offset + off
	return ev, nil
}

// decodeMu serializes decoding: the x/arch decoders record which table
// entries they used in package-level slices (decoderCover), unguarded,
// so concurrent decoding is a data race.
var decodeMu sync.Mutex

// A decoder decodes one instruction at the start of b, returning its
// length in bytes (0 when invalid) and whether compiled code plausibly
// contains it. step is how far to move past an invalid instruction: the
// architecture's instruction alignment.
type decoder struct {
	arch   string
	step   int
	decode func(b []byte) (n int, plausible bool)

	// ownOnly decoders are tried only for their own architecture. The
	// riscv64 and s390x decoders search their tables linearly: decoding
	// the official darwin/arm64 gofmt's entry 4 KiB took 26 ms and 15 ms
	// (a busy 2-core machine), against 0.1–2 ms for each other decoder.
	// As rivals they were never needed: measured as rivals (12 platforms,
	// 3,425 windows, before this flag), no other architecture's code read
	// above 92.0% as riscv64 or 88.2% as s390x, short of consistentRate.
	ownOnly bool
}

var decoders = []decoder{
	{"amd64", 1, func(b []byte) (int, bool) { return decodeX86(b, 64) }, false},
	{"386", 1, func(b []byte) (int, bool) { return decodeX86(b, 32) }, false},
	{"arm64", 4, func(b []byte) (int, bool) {
		inst, err := arm64asm.Decode(b)
		if err != nil || inst.Op == 0 {
			return 0, false
		}
		return 4, true
	}, false},
	{"arm", 4, func(b []byte) (int, bool) {
		inst, err := armasm.Decode(b, armasm.ModeARM)
		if err != nil || inst.Op == 0 {
			return 0, false
		}
		return 4, true
	}, false},
	{"ppc64le", 4, func(b []byte) (int, bool) { return decodePPC64(b, binary.LittleEndian) }, false},
	{"ppc64", 4, func(b []byte) (int, bool) { return decodePPC64(b, binary.BigEndian) }, false},
	{"riscv64", 2, func(b []byte) (int, bool) {
		inst, err := riscv64asm.Decode(b)
		if err != nil || inst.Op == 0 || inst.Len <= 0 {
			return 0, false
		}
		return inst.Len, true
	}, true},
	{"loong64", 4, func(b []byte) (int, bool) {
		inst, err := loong64asm.Decode(b)
		if err != nil || inst.Op == 0 {
			return 0, false
		}
		return 4, true
	}, false},
	{"s390x", 2, func(b []byte) (int, bool) {
		inst, err := s390xasm.Decode(b)
		if err != nil || inst.Op == 0 || inst.Len <= 0 {
			return 0, false
		}
		return inst.Len, true
	}, true},
}

func decodePPC64(b []byte, ord binary.ByteOrder) (int, bool) {
	inst, err := ppc64asm.Decode(b, ord)
	if err != nil || inst.Op == 0 || inst.Len <= 0 {
		return 0, false
	}
	return inst.Len, true
}

func decodeX86(b []byte, mode int) (int, bool) {
	inst, err := x86asm.Decode(b, mode)
	if err != nil || inst.Op == 0 || inst.Len <= 0 {
		return 0, false
	}
	for _, p := range inst.Prefix {
		if p&x86asm.PrefixInvalid != 0 {
			return inst.Len, false
		}
	}
	// Two zero bytes decode as ADD [RAX], AL: what x86 sees in zero-filled
	// data, almost never in code.
	if inst.Len >= 2 && b[0] == 0 && b[1] == 0 {
		return inst.Len, false
	}
	return inst.Len, !implausibleX86[inst.Op]
}

// implausibleX86 are instructions that decode but that compilers do not
// emit in user-space code: privileged and I/O instructions, far transfers,
// and the BCD and segment leftovers of the 8086.
var implausibleX86 = map[x86asm.Op]bool{
	x86asm.HLT: true, x86asm.CLI: true, x86asm.STI: true, x86asm.CLTS: true,
	x86asm.IN: true, x86asm.INSB: true, x86asm.INSW: true, x86asm.INSD: true,
	x86asm.OUT: true, x86asm.OUTSB: true, x86asm.OUTSW: true, x86asm.OUTSD: true,
	x86asm.LGDT: true, x86asm.LIDT: true, x86asm.LLDT: true, x86asm.LMSW: true, x86asm.LTR: true,
	x86asm.INVD: true, x86asm.WBINVD: true, x86asm.INVLPG: true, x86asm.RDMSR: true, x86asm.WRMSR: true,
	x86asm.IRET: true, x86asm.IRETD: true, x86asm.IRETQ: true, x86asm.INTO: true,
	x86asm.LCALL: true, x86asm.LJMP: true, x86asm.LRET: true,
	x86asm.AAA: true, x86asm.AAD: true, x86asm.AAM: true, x86asm.AAS: true, x86asm.DAA: true, x86asm.DAS: true,
	x86asm.BOUND: true, x86asm.ARPL: true, x86asm.LDS: true, x86asm.LES: true,
	x86asm.XLATB: true, x86asm.SAHF: true, x86asm.LAHF: true,
	x86asm.LOOP: true, x86asm.LOOPE: true, x86asm.LOOPNE: true,
	x86asm.ENTER: true, x86asm.CMC: true, x86asm.FWAIT: true,
}

// score decodes b with d.
//
// Padding is left out of the rate: compilers fill the gaps between
// functions with zero words (Go on arm64, ppc64, s390x, riscv64, loong64)
// or int3 bytes (0xcc, Go and C compilers on x86), which are not
// instructions but say nothing against the architecture. Without this, 5%
// of the 4 KiB windows of Go arm64 text fell below 95% valid as arm64
// (0x00000000 was 5268 of the 5807 words arm64asm rejected in the official
// darwin/arm64 gofmt).
func (d decoder) score(b []byte) (sc ArchScore, err error) {
	sc.Arch = d.arch
	_, err = guard("golang.org/x/arch "+d.arch, func() (struct{}, error) {
		for i := 0; i < len(b); {
			if d.isPadding(b[i:]) {
				sc.Padding += d.step
				i += d.step
				continue
			}
			sc.Decoded++
			n, plausible := d.decode(b[i:])
			if n <= 0 || i+n > len(b) {
				i += d.step
				continue
			}
			sc.Valid++
			sc.ValidBytes += n
			if plausible {
				sc.Plausible += n
			}
			i += n
		}
		return struct{}{}, nil
	})
	sc.Padding = min(sc.Padding, len(b))
	if code := len(b) - sc.Padding; code > 0 {
		sc.Rate = float64(sc.Plausible) / float64(code)
	}
	return sc, err
}

// isPadding reports whether b starts with one unit of padding.
func (d decoder) isPadding(b []byte) bool {
	if d.step == 1 {
		return b[0] == x86Int3
	}
	if len(b) < d.step {
		return false
	}
	for _, c := range b[:d.step] {
		if c != 0 {
			return false
		}
	}
	return true
}

// x86Int3 is the one-byte breakpoint instruction INT3 (Intel SDM vol. 2A),
// the x86 padding between functions.
const x86Int3 = 0xcc

// scoreAll decodes b with every decoder, the one for arch first.
func scoreAll(arch string, b []byte) []ArchScore {
	decodeMu.Lock()
	defer decodeMu.Unlock()
	scores := make([]ArchScore, 0, len(decoders))
	for _, d := range decoders {
		if d.arch == arch {
			sc, _ := d.score(b)
			scores = append(scores, sc)
		}
	}
	for _, d := range decoders {
		if d.arch != arch && !d.ownOnly {
			sc, _ := d.score(b)
			scores = append(scores, sc)
		}
	}
	return scores
}

// Thresholds on ArchScore.Rate, chosen from measurements.
//
// TestMeasureInstructionScores (run with -measure-instructions) slides
// 4 KiB windows over the text of the Go hello-world built for every
// platform in testenv.Matrix (Go 1.26.8), of the official go1.27.3
// darwin/arm64 and darwin/amd64 go, gofmt, compile and link, and of the
// host's /bin/ls and libc (linux/amd64, C): 4,650 windows. Rates in %, p1
// is the 1st percentile; "other" leaves out the x86 pair, which cannot
// tell each other apart, and riscv64 and s390x, which are only tried for
// their own architecture:
//
//	own architecture, min:  arm 96.8, arm64 97.4, amd64 99.3, s390x 99.5,
//	                        386 99.6, ppc64 99.7, riscv64 99.9, ppc64le and loong64 100
//	best other, max:        on arm64 code 100 (ppc64le, a window of few
//	                        instructions among padding), 97.6 (amd64);
//	                        on arm code 96.8 (ppc64le); on amd64 code 89.2
//	own minus best other:   min arm64 0.0, arm +3.0, loong64 +5.3, ppc64le +6.8,
//	                        ppc64 +7.1, riscv64 +7.9, s390x +8.8, amd64 +10.8;
//	                        p1 arm +4.3, arm64 +4.5
//	at the 28 entry points: own >= 98.9, own minus best other >= +6.3
//	                        (official darwin/arm64 compile: arm64 99.8, ppc64le 93.5)
//	MIPS (no decoder):      reads at most 95.1 as arm, 93.2 as ppc64, 91.8 as amd64
//
// So consistency asks for 95% and a 3-point lead: below every entry
// point's lead, and a window inside the band is inconclusive, not wrong.
// Inconsistency asks for another decoder at 95% and 10 points ahead of
// the header's: on real code no other decoder ever led the true one, and
// swapped code leads by far more (amd64 code read as arm64: at most 45%;
// arm64 code read as amd64: 66–98%, 73–85% at entry points).
const (
	consistentRate   = 0.95
	consistentLead   = 0.03
	inconsistentRate = 0.95
	inconsistentLead = 0.10
)

// minSampleCodeBytes is the least code (padding excluded) judged. The
// same measurement with -measure-window 1024 (4,490 windows) gave: own
// architecture min 92.4% (arm64), 93.0% (arm); own minus best other min
// -0.8 (arm), 0.0 (arm64), p1 +0.8 (arm64). So 1 KiB samples are more
// often inconclusive but never put another decoder 10 points past the
// true one; at 512 bytes the entry of the darwin/arm64 hello-world already
// reads 97.3% as ppc64le against 100% as arm64.
const minSampleCodeBytes = 1024

// scoreSample judges a sample of code against the header's architecture.
func scoreSample(arch string, b []byte) *InstructionEvidence {
	ev := &InstructionEvidence{Bytes: len(b)}
	if len(b) < minSampleCodeBytes {
		ev.Reason = fmt.Sprintf("only %d bytes at the entry point, too few to judge (%d needed)", len(b), minSampleCodeBytes)
		return ev
	}
	if bytes.Count(b, []byte{0}) == len(b) {
		ev.Reason = fmt.Sprintf("the %d bytes at the entry point are all zero: encrypted, packed or not code", len(b))
		return ev
	}
	ev.Scores = scoreAll(arch, b)
	own := ev.Scores[0]
	if own.Arch != arch {
		best := bestOther(ev.Scores, "")
		ev.Reason = fmt.Sprintf("no decoder for %s; %d bytes from the entry point decode at best as %s (%s)", archName(arch), len(b), best.Arch, pct(best.Rate))
		return ev
	}
	if len(b)-own.Padding < minSampleCodeBytes {
		ev.Reason = fmt.Sprintf("only %d of the %d bytes at the entry point are not padding, too few to judge", len(b)-own.Padding, len(b))
		return ev
	}
	rival := bestOther(ev.Scores, arch)
	switch {
	case own.Rate >= consistentRate && own.Rate-rival.Rate >= consistentLead:
		ev.Status = EvidenceConsistent
		ev.Reason = fmt.Sprintf("%d bytes from the entry point decode as %s (%s plausible), as %s at best %s", len(b), arch, pct(own.Rate), rival.Arch, pct(rival.Rate))
	case rival.Rate >= inconsistentRate && rival.Rate-own.Rate >= inconsistentLead:
		ev.Status = EvidenceInconsistent
		ev.Reason = fmt.Sprintf("%d bytes from the entry point decode as %s (%s plausible) but as %s, the header's architecture, only %s", len(b), rival.Arch, pct(rival.Rate), arch, pct(own.Rate))
	default:
		ev.Reason = fmt.Sprintf("%d bytes from the entry point decode as %s %s and as %s %s: no clear answer", len(b), arch, pct(own.Rate), rival.Arch, pct(rival.Rate))
	}
	return ev
}

// bestOther returns the best score of a decoder not in arch's family.
func bestOther(scores []ArchScore, arch string) ArchScore {
	var best ArchScore
	for _, sc := range scores {
		if !sameFamily(arch, sc.Arch) && (best.Arch == "" || sc.Rate > best.Rate) {
			best = sc
		}
	}
	return best
}

func archName(arch string) string {
	if arch == "" {
		return "this CPU"
	}
	return arch
}

func pct(r float64) string { return fmt.Sprintf("%.1f%%", 100*r) }

// ---------------------------------------------------------------------
// Entry point file offset.
//
// entryFileOffset is self-contained on purpose: the format details
// (MachOInfo, ELFInfo, PEInfo) are being taught to report the entry
// offset themselves, and this function is meant to be swapped for them.
// ---------------------------------------------------------------------

// entryFileOffset returns the offset, from the start of the slice, of the
// slice's entry point: LC_MAIN's entryoff or LC_UNIXTHREAD's pc in
// Mach-O, e_entry in ELF, AddressOfEntryPoint in PE, each mapped to the
// file through the segment or section that holds it. Files without an
// entry point (shared libraries, objects) give the start of their text
// section.
func entryFileOffset(s *Slice) (int64, error) {
	switch {
	case s.MachO != nil && s.MachO.EntryCommand != "" && s.MachO.EntryOffset >= 0:
		return s.MachO.EntryOffset, nil
	case s.ELF != nil && s.ELF.EntryOffset >= 0:
		return s.ELF.EntryOffset, nil
	case s.PE != nil && s.PE.EntryOffset >= 0:
		return s.PE.EntryOffset, nil
	}
	// No entry point the loader-facing details could map: a library, an
	// object, or a thread state of a kind not decoded. Sample the code
	// section instead.
	r := s.Reader()
	switch s.format {
	case FormatMachO, FormatMachOFat:
		return guard("debug/macho", func() (int64, error) { return machoTextOffset(r) })
	case FormatELF:
		return guard("debug/elf", func() (int64, error) { return elfTextOffset(r) })
	case FormatPE:
		return guard("debug/pe", func() (int64, error) { return peCodeOffset(r) })
	}
	return 0, formatErr(s.Offset, ErrNotExecutable, "no entry point in an unknown format")
}

func machoTextOffset(r io.ReaderAt) (int64, error) {
	f, err := macho.NewFile(r)
	if err != nil {
		return 0, formatErr(0, err, "reading Mach-O load commands")
	}
	if sect := f.Section("__text"); sect != nil {
		return int64(sect.Offset), nil
	}
	return 0, formatErr(0, nil, "Mach-O file has no entry point and no __text section")
}

func elfTextOffset(r io.ReaderAt) (int64, error) {
	f, err := elf.NewFile(r)
	if err != nil {
		return 0, formatErr(0, err, "reading ELF headers")
	}
	if sect := f.Section(".text"); sect != nil && sect.Type != elf.SHT_NOBITS {
		return int64(sect.Offset), nil
	}
	return 0, formatErr(0, nil, "ELF file has no entry point and no .text section")
}

// peSectionCode is IMAGE_SCN_CNT_CODE, from the PE format specification.
const peSectionCode = 0x20

func peCodeOffset(r io.ReaderAt) (int64, error) {
	f, err := pe.NewFile(r)
	if err != nil {
		return 0, formatErr(0, err, "reading PE headers")
	}
	for _, sect := range f.Sections {
		if sect.Characteristics&peSectionCode != 0 {
			return int64(sect.Offset), nil
		}
	}
	return 0, formatErr(0, nil, "PE file has no entry point and no code section")
}

// sameFamily reports whether two decoders read the same instruction set:
// 32- and 64-bit x86 share almost every encoding, so neither is evidence
// against the other.
func sameFamily(a, b string) bool {
	x86 := func(s string) bool { return s == "amd64" || s == "386" }
	return a == b || x86(a) && x86(b)
}
