package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nativego/nativego/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// buildGCProg builds metricsx's allocating test program.
func buildGCProg(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs a program; skipped in -short mode")
	}
	out := filepath.Join(t.TempDir(), "gcprog")
	src, err := filepath.Abs("../../metricsx/testdata/gcprog/main.go")
	if err != nil {
		t.Fatal(err)
	}
	cmd := testenv.GoCommand(t, "build", "-o", out, src)
	cmd.Dir = filepath.Dir(src)
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local", "GOOS=", "GOARCH=", "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build gcprog: %v\n%s", err, b)
	}
	return out
}

// TestGCTrace runs a real allocating program, built once.
func TestGCTrace(t *testing.T) {
	prog := buildGCProg(t)
	t.Run("json", func(t *testing.T) { testGCTraceJSON(t, prog) })
	t.Run("text", func(t *testing.T) { testGCTraceText(t, prog) })
}

func testGCTraceJSON(t *testing.T, prog string) {
	var stdout, stderr bytes.Buffer
	code := runGCTrace(&stdout, &stderr, []string{"-json", "--", prog, "-cycles", "12", "-forced", "4"})
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr.Bytes())
	}
	var got gcTraceJSON
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, stdout.Bytes())
	}
	// The program's own standard output, its runtime/metrics counts,
	// went to standard error.
	if !strings.Contains(stderr.String(), "/gc/cycles/total:gc-cycles 12\n") {
		t.Errorf("the program's output is not on stderr:\n%s", stderr.Bytes())
	}
	// The program can exit while the runtime is still printing its last
	// cycle's line: that line is then cut, and counted as torn.
	if got.Cycles < 11 || got.Cycles > 12 || got.Forced < 2 || got.ExitCode != 0 || got.PauseMax <= 0 || got.Trace.Torn > int64(12-got.Cycles) {
		t.Errorf("implausible summary %+v", got)
	}
}

// testGCTraceText checks the text summary's shape, and that a failing
// program gives exit status 1 with its summary still printed.
func testGCTraceText(t *testing.T, prog string) {
	var stdout, stderr bytes.Buffer
	code := run(&stdout, &stderr, []string{"-gctrace", prog, "-cycles", "5", "-forced", "0"})
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr.Bytes())
	}
	var keys []string
	for line := range strings.Lines(stdout.String()) {
		keys = append(keys, strings.Fields(line)[0])
	}
	if want := "program cycles pauses GC allocation peak trace"; strings.Join(keys, " ") != want {
		t.Errorf("summary lines %q, want %q:\n%s", keys, want, stdout.Bytes())
	}
	stdout.Reset()
	if code := run(&stdout, &stderr, []string{"-gctrace", prog, "-nosuchflag"}); code != 1 {
		t.Errorf("failing program: exit %d, want 1", code)
	}
	if !strings.Contains(stdout.String(), "exit status 2") {
		t.Errorf("failing program's summary:\n%s", stdout.Bytes())
	}
}

// TestGCTraceUsage compares usage errors with testdata/gctrace-usage.golden.
func TestGCTraceUsage(t *testing.T) {
	var out bytes.Buffer
	for _, args := range [][]string{{"-gctrace"}, {"-gctrace", "-nosuch"}} {
		var stdout, stderr bytes.Buffer
		code := run(&stdout, &stderr, args)
		out.WriteString(strings.Join(args, " ") + ": exit " + strconv.Itoa(code) + "\n" + stderr.String())
	}
	golden := filepath.Join("testdata", "gctrace-usage.golden")
	if *update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != string(want) {
		t.Errorf("got\n%s\nwant\n%s", out.Bytes(), want)
	}
}

func TestGCTraceNotStarted(t *testing.T) {
	var stdout, stderr bytes.Buffer
	missing := filepath.Join(t.TempDir(), "missing")
	if code := run(&stdout, &stderr, []string{"-gctrace", missing}); code != 1 || stdout.Len() != 0 {
		t.Errorf("exit %d, stdout %q; want 1 and nothing", code, stdout.Bytes())
	}
	if _, err := exec.LookPath("true"); err == nil {
		stdout.Reset()
		start := time.Now()
		if code := run(&stdout, &stderr, []string{"-gctrace", "true"}); code != 0 || !strings.Contains(stdout.String(), "no gctrace lines") {
			t.Errorf("true: exit %d (%v), stdout:\n%s", code, time.Since(start), stdout.Bytes())
		}
	}
}
