package toolchain

import (
	"archive/zip"
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nativego/nativego/internal/testenv"
	"golang.org/x/mod/sumdb/dirhash"
)

// officialPlatforms are the official distributions the tests verify.
var officialPlatforms = []struct{ GOOS, GOARCH string }{
	{"darwin", "arm64"}, {"darwin", "amd64"}, {"linux", "amd64"},
}

// TestTreeHashMatchesDirhash checks the parallel hash against
// dirhash.HashZip and against the go command's own hash, on the real
// module-cache trees.
//
// The oracle hashes the module zip, not the extracted tree: once a
// module-cache toolchain has been run (GOTOOLCHAIN=go1.27.3, as other
// tests and developers do), the go command has copied each _go.mod to a
// go.mod beside it, and dirhash.HashDir of the tree no longer matches the
// checksum database, while Verify must still say it does.
func TestTreeHashMatchesDirhash(t *testing.T) {
	for _, p := range officialPlatforms {
		t.Run(p.GOOS+"-"+p.GOARCH, func(t *testing.T) {
			d := download(t, testenv.OfficialVersion, p.GOOS, p.GOARCH)
			want, err := dirhash.HashZip(d.Zip, dirhash.Hash1)
			if err != nil {
				t.Fatal(err)
			}
			if want != d.Sum {
				t.Fatalf("dirhash.HashZip = %s, go mod download says %s", want, d.Sum)
			}
			v, err := Verify(t.Context(), d.Dir, VerifyOptions{GoSum: d.GoSumLine(), NoDiff: true})
			if err != nil {
				t.Fatal(err)
			}
			if v.Got != want {
				t.Errorf("Verify got %s, dirhash.HashZip %s", v.Got, want)
			}
		})
	}
}

// TestVerifyOfficial verifies official distributions laid out as real
// installs, against the real checksum database (through the configured
// GOPROXY) and offline against the go command's go.sum line.
func TestVerifyOfficial(t *testing.T) {
	for _, p := range officialPlatforms {
		t.Run(p.GOOS+"-"+p.GOARCH, func(t *testing.T) {
			d := download(t, testenv.OfficialVersion, p.GOOS, p.GOARCH)
			root := installTree(t, d.Dir)
			for _, tc := range []struct {
				name string
				opts VerifyOptions
			}{
				{"checksum-database", VerifyOptions{}},
				{"go.sum", VerifyOptions{GoSum: d.GoSumLine()}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					v, err := Verify(t.Context(), root, tc.opts)
					if err != nil {
						t.Fatal(err)
					}
					want := &Verification{Status: StatusOK, Module: d.Path + "@" + d.Version, Expected: d.Sum, Got: d.Sum}
					if diff := cmp.Diff(want, v); diff != "" {
						t.Errorf("Verify(%s) mismatch (-want +got):\n%s", root, diff)
					}
				})
			}
		})
	}
}

