package modaudit

import (
	"crypto/rand"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nativego/nativego/toolchain"
	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/note"
)

// forged is a well-formed h1: hash that no module here has.
const forged = "h1:Zm9yZ2VkIGxpbmUgZm9yZ2VkIGxpbmUgZm9yZ2VkIGw="

func TestCheckSumsAgainstLoopbackDatabase(t *testing.T) {
	p := newLoopbackProxy(t, testModules()...)
	dir := t.TempDir()
	genuine := p.GoSum(
		module.Version{Path: "example.com/a", Version: "v1.1.0"},
		module.Version{Path: "example.com/Upper", Version: "v1.0.0"},
		module.Version{Path: "example.com/c", Version: "v1.0.0"},
	)
	gosum := genuine +
		"example.com/gen v1.0.0 " + forged + "\n" + // forged zip hash
		strings.Split(p.GoSum(module.Version{Path: "example.com/gen", Version: "v1.0.0"}), "\n")[1] + "\n" + // genuine go.mod hash
		"example.com/b v1.0.0/go.mod " + forged + "\n" + // forged go.mod hash
		"example.com/a v1.9.9 " + forged + "\n" + // a version the database never saw
		"corp.example/private v1.0.0 " + forged + "\n" // private: not looked up
	writeFile(t, filepath.Join(dir, "go.sum"), gosum)

	r, err := CheckSums(t.Context(), dir, SumsOptions{GOSUMDB: p.GOSUMDB, GOPROXY: "off", GONOSUMDB: "corp.example"})
	if err != nil {
		t.Fatal(err)
	}
	type verdict struct{ Line, Status string }
	var got []verdict
	for _, c := range r.Lines {
		got = append(got, verdict{c.Path + " " + c.Version, c.Status})
	}
	want := []verdict{
		{"example.com/a v1.1.0", SumOK}, {"example.com/a v1.1.0/go.mod", SumOK},
		{"example.com/Upper v1.0.0", SumOK}, {"example.com/Upper v1.0.0/go.mod", SumOK},
		{"example.com/c v1.0.0", SumOK}, {"example.com/c v1.0.0/go.mod", SumOK},
		{"example.com/gen v1.0.0", SumMismatch}, {"example.com/gen v1.0.0/go.mod", SumOK},
		{"example.com/b v1.0.0/go.mod", SumMismatch},
		{"example.com/a v1.9.9", SumUnknown},
		{"corp.example/private v1.0.0", SumSkipped},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("verdicts (-want +got):\n%s", diff)
	}
	if r.OK != 7 || r.Mismatched != 2 || r.Unknown != 1 || r.Skipped != 1 || r.Errors != 0 || r.Database != p.Name {
		t.Errorf("counts ok=%d mismatched=%d unknown=%d skipped=%d errors=%d database=%q", r.OK, r.Mismatched, r.Unknown, r.Skipped, r.Errors, r.Database)
	}
	for _, c := range r.Lines {
		if c.Status == SumMismatch && (c.DBHash == "" || c.DBHash == forged) {
			t.Errorf("%s %s: mismatch without the database's hash: %+v", c.Path, c.Version, c)
		}
	}
}

// TestCheckSumsImpostorDatabase: a database signing with a key other
// than the configured one is a security error, not a verdict on go.sum.
func TestCheckSumsImpostorDatabase(t *testing.T) {
	p := newLoopbackProxy(t, testModules()...)
	_, otherKey, err := note.GenerateKey(rand.Reader, p.Name)
	if err != nil {
		t.Fatal(err)
	}
	url := strings.Fields(p.GOSUMDB)[1]
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "go.sum"), p.GoSum(module.Version{Path: "example.com/a", Version: "v1.1.0"}))
	r, err := CheckSums(t.Context(), dir, SumsOptions{GOSUMDB: otherKey + " " + url, GOPROXY: "off"})
	if !errors.Is(err, toolchain.ErrSecurity) {
		t.Fatalf("CheckSums = %v; want a security error", err)
	}
	if r == nil || r.OK != 0 {
		t.Errorf("report %+v; want no line passed", r)
	}
}

func TestCheckSumsOff(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "go.sum"), "example.com/a v1.1.0 "+forged+"\n")
	if _, err := CheckSums(t.Context(), dir, SumsOptions{GOSUMDB: "off"}); !errors.Is(err, ErrSumDBOff) {
		t.Fatalf("CheckSums with GOSUMDB=off = %v; want ErrSumDBOff", err)
	}
}
