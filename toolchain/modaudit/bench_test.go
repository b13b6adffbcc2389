package modaudit

import (
	"context"
	"os"
	"runtime"
	"sync"
	"testing"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/dirhash"
)

// benchCache returns the module and module cache to benchmark: those of
// scripts/modverify-speed.sh when MODAUDIT_BENCH_DIR and
// MODAUDIT_BENCH_MODCACHE name them (a 120-module graph), else the small
// test fixture.
func benchCache(b *testing.B) (dir, modCache string) {
	if d, c := os.Getenv("MODAUDIT_BENCH_DIR"), os.Getenv("MODAUDIT_BENCH_MODCACHE"); d != "" && c != "" {
		return d, c
	}
	f := makeCacheFixture(b)
	return f.mainDir, f.modCache
}

// BenchmarkVerifyCache compares VerifyCache with what go mod verify does
// in-process: dirhash.HashZip and dirhash.HashDir per module, GOMAXPROCS
// modules at once (cmd/go/internal/modcmd.runVerify).
func BenchmarkVerifyCache(b *testing.B) {
	dir, modCache := benchCache(b)
	m, err := LoadModule(dir)
	if err != nil {
		b.Fatal(err)
	}
	mods := m.BuildList()

	b.Run("modaudit", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r, err := VerifyCache(context.Background(), dir, CacheOptions{ModCache: modCache})
			if err != nil || !r.OK {
				b.Fatalf("VerifyCache: %v %+v", err, r)
			}
		}
	})
	b.Run("dirhash-per-module", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := verifyPerModule(modCache, mods); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func verifyPerModule(modCache string, mods []module.Version) error {
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	errs := make([]error, len(mods))
	for i, mv := range mods {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			p, err := pathsFor(modCache, mv)
			if err != nil {
				errs[i] = err
				return
			}
			if _, err := os.Stat(p.ZipHash); err != nil {
				return // not downloaded
			}
			if _, err := dirhash.HashZip(p.Zip, dirhash.Hash1); err != nil {
				errs[i] = err
			}
			if _, err := dirhash.HashDir(p.Dir, mv.Path+"@"+mv.Version, dirhash.Hash1); err != nil {
				errs[i] = err
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
