package toolchain

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nativego/nativego/internal/testenv"
	"golang.org/x/mod/sumdb/note"
)

// goEnvSeed returns the go command's value for key, for seeding.
func goEnvSeed(f *testing.F, key string) string {
	cmd := testenv.GoCommand(f, "env", key)
	cmd.Env = append(os.Environ(), "GOENV=off", key+"=")
	return strings.TrimSpace(string(testenv.Run(f, cmd)))
}

func FuzzParseGOSUMDB(f *testing.F) {
	name := goEnvSeed(f, "GOSUMDB")
	_, vkey, err := note.GenerateKey(rand.Reader, "db.loopback.test")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{name, name + " https://127.0.0.1:1/db", vkey, vkey + " http://127.0.0.1:1", "off", name + "+" + defaultKeyTail} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, gosumdb string) {
		cfg, err := parseGOSUMDB(gosumdb)
		if err != nil {
			return
		}
		v, err := note.NewVerifier(cfg.Key)
		if err != nil {
			t.Fatalf("parseGOSUMDB(%q) accepted key %q that note.NewVerifier rejects: %v", gosumdb, cfg.Key, err)
		}
		if v.Name() != cfg.Name || strings.ContainsAny(cfg.Name, " \t\n+") {
			t.Fatalf("parseGOSUMDB(%q) = name %q, key names %q", gosumdb, cfg.Name, v.Name())
		}
	})
}

func FuzzParseGOPROXY(f *testing.F) {
	f.Add(goEnvSeed(f, "GOPROXY"))
	for _, s := range []string{"off", "direct", "http://127.0.0.1:1|file:///tmp/p,direct", " , "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, goproxy string) {
		list, err := parseGOPROXY(goproxy)
		if err != nil {
			return
		}
		for i, p := range list {
			if p.URL == "" || p.URL != strings.TrimSpace(p.URL) || strings.ContainsAny(p.URL, ",|") {
				t.Fatalf("parseGOPROXY(%q)[%d] = %q", goproxy, i, p.URL)
			}
			if (p.URL == "direct" || p.URL == "off") && i != len(list)-1 {
				t.Fatalf("parseGOPROXY(%q): %s is not last in %v", goproxy, p.URL, list)
			}
		}
	})
}

func FuzzReadManifest(f *testing.F) {
	// A real entry: the darwin/arm64 release file as the download page
	// would list it, with its real size and digest.
	d := download(f, testenv.OfficialVersion, "darwin", "arm64")
	fi, err := os.Stat(d.Zip)
	if err != nil {
		f.Fatal(err)
	}
	seed, err := json.Marshal([]Release{{Version: testenv.OfficialVersion, Stable: true, Files: []ReleaseFile{{
		Filename: testenv.OfficialVersion + ".darwin-arm64.zip", OS: "darwin", Arch: "arm64",
		Version: testenv.OfficialVersion, SHA256: strings.Repeat("ab", 32), Size: fi.Size(), Kind: "archive",
	}}}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		rels, err := ReadManifest(bytes.NewReader(data))
		if err != nil {
			return
		}
		again, err := json.Marshal(rels)
		if err != nil {
			t.Fatal(err)
		}
		rels2, err := ReadManifest(bytes.NewReader(again))
		if err != nil {
			t.Fatalf("re-reading %s: %v", again, err)
		}
		if diff := cmp.Diff(rels, rels2); diff != "" {
			t.Fatalf("round trip mismatch (-first +second):\n%s", diff)
		}
	})
}
