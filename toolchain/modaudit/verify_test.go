package modaudit

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nativego/nativego/internal/testenv"
	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/dirhash"
)

const verifyGoMod = `module example.com/main

go 1.23

require (
	example.com/Upper v1.0.0
	example.com/a v1.1.0
	example.com/b v1.0.0
	example.com/gen v1.0.0
)
`

// A cacheFixture is a module whose dependencies the go command
// downloaded from a loopback proxy into a module cache of the test's own.
type cacheFixture struct {
	proxy    *loopbackProxy
	mainDir  string
	modCache string
	env      []string
}

// makeCacheFixture downloads the build list of a main module, plus a
// version outside it (example.com/a v1.0.0), with the go command.
func makeCacheFixture(t testing.TB) *cacheFixture {
	t.Helper()
	f := &cacheFixture{proxy: newLoopbackProxy(t, testModules()...)}
	f.modCache = filepath.Join(t.TempDir(), "mod")
	f.env = f.proxy.goEnv(t, f.modCache)
	t.Cleanup(func() { chmodCacheWritable(t, f.modCache) })
	f.mainDir = filepath.Join(t.TempDir(), "main")
	writeFile(t, filepath.Join(f.mainDir, "go.mod"), verifyGoMod)
	writeFile(t, filepath.Join(f.mainDir, "main.go"), strings.ReplaceAll(mainGo, "b.B(), ", ""))
	testenv.Run(t, goIn(t, f.mainDir, f.env, "mod", "tidy"))
	testenv.Run(t, goIn(t, f.mainDir, f.env, "mod", "download", "all"))
	testenv.Run(t, goIn(t, f.mainDir, f.env, "mod", "download", "example.com/a@v1.0.0"))
	return f
}

// clone copies the fixture's main module and module cache, so that a
// case can tamper with its copy.
func (f *cacheFixture) clone(t testing.TB) *cacheFixture {
	t.Helper()
	c := *f
	c.mainDir = copyTree(t, f.mainDir)
	c.modCache = copyTree(t, f.modCache)
	c.env = f.proxy.goEnv(t, c.modCache)
	return &c
}

