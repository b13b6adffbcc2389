// Package benchpkg is a tiny package with benchmarks for the Runner's
// tests.
package benchpkg

// Sum adds the bytes of b.
func Sum(b []byte) (s uint64) {
	for _, x := range b {
		s += uint64(x)
	}
	return s
}
