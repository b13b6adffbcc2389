package archcheck

import (
	"context"
	"strings"
)

// DetectHost describes the machine this process runs on: its OS and
// version, the hardware's own architecture even when this process is
// translated by Rosetta 2 or emulated by qemu-user, the runners it has for
// foreign code, CPU brand and core kinds, page size, CPU feature level and
// C library. Each conclusion is backed by an entry in Host.Evidence.
//
// On macOS it reads sysctls (hw.optional.arm64, sysctl.proc_translated,
// hw.perflevelN.*, machdep.cpu.*) and checks for Rosetta's runtime; on
// Linux it reads /proc, /sys and the C library. It executes nothing. Facts
// it cannot establish are left zero, and a missing source is not an error:
// the error is reserved for a cancelled ctx.
func DetectHost(ctx context.Context) (*Host, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return detectHost(), nil
}

// addEvidence records one observation.
func (h *Host) addEvidence(fact, value, source string) {
	h.Evidence = append(h.Evidence, Evidence{Fact: fact, Value: value, Source: source})
}

// firstLine returns s up to its first newline, trimmed.
func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return strings.TrimSpace(s)
}
