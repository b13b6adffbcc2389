package main

import (
	"bytes"
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"github.com/nativego/nativego/archcheck"
)

func TestRunCommands(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no process groups to time commands in")
	}
	var stdout, stderr bytes.Buffer
	code := run(&stdout, &stderr, []string{"-cmd", "/bin/true", "-cmd", "sleep '0.01'", "-runs", "3", "-format", "json"})
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "needs at least 6") {
		t.Errorf("no sample-size advice up front for -runs 3:\n%s", stderr.String())
	}
	var v any
	if err := json.Unmarshal(stdout.Bytes(), &v); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, stdout.Bytes())
	}
	want := []string{"bin_true", "sleep_0.01", "user-sec/op"}
	if h, err := archcheck.DetectHost(t.Context()); err == nil && !h.Emulated {
		// Under qemu-user the peak RSS is unknown: ptrace is not
		// emulated, and wait4's figure is qemu's own.
		want = append(want, "peak-RSS-bytes")
	}
	for _, want := range want {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, stdout.String())
		}
	}
}

func TestRunBench(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a test binary in -short mode")
	}
	var stdout, stderr bytes.Buffer
	code := run(&stdout, &stderr, []string{"-run", "-pkg", "../../benchkit/testdata/benchpkg", "-config", "native=", "-config", "v1=GOAMD64=v1", "-count", "2", "-benchtime", "10x", "-format", "md"})
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	for _, want := range []string{"Sum", "native", "v1"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, stdout.String())
		}
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{{"-run"}, {"-cmd"}, {"-run", "-config", "bad"}} {
		var stdout, stderr bytes.Buffer
		f := runBench
		if args[0] == "-cmd" {
			f = runCommands
		}
		if code := f(&stdout, &stderr, args); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
}

func TestSplitQuoted(t *testing.T) {
	got, err := splitQuoted(`go build -ldflags="-s -w" './x y' z`)
	want := []string{"go", "build", "-ldflags=-s -w", "./x y", "z"}
	if err != nil || strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %q, %v; want %q", got, err, want)
	}
	if _, err := splitQuoted(`"open`); err == nil {
		t.Error("unterminated quote accepted")
	}
}
