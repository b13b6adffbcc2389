package modaudit

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/nativego/nativego/internal/testenv"
	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb"
	"golang.org/x/mod/sumdb/dirhash"
	"golang.org/x/mod/sumdb/note"
	modzip "golang.org/x/mod/zip"
)

// A testModule is a module version served by a loopbackProxy, made from
// files in the test.
type testModule struct {
	Path, Version string
	Files         map[string]string // name -> content; must include go.mod
}

// A loopbackProxy is a GOPROXY on 127.0.0.1 serving module zips built
// with golang.org/x/mod/zip, and a checksum database on 127.0.0.1 built
// with golang.org/x/mod/sumdb's server, holding the genuine go.sum lines
// of every module the proxy serves.
type loopbackProxy struct {
	URL     string // GOPROXY
	GOSUMDB string // "key url"
	VKey    string // the database's verifier key
	Name    string // the database's name
	zips    map[module.Version]string
	mods    map[module.Version][]byte
	sums    map[module.Version]string // go.sum lines
}

// newLoopbackProxy serves mods. The database is named after the test,
// as the toolchain package remembers each database's latest tree head
// for the life of the process.
func newLoopbackProxy(t testing.TB, mods ...testModule) *loopbackProxy {
	t.Helper()
	p := &loopbackProxy{zips: map[module.Version]string{}, mods: map[module.Version][]byte{}, sums: map[module.Version]string{}}
	dir := t.TempDir()
	for _, m := range mods {
		mv := module.Version{Path: m.Path, Version: m.Version}
		src := filepath.Join(dir, "src", m.Path+"@"+m.Version)
		for name, content := range m.Files {
			writeFile(t, filepath.Join(src, name), content)
		}
		zipFile := filepath.Join(dir, "zip", m.Path+"@"+m.Version+".zip")
		if err := os.MkdirAll(filepath.Dir(zipFile), 0o755); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := modzip.CreateFromDir(&buf, mv, src); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(zipFile, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		zh, err := dirhash.HashZip(zipFile, dirhash.Hash1)
		if err != nil {
			t.Fatal(err)
		}
		gomod := []byte(m.Files["go.mod"])
		mh, err := dirhash.Hash1([]string{"go.mod"}, func(string) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(gomod)), nil })
		if err != nil {
			t.Fatal(err)
		}
		p.zips[mv], p.mods[mv] = zipFile, gomod
		p.sums[mv] = fmt.Sprintf("%s %s %s\n%s %s/go.mod %s\n", m.Path, m.Version, zh, m.Path, m.Version, mh)
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	p.URL = srv.URL

	p.Name = strings.NewReplacer("/", "-", "_", "-").Replace(strings.ToLower(t.Name())) + ".loopback.test"
	skey, vkey, err := note.GenerateKey(rand.Reader, p.Name)
	if err != nil {
		t.Fatal(err)
	}
	p.VKey = vkey
	ops := sumdb.NewTestServer(skey, func(path, vers string) ([]byte, error) {
		if l, ok := p.sums[module.Version{Path: path, Version: vers}]; ok {
			return []byte(l), nil
		}
		// A 404, as from the real database (the server uses os.IsNotExist).
		return nil, &fs.PathError{Op: "lookup", Path: path + "@" + vers, Err: fs.ErrNotExist}
	})
	// Add every module to the log now, in a fixed order, so that a
	// lookup never grows the tree under a client.
	keys := make([]module.Version, 0, len(p.sums))
	for mv := range p.sums {
		keys = append(keys, mv)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
	for _, mv := range keys {
		if _, err := ops.Lookup(t.Context(), mv); err != nil {
			t.Fatal(err)
		}
	}
	db := httptest.NewServer(sumdb.NewServer(ops))
	t.Cleanup(db.Close)
	p.GOSUMDB = vkey + " " + db.URL
	return p
}

func (p *loopbackProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	escPath, rest, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/@v/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	path, err := module.UnescapePath(escPath)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	if rest == "list" {
		var vs []string
		for mv := range p.zips {
			if mv.Path == path {
				vs = append(vs, mv.Version)
			}
		}
		sort.Strings(vs)
		io.WriteString(w, strings.Join(vs, "\n"))
		return
	}
	ext := filepath.Ext(rest)
	vers, err := module.UnescapeVersion(strings.TrimSuffix(rest, ext))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	mv := module.Version{Path: path, Version: vers}
	zipFile, ok := p.zips[mv]
	if !ok {
		http.NotFound(w, r)
		return
	}
	switch ext {
	case ".info":
		fmt.Fprintf(w, `{"Version":%q,"Time":"2026-01-02T03:04:05Z"}`, vers)
	case ".mod":
		w.Write(p.mods[mv])
	case ".zip":
		http.ServeFile(w, r, zipFile)
	default:
		http.NotFound(w, r)
	}
}

// GoSum returns the genuine go.sum lines of mods.
func (p *loopbackProxy) GoSum(mods ...module.Version) string {
	var b strings.Builder
	for _, mv := range mods {
		b.WriteString(p.sums[mv])
	}
	return b.String()
}

// goEnv is the environment for a go command that reaches only the
// loopback proxy and database and keeps its module cache in modCache.
// GOPATH is a new directory too: the go command remembers each checksum
// database's latest tree head in GOPATH/pkg/sumdb, and a database of an
// earlier run, signing with another key, would be rejected.
func (p *loopbackProxy) goEnv(t testing.TB, modCache string) []string {
	return append(os.Environ(),
		"GOPROXY="+p.URL, "GOSUMDB="+p.GOSUMDB, "GOMODCACHE="+modCache, "GOPATH="+t.TempDir(),
		"GOFLAGS=-modcacherw", "GONOSUMDB=", "GONOPROXY=", "GOPRIVATE=", "GOINSECURE=",
		"GOTOOLCHAIN=local", "GOWORK=off", "GOENV=off", "GO111MODULE=on")
}

// goIn returns a go command running in dir with env.
func goIn(t testing.TB, dir string, env []string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := testenv.GoCommand(t, args...)
	cmd.Dir, cmd.Env = dir, env
	return cmd
}

func writeFile(t testing.TB, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// chmodCacheWritable makes a module cache writable again for tampering
// and for t.TempDir's cleanup, as "chmod -R u+w" would.
func chmodCacheWritable(t testing.TB, dir string) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if fi, err := d.Info(); err == nil {
			os.Chmod(p, fi.Mode().Perm()|0o200)
		}
		return nil
	})
}