// goModVerify runs "go mod verify" offline and returns its output lines,
// sorted, and whether it succeeded.
func goModVerify(t *testing.T, dir string, env []string) ([]string, bool) {
	t.Helper()
	cmd := goIn(t, dir, append(slices.Clone(env), "GOPROXY=off"), "mod", "verify")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("go mod verify: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	slices.Sort(lines)
	return lines, err == nil
}

func cachePathsOf(t testing.TB, modCache, path, version string) cachePaths {
	t.Helper()
	p, err := pathsFor(modCache, module.Version{Path: path, Version: version})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// rewriteZip replaces the zip with one whose file name has new content.
func rewriteZip(t *testing.T, zipFile, name, content string) {
	t.Helper()
	r, err := zip.OpenReader(zipFile)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	found := false
	for _, f := range r.File {
		fw, err := w.Create(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(f.Name, "/"+name) {
			found = true
			io.WriteString(fw, content)
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(fw, rc)
		rc.Close()
	}
	r.Close()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if !found {
		t.Fatalf("%s has no file %s", zipFile, name)
	}
	if err := os.WriteFile(zipFile, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyCacheMatchesGoModVerify(t *testing.T) {
	testenv.GoTool(t)
	if testing.Short() {
		t.Skip("downloads modules with the go command from a loopback proxy; slow under -short")
	}
	fixture := makeCacheFixture(t)

	tests := []struct {
		name        string
		tamper      func(t *testing.T, f *cacheFixture)
		wantVerdict map[string]string // module path -> verdict, for the modules named
		wantFiles   []FileChange      // of example.com/a
		wantGoSum   bool              // example.com/a's ziphash differs from go.sum
	}{
		{name: "intact", tamper: func(*testing.T, *cacheFixture) {},
			wantVerdict: map[string]string{"example.com/a": VerdictVerified, "example.com/c": VerdictVerified}},
		{name: "extracted-file-modified", tamper: func(t *testing.T, f *cacheFixture) {
			writeFile(t, filepath.Join(cachePathsOf(t, f.modCache, "example.com/a", "v1.1.0").Dir, "a.go"), "package a\n\nconst Version = \"evil\"\n")
		}, wantVerdict: map[string]string{"example.com/a": VerdictModified},
			wantFiles: []FileChange{{Name: "example.com/a@v1.1.0/a.go", Change: "modified"}}},
		{name: "extracted-file-added-and-removed", tamper: func(t *testing.T, f *cacheFixture) {
			dir := cachePathsOf(t, f.modCache, "example.com/a", "v1.1.0").Dir
			writeFile(t, filepath.Join(dir, "sub", "init.go"), "package sub\n\nfunc init() {}\n")
			os.Remove(filepath.Join(dir, "README"))
		}, wantVerdict: map[string]string{"example.com/a": VerdictModified},
			wantFiles: []FileChange{{Name: "example.com/a@v1.1.0/sub/init.go", Change: "added"}, {Name: "example.com/a@v1.1.0/README", Change: "missing"}}},
		{name: "zip-modified", tamper: func(t *testing.T, f *cacheFixture) {
			rewriteZip(t, cachePathsOf(t, f.modCache, "example.com/a", "v1.1.0").Zip, "a.go", "package a\n\nconst Version = \"evil\"\n")
		}, wantVerdict: map[string]string{"example.com/a": VerdictModified}},
		{name: "zip-truncated", tamper: func(t *testing.T, f *cacheFixture) {
			os.Truncate(cachePathsOf(t, f.modCache, "example.com/b", "v1.0.0").Zip, 100)
		}, wantVerdict: map[string]string{"example.com/b": VerdictError}},
		{name: "ziphash-missing", tamper: func(t *testing.T, f *cacheFixture) {
			os.Remove(cachePathsOf(t, f.modCache, "example.com/gen", "v1.0.0").ZipHash)
		}, wantVerdict: map[string]string{"example.com/gen": VerdictError}},
		{name: "ziphash-changed", tamper: func(t *testing.T, f *cacheFixture) {
			writeFile(t, cachePathsOf(t, f.modCache, "example.com/gen", "v1.0.0").ZipHash, "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
		}, wantVerdict: map[string]string{"example.com/gen": VerdictModified}},
		{name: "partial-extraction-skipped", tamper: func(t *testing.T, f *cacheFixture) {
			p := cachePathsOf(t, f.modCache, "example.com/a", "v1.1.0")
			writeFile(t, p.Partial, "")
			writeFile(t, filepath.Join(p.Dir, "a.go"), "half written")
		}, wantVerdict: map[string]string{"example.com/a": VerdictVerified}},
		{name: "zip-deleted-tree-modified", tamper: func(t *testing.T, f *cacheFixture) {
			p := cachePathsOf(t, f.modCache, "example.com/a", "v1.1.0")
			os.Remove(p.Zip)
			writeFile(t, filepath.Join(p.Dir, "a.go"), "package a\n")
		}, wantVerdict: map[string]string{"example.com/a": VerdictModified}},
		{name: "tree-deleted", tamper: func(t *testing.T, f *cacheFixture) {
			os.RemoveAll(cachePathsOf(t, f.modCache, "example.com/a", "v1.1.0").Dir)
		}, wantVerdict: map[string]string{"example.com/a": VerdictVerified}},
		{name: "never-downloaded", tamper: func(t *testing.T, f *cacheFixture) {
			p := cachePathsOf(t, f.modCache, "example.com/c", "v1.0.0")
			os.RemoveAll(p.Dir)
			os.Remove(p.Zip)
			os.Remove(p.ZipHash)
		}, wantVerdict: map[string]string{"example.com/c": VerdictNotDownloaded}},
		{name: "escaped-path-modified", tamper: func(t *testing.T, f *cacheFixture) {
			writeFile(t, filepath.Join(cachePathsOf(t, f.modCache, "example.com/Upper", "v1.0.0").Dir, "upper.go"), "package upper\n")
		}, wantVerdict: map[string]string{"example.com/Upper": VerdictModified}},
		{name: "outside-build-list-ignored", tamper: func(t *testing.T, f *cacheFixture) {
			writeFile(t, filepath.Join(cachePathsOf(t, f.modCache, "example.com/a", "v1.0.0").Dir, "a.go"), "package a\n")
		}, wantVerdict: map[string]string{"example.com/a": VerdictVerified}},
		{name: "go-sum-disagrees", tamper: func(t *testing.T, f *cacheFixture) {
			p := cachePathsOf(t, f.modCache, "example.com/a", "v1.1.0")
			zh, _ := os.ReadFile(p.ZipHash)
			edit(t, filepath.Join(f.mainDir, "go.sum"), "example.com/a v1.1.0 "+strings.TrimSpace(string(zh)), "example.com/a v1.1.0 h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
		}, wantVerdict: map[string]string{"example.com/a": VerdictVerified}, wantGoSum: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := fixture.clone(t)
			tc.tamper(t, f)
			want, wantOK := goModVerify(t, f.mainDir, f.env)
			t.Logf("go mod verify: %q", want)
			got, err := VerifyCache(t.Context(), f.mainDir, CacheOptions{ModCache: f.modCache})
			if err != nil {
				t.Fatal(err)
			}
			gotLines := strings.Split(strings.TrimSpace(got.Output), "\n")
			slices.Sort(gotLines)
			if diff := cmp.Diff(want, gotLines); diff != "" {
				t.Errorf("output differs from go mod verify's (-go +ours):\n%s", diff)
			}
			if got.OK != wantOK {
				t.Errorf("OK = %v, go mod verify succeeded: %v", got.OK, wantOK)
			}
			for _, m := range got.Modules {
				if v, ok := tc.wantVerdict[m.Path]; ok && v != m.Verdict {
					t.Errorf("%s@%s: verdict %s, want %s (%q)", m.Path, m.Version, m.Verdict, v, m.Errors)
				}
				if m.Path == "example.com/a" {
					if diff := cmp.Diff(tc.wantFiles, m.Files); diff != "" {
						t.Errorf("files of %s@%s (-want +got):\n%s", m.Path, m.Version, diff)
					}
					if m.GoSumMismatch != tc.wantGoSum {
						t.Errorf("GoSumMismatch = %v, want %v", m.GoSumMismatch, tc.wantGoSum)
					}
				}
			}
		})
	}
}

// TestBuildListMatchesGoList checks the build list read from go.sum
// against "go list -m all".
func TestBuildListMatchesGoList(t *testing.T) {
	testenv.GoTool(t)
	if testing.Short() {
		t.Skip("downloads modules with the go command from a loopback proxy; slow under -short")
	}
	f := makeCacheFixture(t)
	out := testenv.Run(t, goIn(t, f.mainDir, append(slices.Clone(f.env), "GOPROXY=off"), "list", "-m", "-f", "{{if not .Main}}{{.Path}} {{.Version}}{{end}}", "all"))
	var want []string
	for line := range strings.Lines(string(out)) {
		if line = strings.TrimSpace(line); line != "" {
			want = append(want, line)
		}
	}
	m, err := LoadModule(f.mainDir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, mv := range m.BuildList() {
		got = append(got, mv.Path+" "+mv.Version)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("build list (-go list +ours):\n%s", diff)
	}
}

// TestHash1MatchesDirhash checks the parallel h1: hash against
// golang.org/x/mod/sumdb/dirhash on every zip and tree of a real cache.
func TestHash1MatchesDirhash(t *testing.T) {
	testenv.GoTool(t)
	if testing.Short() {
		t.Skip("downloads modules with the go command from a loopback proxy; slow under -short")
	}
	f := makeCacheFixture(t)
	got, err := VerifyCache(t.Context(), f.mainDir, CacheOptions{ModCache: f.modCache})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range got.Modules {
		p := cachePathsOf(t, f.modCache, m.Path, m.Version)
		if m.ZipSum != "" {
			n++
			if want, err := dirhash.HashZip(p.Zip, dirhash.Hash1); err != nil || want != m.ZipSum {
				t.Errorf("%s@%s zip: ours %s, dirhash %s, %v", m.Path, m.Version, m.ZipSum, want, err)
			}
		}
		if m.DirSum != "" {
			n++
			if want, err := dirhash.HashDir(p.Dir, m.Path+"@"+m.Version, dirhash.Hash1); err != nil || want != m.DirSum {
				t.Errorf("%s@%s dir: ours %s, dirhash %s, %v", m.Path, m.Version, m.DirSum, want, err)
			}
		}
	}
	if n < 8 {
		t.Errorf("only %d trees hashed; want the zip and tree of each of 5 modules", n)
	}
}

func TestCacheCoverage(t *testing.T) {
	testenv.GoTool(t)
	if testing.Short() {
		t.Skip("downloads modules with the go command from a loopback proxy; slow under -short")
	}
	f := makeCacheFixture(t).clone(t)
	audit, err := AuditCache(t.Context(), f.mainDir, CacheOptions{ModCache: f.modCache})
	if err != nil {
		t.Fatal(err)
	}
	if !audit.Verify.OK {
		t.Errorf("AuditCache of an intact cache: %s", audit.Verify.Output)
	}
	full := audit.Coverage
	// The zips of a v1.1.0, b, c, gen and Upper, all downloaded.
	if full.Share != 1 || full.Zips.Needed != 5 || full.Zips.Cached != 5 || full.Zips.Extracted != 5 || len(full.Missing) != 0 || full.Zips.CachedBytes <= 0 {
		t.Fatalf("coverage of a fully downloaded module = %+v", full)
	}
	p := cachePathsOf(t, f.modCache, "example.com/gen", "v1.0.0")
	os.Remove(p.Zip)
	os.Remove(p.Mod)
	part, err := CacheCoverage(t.Context(), f.mainDir, CacheOptions{ModCache: f.modCache})
	if err != nil {
		t.Fatal(err)
	}
	want := []MissingFile{{Path: "example.com/gen", Version: "v1.0.0", Kind: "zip"}, {Path: "example.com/gen", Version: "v1.0.0", Kind: "mod"}}
	if diff := cmp.Diff(want, part.Missing); diff != "" {
		t.Errorf("missing (-want +got):\n%s", diff)
	}
	if part.Share != 0.8 || part.Zips.Cached != 4 || part.ModFiles.Cached != full.ModFiles.Cached-1 || len(part.Notes) != 1 {
		t.Errorf("coverage after removing one module = %+v", part)
	}

	// An empty module cache: everything would be downloaded.
	none, err := CacheCoverage(t.Context(), f.mainDir, CacheOptions{ModCache: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if none.Share != 0 || none.Zips.Cached != 0 || len(none.Missing) != none.Zips.Needed+none.ModFiles.Needed {
		t.Errorf("coverage of an empty cache = %+v", none)
	}
}

func TestVerifyCacheCancelled(t *testing.T) {
	testenv.GoTool(t)
	if testing.Short() {
		t.Skip("downloads modules with the go command from a loopback proxy; slow under -short")
	}
	f := makeCacheFixture(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := VerifyCache(ctx, f.mainDir, CacheOptions{ModCache: f.modCache}); !errors.Is(err, context.Canceled) {
		t.Fatalf("VerifyCache with a cancelled context = %v; want context.Canceled", err)
	}
	if _, err := VerifyCache(t.Context(), f.mainDir, CacheOptions{ModCache: filepath.Join(t.TempDir(), "none")}); !errors.Is(err, ErrNoModCache) {
		t.Fatalf("VerifyCache of a missing module cache = %v; want ErrNoModCache", err)
	}
}
