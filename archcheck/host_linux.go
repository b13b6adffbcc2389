//go:build linux

package archcheck

import (
	"os"
	"path/filepath"
	"runtime"

	"golang.org/x/sys/cpu"
)

func detectHost() *Host {
	p := linuxProbe{fsys: os.DirFS("/"), goarch: runtime.GOARCH, pageSize: os.Getpagesize(),
		path: filepath.SplitList(os.Getenv("PATH"))}
	if runtime.GOARCH == "amd64" {
		p.x86 = processX86Features()
	}
	return linuxHost(p)
}

// processX86Features is this process's view of the x86 features, from
// CPUID and XGETBV through golang.org/x/sys/cpu.
func processX86Features() map[string]bool {
	x := cpu.X86
	return map[string]bool{
		"cx16": x.HasCX16, "lahf": x.HasLAHF, "popcnt": x.HasPOPCNT, "sse3": x.HasSSE3,
		"sse4.1": x.HasSSE41, "sse4.2": x.HasSSE42, "ssse3": x.HasSSSE3,
		"avx": x.HasAVX, "avx2": x.HasAVX2, "bmi1": x.HasBMI1, "bmi2": x.HasBMI2, "f16c": x.HasF16C,
		"fma": x.HasFMA, "lzcnt": x.HasLZCNT, "movbe": x.HasMOVBE, "osxsave": x.HasOSXSAVE,
		"avx512f": x.HasAVX512F, "avx512bw": x.HasAVX512BW, "avx512cd": x.HasAVX512CD,
		"avx512dq": x.HasAVX512DQ, "avx512vl": x.HasAVX512VL,
	}
}
