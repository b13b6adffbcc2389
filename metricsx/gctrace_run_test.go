package metricsx_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nativego/nativego/internal/testenv"
	"github.com/nativego/nativego/metricsx"
)

// buildGCProg builds testdata/gcprog with the go command goCmd, with
// GOEXPERIMENT set to experiment.
func buildGCProg(t *testing.T, goCmd, experiment string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs programs; skipped in -short mode")
	}
	out := filepath.Join(t.TempDir(), "gcprog")
	src, err := filepath.Abs("testdata/gcprog/main.go")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), goCmd, "build", "-o", out, src)
	cmd.WaitDelay = 10 * time.Second
	cmd.Dir = filepath.Dir(src)
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local", "GOEXPERIMENT="+experiment, "GOOS=", "GOARCH=", "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s build gcprog: %v\n%s", goCmd, err, b)
	}
	return out
}

// runGCProg runs gcprog through RunGCTrace and checks the cycles read
// against the counts it printed.
func runGCProg(t *testing.T, prog, name string, env []string, args ...string) (*metricsx.GCTraceResult, capture, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	res, err := metricsx.RunGCTrace(t.Context(), metricsx.GCTraceCommand{
		Path: prog, Args: args, Env: env, Stdout: &stdout, Stderr: &stderr,
	})
	if err != nil {
		t.Fatalf("RunGCTrace: %v\nstderr:\n%s", err, stderr.Bytes())
	}
	c := parseReport(t, stdout.Bytes())
	c.name = name
	// A line torn more than once cannot be mended; a noisy program
	// tears some lines that way.
	checkCycles(t, res.Cycles, c, int(res.Stats.Torn))
	if res.Summary.Cycles != len(res.Cycles) {
		t.Errorf("Summary.Cycles = %d, want %d", res.Summary.Cycles, len(res.Cycles))
	}
	t.Logf("%d cycles, stats %+v\nsummary %+v", len(res.Cycles), res.Stats, res.Summary)
	return res, c, stderr.String()
}

// TestRunGCTrace runs a real program built with this machine's Go.
func TestRunGCTrace(t *testing.T) {
	prog := buildGCProg(t, testenv.GoTool(t), "")
	t.Run("noise", func(t *testing.T) { testRunNoise(t, prog) })
	t.Run("exit status", func(t *testing.T) { testRunExitStatus(t, prog) })
	t.Run("cancel", func(t *testing.T) { testRunCancel(t, prog) })
	t.Run("orphan", func(t *testing.T) { testRunOrphan(t, prog) })
	t.Run("one writer", func(t *testing.T) { testRunOneWriter(t, prog) })
}

