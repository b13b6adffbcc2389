package goenv

import (
	"slices"
	"strings"
)

// goCommandVars are the variables the go command reads from its env files
// and environment (internal/cfg.KnownEnv of Go 1.26) together with the
// ones only the environment sets (GOENV, GODEBUG) and those go env
// computes (GOTELEMETRY, GOTELEMETRYDIR).
var goCommandVars = []string{
	"AR", "CC", "CGO_CFLAGS", "CGO_CFLAGS_ALLOW", "CGO_CFLAGS_DISALLOW", "CGO_CPPFLAGS",
	"CGO_CPPFLAGS_ALLOW", "CGO_CPPFLAGS_DISALLOW", "CGO_CXXFLAGS", "CGO_CXXFLAGS_ALLOW",
	"CGO_CXXFLAGS_DISALLOW", "CGO_ENABLED", "CGO_FFLAGS", "CGO_FFLAGS_ALLOW", "CGO_FFLAGS_DISALLOW",
	"CGO_LDFLAGS", "CGO_LDFLAGS_ALLOW", "CGO_LDFLAGS_DISALLOW", "CXX", "FC", "GCCGO",
	"GO111MODULE", "GO386", "GOAMD64", "GOARCH", "GOARM", "GOARM64", "GOAUTH", "GOBIN",
	"GOCACHE", "GOCACHEPROG", "GODEBUG", "GOENV", "GOEXE", "GOEXPERIMENT", "GOFIPS140",
	"GOFLAGS", "GOGCCFLAGS", "GOHOSTARCH", "GOHOSTOS", "GOINSECURE", "GOMIPS", "GOMIPS64",
	"GOMODCACHE", "GONOPROXY", "GONOSUMDB", "GOOS", "GOPATH", "GOPPC64", "GOPRIVATE",
	"GOPROXY", "GORISCV64", "GOROOT", "GOSUMDB", "GOTELEMETRY", "GOTELEMETRYDIR", "GOTMPDIR",
	"GOTOOLCHAIN", "GOTOOLDIR", "GOVCS", "GOVERSION", "GOWASM", "GOWORK",
	"GO_EXTLINK_ENABLED", "PKG_CONFIG",
}

// otherGoVars are GO-prefixed variables read by the runtime, the test
// tooling or widely used tools, which are not typos even though the go
// command ignores them.
var otherGoVars = []string{
	"GOCOVERDIR", "GOGC", "GOMAXPROCS", "GOMEMLIMIT", "GORACE", "GOTRACEBACK",
	"GOPACKAGESDRIVER", "GOROOT_BOOTSTRAP", "GOLANGCI_LINT_CACHE", "GOPLSCACHE",
	"GO_TEST_TIMEOUT_SCALE",
}

// otherToolPrefixes start the names of other tools' variables that
// happen to begin with GO.
var otherToolPrefixes = []string{"GOOGLE", "GOPASS", "GORELEASER", "GOLANGCI", "GOPLS", "GOTESTSUM", "GOFUMPT", "GOPHERJS", "GOVULNCHECK", "GOMOBILE"}

// renamedVars are variable names the go command once read, or that
// people remember wrongly, with what to use instead.
var renamedVars = map[string]string{
	"GONOSUMCHECK": "GONOSUMDB",   // the name in the Go 1.13 betas
	"GONOVERIFY":   "GONOSUMDB",   // ditto
	"GOPROXYS":     "GOPROXY",     //
	"GOROOT_FINAL": "",            // removed in Go 1.23: the go command ignores it
	"GOCACHE_PROG": "GOCACHEPROG", //
	"GOFIPS":       "GOFIPS140",   // the Go 1.24 name is GOFIPS140
}

func isKnown(name string) bool {
	return slices.Contains(goCommandVars, name)
}

// isGoVarName reports whether name is a variable of the go command's
// family, the ones an unknown-name check looks at.
func isGoVarName(name string) bool {
	return strings.HasPrefix(name, "GO") || strings.HasPrefix(name, "CGO_")
}

// Suggest returns the known go command variable closest to the unknown
// name, for a "did you mean" message; "" when none is close. ok is false
// when name is known, or is a variable of the runtime or of a common tool.
func Suggest(name string) (suggestion string, ok bool) {
	if isKnown(name) || slices.Contains(otherGoVars, name) {
		return "", false
	}
	for _, p := range otherToolPrefixes {
		if strings.HasPrefix(name, p) {
			return "", false
		}
	}
	if s, found := renamedVars[name]; found {
		return s, true
	}
	best, bestDist := "", 3 // at most two edits: GOPRIVTE, GOFALGS, GO_PROXY
	upper := strings.ToUpper(name)
	for _, k := range goCommandVars {
		if d := editDistance(upper, k, bestDist); d < bestDist || (d == 0 && upper != name) {
			best, bestDist = k, d
		}
	}
	for _, k := range []string{"GOPROXY", "GOSUMDB", "GOPRIVATE", "GONOPROXY", "GONOSUMDB", "GOINSECURE"} {
		if strings.ReplaceAll(upper, "_", "") == k {
			return k, true
		}
	}
	return best, true
}

// editDistance is the Damerau–Levenshtein distance (adjacent
// transpositions count one edit) between a and b, or limit when it is at
// least limit. Both are short variable names; longer inputs are cut off
// early by the length difference.
func editDistance(a, b string, limit int) int {
	if d := len(a) - len(b); d >= limit || -d >= limit {
		return limit
	}
	if len(a) > 64 || len(b) > 64 {
		return limit
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return min(prev[len(b)], limit)
}
