package archcheck

import (
	"fmt"
	"strconv"
	"strings"
)

// This file checks what a slice needs from a host beyond its architecture:
// the OS version, the code signature, the C library, the kernel's page
// size and the CPU features a Go binary was built to assume. Each check
// runs only when both the slice and the host say enough to decide.

// requirement is the outcome of one check: a verdict no better than max,
// for the reason given.
type requirement struct {
	max    Verdict
	reason string
}

// checkRequirements returns the requirements slice s fails, or merely
// notes, on h.
func checkRequirements(format Format, s *Slice, h *Host, v Verdict) []requirement {
	var out []requirement
	if s.MachO != nil {
		out = append(out, machoRequirements(s, h, v)...)
	}
	if s.ELF != nil {
		out = append(out, elfRequirements(s, h)...)
	}
	if s.Go != nil {
		out = append(out, goRequirements(format, s, h, v)...)
	}
	return out
}

// macOSPlatforms are the LC_BUILD_VERSION platforms macOS runs as
// processes of its own.
var macOSPlatforms = map[string]bool{"macos": true, "maccatalyst": true, "": true}

func machoRequirements(s *Slice, h *Host, v Verdict) []requirement {
	var out []requirement
	m := s.MachO
	if !macOSPlatforms[m.Platform] {
		out = append(out, requirement{Incompatible, fmt.Sprintf("built for %s, not macOS", m.Platform)})
	}
	if m.MinOS != "" && h.OSVersion != "" && compareVersions(m.MinOS, h.OSVersion) > 0 {
		out = append(out, requirement{Incompatible, fmt.Sprintf("requires macOS %s, host runs %s", m.MinOS, h.OSVersion)})
	}
	// Every arm64 process on macOS must be signed, at least ad hoc, and a
	// signature whose page hashes no longer match gets the process killed
	// when the page is loaded ("Killed: 9"). Rosetta-translated x86_64 code
	// needs no signature.
	arm64Native := s.Arch == "arm64" && v == Native
	switch sig := m.Signature; {
	case sig == nil && arm64Native:
		out = append(out, requirement{Incompatible, "arm64 Mach-O without a code signature: macOS kills it at exec"})
	case sig != nil && !sig.Valid && arm64Native:
		out = append(out, requirement{Incompatible, fmt.Sprintf("code signature no longer matches the file (%s): macOS kills it at exec (\"Killed: 9\")", badPages(sig))})
	case sig != nil && !sig.Valid:
		out = append(out, requirement{v, fmt.Sprintf("code signature no longer matches the file (%s)", badPages(sig))})
	}
	return out
}

// badPages describes the pages whose hashes failed.
func badPages(sig *CodeSignature) string {
	switch n := len(sig.BadPages); {
	case n == 0:
		return "malformed CodeDirectory"
	case n == 1:
		return fmt.Sprintf("page %d of %d changed", sig.BadPages[0], sig.Pages)
	case n <= 5:
		return fmt.Sprintf("pages %v of %d changed", sig.BadPages, sig.Pages)
	default:
		return fmt.Sprintf("%d of %d pages changed, first %d", n, sig.Pages, sig.BadPages[0])
	}
}

// elfOSABIs maps EI_OSABI names onto the OS whose kernel accepts them;
// Linux also loads the System V ("none") and GNU ABIs.
var elfOSABIs = map[string]string{"freebsd": "freebsd", "netbsd": "netbsd", "openbsd": "openbsd", "solaris": "solaris"}

func elfRequirements(s *Slice, h *Host) []requirement {
	var out []requirement
	e := s.ELF
	if os, ok := elfOSABIs[e.OSABI]; ok && os != h.OS {
		out = append(out, requirement{Incompatible, fmt.Sprintf("ELF built for %s (EI_OSABI), not %s", os, h.OS)})
	}
	if e.Glibc != "" && h.Glibc != "" && compareVersions(e.Glibc, h.Glibc) > 0 {
		out = append(out, requirement{Incompatible, fmt.Sprintf("needs GLIBC_%s, host has %s", e.Glibc, h.Glibc)})
	}
	// The kernel maps each PT_LOAD at its p_align; a segment aligned to less
	// than the page size cannot be mapped (16 KiB-page arm64 kernels:
	// Asahi Linux, Raspberry Pi 5).
	if e.MaxLoadAlign > 0 && h.PageSize > 0 && e.MaxLoadAlign < uint64(h.PageSize) && s.Type != TypeObject {
		out = append(out, requirement{Incompatible, fmt.Sprintf("PT_LOAD segments aligned to %d bytes; this kernel's pages are %d bytes", e.MaxLoadAlign, h.PageSize)})
	}
	return out
}

func goRequirements(format Format, s *Slice, h *Host, v Verdict) []requirement {
	var out []requirement
	g := s.Go
	if g.GOARCH != "" && s.Arch != "" && g.GOARCH != s.Arch {
		out = append(out, requirement{v, fmt.Sprintf("build info says GOARCH=%s but the header says %s", g.GOARCH, s.Arch)})
	}
	if g.GOOS != "" && !formatHoldsGOOS(format, g.GOOS) {
		out = append(out, requirement{v, fmt.Sprintf("build info says GOOS=%s but the file is %s", g.GOOS, formatTitle(format))})
	}
	// A Go binary checks the CPU's features at start-up and exits if its
	// GOAMD64 level is not met ("This program can only be run on AMD64
	// processors with v3 microarchitecture support.").
	if s.Arch == "amd64" && g.GOAMD64 != "" && h.GOAMD64 != "" && g.GOAMD64 > h.GOAMD64 && (v == Native || v == Translated) {
		cpu := "this CPU"
		if v == Translated {
			cpu = "Rosetta 2's x86-64 CPU"
		}
		out = append(out, requirement{Incompatible, fmt.Sprintf("built with GOAMD64=%s; %s supports %s", g.GOAMD64, cpu, h.GOAMD64)})
	}
	if s.Arch == "arm64" && g.GOARM64 != "" && h.GOARM64 != "" && v == Native && compareVersions(strings.TrimPrefix(g.GOARM64, "v"), strings.TrimPrefix(h.GOARM64, "v")) > 0 && h.GOARM64 == "v8.0" {
		out = append(out, requirement{Incompatible, fmt.Sprintf("built with GOARM64=%s; this CPU lacks the LSE atomics of v8.1", g.GOARM64)})
	}
	return out
}

// formatHoldsGOOS reports whether the Go linker writes format for goos.
func formatHoldsGOOS(format Format, goos string) bool {
	switch format {
	case FormatMachO, FormatMachOFat:
		return goos == "darwin" || goos == "ios"
	case FormatPE:
		return goos == "windows"
	case FormatELF:
		return goos != "darwin" && goos != "ios" && goos != "windows" && goos != "plan9"
	}
	return true
}

// compareVersions compares dotted numeric versions such as "14.5" and
// "15.0.1" field by field, missing fields being zero; a non-numeric field
// compares as zero.
func compareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := range max(len(as), len(bs)) {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}
