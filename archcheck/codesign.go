package archcheck

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"

	"github.com/nativego/nativego/internal/saferio"
)

// Code signature structures and constants, from xnu osfmk/kern/cs_blobs.h
// (the kernel's copy of Apple's Security framework CodeDirectory.h and
// CSCommonPriv.h). Every field of every signature structure is
// big-endian, whatever the byte order of the Mach-O file around it.
const (
	csMagicRequirements      = 0xfade0c01 // CSMAGIC_REQUIREMENTS: the internal requirements vector
	csMagicCodeDirectory     = 0xfade0c02 // CSMAGIC_CODEDIRECTORY
	csMagicEmbeddedSignature = 0xfade0cc0 // CSMAGIC_EMBEDDED_SIGNATURE: the SuperBlob LC_CODE_SIGNATURE points at
	csMagicBlobWrapper       = 0xfade0b01 // CSMAGIC_BLOBWRAPPER: wraps the CMS signature

	// Slot numbers of the SuperBlob index (CSSLOT_*). Slots 1 to 11 are
	// also "special slots": the CodeDirectory holds their hashes at
	// negative indexes before the code page hashes.
	csSlotCodeDirectory        = 0       // CSSLOT_CODEDIRECTORY
	csSlotInfo                 = 1       // CSSLOT_INFOSLOT: Info.plist, a file outside the binary
	csSlotResourceDir          = 3       // CSSLOT_RESOURCEDIR: _CodeSignature/CodeResources, outside the binary
	csSlotApplication          = 4       // CSSLOT_APPLICATION: application-specific, outside the binary
	csSlotMaxSpecial           = 11      // last launch-constraint slot (CSSLOT_LIBRARY_CONSTRAINT)
	csSlotAlternateDirectories = 0x1000  // CSSLOT_ALTERNATE_CODEDIRECTORIES
	csSlotAlternateMax         = 5       // CSSLOT_ALTERNATE_CODEDIRECTORY_MAX
	csSlotSignature            = 0x10000 // CSSLOT_SIGNATURESLOT: the CMS blob wrapper

	// CodeDirectory versions: each adds fields at the end of the header.
	csVersionEarliest   = 0x20001 // CS_SUPPORTSNONE's successor: the oldest the kernel accepts
	csVersionScatter    = 0x20100 // CS_SUPPORTSSCATTER: scatterOffset
	csVersionTeamID     = 0x20200 // CS_SUPPORTSTEAMID: teamOffset
	csVersionCodeLimit  = 0x20300 // CS_SUPPORTSCODELIMIT64: spare3, codeLimit64
	csVersionExecSeg    = 0x20400 // CS_SUPPORTSEXECSEG: execSegBase, execSegLimit, execSegFlags
	csVersionCompatible = 0x2f000 // versions from 0x30000 on are incompatible by design (Security's compatibilityLimit)

	// CodeDirectory flags (CS_* in cs_blobs.h).
	csAdHoc        = 0x2     // CS_ADHOC: no CMS signature, the cdhash itself must be trusted
	csRuntime      = 0x10000 // CS_RUNTIME: hardened runtime
	csLinkerSigned = 0x20000 // CS_LINKER_SIGNED: ad-hoc signature written by a linker

	// Hash types (CS_HASHTYPE_*) and the cdhash length (CS_CDHASH_LEN).
	csHashSHA1            = 1
	csHashSHA256          = 2
	csHashSHA256Truncated = 3 // SHA-256 cut to 20 bytes
	csHashSHA384          = 4
	csCDHashLen           = 20

	// xnu's cs_validate_codedirectory rejects page sizes below 4 KiB
	// (PAGE_SHIFT_4K) and above the kernel page size (PAGE_SHIFT, 16 KiB
	// on arm64); Apple's codesign writes 4 KiB.
	csPageShiftMin = 12
	csPageShiftMax = 14
	// maxPageShift bounds the exponent we decode at all, so that the page
	// size fits comfortably in an int64.
	maxPageShift = 31
)

