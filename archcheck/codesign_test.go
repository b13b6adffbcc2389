package archcheck

import (
	"bytes"
	"crypto/sha256"
	"debug/macho"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/nativego/nativego/internal/testenv"
)

// codeSigCmd returns the dataoff and datasize of the LC_CODE_SIGNATURE of
// the thin Mach-O file name; ok is false when it has none.
func codeSigCmd(t testing.TB, name string) (dataOff, dataSize uint32, ok bool) {
	t.Helper()
	f, err := macho.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, l := range f.Loads {
		raw := l.Raw()
		if len(raw) >= 16 && f.ByteOrder.Uint32(raw) == lcCodeSignature {
			return f.ByteOrder.Uint32(raw[8:]), f.ByteOrder.Uint32(raw[12:]), true
		}
	}
	return 0, 0, false
}

// readCodeSignatureFile opens name and reads the code signature its
// LC_CODE_SIGNATURE points at.
func readCodeSignatureFile(t *testing.T, name string) (*CodeSignature, error) {
	t.Helper()
	off, size, ok := codeSigCmd(t, name)
	if !ok {
		t.Fatalf("%s has no LC_CODE_SIGNATURE", name)
	}
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return readCodeSignature(f, 0, off, size)
}

// objdumpCodeSig asks llvm-objdump, an independent Mach-O reader, for the
// LC_CODE_SIGNATURE of name.
func objdumpCodeSig(t *testing.T, name string) (dataOff, dataSize uint32) {
	t.Helper()
	objdump, err := exec.LookPath("llvm-objdump")
	if err != nil {
		t.Skipf("llvm-objdump (Debian package llvm) not installed: %v", err)
	}
	out := testenv.Run(t, exec.CommandContext(t.Context(), objdump, "--macho", "--private-headers", name))
	m := regexp.MustCompile(`cmd LC_CODE_SIGNATURE\s+cmdsize \d+\s+dataoff (\d+)\s+datasize (\d+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("llvm-objdump shows no LC_CODE_SIGNATURE in %s:\n%s", name, out)
	}
	o, _ := strconv.ParseUint(string(m[1]), 10, 32)
	s, _ := strconv.ParseUint(string(m[2]), 10, 32)
	return uint32(o), uint32(s)
}

func buildDarwinARM64(t *testing.T) string {
	t.Helper()
	return testenv.Build(t, testenv.BuildSpec{GOOS: "darwin", GOARCH: "arm64"})
}

// TestCodeSignatureGoLinker checks the ad-hoc signature that Go's linker
// writes into darwin/arm64 output. There is no codesign in Debian, so the
// expectations come from two independent sources: llvm-objdump for where
// the signature is, and the layout cmd/internal/codesign documents (one
// CodeDirectory right after a 20-byte SuperBlob header and index,
// identifier "a.out" as cmd/link passes it, the page hashes last) for what
// it holds, recomputed here with crypto/sha256 over the file's own pages.
func TestCodeSignatureGoLinker(t *testing.T) {
	name := buildDarwinARM64(t)
	dataOff, dataSize := objdumpCodeSig(t, name)
	if off, size, _ := codeSigCmd(t, name); off != dataOff || size != dataSize {
		t.Fatalf("debug/macho LC_CODE_SIGNATURE = (%d, %d), llvm-objdump says (%d, %d)", off, size, dataOff, dataSize)
	}
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	const pageSize = 4096
	pages := (int(dataOff) + pageSize - 1) / pageSize
	var slots []byte
	for p := range pages {
		sum := sha256.Sum256(data[p*pageSize : min((p+1)*pageSize, int(dataOff))])
		slots = append(slots, sum[:]...)
	}
	sig := data[dataOff : dataOff+dataSize]
	if !bytes.HasSuffix(sig, slots) {
		t.Fatalf("the last %d bytes of the signature are not the SHA-256 hashes of the %d pages before it", len(slots), pages)
	}
	cdhash := sha256.Sum256(sig[20:])

	got, err := readCodeSignatureFile(t, name)
	if err != nil {
		t.Fatal(err)
	}
	want := &CodeSignature{
		Kind:         SignatureAdHoc,
		Identifier:   "a.out",
		Flags:        csAdHoc | csLinkerSigned,
		LinkerSigned: true,
		HashType:     "sha256",
		PageSize:     pageSize,
		CodeLimit:    int64(dataOff),
		Pages:        pages,
		Valid:        true,
		CDHash:       hex.EncodeToString(cdhash[:20]),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("readCodeSignature mismatch (-want +got):\n%s", diff)
	}
}

// flipByte returns a copy of the file name with the byte at off inverted.
func flipByte(t *testing.T, name string, off int64) string {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	data[off] ^= 0xff
	out := filepath.Join(t.TempDir(), filepath.Base(name))
	if err := os.WriteFile(out, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

func sectionOffset(t *testing.T, name, sect string) int64 {
	t.Helper()
	f, err := macho.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := f.Section(sect)
	if s == nil || s.Size == 0 {
		t.Fatalf("%s has no %s section", name, sect)
	}
	// The middle of the section, so that the page is not the one the
	// section shares with its neighbour.
	return int64(s.Offset) + int64(s.Size)/2
}

// TestCodeSignatureTampered edits one byte of a linker-signed binary in
// each place that matters and checks that the exact page is named.
func TestCodeSignatureTampered(t *testing.T) {
	name := buildDarwinARM64(t)
	dataOff, dataSize, _ := codeSigCmd(t, name)
	pages := (int64(dataOff) + 4095) / 4096
	// Go's linker puts the page hashes last, 32 bytes each.
	slotOff := func(page int64) int64 { return int64(dataOff+dataSize) - (pages-page)*32 }
	textOff := sectionOffset(t, name, "__text")
	dataSectOff := sectionOffset(t, name, "__noptrdata")
	tests := []struct {
		name string
		off  int64
		want []int
	}{
		{name: "text", off: textOff, want: []int{int(textOff / 4096)}},
		{name: "data", off: dataSectOff, want: []int{int(dataSectOff / 4096)}},
		{name: "mach header", off: 4, want: []int{0}},                                  // cputype
		{name: "last code byte", off: int64(dataOff) - 1, want: []int{int(pages - 1)}}, // the partial last page
		{name: "hash slot", off: slotOff(3) + 7, want: []int{3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readCodeSignatureFile(t, flipByte(t, name, tt.off))
			if err != nil {
				t.Fatal(err)
			}
			if got.Valid {
				t.Errorf("Valid = true after changing the byte at %#x", tt.off)
			}
			if diff := cmp.Diff(tt.want, got.BadPages); diff != "" {
				t.Errorf("BadPages after changing the byte at %#x (-want +got):\n%s", tt.off, diff)
			}
		})
	}
}

// TestCodeSignatureTruncated cuts a signed binary short: inside the code,
// and inside the signature. Either way the signature cannot be read, and
// the error says where.
func TestCodeSignatureTruncated(t *testing.T) {
	name := buildDarwinARM64(t)
	dataOff, dataSize, _ := codeSigCmd(t, name)
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{int(dataOff) / 2, int(dataOff + dataSize/2), int(dataOff + dataSize - 1)} {
		r := bytes.NewReader(data[:size])
		cs, err := readCodeSignature(r, 0x4000, dataOff, dataSize)
		var fe *FormatError
		if !errors.As(err, &fe) {
			t.Fatalf("truncated to %d bytes: got %+v, %v; want a *FormatError", size, cs, err)
		}
		if fe.Off != 0x4000+int64(dataOff) {
			t.Errorf("truncated to %d bytes: error offset %#x, want %#x (the signature, in the file)", size, fe.Off, 0x4000+int64(dataOff))
		}
	}
}

// TestCodeSignatureOfficial reads every executable of the official
// darwin/arm64 and darwin/amd64 distributions: Google signs them with a
// Developer ID certificate, so each must be certificate-signed, valid,
// and name the same team in its CodeDirectory and in the certificate's
// common name ("Developer ID Application: NAME (TEAMID)").
func TestCodeSignatureOfficial(t *testing.T) {
	for _, goarch := range []string{"arm64", "amd64"} {
		t.Run(goarch, func(t *testing.T) {
			root := testenv.Toolchain(t, testenv.OfficialVersion, "darwin", goarch)
			files, err := filepath.Glob(filepath.Join(root, "bin", "*"))
			if err != nil {
				t.Fatal(err)
			}
			tools, err := filepath.Glob(filepath.Join(root, "pkg", "tool", "darwin_"+goarch, "*"))
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, tools...)
			if len(files) < 10 {
				t.Fatalf("found %d executables in %s, want go, gofmt and 8 tools", len(files), root)
			}
			for _, name := range files {
				cs, err := readCodeSignatureFile(t, name)
				if err != nil {
					t.Errorf("%s: %v", name, err)
					continue
				}
				rel, _ := filepath.Rel(root, name)
				t.Logf("%s: kind=%s team=%s signer=%q id=%s flags=%#x hash=%s pages=%d cdhash=%s",
					rel, cs.Kind, cs.TeamID, cs.Signer, cs.Identifier, cs.Flags, cs.HashType, cs.Pages, cs.CDHash)
				if cs.Kind != SignatureCertificate || !cs.Valid || cs.TeamID == "" || cs.LinkerSigned {
					t.Errorf("%s: kind %s, valid %v, team %q, linker-signed %v; want a valid certificate signature with a team",
						rel, cs.Kind, cs.Valid, cs.TeamID, cs.LinkerSigned)
				}
				if !strings.HasSuffix(cs.Signer, "("+cs.TeamID+")") {
					t.Errorf("%s: signer %q does not name team %q", rel, cs.Signer, cs.TeamID)
				}
				if !cs.SignatureVerified {
					t.Errorf("%s: SignatureVerified = false", rel)
				}
				data, err := os.ReadFile(name)
				if err != nil {
					t.Fatal(err)
				}
				off, size, _ := codeSigCmd(t, name)
				blobs, _ := sigBlobs(t, data[off:off+size])
				verified, agility := opensslCMS(t, blobs[0x10000][8:], blobs[0])
				if !verified {
					t.Errorf("%s: openssl cms -verify fails on the CMS signature of the CodeDirectory", rel)
				}
				if !strings.HasPrefix(agility, cs.CDHash) {
					t.Errorf("%s: CDHash %s, but the CMS hash-agility attribute records %s", rel, cs.CDHash, agility)
				}
				if !cs.Runtime {
					t.Errorf("%s: no hardened runtime (CS_RUNTIME); notarized Developer ID code has it", rel)
				}
			}
		})
	}
}

// TestCodeSignatureOfficialTampered edits a certificate-signed binary: a
// code byte shows as a bad page, a byte of the embedded requirements blob
// as a bad special slot 2 (CSSLOT_REQUIREMENTS).
func TestCodeSignatureOfficialTampered(t *testing.T) {
	root := testenv.Toolchain(t, testenv.OfficialVersion, "darwin", "arm64")
	name := filepath.Join(root, "bin", "gofmt")
	dataOff, dataSize, _ := codeSigCmd(t, name)
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	sig := data[dataOff : dataOff+dataSize]
	reqOff := int64(-1)
	for i := range binary.BigEndian.Uint32(sig[8:]) {
		idx := 12 + 8*i
		if binary.BigEndian.Uint32(sig[idx:]) == 2 { // CSSLOT_REQUIREMENTS
			reqOff = int64(dataOff) + int64(binary.BigEndian.Uint32(sig[idx+4:]))
		}
	}
	if reqOff < 0 {
		t.Fatal("official gofmt has no requirements blob")
	}
	textOff := sectionOffset(t, name, "__text")
	tests := []struct {
		name         string
		file         func(t *testing.T) string
		wantPages    []int
		wantSpecial  []int
		wantVerified bool // the CMS still signs the CodeDirectory
	}{
		{
			name:         "text",
			file:         func(t *testing.T) string { return flipByte(t, name, textOff) },
			wantPages:    []int{int(textOff / 4096)},
			wantVerified: true,
		},
		{
			name:         "requirements",
			file:         func(t *testing.T) string { return flipByte(t, name, reqOff+12) },
			wantSpecial:  []int{2},
			wantVerified: true,
		},
		{
			// The page hash is fixed up, so every hash matches; only the
			// CMS signature, which covers the CodeDirectory, catches it.
			name: "rehashed text",
			file: func(t *testing.T) string { return rehashPage(t, name, textOff) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := tt.file(t)
			got, err := readCodeSignatureFile(t, file)
			if err != nil {
				t.Fatal(err)
			}
			if got.Valid {
				t.Errorf("Valid = true for an edited file")
			}
			if diff := cmp.Diff(tt.wantPages, got.BadPages, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("BadPages (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantSpecial, got.BadSpecialSlots, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("BadSpecialSlots (-want +got):\n%s", diff)
			}
			if got.SignatureVerified != tt.wantVerified {
				t.Errorf("SignatureVerified = %v, want %v", got.SignatureVerified, tt.wantVerified)
			}
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			blobs, _ := sigBlobs(t, data[dataOff:dataOff+dataSize])
			if verified, _ := opensslCMS(t, blobs[0x10000][8:], blobs[0]); verified != tt.wantVerified {
				t.Errorf("openssl cms -verify = %v, want %v (oracle disagrees with the test)", verified, tt.wantVerified)
			}
		})
	}
}

// TestCodeSignatureRehashedAdHoc pins what an ad-hoc signature can and
// cannot tell: with the page hash fixed up after an edit, the signature is
// consistent again, so it is Valid (macOS runs it), with a new cdhash.
func TestCodeSignatureRehashedAdHoc(t *testing.T) {
	name := buildDarwinARM64(t)
	orig, err := readCodeSignatureFile(t, name)
	if err != nil {
		t.Fatal(err)
	}
	got, err := readCodeSignatureFile(t, rehashPage(t, name, sectionOffset(t, name, "__text")))
	if err != nil {
		t.Fatal(err)
	}
	if !got.Valid || len(got.BadPages) > 0 {
		t.Errorf("Valid = %v, BadPages = %v; want a valid signature", got.Valid, got.BadPages)
	}
	if got.CDHash == orig.CDHash {
		t.Errorf("CDHash %s unchanged after rewriting a page hash", got.CDHash)
	}
}

// TestCodeSignatureAbsentDarwinAMD64 pins a platform fact: Go's own
// linker signs darwin/arm64 output only, so darwin/amd64 output has no
// LC_CODE_SIGNATURE at all (Intel Macs run unsigned code).
func TestCodeSignatureAbsentDarwinAMD64(t *testing.T) {
	name := testenv.Build(t, testenv.BuildSpec{GOOS: "darwin", GOARCH: "amd64"})
	if off, size, ok := codeSigCmd(t, name); ok {
		t.Errorf("darwin/amd64 Go linker output has LC_CODE_SIGNATURE (dataoff %#x, datasize %d); want none", off, size)
	}
}

// sigBlobs returns the blobs of the SuperBlob in sig by slot, and their
// offsets in sig, walking the index as cs_blobs.h lays it out: magic,
// length, count, then count (type, offset) pairs, all big-endian.
func sigBlobs(t *testing.T, sig []byte) (blobs map[uint32][]byte, offs map[uint32]int) {
	t.Helper()
	be := binary.BigEndian
	blobs, offs = map[uint32][]byte{}, map[uint32]int{}
	for i := range int(be.Uint32(sig[8:])) {
		slot, off := be.Uint32(sig[12+8*i:]), int(be.Uint32(sig[16+8*i:]))
		blobs[slot] = sig[off : off+int(be.Uint32(sig[off+4:]))]
		offs[slot] = off
	}
	return blobs, offs
}

// opensslCMS asks openssl, an independent CMS implementation, whether the
// CMS blob cms signs cd (without checking the certificate chain), and
// returns the SHA-256 CodeDirectory hash that Apple's hash-agility
// attribute (1.2.840.113635.100.9.2) records in it.
func opensslCMS(t *testing.T, cms, cd []byte) (verified bool, agility string) {
	t.Helper()
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skipf("openssl not installed: %v", err)
	}
	dir := t.TempDir()
	cmsFile, cdFile := filepath.Join(dir, "cms.der"), filepath.Join(dir, "cd.bin")
	if err := os.WriteFile(cmsFile, cms, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cdFile, cd, 0o644); err != nil {
		t.Fatal(err)
	}
	verify := exec.CommandContext(t.Context(), openssl, "cms", "-verify", "-noverify", "-binary",
		"-inform", "DER", "-in", cmsFile, "-content", cdFile, "-out", os.DevNull)
	verified = verify.Run() == nil
	out := testenv.Run(t, exec.CommandContext(t.Context(), openssl, "cms", "-cmsout", "-print", "-inform", "DER", "-in", cmsFile))
	_, after, ok := bytes.Cut(out, []byte("1.2.840.113635.100.9.2"))
	m := regexp.MustCompile(`OCTET STRING\s+\[HEX DUMP\]:([0-9A-F]{64})`).FindSubmatch(after)
	if !ok || m == nil {
		t.Fatalf("openssl shows no SHA-256 hash-agility attribute:\n%s", out)
	}
	return verified, strings.ToLower(string(m[1]))
}

// rehashPage returns a copy of name with the byte at off inverted and the
// hash of its page rewritten in the slot-0 CodeDirectory, as someone
// patching a binary and fixing up its page hash would do. name must use
// SHA-256 and 4 KiB pages.
func rehashPage(t *testing.T, name string, off int64) string {
	t.Helper()
	out := flipByte(t, name, off)
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	dataOff, dataSize, _ := codeSigCmd(t, name)
	sig := data[dataOff : dataOff+dataSize]
	_, offs := sigBlobs(t, sig)
	cd := sig[offs[0]:]
	page := off / 4096
	sum := sha256.Sum256(data[page*4096 : min((page+1)*4096, int64(dataOff))])
	copy(cd[int64(binary.BigEndian.Uint32(cd[16:]))+32*page:], sum[:]) // hashOffset
	if err := os.WriteFile(out, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}
