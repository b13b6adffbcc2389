package benchpkg

import "testing"

var buf = make([]byte, 4096)

func BenchmarkSum(b *testing.B) {
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		Sum(buf)
	}
}
