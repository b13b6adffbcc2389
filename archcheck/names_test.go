package archcheck

import (
	"encoding"
	"testing"
)

// TestNamesRoundTrip marshals every value of each enumeration and reads
// it back.
func TestNamesRoundTrip(t *testing.T) {
	type enum interface {
		encoding.TextMarshaler
	}
	check := func(name string, n int, value func(int) enum, back func([]byte) (int, error)) {
		for i := range n {
			text, err := value(i).MarshalText()
			if err != nil {
				t.Fatal(err)
			}
			got, err := back(text)
			if err != nil || got != i {
				t.Errorf("%s %d: marshalled %q, read back %d, %v", name, i, text, got, err)
			}
		}
		if _, err := back([]byte("no-such-name")); err == nil {
			t.Errorf("%s: unknown name accepted", name)
		}
	}
	check("Format", len(formatNames), func(i int) enum { return Format(i) },
		func(b []byte) (int, error) { var v Format; err := v.UnmarshalText(b); return int(v), err })
	check("FileType", len(fileTypeNames), func(i int) enum { return FileType(i) },
		func(b []byte) (int, error) { var v FileType; err := v.UnmarshalText(b); return int(v), err })
	check("Verdict", len(verdictNames), func(i int) enum { return Verdict(i) },
		func(b []byte) (int, error) { var v Verdict; err := v.UnmarshalText(b); return int(v), err })
	check("SignatureKind", len(signatureKindNames), func(i int) enum { return SignatureKind(i) },
		func(b []byte) (int, error) { var v SignatureKind; err := v.UnmarshalText(b); return int(v), err })
	check("DylibKind", len(dylibKindNames), func(i int) enum { return DylibKind(i) },
		func(b []byte) (int, error) { var v DylibKind; err := v.UnmarshalText(b); return int(v), err })
	check("EvidenceStatus", len(evidenceStatusNames), func(i int) enum { return EvidenceStatus(i) },
		func(b []byte) (int, error) { var v EvidenceStatus; err := v.UnmarshalText(b); return int(v), err })
}
