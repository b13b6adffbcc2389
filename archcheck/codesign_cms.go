package archcheck

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"errors"
	"math/big"
)

// The CMS signature of a certificate-signed Mach-O (the payload of the
// CSMAGIC_BLOBWRAPPER blob in slot CSSLOT_SIGNATURESLOT) is a ContentInfo
// holding SignedData (RFC 5652 section 5). Apple's codesign writes it in
// BER with indefinite lengths ("30 80 ..."), which encoding/asn1 rejects
// (it reads DER only), so the few levels above the certificates are walked
// here by hand; the certificates themselves are DER and go to crypto/x509.

// oidSignedData is id-signedData, 1.2.840.113549.1.7.2 (RFC 5652 section
// 5.1), as DER contents octets.
var oidSignedData = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02}

// More object identifiers, as DER contents octets: messageDigest
// 1.2.840.113549.1.9.4 (RFC 5652 section 11.2), SHA-256
// 2.16.840.1.101.3.4.2.1 and SHA-384 2.16.840.1.101.3.4.2.2 (RFC 5754).
var (
	oidMessageDigest = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04}
	oidSHA256        = []byte{0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01}
	oidSHA384        = []byte{0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02}
)

// BER identifier octets used below (X.690 section 8.1.2): universal
// INTEGER, OID, SEQUENCE and SET (constructed), and the context-specific
// tags of SignedData and SignerIdentifier.
const (
	berInteger     = 0x02
	berOctetString = 0x04
	berOID         = 0x06
	berSequence    = 0x30
	berSet         = 0x31
	berContext0    = 0xa0 // [0], constructed: ContentInfo content, SignedData certificates
	berContext0Pr  = 0x80 // [0], primitive: SignerIdentifier subjectKeyIdentifier
	berMaxDepth    = 32   // nesting allowed while skipping indefinite-length elements
)

var errBER = errors.New("malformed BER")

// A berElement is one decoded TLV: its first identifier octet, its
// contents (end-of-contents octets excluded) and its whole encoding.
type berElement struct {
	tag     byte
	content []byte
	full    []byte
}

// berNext decodes the element at the start of b and returns it with the
// bytes after it. Indefinite lengths are resolved by walking the nested
// elements, at most berMaxDepth deep.
func berNext(b []byte, depth int) (berElement, []byte, error) {
	if depth > berMaxDepth || len(b) < 2 {
		return berElement{}, nil, errBER
	}
	tag := b[0]
	i := 1
	if tag&0x1f == 0x1f { // high-tag-number form: more identifier octets follow
		for i < len(b) && b[i]&0x80 != 0 {
			i++
		}
		i++
	}
	if i >= len(b) {
		return berElement{}, nil, errBER
	}
	l := b[i]
	i++
	switch {
	case l < 0x80:
		return berDefinite(b, tag, i, int(l))
	case l == 0x80:
		if tag&0x20 == 0 { // indefinite length is for constructed encodings only
			return berElement{}, nil, errBER
		}
		rest := b[i:]
		for {
			if len(rest) >= 2 && rest[0] == 0 && rest[1] == 0 {
				end := len(b) - len(rest)
				return berElement{tag: tag, content: b[i:end], full: b[:end+2]}, rest[2:], nil
			}
			var err error
			if _, rest, err = berNext(rest, depth+1); err != nil {
				return berElement{}, nil, err
			}
		}
	default:
		n := int(l & 0x7f)
		if n > 4 || i+n > len(b) {
			return berElement{}, nil, errBER
		}
		size := 0
		for _, c := range b[i : i+n] {
			size = size<<8 | int(c)
		}
		return berDefinite(b, tag, i+n, size)
	}
}

func berDefinite(b []byte, tag byte, hdr, size int) (berElement, []byte, error) {
	if size < 0 || size > len(b)-hdr {
		return berElement{}, nil, errBER
	}
	end := hdr + size
	return berElement{tag: tag, content: b[hdr:end], full: b[:end]}, b[end:], nil
}

// berChildren returns the elements inside content, stopping at the first
// malformed one.
func berChildren(content []byte) []berElement {
	var out []berElement
	for len(content) > 0 {
		e, rest, err := berNext(content, 0)
		if err != nil {
			break
		}
		out = append(out, e)
		content = rest
	}
	return out
}

// A cmsResult is what cmsCheck found in a CMS signature.
type cmsResult struct {
	signer string // common name of the signing certificate; "" when not found
	// verified reports that the signed attributes' messageDigest is the
	// hash of the CodeDirectory and that the signing certificate's key
	// verifies the signature over those attributes.
	verified bool
}