// testRunOneWriter gives the program's standard output and standard
// error one writer, as metricsdump -gctrace does: os/exec copies the
// output in one goroutine while the trace reader passes the program's
// own stderr lines on from another, and -race caught them writing to a
// bytes.Buffer at once. Both must arrive, and in order of each stream.
func testRunOneWriter(t *testing.T, prog string) {
	var both bytes.Buffer
	res, err := metricsx.RunGCTrace(t.Context(), metricsx.GCTraceCommand{
		Path: prog, Args: []string{"-cycles", "10", "-noise"}, Stdout: &both, Stderr: &both,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Cycles) == 0 {
		t.Fatal("no GC cycles read")
	}
	if both.Len() == 0 {
		t.Error("nothing of the program's own output arrived")
	}
}

// testRunOrphan runs a program that exits, leaving a sleeping child that
// holds its standard error: the run ends with the program, and the child
// with it.
func testRunOrphan(t *testing.T, prog string) {
	if runtime.GOOS == "windows" {
		t.Skip("process groups are a Unix feature")
	}
	var stdout bytes.Buffer
	res, err := metricsx.RunGCTrace(t.Context(), metricsx.GCTraceCommand{Path: prog, Args: []string{"-spawn", "-exit"}, Stdout: &stdout})
	if err != nil {
		t.Fatal(err)
	}
	// Without the kill the run would have waited for the child's end of
	// the pipe for shutdownDelay, 5 s.
	t.Logf("run took %v", res.Wall)
	watchProcess(t, strings.TrimSpace(stdout.String()))()
}

// testRunNoise checks that the program keeps the GODEBUG it was given,
// and that its trace is read through its own noise.
func testRunNoise(t *testing.T, prog string) {
	env := append(os.Environ(), "GODEBUG=madvdontneed=1,gctrace=0")
	res, c, stderr := runGCProg(t, prog, "noise", env, "-cycles", "25", "-forced", "5", "-noise")
	if want := "madvdontneed=1,gctrace=0,gctrace=1"; c.godebug != want {
		t.Errorf("the program saw GODEBUG=%q, want %q", c.godebug, want)
	}
	if res.Stats.Torn == 0 {
		checkAppOutput(t, stderr)
	}
}

// TestRunGCTraceOfficial does the same with the official release
// testenv.OfficialVersion, downloaded through the Go module proxy, and a
// cycle that checks for goroutine leaks (on by default since Go 1.27).
func TestRunGCTraceOfficial(t *testing.T) {
	if testing.Short() {
		t.Skip("downloads a Go release; skipped in -short mode")
	}
	goroot := testenv.Toolchain(t, testenv.OfficialVersion, runtime.GOOS, runtime.GOARCH)
	prog := buildGCProg(t, filepath.Join(goroot, "bin", "go"), "")
	res, _, _ := runGCProg(t, prog, "leak", nil, "-cycles", "6", "-forced", "0", "-leak")
	if len(res.Cycles) == 0 || !res.Cycles[0].LeakCheck || !res.Cycles[0].Forced {
		t.Errorf("first cycle %+v, want a forced leak check", res.Cycles)
	}
}

func testRunExitStatus(t *testing.T, prog string) {
	res, err := metricsx.RunGCTrace(t.Context(), metricsx.GCTraceCommand{Path: prog, Args: []string{"-nosuchflag"}})
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("err = %v, want *exec.ExitError", err)
	}
	if res.ExitCode != 2 || len(res.Cycles) != 0 {
		t.Errorf("exit code %d, %d cycles; want 2 and none", res.ExitCode, len(res.Cycles))
	}
	_, err = metricsx.RunGCTrace(t.Context(), metricsx.GCTraceCommand{Path: filepath.Join(t.TempDir(), "missing")})
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing program: err = %v, want ErrNotExist", err)
	}
}

// lineWriter sends the first line written to it.
type lineWriter struct {
	buf  bytes.Buffer
	line chan string
}

func (w *lineWriter) Write(b []byte) (int, error) {
	w.buf.Write(b)
	if i := bytes.IndexByte(w.buf.Bytes(), '\n'); i >= 0 && w.line != nil {
		w.line <- string(w.buf.Bytes()[:i])
		w.line = nil
	}
	return len(b), nil
}

// testRunCancel cancels a program that started a child of its own and
// checks that neither outlives the run.
func testRunCancel(t *testing.T, prog string) {
	if runtime.GOOS == "windows" {
		t.Skip("process groups are a Unix feature")
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	firstLine := make(chan string, 1)
	w := &lineWriter{line: firstLine} // its own goroutine writes to it
	type result struct {
		res *metricsx.GCTraceResult
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := metricsx.RunGCTrace(ctx, metricsx.GCTraceCommand{Path: prog, Args: []string{"-spawn"}, Stdout: w})
		done <- result{res, err}
	}()
	var pid string
	select {
	case pid = <-firstLine:
	case r := <-done:
		t.Fatalf("RunGCTrace returned before the child started: %v", r.err)
	}
	watch := watchProcess(t, strings.TrimSpace(pid))
	cancel()
	r := <-done
	if !errors.Is(r.err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", r.err)
	}
	var re *metricsx.RunError
	if !errors.As(r.err, &re) || re.Path != prog {
		t.Errorf("err = %#v, want a *RunError for %s", r.err, prog)
	}
	watch()
}

func TestWithGCTrace(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		want []string
	}{
		{name: "no GODEBUG", env: []string{"A=1"}, want: []string{"A=1", "GODEBUG=gctrace=1"}},
		{name: "empty GODEBUG", env: []string{"GODEBUG=", "A=1"}, want: []string{"A=1", "GODEBUG=gctrace=1"}},
		{name: "kept", env: []string{"GODEBUG=http2client=0", "A=1"}, want: []string{"A=1", "GODEBUG=http2client=0,gctrace=1"}},
		{name: "trailing comma", env: []string{"GODEBUG=x=1,"}, want: []string{"GODEBUG=x=1,gctrace=1"}},
		{name: "last of two wins", env: []string{"GODEBUG=a=1", "GODEBUG=b=2"}, want: []string{"GODEBUG=b=2,gctrace=1"}},
		{name: "nil", env: nil, want: []string{"GODEBUG=gctrace=1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, metricsx.WithGCTrace(tt.env)); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}
