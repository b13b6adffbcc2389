//go:build unix

package benchkit

import (
	"bytes"
	"strings"
	"testing"
)

// TestProcOutput runs a command that writes more to standard output than
// a pipe holds, then to standard error, and fails: the output arrives
// whole, the error's tail is kept, the start-up is the first byte's, and
// the exit status is the command's.
func TestProcOutput(t *testing.T) {
	const size = 1 << 20 // a pipe holds 64 KiB
	var out bytes.Buffer
	spec := &procSpec{
		args:   []string{"/bin/sh", "-c", "head -c 1048576 /dev/zero; echo oops >&2; exit 3"},
		env:    []string{"PATH=/usr/bin:/bin"},
		stdout: &out,
	}
	p, err := runProc(t.Context(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if out.Len() != size || bytes.IndexByte(out.Bytes(), 0) != 0 {
		t.Errorf("read %d bytes of standard output, want %d", out.Len(), size)
	}
	if !strings.Contains(string(p.stderr), "oops") {
		t.Errorf("standard error's tail %q, want oops", p.stderr)
	}
	if p.exitCode != 3 {
		t.Errorf("exit code %d, want 3", p.exitCode)
	}
	if p.startupEvent != "first-byte" || p.startup <= 0 || p.startup > p.wall {
		t.Errorf("start-up %v (%s) of a %v run, want the first byte's", p.startup, p.startupEvent, p.wall)
	}
}