// cmsCheck reads the CMS SignedData in cms, which signs the
// CodeDirectory cd0 (the one in slot 0) as detached content. The signer is
// the certificate named by the first SignerInfo's issuer and serial number
// (or subject key identifier); failing that, the one certificate that
// issued none of the others. It checks no certificate chain: a
// self-made certificate verifies as well as Apple's.
func cmsCheck(cms, cd0 []byte) cmsResult {
	ci, _, err := berNext(cms, 0)
	if err != nil || ci.tag != berSequence {
		return cmsResult{}
	}
	parts := berChildren(ci.content)
	if len(parts) < 2 || parts[0].tag != berOID || !bytes.Equal(parts[0].content, oidSignedData) ||
		parts[1].tag != berContext0 {
		return cmsResult{}
	}
	sd := berChildren(parts[1].content)
	if len(sd) != 1 || sd[0].tag != berSequence {
		return cmsResult{}
	}
	var certs []*x509.Certificate
	var signerInfos []berElement
	for _, e := range berChildren(sd[0].content) {
		switch e.tag {
		case berContext0:
			for _, c := range berChildren(e.content) {
				if cert, err := x509.ParseCertificate(c.full); err == nil {
					certs = append(certs, cert)
				}
			}
		case berSet:
			signerInfos = berChildren(e.content)
		}
	}
	var si []berElement
	if len(signerInfos) > 0 && signerInfos[0].tag == berSequence {
		si = berChildren(signerInfos[0].content)
	}
	leaf := signerCert(certs, si)
	if leaf == nil {
		return cmsResult{}
	}
	return cmsResult{signer: leaf.Subject.CommonName, verified: verifySignerInfo(leaf, si, cd0)}
}

// verifySignerInfo checks the SignerInfo fields si (RFC 5652 section
// 5.3: version, sid, digestAlgorithm, [0] signedAttrs, signatureAlgorithm,
// signature, ...) against the detached content and the leaf's key.
func verifySignerInfo(leaf *x509.Certificate, si []berElement, content []byte) bool {
	if len(si) < 6 || si[2].tag != berSequence || si[3].tag != berContext0 || si[5].tag != berOctetString {
		return false
	}
	alg := berChildren(si[2].content)
	if len(alg) == 0 || alg[0].tag != berOID {
		return false
	}
	var digest []byte
	var sigAlg x509.SignatureAlgorithm
	rsa := leaf.PublicKeyAlgorithm == x509.RSA
	switch {
	case bytes.Equal(alg[0].content, oidSHA256):
		d := sha256.Sum256(content)
		digest, sigAlg = d[:], x509.ECDSAWithSHA256
		if rsa {
			sigAlg = x509.SHA256WithRSA
		}
	case bytes.Equal(alg[0].content, oidSHA384):
		d := sha512.Sum384(content)
		digest, sigAlg = d[:], x509.ECDSAWithSHA384
		if rsa {
			sigAlg = x509.SHA384WithRSA
		}
	default:
		return false // SHA-1 signatures are refused by crypto/x509, and long obsolete here
	}
	found := false
	for _, attr := range berChildren(si[3].content) {
		a := berChildren(attr.content)
		if len(a) != 2 || a[0].tag != berOID || !bytes.Equal(a[0].content, oidMessageDigest) {
			continue
		}
		v := berChildren(a[1].content)
		if len(v) != 1 || v[0].tag != berOctetString || !bytes.Equal(v[0].content, digest) {
			return false
		}
		found = true
	}
	// The signature covers the DER encoding of the attributes with the
	// [0] IMPLICIT tag replaced by SET's (RFC 5652 section 5.4); a
	// definite-length encoding is that DER already.
	attrs := si[3].full
	if !found || len(attrs) < 2 || attrs[1] == 0x80 {
		return false
	}
	signed := append([]byte{berSet}, attrs[1:]...)
	return leaf.CheckSignature(sigAlg, signed, si[5].content) == nil
}

// signerCert picks the signing certificate, as cmsSigner describes.
func signerCert(certs []*x509.Certificate, si []berElement) *x509.Certificate {
	if len(si) >= 2 {
		switch sid := si[1]; sid.tag {
		case berSequence: // IssuerAndSerialNumber
			if is := berChildren(sid.content); len(is) == 2 && is[1].tag == berInteger {
				serial := new(big.Int).SetBytes(is[1].content)
				for _, c := range certs {
					if bytes.Equal(c.RawIssuer, is[0].full) && c.SerialNumber.Cmp(serial) == 0 {
						return c
					}
				}
			}
		case berContext0Pr: // subjectKeyIdentifier
			for _, c := range certs {
				if len(c.SubjectKeyId) > 0 && bytes.Equal(c.SubjectKeyId, sid.content) {
					return c
				}
			}
		}
	}
	var leaf *x509.Certificate
	for _, c := range certs {
		issues := false
		for _, o := range certs {
			if o != c && bytes.Equal(o.RawIssuer, c.RawSubject) {
				issues = true
			}
		}
		if !issues {
			if leaf != nil {
				return nil // ambiguous
			}
			leaf = c
		}
	}
	return leaf
}
