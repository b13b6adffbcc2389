package goenv

import (
	"testing"
	"time"
)

// BenchmarkResolve resolves this process's whole environment, every
// variable go env -json prints, as a CLI would. The go binary's headers
// and build information are parsed once and memoized by path, size and
// modification time (see readGoBinary); BenchmarkResolveCold includes
// that parse.
func BenchmarkResolve(b *testing.B) {
	if _, err := Resolve(nil); err != nil {
		b.Skip(err)
	}
	b.ReportAllocs()
	start := processCPU()
	for b.Loop() {
		if _, err := Resolve(nil); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, start)
}

func BenchmarkResolveCold(b *testing.B) {
	if _, err := Resolve(nil); err != nil {
		b.Skip(err)
	}
	b.ReportAllocs()
	start := processCPU()
	for b.Loop() {
		binaryCache.Clear()
		if _, err := Resolve(nil); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, start)
}

// reportCPU adds the process's CPU time per operation, "cpu-ns/op".
func reportCPU(b *testing.B, start time.Duration) {
	if cpu := processCPU() - start; cpu > 0 && b.N > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkLint lints a resolved environment.
func BenchmarkLint(b *testing.B) {
	env, err := Resolve(nil)
	if err != nil {
		b.Skip(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		Lint(env)
	}
}
