package archcheck

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nativego/nativego/internal/testenv"
	"github.com/nativego/nativego/internal/uring"
)

// scanPlatforms are the cross-compiled binaries the scan tests plant.
var scanPlatforms = []struct{ GOOS, GOARCH string }{
	{"darwin", "arm64"}, {"darwin", "amd64"}, {"linux", "amd64"}, {"linux", "arm64"}, {"windows", "amd64"},
}

// copyFile copies src to dst with mode perm.
func copyFile(t testing.TB, src, dst string, perm fs.FileMode) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, perm); err != nil {
		t.Fatal(err)
	}
}

// plantTree builds a tree of real binaries, a text file, and an app
// bundle holding a framework, and returns its root.
func plantTree(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for _, p := range scanPlatforms {
		bin := testenv.Build(t, testenv.BuildSpec{GOOS: p.GOOS, GOARCH: p.GOARCH})
		copyFile(t, bin, filepath.Join(root, "bin", p.GOOS+"-"+p.GOARCH), 0o755)
	}
	darwinAMD64 := filepath.Join(root, "bin", "darwin-amd64")
	copyFile(t, darwinAMD64, filepath.Join(root, "Foo.app", "Contents", "MacOS", "Foo"), 0o755)
	copyFile(t, darwinAMD64, filepath.Join(root, "Foo.app", "Contents", "Frameworks", "Bar.framework", "Versions", "A", "Bar"), 0o755)
	if err := os.WriteFile(filepath.Join(root, "README"), []byte("not an executable\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// collect runs a scan to the end and returns its results by path.
func collect(t *testing.T, ctx context.Context, roots []string, opts ScanOptions) map[string]*ScanResult {
	t.Helper()
	got := map[string]*ScanResult{}
	for r, err := range Scan(ctx, roots, opts) {
		if err != nil {
			t.Fatalf("Scan: %v", err)
		}
		if _, dup := got[r.Path]; dup {
			t.Errorf("Scan reported %s twice", r.Path)
		}
		got[r.Path] = r
	}
	return got
}

type scanSummary struct {
	Verdict       string
	Bundle, Outer string
	Err           bool
}

// TestScanMatchesOpen checks a scan against the oracle of opening each
// file of the tree on its own: the scan must find exactly the files Open
// accepts, with the same verdicts, and attribute bundles.
func TestScanMatchesOpen(t *testing.T) { bothSniffPaths(t, testScanMatchesOpen) }

func testScanMatchesOpen(t *testing.T) {
	root := plantTree(t)
	for _, target := range []string{"darwin/arm64", "linux/amd64", "windows/arm64"} {
		for _, only := range []bool{false, true} {
			host, err := ParseTarget(target)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]scanSummary{}
			filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
				if err != nil || !d.Type().IsRegular() {
					return err
				}
				f, err := Open(p)
				if err != nil {
					if !errors.Is(err, ErrNotExecutable) {
						t.Errorf("Open(%s): %v", p, err)
					}
					return nil
				}
				defer f.Close()
				v := Assess(f, host).Verdict
				if only && (v == Native || v == NotExecutable) {
					return nil
				}
				s := scanSummary{Verdict: v.String()}
				if rel, _ := filepath.Rel(root, p); filepath.Dir(rel) != "bin" {
					s.Outer = filepath.Join(root, "Foo.app")
					s.Bundle = s.Outer
					if filepath.Base(p) == "Bar" {
						s.Bundle = filepath.Join(root, "Foo.app", "Contents", "Frameworks", "Bar.framework")
					}
				}
				want[p] = s
				return nil
			})
			// On this tree the verdicts rest on architecture alone, so the
			// header-only scan must agree too.
			for _, headerOnly := range []bool{false, true} {
				got := map[string]scanSummary{}
				for p, r := range collect(t, t.Context(), []string{root}, ScanOptions{Host: host, OnlyNonNative: only, HeaderOnly: headerOnly}) {
					got[p] = scanSummary{Verdict: r.Assessment.Verdict.String(), Bundle: r.Bundle, Outer: r.OuterBundle, Err: r.Err != nil}
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("target %s OnlyNonNative=%v HeaderOnly=%v: scan differs from Open+Assess (-want +got):\n%s", target, only, headerOnly, diff)
				}
			}
		}
	}
}