// The modules every test here uses: a small graph with a replaced
// module, a module without a go directive (so without a "## go" line in
// vendor/modules.txt), one using generics and two versions of one path.
func testModules() []testModule {
	return []testModule{
		{Path: "example.com/a", Version: "v1.0.0", Files: map[string]string{
			"go.mod": "module example.com/a\n\ngo 1.21\n",
			"a.go":   "package a\n\nconst Version = \"v1.0.0\"\n",
		}},
		{Path: "example.com/a", Version: "v1.1.0", Files: map[string]string{
			"go.mod":     "module example.com/a\n\ngo 1.21\n",
			"a.go":       "package a\n\nconst Version = \"v1.1.0\"\n",
			"sub/sub.go": "package sub\n\nconst X = 1\n",
			"README":     "example module a\n",
		}},
		{Path: "example.com/b", Version: "v1.0.0", Files: map[string]string{
			"go.mod": "module example.com/b\n\ngo 1.22\n\nrequire example.com/c v1.0.0\n",
			"b.go":   "package b\n\nimport \"example.com/c\"\n\nfunc B() int { return c.C }\n",
		}},
		{Path: "example.com/c", Version: "v1.0.0", Files: map[string]string{
			"go.mod": "module example.com/c\n",
			"c.go":   "package c\n\nconst C = 3\n",
		}},
		{Path: "example.com/gen", Version: "v1.0.0", Files: map[string]string{
			"go.mod": "module example.com/gen\n\ngo 1.21\n",
			"gen.go": "package gen\n\nfunc Max[T int | float64](a, b T) T {\n\tif a > b {\n\t\treturn a\n\t}\n\treturn b\n}\n",
		}},
		{Path: "example.com/Upper", Version: "v1.0.0", Files: map[string]string{
			"go.mod":   "module example.com/Upper\n\ngo 1.21\n",
			"upper.go": "package upper\n\nconst U = \"U\"\n",
		}},
	}
}
