package benchkit_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/nativego/nativego/benchkit"
)

// benchFile returns a benchmark file of about lines result lines: 50
// benchmarks with three units each, seeded so that runs are repeatable,
// shifted by shift to make a second file that differs.
func benchFile(lines int, shift float64, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 1))
	var b bytes.Buffer
	b.WriteString("goos: linux\ngoarch: amd64\npkg: example.com/speed\ncpu: test\n")
	const names = 50
	for i := range lines {
		n := i % names
		ns := float64(100*(n+1)) * (1 + shift + 0.05*rng.NormFloat64())
		fmt.Fprintf(&b, "BenchmarkOp%d/size=%d-8 \t 1000000 \t %.2f ns/op \t %d B/op \t %d allocs/op\n", n, 1<<(n%12), ns, 16*(n%5), n%3)
	}
	return b.Bytes()
}

// BenchmarkCompare50k reads two 50,000-line files and builds their report,
// the job scripts/benchcompare-speed.sh times against benchstat.
func BenchmarkCompare50k(b *testing.B) {
	old, cur := benchFile(50000, 0, 1), benchFile(50000, 0.03, 2)
	b.SetBytes(int64(len(old) + len(cur)))
	b.ReportAllocs()
	for b.Loop() {
		bld, err := benchkit.NewBuilder(benchkit.CompareOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if err := bld.Read(bytes.NewReader(old), "old"); err != nil {
			b.Fatal(err)
		}
		if err := bld.Read(bytes.NewReader(cur), "new"); err != nil {
			b.Fatal(err)
		}
		if r := bld.Build(); len(r.Tables) != 3 {
			b.Fatalf("%d tables", len(r.Tables))
		}
	}
}

// BenchmarkWriteText measures formatting alone.
func BenchmarkWriteText(b *testing.B) {
	bld, _ := benchkit.NewBuilder(benchkit.CompareOptions{})
	bld.Read(bytes.NewReader(benchFile(6000, 0, 1)), "old")
	bld.Read(bytes.NewReader(benchFile(6000, 0.03, 2)), "new")
	r := bld.Build()
	b.ReportAllocs()
	for b.Loop() {
		var buf bytes.Buffer
		if err := r.WriteText(&buf, benchkit.ViewTable); err != nil {
			b.Fatal(err)
		}
	}
}