func TestScanSkip(t *testing.T) {
	root := plantTree(t)
	tests := []struct {
		name string
		skip []string
		want int
	}{
		{"none", nil, 7},
		{"base name of a directory", []string{"*.app"}, 5},
		{"base name of files", []string{"darwin-*"}, 5},
		{"relative path", []string{"Foo.app/Contents/Frameworks"}, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := collect(t, t.Context(), []string{root}, ScanOptions{Skip: tt.skip})
			if len(got) != tt.want {
				t.Errorf("Skip %q: %d results, want %d", tt.skip, len(got), tt.want)
			}
		})
	}
	n := 0
	for r, err := range Scan(t.Context(), []string{root}, ScanOptions{Skip: []string{"["}}) {
		n++
		if r != nil || !errors.Is(err, path.ErrBadPattern) {
			t.Errorf("malformed pattern: got %v, %v; want only an error wrapping path.ErrBadPattern", r, err)
		}
	}
	if n != 1 {
		t.Errorf("malformed pattern: %d values, want 1", n)
	}
}

// TestScanVanished removes each file between the walk and its open, and
// swaps one for a directory: both must be reported, not stop the scan.
func TestScanVanished(t *testing.T) { bothSniffPaths(t, testScanVanished) }

func testScanVanished(t *testing.T) {
	root := plantTree(t)
	gone := filepath.Join(root, "bin", "linux-amd64")
	swapped := filepath.Join(root, "bin", "linux-arm64")
	testHookOpen = func(p string) func() {
		switch p {
		case gone:
			os.Remove(p)
		case swapped:
			os.Remove(p)
			os.Mkdir(p, 0o755)
		}
		return nil
	}
	defer func() { testHookOpen = nil }()
	got := collect(t, t.Context(), []string{root}, ScanOptions{Workers: 1})
	if r := got[gone]; r == nil || !errors.Is(r.Err, fs.ErrNotExist) {
		t.Errorf("vanished file: got %+v, want an error wrapping fs.ErrNotExist", r)
	}
	if r := got[swapped]; r == nil || !errors.Is(r.Err, ErrNotRegular) {
		t.Errorf("file replaced by a directory: got %+v, want ErrNotRegular", r)
	}
	if r := got[filepath.Join(root, "bin", "darwin-arm64")]; r == nil || r.Err != nil {
		t.Errorf("the scan did not go on after the vanished files: %+v", r)
	}
}