// TestVerifyModuleCacheAfterFirstUse verifies a module-cache toolchain
// after the go command has copied each _go.mod to go.mod beside it.
func TestVerifyModuleCacheAfterFirstUse(t *testing.T) {
	d := download(t, testenv.OfficialVersion, "darwin", "arm64")
	root := filepath.Join(t.TempDir(), "toolchain")
	err := filepath.WalkDir(d.Dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(d.Dir, p)
		out := filepath.Join(root, rel)
		if e.IsDir() {
			return os.MkdirAll(out, 0o755)
		}
		if err := linkOrCopy(p, out); err != nil {
			return err
		}
		if e.Name() == "_go.mod" {
			return linkOrCopy(p, filepath.Join(filepath.Dir(out), "go.mod"))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	v, err := Verify(t.Context(), root, VerifyOptions{GoSum: d.GoSumLine()})
	if err != nil || v.Status != StatusOK {
		t.Fatalf("Verify = %+v, %v; want ok", v, err)
	}
}

// TestVerifyTampered changes an installed official tree and checks that
// Verify names exactly the changed files, with the real module zip served
// by a loopback proxy.
func TestVerifyTampered(t *testing.T) {
	d := download(t, testenv.OfficialVersion, "darwin", "arm64")
	proxy := newLoopbackProxy(t)
	proxy.zips[d.Version] = d.Zip

	flip := func(name string) func(t *testing.T, root string) {
		return func(t *testing.T, root string) {
			p := filepath.Join(root, filepath.FromSlash(name))
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			data[len(data)/2] ^= 0x01
			replaceFile(t, p, data)
		}
	}
	remove := func(name string) func(t *testing.T, root string) {
		return func(t *testing.T, root string) {
			if err := os.Remove(filepath.Join(root, filepath.FromSlash(name))); err != nil {
				t.Fatal(err)
			}
		}
	}
	add := func(name string) func(t *testing.T, root string) {
		return func(t *testing.T, root string) {
			mustWrite(t, filepath.Join(root, filepath.FromSlash(name)), "added by the test\n")
		}
	}
	tests := []struct {
		name   string
		change []func(t *testing.T, root string)
		want   []FileChange
		notes  []string
	}{
		{
			name:   "flipped-byte",
			change: []func(*testing.T, string){flip("bin/gofmt")},
			want:   []FileChange{{"bin/gofmt", ChangeModified}},
		},
		{
			name:   "deleted",
			change: []func(*testing.T, string){remove("src/bytes/bytes.go")},
			want:   []FileChange{{"src/bytes/bytes.go", ChangeMissing}},
		},
		{
			name:   "deleted-go.mod",
			change: []func(*testing.T, string){remove("src/go.mod")},
			want:   []FileChange{{"src/go.mod", ChangeMissing}},
		},
		{
			name:   "added",
			change: []func(*testing.T, string){add("bin/gopls"), add("src/.DS_Store")},
			want:   []FileChange{{"bin/gopls", ChangeAdded}, {"src/.DS_Store", ChangeAdded}},
		},
		{
			name: "go.env-and-more",
			change: []func(*testing.T, string){
				func(t *testing.T, root string) {
					p := filepath.Join(root, "go.env")
					data, err := os.ReadFile(p)
					if err != nil {
						t.Fatal(err)
					}
					replaceFile(t, p, bytes.ReplaceAll(data, []byte("GOTOOLCHAIN=auto"), []byte("GOTOOLCHAIN=local")))
				},
				flip("pkg/tool/darwin_arm64/compile"), remove("VERSION"), add("pkg/mod/cache/x"),
			},
			want: []FileChange{
				{"VERSION", ChangeMissing}, {"go.env", ChangeModified},
				{"pkg/mod/cache/x", ChangeAdded}, {"pkg/tool/darwin_arm64/compile", ChangeModified},
			},
			notes: []string{noteGoEnv},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := installTree(t, d.Dir)
			for _, change := range tc.change {
				change(t, root)
			}
			opts := VerifyOptions{GoSum: d.GoSumLine(), GOPROXY: proxy.URL,
				Version: testenv.OfficialVersion, GOOS: "darwin", GOARCH: "arm64"}
			v, err := Verify(t.Context(), root, opts)
			if err != nil {
				t.Fatal(err)
			}
			if v.Status != StatusMismatch || v.Expected != d.Sum || v.Got == d.Sum {
				t.Errorf("Verify: status %v, expected %s, got %s; want mismatch against %s", v.Status, v.Expected, v.Got, d.Sum)
			}
			if diff := cmp.Diff(tc.want, v.Files); diff != "" {
				t.Errorf("Files mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.notes, v.Notes); diff != "" {
				t.Errorf("Notes mismatch (-want +got):\n%s", diff)
			}

			opts.NoDiff = true
			before := len(proxy.Requests())
			v, err = Verify(t.Context(), root, opts)
			if err != nil || v.Status != StatusMismatch || v.Files != nil {
				t.Errorf("Verify with NoDiff = %+v, %v; want a mismatch naming no files", v, err)
			}
			if n := len(proxy.Requests()) - before; n != 0 {
				t.Errorf("Verify with NoDiff and GoSum made %d requests", n)
			}
		})
	}
}

// TestVerifyWrongZip serves the darwin/amd64 zip for the darwin/arm64
// module: Verify must refuse to diff against it rather than name
// hundreds of bogus differences.
func TestVerifyWrongZip(t *testing.T) {
	arm := download(t, testenv.OfficialVersion, "darwin", "arm64")
	amd := download(t, testenv.OfficialVersion, "darwin", "amd64")
	proxy := newLoopbackProxy(t)
	proxy.zips[arm.Version] = amd.Zip
	root := installTree(t, arm.Dir)
	mustWrite(t, filepath.Join(root, "bin", "extra"), "x")
	v, err := Verify(t.Context(), root, VerifyOptions{GoSum: arm.GoSumLine(), GOPROXY: proxy.URL})
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != StatusMismatch || v.Files != nil || len(v.Notes) != 1 || !strings.Contains(v.Notes[0], "is not the release") {
		t.Errorf("Verify = %+v; want a mismatch with a note that the zip is not the release", v)
	}
}

// TestVerifyThisGOROOT verifies the Go installation running the tests.
// The oracle is the release's own module, compared file by file.
func TestVerifyThisGOROOT(t *testing.T) {
	goroot := testenv.GOROOT(t)
	version, err := readVersion(goroot)
	if err != nil || !strings.HasPrefix(version, "go1.") || strings.Contains(version, "devel") {
		t.Skipf("GOROOT %s is not a release tree (VERSION %q, %v)", goroot, version, err)
	}
	d := download(t, version, runtime.GOOS, runtime.GOARCH)

	// Oracle: compare the module's files with GOROOT's, byte by byte.
	var want []FileChange
	release := map[string]bool{}
	err = filepath.WalkDir(d.Dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(d.Dir, p)
		rel = filepath.ToSlash(rel)
		if e.Name() == "go.mod" {
			return nil
		}
		treeRel := rel
		if e.Name() == "_go.mod" {
			treeRel = strings.TrimSuffix(rel, "_go.mod") + "go.mod"
		}
		release[treeRel] = true
		modData, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		treeData, err := os.ReadFile(filepath.Join(goroot, filepath.FromSlash(treeRel)))
		switch {
		case os.IsNotExist(err):
			want = append(want, FileChange{treeRel, ChangeMissing})
		case err != nil:
			return err
		case !bytes.Equal(modData, treeData):
			want = append(want, FileChange{treeRel, ChangeModified})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(goroot, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(goroot, p)
		rel = filepath.ToSlash(rel)
		if e.IsDir() {
			if droppedDirs[rel] {
				return fs.SkipDir
			}
			return nil
		}
		if !release[rel] {
			want = append(want, FileChange{rel, ChangeAdded})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(want, func(a, b FileChange) int { return strings.Compare(a.Name, b.Name) })
	t.Logf("%s differs from %s@%s in %d files: %v", goroot, d.Path, d.Version, len(want), want)

	v, err := Verify(t.Context(), goroot, VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantStatus := StatusOK
	if len(want) > 0 {
		wantStatus = StatusMismatch
	}
	if v.Status != wantStatus || v.Expected != d.Sum {
		t.Errorf("Verify(%s): status %v, expected %s; want %v against %s", goroot, v.Status, v.Expected, wantStatus, d.Sum)
	}
	if diff := cmp.Diff(want, v.Files); diff != "" {
		t.Errorf("Files mismatch (-want +got):\n%s", diff)
	}
	wantGoEnvNote := slices.Contains(want, FileChange{"go.env", ChangeModified})
	if got := slices.Contains(v.Notes, noteGoEnv); got != wantGoEnvNote {
		t.Errorf("go.env note present = %v, want %v (notes %q)", got, wantGoEnvNote, v.Notes)
	}
}

// TestVerifyNotVerifiable covers trees no release can match.
func TestVerifyNotVerifiable(t *testing.T) {
	d := download(t, testenv.OfficialVersion, "linux", "amd64")
	root := installTree(t, d.Dir)
	v, err := Verify(t.Context(), root, VerifyOptions{Source: "homebrew"})
	if err != nil || v.Status != StatusNotVerifiable || v.Module != d.Path+"@"+d.Version {
		t.Errorf("Verify with Source homebrew = %+v, %v; want not-verifiable naming %s@%s", v, err, d.Path, d.Version)
	}
	if err := os.Remove(filepath.Join(root, "VERSION")); err != nil {
		t.Fatal(err)
	}
	v, err = Verify(t.Context(), root, VerifyOptions{})
	if err != nil || v.Status != StatusNotVerifiable {
		t.Errorf("Verify without VERSION = %+v, %v; want not-verifiable", v, err)
	}
}

// TestVerifyGoSumForOtherModule rejects a go.sum line for another release.
func TestVerifyGoSumForOtherModule(t *testing.T) {
	arm := download(t, testenv.OfficialVersion, "darwin", "arm64")
	amd := download(t, testenv.OfficialVersion, "darwin", "amd64")
	v, err := Verify(t.Context(), arm.Dir, VerifyOptions{GoSum: amd.GoSumLine()})
	if err == nil || v.Status != StatusError || !strings.Contains(v.Err, amd.Version) {
		t.Errorf("Verify = %+v, %v; want an error naming %s", v, err, amd.Version)
	}
}

// BenchmarkVerifyTree hashes a real toolchain tree offline: the walk, the
// parallel per-file SHA-256 and the h1: summary.
func BenchmarkVerifyTree(b *testing.B) {
	d := download(b, testenv.OfficialVersion, "darwin", "arm64")
	opts := VerifyOptions{GoSum: d.GoSumLine(), NoDiff: true}
	var size int64
	filepath.WalkDir(d.Dir, func(p string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			if fi, err := e.Info(); err == nil {
				size += fi.Size()
			}
		}
		return nil
	})
	b.SetBytes(size)
	b.ReportAllocs()
	ctx := context.Background()
	for b.Loop() {
		v, err := Verify(ctx, d.Dir, opts)
		if err != nil || v.Status != StatusOK {
			b.Fatalf("Verify = %+v, %v", v, err)
		}
	}
}

// TestVerifyForgedZip serves a module zip with the right names but
// bin/gofmt changed exactly as in the tree: without checking the zip
// against the expected hash, the diff would call the tampered file
// intact.
func TestVerifyForgedZip(t *testing.T) {
	d := download(t, testenv.OfficialVersion, "darwin", "arm64")
	root := installTree(t, d.Dir)
	gofmt := filepath.Join(root, "bin", "gofmt")
	data, err := os.ReadFile(gofmt)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0x01
	replaceFile(t, gofmt, data)
	mustWrite(t, filepath.Join(root, "bin", "extra"), "x")

	// The forged zip: every entry copied raw from the real one, except
	// bin/gofmt, which carries the tampered bytes.
	orig, err := zip.OpenReader(d.Zip)
	if err != nil {
		t.Fatal(err)
	}
	defer orig.Close()
	forged := filepath.Join(t.TempDir(), "forged.zip")
	out, err := os.Create(forged)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(out)
	for _, f := range orig.File {
		if f.Name != d.Path+"@"+d.Version+"/bin/gofmt" {
			if err := zw.Copy(f); err != nil {
				t.Fatal(err)
			}
			continue
		}
		w, err := zw.Create(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}

	proxy := newLoopbackProxy(t)
	proxy.zips[d.Version] = forged
	v, err := Verify(t.Context(), root, VerifyOptions{GoSum: d.GoSumLine(), GOPROXY: proxy.URL})
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != StatusMismatch || v.Files != nil || len(v.Notes) != 1 || !strings.Contains(v.Notes[0], "hashes to") {
		t.Errorf("Verify = %+v; want a mismatch, no files named, and a note that the zip hashes wrong", v)
	}
}
