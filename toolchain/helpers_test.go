package toolchain

import (
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/nativego/nativego/internal/testenv"
)

// A modDownload is the go command's own account of a toolchain module:
// `go mod download -json` output.
type modDownload struct {
	Path, Version, Zip, Dir, Sum, GoModSum string
}

// GoSumLine is the go.sum line for the module zip.
func (d modDownload) GoSumLine() string { return d.Path + " " + d.Version + " " + d.Sum }

var (
	downloadsMu sync.Mutex
	downloads   = map[string]modDownload{}
)

// download fetches the official toolchain module for version and
// goos/goarch (skipping t when the Go module proxy is out of reach, via
// testenv.Toolchain) and returns what `go mod download -json` says about
// it, including the hash it checked against the checksum database.
func download(t testing.TB, version, goos, goarch string) modDownload {
	t.Helper()
	testenv.Toolchain(t, version, goos, goarch)
	mod := modulePath + "@" + moduleVersion(version, goos, goarch)
	downloadsMu.Lock()
	defer downloadsMu.Unlock()
	if d, ok := downloads[mod]; ok {
		return d
	}
	cmd := testenv.GoCommand(t, "mod", "download", "-json", mod)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local", "GOFLAGS=")
	var d modDownload
	if err := json.Unmarshal(testenv.Run(t, cmd), &d); err != nil {
		t.Fatal(err)
	}
	if d.Sum == "" || d.Dir == "" || d.Zip == "" {
		t.Fatalf("go mod download -json %s: incomplete answer %+v", mod, d)
	}
	downloads[mod] = d
	return d
}

// installTree lays out the module-cache toolchain in modDir as an
// installed distribution in a new directory, the way the .tar.gz or .pkg
// leaves it: every _go.mod named go.mod again, and the api/, doc/, misc/
// and test/ directories the binary distribution has and the module
// drops. Files are hard links into the (read-only) module cache where
// possible; change one only through replaceFile.
func installTree(t testing.TB, modDir string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "go")
	err := filepath.WalkDir(modDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(modDir, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if d.Name() == "go.mod" { // a copy the go command made on first use
			return nil
		}
		if d.Name() == "_go.mod" {
			rel = filepath.Join(filepath.Dir(rel), "go.mod")
		}
		return linkOrCopy(p, filepath.Join(dst, rel))
	})
	if err != nil {
		t.Fatal(err)
	}
	// The dropped directories: real files from the running Go's GOROOT
	// where it has them (their content is irrelevant, they are dropped).
	for _, dir := range []string{"api", "doc", "misc", "test"} {
		src := filepath.Join(testenv.GOROOT(t), dir)
		if _, err := os.Stat(src); err != nil {
			mustWrite(t, filepath.Join(dst, dir, "README"), dir+" directory of the binary distribution\n")
			continue
		}
		err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(src, p)
			out := filepath.Join(dst, dir, rel)
			if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
				return err
			}
			return linkOrCopy(p, out)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func linkOrCopy(src, dst string) error {
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// replaceFile writes data to name as a new file, leaving any file it was
// a hard link to alone.
func replaceFile(t testing.TB, name string, data []byte) {
	t.Helper()
	if err := os.Remove(name); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustWrite(t testing.TB, name, data string) {
	t.Helper()
	replaceFile(t, name, []byte(data))
}

// A loopbackProxy is a GOPROXY on 127.0.0.1 serving toolchain module
// zips from files, and optionally proxying one checksum database.
type loopbackProxy struct {
	URL      string
	zips     map[string]string // module version -> zip file
	sumdb    http.Handler
	sumdbFor string // database name

	mu       sync.Mutex
	requests []string
}

func newLoopbackProxy(t testing.TB) *loopbackProxy {
	p := &loopbackProxy{zips: map[string]string{}}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

func (p *loopbackProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.requests = append(p.requests, r.URL.Path)
	p.mu.Unlock()
	if p.sumdb != nil {
		dbPrefix := "/sumdb/" + p.sumdbFor
		if r.URL.Path == dbPrefix+"/supported" {
			return
		}
		if rest, ok := strings.CutPrefix(r.URL.Path, dbPrefix); ok {
			r2 := r.Clone(r.Context())
			r2.URL.Path = rest
			p.sumdb.ServeHTTP(w, r2)
			return
		}
	}
	if rest, ok := strings.CutPrefix(r.URL.Path, "/"+modulePath+"/@v/"); ok && path.Ext(rest) == ".zip" {
		if zip, ok := p.zips[strings.TrimSuffix(rest, ".zip")]; ok {
			http.ServeFile(w, r, zip)
			return
		}
	}
	http.NotFound(w, r)
}

func (p *loopbackProxy) Requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.requests...)
}
