package archcheck

import "strings"

// Microarchitecture levels, the GOAMD64 and GOARM64 values a CPU can run.
//
// GOAMD64 levels are the x86-64 psABI's (x86-64-v2, -v3, -v4), whose
// feature lists cmd/go's documentation (go help environment, and
// internal/buildcfg) follows. For GOARM64 the Go compiler, as of Go 1.26,
// uses only the LSE atomics from the levels above v8.0, so a CPU with LSE
// is reported as v8.1 and finer levels are not claimed.

var amd64Levels = []struct {
	level    string
	features []string
}{
	{"v2", []string{"cx16", "lahf", "popcnt", "sse3", "sse4.1", "sse4.2", "ssse3"}},
	{"v3", []string{"avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "lzcnt", "movbe", "osxsave"}},
	{"v4", []string{"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"}},
}

// amd64Level returns the highest GOAMD64 level whose features, and those
// of every lower level, are all in has; "v1" when v2's are not.
func amd64Level(has map[string]bool) string {
	level := "v1"
	for _, l := range amd64Levels {
		for _, f := range l.features {
			if !has[f] {
				return level
			}
		}
		level = l.level
	}
	return level
}

// arm64Level returns the GOARM64 level for a CPU with or without the LSE
// atomics (FEAT_LSE, Linux's "atomics" hwcap).
func arm64Level(lse bool) string {
	if lse {
		return "v8.1"
	}
	return "v8.0"
}

// linuxX86Flags maps /proc/cpuinfo "flags" names onto the level feature
// names where they differ (arch/x86/include/asm/cpufeatures.h): SSE3 is
// "pni", LZCNT is reported as part of "abm", LAHF as "lahf_lm". The
// kernel sets "xsave" only when it enables XSAVE, which is what OSXSAVE
// says to user space.
var linuxX86Flags = map[string]string{
	"pni": "sse3", "sse4_1": "sse4.1", "sse4_2": "sse4.2", "abm": "lzcnt",
	"lahf_lm": "lahf", "xsave": "osxsave",
}

// darwinX86Features maps the words of macOS's machdep.cpu.features,
// machdep.cpu.leaf7_features and machdep.cpu.extfeatures onto the level
// feature names.
var darwinX86Features = map[string]string{"AVX1.0": "avx"}

// featureSet builds a feature set from space-separated words, renaming
// with names and lower-casing the rest.
func featureSet(words string, names map[string]string) map[string]bool {
	set := map[string]bool{}
	for _, w := range strings.Fields(words) {
		if n, ok := names[w]; ok {
			set[n] = true
			continue
		}
		set[strings.ToLower(w)] = true
	}
	return set
}