// Header sizes: 8 bytes of blob header (magic, length); a SuperBlob adds
// a count and 8-byte (type, offset) index entries. CodeDirectory sizes
// are the end offsets of the fields each version adds (cs_blobs.h
// end_earliest, end_withScatter, ...).
const (
	blobHeaderSize   = 8
	superBlobSize    = 12
	blobIndexSize    = 8
	cdSizeEarliest   = 44 // 9 uint32 + 4 uint8 + spare2 uint32
	cdSizeScatter    = 48
	cdSizeTeamID     = 52
	cdSizeCodeLimit  = 64 // spare3 uint32 + codeLimit64 uint64
	cdSizeExecSeg    = 88 // execSegBase, execSegLimit, execSegFlags uint64
	cdOffsetHashSize = 36 // hashSize, hashType, platform, pageSize bytes
)

// A SignatureKind says how a Mach-O slice is signed.
type SignatureKind int

// Signature kinds. SignatureUnknown is a CodeDirectory with neither a CMS
// signature nor the ad-hoc flag, which macOS cannot validate.
const (
	SignatureUnknown     SignatureKind = iota
	SignatureAdHoc                     // no certificate: the cdhash is the identity (CS_ADHOC)
	SignatureCertificate               // a CMS signature by a certificate, such as a Developer ID
)

var signatureKindNames = [...]string{
	SignatureUnknown:     "unknown",
	SignatureAdHoc:       "ad-hoc",
	SignatureCertificate: "certificate",
}

// String returns the kind's name as used in JSON: "unknown", "ad-hoc" or
// "certificate".
func (k SignatureKind) String() string {
	if k >= 0 && int(k) < len(signatureKindNames) {
		return signatureKindNames[k]
	}
	return fmt.Sprintf("SignatureKind(%d)", int(k))
}