// TestScanBoundedDescriptors counts the files open at once through the
// open hook: never more than MaxOpenFiles, whatever Workers says.
func TestScanBoundedDescriptors(t *testing.T) {
	root := t.TempDir()
	for i := range 300 {
		if err := os.WriteFile(filepath.Join(root, fmt.Sprintf("f%d", i)), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, limit := range []int{1, 3} {
		var open, peak atomic.Int64
		testHookOpen = func(string) func() {
			n := open.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			return func() { open.Add(-1) }
		}
		collect(t, t.Context(), []string{root}, ScanOptions{Workers: 16, MaxOpenFiles: limit})
		testHookOpen = nil
		if p := peak.Load(); p > int64(limit) {
			t.Errorf("MaxOpenFiles %d: %d files open at once", limit, p)
		}
	}
}

// TestScanCancel cancels a scan from inside its loop: no result may come
// after, the sequence ends with the context's error, and (where
// testenv.OpenFiles can tell) no descriptor stays open.
func TestScanCancel(t *testing.T) { bothSniffPaths(t, testScanCancel) }

func testScanCancel(t *testing.T) {
	root := plantTree(t)
	bin := filepath.Join(root, "bin", "linux-amd64")
	for i := range 500 {
		if err := os.Link(bin, filepath.Join(root, "bin", fmt.Sprintf("copy%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	before := testenv.OpenFiles(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var after, results int
	var last error
	for r, err := range Scan(ctx, []string{root}, ScanOptions{}) {
		if err != nil {
			last = err
			continue
		}
		if r != nil {
			results++
		}
		if ctx.Err() != nil {
			after++
		}
		cancel()
	}
	if after != 0 || results != 1 {
		t.Errorf("%d results after cancel, %d in all; want 0 and 1", after, results)
	}
	if !errors.Is(last, context.Canceled) {
		t.Errorf("sequence ended with %v, want context.Canceled", last)
	}
	if n := testenv.OpenFiles(t); n != before {
		t.Errorf("%d descriptors open after the scan, %d before", n, before)
	}

	// Breaking out of the loop must also stop and close everything, and
	// not report an error.
	for range Scan(t.Context(), []string{root}, ScanOptions{}) {
		break
	}
	if n := testenv.OpenFiles(t); n != before {
		t.Errorf("%d descriptors open after breaking out, %d before", n, before)
	}
}

// TestScanProgress checks that Progress is never called concurrently
// and that its final count covers every file.
func TestScanProgress(t *testing.T) {
	root := plantTree(t)
	var mu sync.Mutex
	var last ScanProgress
	calls := 0
	opts := ScanOptions{Progress: func(p ScanProgress) {
		if !mu.TryLock() {
			t.Error("Progress called concurrently")
			return
		}
		defer mu.Unlock()
		last = p
		calls++
	}}
	collect(t, t.Context(), []string{root}, opts)
	if calls == 0 || last.Files != 8 || last.Candidates != 7 {
		t.Errorf("after %d calls Progress saw %+v, want 8 files and 7 candidates", calls, last)
	}
}

func BenchmarkScanSniff(b *testing.B) {
	dir := b.TempDir()
	text := filepath.Join(dir, "text")
	if err := os.WriteFile(text, make([]byte, 10000), 0o644); err != nil {
		b.Fatal(err)
	}
	bin := filepath.Join(dir, "bin")
	copyFile(b, testenv.Build(b, testenv.BuildSpec{GOOS: "darwin", GOARCH: "amd64"}), bin, 0o755)
	for _, bc := range []struct {
		name string
		path string
		opts ScanOptions
	}{
		{"NotExecutable", text, ScanOptions{}},
		{"MachOHeaderOnly", bin, ScanOptions{HeaderOnly: true}},
		{"MachOFull", bin, ScanOptions{}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			w := newScanner(b.Context(), bc.opts).newWorker()
			b.ReportAllocs()
			for b.Loop() {
				w.examine(job{name: bc.path}, true)
			}
		})
	}
}

func BenchmarkScanTree(b *testing.B) {
	root := b.TempDir()
	for i := range 1000 {
		d := filepath.Join(root, fmt.Sprint(i%20))
		os.MkdirAll(d, 0o755)
		if err := os.WriteFile(filepath.Join(d, fmt.Sprint(i)), []byte("some text"), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, err := range Scan(b.Context(), []string{root}, ScanOptions{}) {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}

// bothSniffPaths runs test twice: with the workers' io_uring batches
// (skipped where io_uring is unavailable, as under qemu-user), and with
// every file on the plain path.
func bothSniffPaths(t *testing.T, test func(t *testing.T)) {
	t.Run("batched", func(t *testing.T) {
		b := newBatchSniffer()
		if b == nil {
			t.Skip("io_uring unavailable here: only the plain path runs")
		}
		b.close()
		test(t)
	})
	t.Run("plain", func(t *testing.T) {
		t.Setenv(uring.EnvDisable, "off")
		test(t)
	})
}
