package archcheck

import (
	"fmt"
	"slices"
)

// The enumerations of this package marshal as their names, and unmarshal
// from them, so that JSON written by one program reads back into the same
// values in another.

// parseName returns the index of text in names.
func parseName(kind string, names []string, text []byte) (int, error) {
	if i := slices.Index(names, string(text)); i >= 0 {
		return i, nil
	}
	return 0, fmt.Errorf("archcheck: unknown %s %q", kind, text)
}

// UnmarshalText implements encoding.TextUnmarshaler, the inverse of MarshalText.
func (f *Format) UnmarshalText(text []byte) error {
	i, err := parseName("format", formatNames[:], text)
	*f = Format(i)
	return err
}

// UnmarshalText implements encoding.TextUnmarshaler, the inverse of MarshalText.
func (t *FileType) UnmarshalText(text []byte) error {
	i, err := parseName("file type", fileTypeNames[:], text)
	*t = FileType(i)
	return err
}

// UnmarshalText implements encoding.TextUnmarshaler, the inverse of MarshalText.
func (v *Verdict) UnmarshalText(text []byte) error {
	i, err := parseName("verdict", verdictNames[:], text)
	*v = Verdict(i)
	return err
}

// UnmarshalText implements encoding.TextUnmarshaler, the inverse of MarshalText.
func (k *SignatureKind) UnmarshalText(text []byte) error {
	i, err := parseName("signature kind", signatureKindNames[:], text)
	*k = SignatureKind(i)
	return err
}

// UnmarshalText implements encoding.TextUnmarshaler, the inverse of MarshalText.
func (k *DylibKind) UnmarshalText(text []byte) error {
	i, err := parseName("dylib kind", dylibKindNames[:], text)
	*k = DylibKind(i)
	return err
}

// UnmarshalText implements encoding.TextUnmarshaler, the inverse of MarshalText.
func (s *EvidenceStatus) UnmarshalText(text []byte) error {
	i, err := parseName("evidence status", evidenceStatusNames[:], text)
	*s = EvidenceStatus(i)
	return err
}
