package metricsx

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// GCTraceCommand describes a program for RunGCTrace to run. The program
// needs no change: the Go runtime prints its GC trace when GODEBUG
// asks for it. Fields mirror os/exec.Cmd.
//
// GODEBUG is inherited by every Go program the command starts, so a
// program run through `go run` also reports the go command's and the
// compiler's cycles; run a built binary instead.
type GCTraceCommand struct {
	Path string   // the program, as for exec.Command
	Args []string // its arguments, without the program name
	Dir  string   // working directory; "" means the current one

	// Env is the program's environment; nil means os.Environ().
	// RunGCTrace appends gctrace=1 to its GODEBUG, keeping the settings
	// already there.
	Env []string

	Stdin  io.Reader
	Stdout io.Writer

	// Stderr receives the program's own standard error, without the
	// gctrace lines (see GCTraceReader). Nil drops it.
	//
	// As with os/exec, if Stdout and Stderr are the same writer, and of
	// a type that can be compared with ==, at most one goroutine at a
	// time calls its Write.
	Stderr io.Writer
}

// GCTraceResult is what RunGCTrace saw of a program's garbage collector.
type GCTraceResult struct {
	Cycles  []GCCycle
	Stats   GCTraceStats
	Summary GCTraceSummary

	Wall     time.Duration    // from start to exit
	ExitCode int              // as os.ProcessState.ExitCode: -1 when killed by a signal
	State    *os.ProcessState // nil if the program could not be started
}

// shutdownDelay bounds how long RunGCTrace waits, after the program has
// exited or been killed, for its standard error to close.
const shutdownDelay = 5 * time.Second

// RunGCTrace runs the program c describes with GODEBUG=gctrace=1 added
// and returns the GC cycles it printed, with their summary.
//
// The program runs in its own process group on Unix systems; when ctx is
// done, or once the program itself has exited, every process left in the
// group is killed, so nothing it started outlives the run. (A descendant
// that moved to another process group or session escapes this, as with
// any process-group based supervisor. And the group is killed just after
// the program has been waited for: were the program's pid reused within
// that moment by a new process group leader, that group would be killed.)
// On other systems only the program itself is killed.
//
// The error is nil only when the program ran and exited with status 0.
// Otherwise the result still holds what was read: a program that exits
// with another status gives an *exec.ExitError, and a cancelled run an
// error wrapping ctx.Err().
func RunGCTrace(ctx context.Context, c GCTraceCommand) (*GCTraceResult, error) {
	cmd := exec.CommandContext(ctx, c.Path, c.Args...)
	cmd.Dir = c.Dir
	if cmd.Err == nil {
		// A program that is not there is reported here, not by a forked
		// child whose exec failed: under qemu-user 7.2 such a child now
		// and then hangs instead of exiting, and its parent with it.
		p := cmd.Path
		if !filepath.IsAbs(p) && c.Dir != "" {
			p = filepath.Join(c.Dir, p)
		}
		if _, err := os.Stat(p); err != nil {
			return &GCTraceResult{}, err
		}
	}
	cmd.Stdin = c.Stdin
	stdout, stderr := c.Stdout, c.Stderr
	if _, isFile := stdout.(*os.File); !isFile && stdout != nil && sameWriter(stdout, stderr) {
		// os/exec copies Stdout in a goroutine of its own while the
		// reader below writes Stderr's lines: one lock for both, as
		// os/exec itself gives when it does all the copying.
		lw := &lockedWriter{w: stdout}
		stdout, stderr = lw, lw
	}
	cmd.Stdout = stdout
	env := c.Env
	if env == nil {
		env = os.Environ()
	}
	cmd.Env = WithGCTrace(env)
	setProcessGroup(cmd)
	cmd.WaitDelay = shutdownDelay

	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = pw
	res := &GCTraceResult{}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		return res, err
	}
	pw.Close() // the program and its children hold the only write ends now

	type scanned struct {
		cycles []GCCycle
		stats  GCTraceStats
		err    error
	}
	done := make(chan scanned, 1)
	go func() {
		var s scanned
		r := NewGCTraceReader(pr, stderr)
		for r.Scan() {
			s.cycles = append(s.cycles, r.Cycle())
		}
		s.stats, s.err = r.Stats(), r.Err()
		if s.err != nil {
			// Keep draining, or the program blocks writing to a
			// full pipe.
			io.Copy(io.Discard, pr)
		}
		done <- s
	}()

	waitErr := cmd.Wait()
	res.Wall = time.Since(start)
	res.State = cmd.ProcessState
	res.ExitCode = cmd.ProcessState.ExitCode()
	killProcessGroup(cmd) // what the program left behind

	var s scanned
	select {
	case s = <-done:
	case <-time.After(shutdownDelay):
		// A descendant outside the process group still holds the
		// pipe. Closing our end makes the reader stop.
		pr.Close()
		s = <-done
	}
	pr.Close()
	res.Cycles, res.Stats = s.cycles, s.stats
	res.Summary = SummarizeGCTrace(s.cycles)
	if ctx.Err() != nil {
		return res, &RunError{Path: c.Path, Err: ctx.Err()}
	}
	if waitErr != nil {
		return res, waitErr
	}
	if s.err != nil {
		return res, s.err
	}
	return res, nil
}

// RunError reports a run of a program that did not finish by itself.
type RunError struct {
	Path string
	Err  error
}

func (e *RunError) Error() string { return "metricsx: run " + e.Path + ": " + e.Err.Error() }
func (e *RunError) Unwrap() error { return e.Err }

// WithGCTrace returns a copy of env, an environment as os.Environ returns
// it, whose GODEBUG ends with gctrace=1. Settings already in GODEBUG are
// kept; the runtime lets the last setting of a name win, so an earlier
// gctrace setting is overridden. When env sets GODEBUG more than once,
// the last one counts (as in os/exec) and the others are removed.
func WithGCTrace(env []string) []string {
	out := make([]string, 0, len(env)+1)
	godebug := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "GODEBUG="); ok {
			godebug = v
			continue
		}
		out = append(out, kv)
	}
	if godebug != "" && !strings.HasSuffix(godebug, ",") {
		godebug += ","
	}
	return append(out, "GODEBUG="+godebug+"gctrace=1")
}

// sameWriter reports whether a and b are the same writer, as os/exec
// decides it: == on the interfaces, which panics for uncomparable types
// (those are never the same writer here).
func sameWriter(a, b io.Writer) (same bool) {
	defer func() {
		if recover() != nil {
			same = false
		}
	}()
	return a == b
}

// lockedWriter serializes the writes of two goroutines to one writer.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
