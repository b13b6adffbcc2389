package toolchain

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/nativego/nativego/internal/testenv"
	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb"
	"golang.org/x/mod/sumdb/note"
)

// A loopbackDB is a checksum database on 127.0.0.1 built from
// golang.org/x/mod/sumdb's server and in-memory tlog store, holding the
// real go.sum lines of official toolchains.
type loopbackDB struct {
	ops *sumdb.TestServer
	srv *sumdb.Server
}

// newLoopbackDB returns a database signing with skey whose records are
// the go.sum lines of mods, added in that order.
func newLoopbackDB(t *testing.T, skey string, mods ...modDownload) *loopbackDB {
	t.Helper()
	lines := map[string]string{}
	for _, d := range mods {
		lines[d.Path+"@"+d.Version] = fmt.Sprintf("%s %s %s\n%s %s/go.mod %s\n", d.Path, d.Version, d.Sum, d.Path, d.Version, d.GoModSum)
	}
	ops := sumdb.NewTestServer(skey, func(path, vers string) ([]byte, error) {
		if l, ok := lines[path+"@"+vers]; ok {
			return []byte(l), nil
		}
		return nil, fmt.Errorf("%s@%s: not found", path, vers)
	})
	for _, d := range mods {
		if _, err := ops.Lookup(t.Context(), module.Version{Path: d.Path, Version: d.Version}); err != nil {
			t.Fatal(err)
		}
	}
	return &loopbackDB{ops: ops, srv: sumdb.NewServer(ops)}
}

func generateKey(t *testing.T, name string) (skey, vkey string) {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	return skey, vkey
}

// dbName returns a database name unique to the test: Verify remembers
// each database's latest tree for the life of the process.
func dbName(t *testing.T) string {
	return strings.NewReplacer("/", "-", "_", "-").Replace(strings.ToLower(t.Name())) + ".loopback.test"
}

