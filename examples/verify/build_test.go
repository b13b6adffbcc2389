package main

import (
	"testing"

	"github.com/nativego/nativego/archcheck"
	"github.com/nativego/nativego/internal/report"
	"github.com/nativego/nativego/internal/testenv"
)

// TestSigned checks the signature check against a real darwin/arm64
// build, which the Go linker signs ad hoc even when cross-linking, and
// the same program with its signature taken away.
func TestSigned(t *testing.T) {
	prog := testenv.Build(t, testenv.BuildSpec{GOOS: "darwin", GOARCH: "arm64"})
	h := archcheck.Target("darwin", "arm64")
	f, err := archcheck.Open(prog)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := buildProgram{GOOS: "darwin", GOARCH: "arm64", Line: report.NewLine(prog, f, nil, h)}
	v := &verifier{host: h}

	s := &section{}
	v.checkSigned(s, p)
	if len(s.Checks) != 1 || s.Checks[0].Verdict != verdictOK {
		t.Errorf("signed build: %+v, want ok", s.Checks)
	}

	unsigned := *p.Slices[0].MachO
	unsigned.Signature = nil
	slice := *p.Slices[0]
	slice.MachO = &unsigned
	p.Slices = []*archcheck.Slice{&slice}
	s = &section{}
	v.checkSigned(s, p)
	if len(s.Checks) != 1 || s.Checks[0].Verdict != verdictFail || !s.Checks[0].Required {
		t.Errorf("unsigned build: %+v, want a required failure", s.Checks)
	}
}
