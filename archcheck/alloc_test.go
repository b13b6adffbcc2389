package archcheck

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"testing"

	"github.com/nativego/nativego/internal/testenv"
)

// Inputs under maxHostileInput bytes may make the process allocate at
// most maxHostileAlloc while they are read: the promise of bounded reads,
// tested rather than assumed.
const (
	maxHostileInput = 1 << 20
	maxHostileAlloc = 16 << 20
)

// hostileSeeds returns real binaries of each format, cut below 1 MiB.
func hostileSeeds(t *testing.T) map[string][]byte {
	seeds := map[string][]byte{}
	for _, p := range []struct{ GOOS, GOARCH string }{
		{"darwin", "arm64"}, {"darwin", "amd64"}, {"linux", "arm64"}, {"linux", "386"}, {"windows", "amd64"},
	} {
		path := testenv.Build(t, testenv.BuildSpec{GOOS: p.GOOS, GOARCH: p.GOARCH, Flags: []string{"-ldflags=-s -w"}})
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		seeds[p.GOOS+"/"+p.GOARCH] = data[:min(len(data), maxHostileInput-1)]
	}
	return seeds
}

// hostileVariants derives lying inputs from a seed: each 32-bit word of
// the headers overwritten with values that make naive readers allocate or
// loop (huge, negative as int32, just past the end), plus random byte
// flips from a fixed seed.
func hostileVariants(seed []byte, short bool) [][]byte {
	words := 1024 / 4
	flips := 200
	if short {
		words, flips = 128/4, 20
	}
	size := uint32(len(seed))
	values := []uint32{0xffffffff, 0x80000000, size, size + 1}
	var out [][]byte
	for i := 0; i < words && 4*i+4 <= len(seed); i++ {
		for _, v := range values {
			b := bytes.Clone(seed)
			binary.LittleEndian.PutUint32(b[4*i:], v)
			out = append(out, b)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range flips {
		b := bytes.Clone(seed)
		for range 8 {
			b[rng.IntN(min(len(b), 8192))] ^= byte(1 + rng.IntN(255))
		}
		out = append(out, b)
	}
	return out
}

// TestAllocationBounded reads every hostile variant fully (headers,
// details, Go information) and measures what the process allocated.
func TestAllocationBounded(t *testing.T) {
	if testenv.RaceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
	var worst uint64
	var worstName string
	for name, seed := range hostileSeeds(t) {
		for i, input := range hostileVariants(seed, testing.Short()) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			f, _ := NewFile(bytes.NewReader(input))
			runtime.ReadMemStats(&after)
			_ = f
			if got := after.TotalAlloc - before.TotalAlloc; got > worst {
				worst, worstName = got, fmt.Sprintf("%s variant %d", name, i)
			}
		}
	}
	t.Logf("worst allocation: %d KiB (%s)", worst>>10, worstName)
	if worst > maxHostileAlloc {
		t.Errorf("%s: an input under %d bytes made the process allocate %d bytes, over the %d-byte bound",
			worstName, maxHostileInput, worst, maxHostileAlloc)
	}
}