func TestLoopbackSumDB(t *testing.T) {
	arm := download(t, testenv.OfficialVersion, "darwin", "arm64")
	amd := download(t, testenv.OfficialVersion, "darwin", "amd64")

	t.Run("through-proxy", func(t *testing.T) {
		name := dbName(t)
		skey, vkey := generateKey(t, name)
		proxy := newLoopbackProxy(t)
		proxy.sumdb, proxy.sumdbFor = newLoopbackDB(t, skey, arm).srv, name
		v, err := Verify(t.Context(), arm.Dir, VerifyOptions{GOSUMDB: vkey, GOPROXY: proxy.URL})
		if err != nil || v.Status != StatusOK || v.Expected != arm.Sum {
			t.Fatalf("Verify = %+v, %v; want ok against %s", v, err, arm.Sum)
		}
		reqs := proxy.Requests()
		if len(reqs) == 0 || reqs[0] != "/sumdb/"+name+"/supported" {
			t.Errorf("proxy requests %q; want /sumdb/%s/supported first", reqs, name)
		}
	})

	t.Run("key-and-url", func(t *testing.T) {
		name := dbName(t)
		skey, vkey := generateKey(t, name)
		srv := httptest.NewServer(newLoopbackDB(t, skey, amd, arm).srv)
		t.Cleanup(srv.Close)
		v, err := Verify(t.Context(), arm.Dir, VerifyOptions{GOSUMDB: vkey + " " + srv.URL, GOPROXY: "off"})
		if err != nil || v.Status != StatusOK || v.Expected != arm.Sum {
			t.Fatalf("Verify = %+v, %v; want ok against %s", v, err, arm.Sum)
		}
	})

	t.Run("forged-signature", func(t *testing.T) {
		name := dbName(t)
		_, vkey := generateKey(t, name)
		forger, _ := generateKey(t, name) // same name, different key
		srv := httptest.NewServer(newLoopbackDB(t, forger, arm).srv)
		t.Cleanup(srv.Close)
		v, err := Verify(t.Context(), arm.Dir, VerifyOptions{GOSUMDB: vkey + " " + srv.URL})
		if !errors.Is(err, ErrSecurity) || v.Status != StatusError || v.Expected != "" {
			t.Fatalf("Verify = %+v, %v; want a security error", v, err)
		}
	})

	t.Run("forked-log", func(t *testing.T) {
		name := dbName(t)
		skey, vkey := generateKey(t, name)
		// The client first sees a log holding only arm64's record, then,
		// looking up amd64's, a log that claims to extend the first but
		// starts with amd64's record. (A repeated arm64 lookup would be
		// answered from the cache, as in the go command.)
		first := httptest.NewServer(newLoopbackDB(t, skey, arm).srv)
		t.Cleanup(first.Close)
		v, err := Verify(t.Context(), arm.Dir, VerifyOptions{GOSUMDB: vkey + " " + first.URL})
		if err != nil || v.Status != StatusOK {
			t.Fatalf("Verify against the first log = %+v, %v; want ok", v, err)
		}
		forked := httptest.NewServer(newLoopbackDB(t, skey, amd, arm).srv)
		t.Cleanup(forked.Close)
		v, err = Verify(t.Context(), amd.Dir, VerifyOptions{GOSUMDB: vkey + " " + forked.URL})
		if !errors.Is(err, ErrSecurity) || v.Status != StatusError || !strings.Contains(v.Err, "misbehavior") {
			t.Fatalf("Verify against the forked log = %+v, %v; want a security error naming the misbehavior", v, err)
		}
	})

	t.Run("unknown-module", func(t *testing.T) {
		name := dbName(t)
		skey, vkey := generateKey(t, name)
		srv := httptest.NewServer(newLoopbackDB(t, skey, amd).srv)
		t.Cleanup(srv.Close)
		// The tree claims a version the database was never told about.
		v, err := Verify(t.Context(), arm.Dir, VerifyOptions{GOSUMDB: vkey + " " + srv.URL, Version: "go1.27.99"})
		if err == nil || errors.Is(err, ErrSecurity) || v.Status != StatusError {
			t.Fatalf("Verify = %+v, %v; want a plain lookup error", v, err)
		}
	})
}

// TestParseGOSUMDB pairs the go command's default database name with
// the pinned key and rejects other pairings.
func TestParseGOSUMDB(t *testing.T) {
	cmd := testenv.GoCommand(t, "env", "GOSUMDB")
	cmd.Env = append(os.Environ(), "GOENV=off", "GOSUMDB=")
	defaultName := strings.TrimSpace(string(testenv.Run(t, cmd)))
	_, vkey := generateKey(t, "db.loopback.test")
	tests := []struct {
		name, gosumdb string
		wantName      string
		wantURL       string
		wantErr       bool
	}{
		{name: "default-name", gosumdb: defaultName, wantName: defaultName},
		{name: "default-name-with-url", gosumdb: defaultName + " https://mirror.loopback.test/db", wantName: defaultName, wantURL: "https://mirror.loopback.test/db"},
		{name: "full-key", gosumdb: vkey, wantName: "db.loopback.test"},
		{name: "other-name-without-key", gosumdb: "db.loopback.test", wantErr: true},
		{name: "default-key-under-another-name", gosumdb: "x" + defaultName + "+" + defaultKeyTail, wantErr: true},
		{name: "empty", gosumdb: " ", wantErr: true},
		{name: "too-many-fields", gosumdb: vkey + " https://a https://b", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := parseGOSUMDB(tc.gosumdb)
			if (err != nil) != tc.wantErr {
				t.Fatalf("parseGOSUMDB(%q) = %+v, %v; want error %v", tc.gosumdb, cfg, err, tc.wantErr)
			}
			if err == nil && (cfg.Name != tc.wantName || cfg.URL != tc.wantURL) {
				t.Errorf("parseGOSUMDB(%q) = %+v; want name %q url %q", tc.gosumdb, cfg, tc.wantName, tc.wantURL)
			}
		})
	}
}