// MarshalText implements encoding.TextMarshaler with String.
func (k SignatureKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// A CodeSignature is the embedded code signature of a Mach-O slice, as
// described by its best CodeDirectory, and whether the slice still
// matches it.
//
// On arm64 macOS a slice whose signature is not Valid is killed when the
// process touches a page that fails its hash ("Killed: 9"), or refused at
// exec when the CodeDirectory itself is rejected.
type CodeSignature struct {
	Kind         SignatureKind `json:"kind"`
	Identifier   string        `json:"identifier"`
	TeamID       string        `json:"team_id,omitempty"`
	Flags        uint32        `json:"flags"` // CodeDirectory flags: CS_ADHOC 0x2, CS_RUNTIME 0x10000, CS_LINKER_SIGNED 0x20000, ...
	LinkerSigned bool          `json:"linker_signed"`
	Runtime      bool          `json:"runtime"`   // hardened runtime (CS_RUNTIME)
	HashType     string        `json:"hash_type"` // "sha256", "sha1", "sha256-truncated" or "sha384"
	PageSize     int           `json:"page_size"` // 0 when one hash covers the whole code limit
	CodeLimit    int64         `json:"code_limit"`
	Pages        int           `json:"pages"`

	// BadPages are the indexes of code pages whose hash no longer
	// matches. BadSpecialSlots are the special slots (2 requirements,
	// 5 entitlements, 7 DER entitlements, ...) whose blob no longer
	// matches its hash in the CodeDirectory.
	BadPages        []int `json:"bad_pages,omitempty"`
	BadSpecialSlots []int `json:"bad_special_slots,omitempty"`

	// Valid reports that the CodeDirectory is one the kernel accepts,
	// every code page and embedded special blob matches its hash, and,
	// for a certificate signature, SignatureVerified. The certificate
	// chain, its expiry and revocation, and notarization are not checked.
	Valid bool `json:"valid"`

	// SignatureVerified reports, for a certificate signature, that the
	// CMS signature's messageDigest is the hash of the CodeDirectory and
	// that the signing certificate's key verifies it: the CodeDirectory
	// was not rewritten after signing. Always false for ad-hoc code.
	SignatureVerified bool `json:"signature_verified"`

	// CDHash is the hash of the CodeDirectory, in hex and cut to 20 bytes
	// as codesign -dvvv prints it.
	CDHash string `json:"cdhash"`

	// Signer is the common name of the leaf certificate of a CMS
	// signature, such as "Developer ID Application: Example (TEAMID)";
	// empty for ad-hoc signatures or when the CMS blob could not be read.
	Signer string `json:"signer,omitempty"`
}

// readCodeSignature decodes the SuperBlob at [dataOff, dataOff+dataSize)
// of a thin slice, as given by LC_CODE_SIGNATURE, and verifies the code
// page hashes of the best CodeDirectory against the slice's bytes
// [0, codeLimit). r addresses the slice from its own offset 0; base is the
// slice's offset in the file, used only for the offsets in errors.
//
// A *FormatError means the signature could not be decoded at all: on
// arm64 macOS such a binary is refused at exec just like one whose pages
// do not match. Pages are hashed one at a time through a single buffer, so
// memory stays bounded by the signature's size plus one page.
func readCodeSignature(r io.ReaderAt, base int64, dataOff, dataSize uint32) (*CodeSignature, error) {
	sigOff := base + int64(dataOff)
	size, sizeKnown := saferio.SizeOf(r)
	if sizeKnown && int64(dataOff)+int64(dataSize) > size {
		return nil, formatErr(sigOff, io.ErrUnexpectedEOF,
			"code signature [%#x, %#x) extends past the end of the slice (%#x bytes)",
			dataOff, uint64(dataOff)+uint64(dataSize), size)
	}
	if dataSize < superBlobSize {
		return nil, formatErr(sigOff, nil, "code signature of %d bytes is too small for a SuperBlob", dataSize)
	}
	sig, err := saferio.ReadAt(r, int64(dataOff), int64(dataSize))
	if err != nil {
		return nil, formatErr(sigOff, err, "reading code signature")
	}
	blobs, err := parseSuperBlob(sig, sigOff)
	if err != nil {
		return nil, err
	}

	var best, primary *codeDirectory
	for _, b := range blobs {
		if b.slot != csSlotCodeDirectory &&
			(b.slot < csSlotAlternateDirectories || b.slot >= csSlotAlternateDirectories+csSlotAlternateMax) {
			continue
		}
		cd, err := parseCodeDirectory(b.data, sigOff+int64(b.off))
		if err != nil {
			return nil, err
		}
		if best == nil || hashRank(cd.hashType) > hashRank(best.hashType) {
			best = cd
		}
		if b.slot == csSlotCodeDirectory {
			primary = cd
		}
	}
	if primary == nil {
		return nil, formatErr(sigOff, nil, "code signature has no CodeDirectory in slot 0")
	}
	cd := best
	if sizeKnown && cd.codeLimit > size {
		return nil, formatErr(cd.off, io.ErrUnexpectedEOF,
			"code limit %#x is past the end of the slice (%#x bytes)", cd.codeLimit, size)
	}

	cs := &CodeSignature{
		Identifier:   cd.identifier,
		TeamID:       cd.teamID,
		Flags:        cd.flags,
		LinkerSigned: cd.flags&csLinkerSigned != 0,
		Runtime:      cd.flags&csRuntime != 0,
		HashType:     hashName(cd.hashType),
		CodeLimit:    cd.codeLimit,
		Pages:        int(cd.nCodeSlots),
		CDHash:       hex.EncodeToString(cd.cdhash),
	}
	if cd.pageShift > 0 {
		cs.PageSize = 1 << cd.pageShift
	}

	var cms []byte
	for _, b := range blobs {
		if b.slot == csSlotSignature && b.magic == csMagicBlobWrapper {
			cms = b.data[blobHeaderSize:]
		}
	}
	cmsOK := true
	switch {
	case len(cms) > 0:
		cs.Kind = SignatureCertificate
		// The CMS signs the slot-0 CodeDirectory; alternates are bound
		// to it by Apple's hash-agility attributes, not checked here.
		res := cmsCheck(cms, primary.data)
		cs.Signer, cs.SignatureVerified, cmsOK = res.signer, res.verified, res.verified
	case cd.flags&csAdHoc != 0:
		cs.Kind = SignatureAdHoc
	}

	cs.BadPages, err = verifyPages(r, base, cd)
	if err != nil {
		return nil, err
	}
	cs.BadSpecialSlots = verifySpecialSlots(cd, blobs)
	cs.Valid = len(cs.BadPages) == 0 && len(cs.BadSpecialSlots) == 0 &&
		cs.Kind != SignatureUnknown && cmsOK &&
		cd.pageShift >= csPageShiftMin && cd.pageShift <= csPageShiftMax
	return cs, nil
}

// A blob is one entry of a SuperBlob's index.
type blob struct {
	slot  uint32
	magic uint32
	off   uint32 // from the start of the SuperBlob
	data  []byte // the whole blob, header included
}

// parseSuperBlob checks the SuperBlob in sig, which starts at file
// offset off, and returns its blobs, each bounded by the SuperBlob.
func parseSuperBlob(sig []byte, off int64) ([]blob, error) {
	be := binary.BigEndian
	if magic := be.Uint32(sig); magic != csMagicEmbeddedSignature {
		return nil, formatErr(off, nil, "bad code signature magic %#x, want %#x", magic, csMagicEmbeddedSignature)
	}
	// Apple's codesign pads the LC_CODE_SIGNATURE region past the
	// SuperBlob's length, so the length may be shorter, never longer.
	length := be.Uint32(sig[4:])
	if length < superBlobSize || uint64(length) > uint64(len(sig)) {
		return nil, formatErr(off+4, nil, "SuperBlob length %d outside [%d, %d]", length, superBlobSize, len(sig))
	}
	sig = sig[:length]
	count := be.Uint32(sig[8:])
	if uint64(count) > uint64(length-superBlobSize)/blobIndexSize {
		return nil, formatErr(off+8, nil, "SuperBlob count %d does not fit in %d bytes", count, length)
	}
	blobs := make([]blob, 0, count)
	for i := range count {
		idx := superBlobSize + i*blobIndexSize
		slot, boff := be.Uint32(sig[idx:]), be.Uint32(sig[idx+4:])
		if boff < superBlobSize || uint64(boff)+blobHeaderSize > uint64(length) {
			return nil, formatErr(off+int64(idx)+4, nil, "blob %d offset %#x outside the SuperBlob", i, boff)
		}
		magic, blen := be.Uint32(sig[boff:]), be.Uint32(sig[boff+4:])
		if blen < blobHeaderSize || uint64(boff)+uint64(blen) > uint64(length) {
			return nil, formatErr(off+int64(boff)+4, nil, "blob %d length %d outside the SuperBlob", i, blen)
		}
		blobs = append(blobs, blob{slot: slot, magic: magic, off: boff, data: sig[boff : boff+blen]})
	}
	return blobs, nil
}

// A codeDirectory is the decoded part of a CodeDirectory blob that the
// verification needs.
type codeDirectory struct {
	off        int64  // file offset of the blob, for errors
	data       []byte // the whole blob
	version    uint32
	flags      uint32
	hashOffset uint32
	nSpecial   uint32
	nCodeSlots uint32
	codeLimit  int64
	hashSize   int
	hashType   uint8
	pageShift  uint8
	identifier string
	teamID     string
	cdhash     []byte
}

// parseCodeDirectory decodes the CodeDirectory blob b (header included),
// found at file offset off, bounding every offset and count by the blob.
func parseCodeDirectory(b []byte, off int64) (*codeDirectory, error) {
	be := binary.BigEndian
	if len(b) < cdSizeEarliest {
		return nil, formatErr(off, io.ErrUnexpectedEOF, "CodeDirectory of %d bytes is shorter than its header", len(b))
	}
	if magic := be.Uint32(b); magic != csMagicCodeDirectory {
		return nil, formatErr(off, nil, "bad CodeDirectory magic %#x, want %#x", magic, csMagicCodeDirectory)
	}
	cd := &codeDirectory{
		off:        off,
		data:       b,
		version:    be.Uint32(b[8:]),
		flags:      be.Uint32(b[12:]),
		hashOffset: be.Uint32(b[16:]),
		nSpecial:   be.Uint32(b[24:]),
		nCodeSlots: be.Uint32(b[28:]),
		codeLimit:  int64(be.Uint32(b[32:])),
		hashSize:   int(b[cdOffsetHashSize]),
		hashType:   b[cdOffsetHashSize+1],
		pageShift:  b[cdOffsetHashSize+3],
	}
	identOffset := be.Uint32(b[20:])
	if cd.version < csVersionEarliest || cd.version > csVersionCompatible {
		return nil, formatErr(off+8, nil, "unsupported CodeDirectory version %#x", cd.version)
	}
	need := cdSizeEarliest
	switch {
	case cd.version >= csVersionExecSeg:
		need = cdSizeExecSeg
	case cd.version >= csVersionCodeLimit:
		need = cdSizeCodeLimit
	case cd.version >= csVersionTeamID:
		need = cdSizeTeamID
	case cd.version >= csVersionScatter:
		need = cdSizeScatter
	}
	if len(b) < need {
		return nil, formatErr(off, io.ErrUnexpectedEOF,
			"CodeDirectory version %#x needs %d header bytes, blob has %d", cd.version, need, len(b))
	}
	if cd.version >= csVersionScatter && be.Uint32(b[44:]) != 0 {
		// Scatter vectors were for the old detached signatures of
		// non-Mach-O data; nothing current writes them.
		return nil, formatErr(off+44, nil, "CodeDirectory scatter vectors are not supported")
	}
	if cd.version >= csVersionCodeLimit {
		// Security's CodeDirectory::signingLimit: codeLimit64 wins when set.
		if limit64 := be.Uint64(b[56:]); limit64 != 0 {
			if limit64 > 1<<63-1 {
				return nil, formatErr(off+56, nil, "CodeDirectory codeLimit64 %#x too large", limit64)
			}
			cd.codeLimit = int64(limit64)
		}
	}

	h := newCSHash(cd.hashType)
	if h == nil {
		return nil, formatErr(off+cdOffsetHashSize+1, nil, "unknown CodeDirectory hash type %d", cd.hashType)
	}
	if want := csHashSize(cd.hashType); cd.hashSize != want {
		return nil, formatErr(off+cdOffsetHashSize, nil, "hash size %d for hash type %s, want %d",
			cd.hashSize, hashName(cd.hashType), want)
	}
	if cd.pageShift > maxPageShift {
		return nil, formatErr(off+cdOffsetHashSize+3, nil, "page size 2^%d too large", cd.pageShift)
	}

	// Special slots lie before hashOffset, code slots after it; both must
	// lie after the fixed header and inside the blob.
	hs := uint64(cd.hashSize)
	if uint64(cd.hashOffset) > uint64(len(b)) ||
		uint64(cd.nSpecial)*hs > uint64(cd.hashOffset) ||
		uint64(cd.hashOffset)-uint64(cd.nSpecial)*hs < uint64(need) {
		return nil, formatErr(off+16, nil, "%d special slots before hash offset %#x do not fit in the CodeDirectory",
			cd.nSpecial, cd.hashOffset)
	}
	if uint64(cd.nCodeSlots)*hs > uint64(len(b))-uint64(cd.hashOffset) {
		return nil, formatErr(off+28, nil, "%d code slots at hash offset %#x do not fit in the CodeDirectory of %d bytes",
			cd.nCodeSlots, cd.hashOffset, len(b))
	}
	if want := pageCount(cd.codeLimit, cd.pageShift); want != int64(cd.nCodeSlots) {
		return nil, formatErr(off+28, nil, "%d code slots for code limit %#x in pages of 2^%d, want %d",
			cd.nCodeSlots, cd.codeLimit, cd.pageShift, want)
	}

	var err error
	if cd.identifier, err = cString(b, identOffset, need); err != nil {
		return nil, formatErr(off+20, err, "CodeDirectory identifier")
	}
	if cd.version >= csVersionTeamID {
		if teamOffset := be.Uint32(b[48:]); teamOffset != 0 {
			if cd.teamID, err = cString(b, teamOffset, need); err != nil {
				return nil, formatErr(off+48, err, "CodeDirectory team identifier")
			}
		}
	}

	h.Write(b)
	cd.cdhash = h.Sum(nil)[:csCDHashLen]
	return cd, nil
}

// cString returns the NUL-terminated string at off in b, which must lie
// after the header (the first min bytes) and end inside b.
func cString(b []byte, off uint32, min int) (string, error) {
	if uint64(off) < uint64(min) || uint64(off) >= uint64(len(b)) {
		return "", fmt.Errorf("offset %#x outside [%#x, %#x)", off, min, len(b))
	}
	n := bytes.IndexByte(b[off:], 0)
	if n < 0 {
		return "", errors.New("string not NUL-terminated")
	}
	return string(b[off : off+uint32(n)]), nil
}

// pageCount is the number of code slots that cover limit bytes in pages
// of 1<<shift bytes; shift 0 means one page for the whole limit.
func pageCount(limit int64, shift uint8) int64 {
	if limit == 0 {
		return 0
	}
	if shift == 0 {
		return 1
	}
	ps := int64(1) << shift
	return (limit-1)/ps + 1
}

// verifyPages hashes the slice's bytes [0, cd.codeLimit) page by page and
// returns the indexes of the pages whose hash differs from their slot.
// One buffer of at most 64 KiB serves every page.
func verifyPages(r io.ReaderAt, base int64, cd *codeDirectory) ([]int, error) {
	if cd.nCodeSlots == 0 {
		return nil, nil
	}
	pageSize := cd.codeLimit // shift 0: one page
	if cd.pageShift > 0 {
		pageSize = int64(1) << cd.pageShift
	}
	buf := make([]byte, min(pageSize, 64<<10))
	h := newCSHash(cd.hashType)
	var sum [sha512.Size384]byte
	var bad []int
	for page := range int64(cd.nCodeSlots) {
		start := page * pageSize
		end := min(start+pageSize, cd.codeLimit)
		h.Reset()
		for off := start; off < end; {
			chunk := buf[:min(int64(len(buf)), end-off)]
			n, err := r.ReadAt(chunk, off)
			if n < len(chunk) {
				if err == nil || err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return nil, formatErr(base+off+int64(n), err, "reading code page %d", page)
			}
			h.Write(chunk)
			off += int64(n)
		}
		slot := int64(cd.hashOffset) + page*int64(cd.hashSize)
		if !bytes.Equal(h.Sum(sum[:0])[:cd.hashSize], cd.data[slot:slot+int64(cd.hashSize)]) {
			bad = append(bad, int(page))
		}
	}
	return bad, nil
}

// verifySpecialSlots returns the special slots whose hash in cd does not
// match the blob of that slot in the SuperBlob. Only blobs embedded in
// the signature are checked: Info.plist, CodeResources and the
// application slot hash files outside the binary.
func verifySpecialSlots(cd *codeDirectory, blobs []blob) []int {
	var bad []int
	h := newCSHash(cd.hashType)
	var sum [sha512.Size384]byte
	zero := make([]byte, cd.hashSize)
	for slot := uint32(1); slot <= csSlotMaxSpecial; slot++ {
		if slot == csSlotInfo || slot == csSlotResourceDir || slot == csSlotApplication {
			continue
		}
		var want []byte
		if slot <= cd.nSpecial {
			at := cd.hashOffset - slot*uint32(cd.hashSize)
			want = cd.data[at : at+uint32(cd.hashSize)]
		}
		i := slices.IndexFunc(blobs, func(b blob) bool { return b.slot == slot })
		switch {
		case i < 0 && (want == nil || bytes.Equal(want, zero)):
			// Neither a blob nor a hash: nothing to check.
		case i < 0 || want == nil:
			bad = append(bad, int(slot))
		default:
			h.Reset()
			h.Write(blobs[i].data)
			if !bytes.Equal(h.Sum(sum[:0])[:cd.hashSize], want) {
				bad = append(bad, int(slot))
			}
		}
	}
	return bad
}

// hashRank orders hash types as xnu's cs_hash ranking does when it picks
// among alternate CodeDirectories: stronger is better, unknown is worst.
func hashRank(t uint8) int {
	switch t {
	case csHashSHA384:
		return 4
	case csHashSHA256:
		return 3
	case csHashSHA256Truncated:
		return 2
	case csHashSHA1:
		return 1
	}
	return 0
}

func hashName(t uint8) string {
	switch t {
	case csHashSHA1:
		return "sha1"
	case csHashSHA256:
		return "sha256"
	case csHashSHA256Truncated:
		return "sha256-truncated"
	case csHashSHA384:
		return "sha384"
	}
	return fmt.Sprintf("hash-type-%d", t)
}

// csHashSize is the length of a hash slot for hash type t (cs_blobs.h
// CS_SHA1_LEN 20, CS_SHA256_LEN 32, CS_SHA256_TRUNCATED_LEN 20,
// CS_SHA384_LEN 48).
func csHashSize(t uint8) int {
	switch t {
	case csHashSHA1, csHashSHA256Truncated:
		return 20
	case csHashSHA256:
		return sha256.Size
	case csHashSHA384:
		return sha512.Size384
	}
	return 0
}

func newCSHash(t uint8) hash.Hash {
	switch t {
	case csHashSHA1:
		return sha1.New()
	case csHashSHA256, csHashSHA256Truncated:
		return sha256.New()
	case csHashSHA384:
		return sha512.New384()
	}
	return nil
}
