package benchkit

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// waitDelay bounds how long output is still read after a process and
// its process group are gone: a descendant that left the group (setsid)
// may hold the pipes open.
const waitDelay = 2 * time.Second

// A procSpec says how to start one measured process.
type procSpec struct {
	args    []string // program and arguments; args[0] is looked up in PATH when it has no slash
	path    string   // args[0] already looked up, or ""
	dir     string
	env     []string  // the whole environment
	stdout  io.Writer // receives the standard output; may be nil
	timeout time.Duration

	// exitHWM asks for the process's own peak resident set size,
	// read at its exit where the platform allows it (Linux: taskstats
	// exit records, else a ptrace exit stop).
	exitHWM bool
	// noTaskstats makes the run use the ptrace exit stop even where
	// taskstats works: the retry of a run whose records were lost.
	noTaskstats bool
	// tree, when not nil, is a memory cgroup the process is moved
	// into before it runs any of its own code.
	tree *treeCgroup
}

// taskstatsOff makes every run read the exit-time high-water mark with
// ptrace, as where taskstats is unavailable; for tests.
var taskstatsOff atomic.Bool

// A procResult is what one process cost.
type procResult struct {
	// wall runs from the start to the observed exit, less the time the
	// process was held at ptrace stops for the measurement's own work.
	wall, user, sys time.Duration
	// startup is the time to the first byte on standard output, or to
	// exit when the process wrote nothing.
	startup      time.Duration
	startupEvent string // "first-byte" or "exit"

	// maxRSS is ru_maxrss from wait4 in bytes: the largest single
	// process among the process and the descendants it waited for.
	maxRSS int64
	// floor is the starting process's own high-water mark, read after
	// the child ended (Linux): at least the figure the kernel folded
	// into the child's ru_maxrss at exec; 0 when not known.
	floor int64
	// exitHWM is the process's own peak RSS read at its exit, 0 if
	// not read; hwmSource says how: "taskstats" (its threads' exit
	// records) or "vmhwm" (VmHWM at a ptrace exit stop).
	exitHWM   int64
	hwmSource string
	// hwmLost says that exitHWM was to come from taskstats, but records
	// were lost (the socket's buffer overflowed) or never came.
	hwmLost bool
	// treePeak is the cgroup's peak memory, 0 if not measured.
	treePeak int64

	exitCode int    // -1 when killed by a signal
	signal   string // the signal that killed it, if any
	stderr   []byte // the tail of its standard error
}

// maxStderrTail bounds how much of a failing process's standard error
// is kept for its error message.
const maxStderrTail = 4 << 10

// tailBuffer keeps the last maxStderrTail bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - maxStderrTail; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) Bytes() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return bytes.Clone(t.buf)
}

// lookPath resolves a program name the way os/exec does, relative to
// dir for a name with a slash.
func lookPath(name, dir string) (string, error) {
	if strings.Contains(name, "/") {
		if !filepath.IsAbs(name) && dir != "" {
			name = filepath.Join(dir, name)
		}
		if _, err := os.Stat(name); err != nil {
			return "", err
		}
		return name, nil
	}
	return exec.LookPath(name)
}

// firstByteWriter records when the first byte arrives.
type firstByteWriter struct {
	w     io.Writer
	once  sync.Once
	first time.Time
}

func (f *firstByteWriter) Write(p []byte) (int, error) {
	if len(p) > 0 {
		f.once.Do(func() { f.first = time.Now() })
	}
	if f.w == nil {
		return len(p), nil
	}
	return f.w.Write(p)
}

// runProc runs s to completion. It returns an error only when the
// process could not be started or waited for, or ctx ended; a process
// that exits with a non-zero status is a result.
func runProc(ctx context.Context, s *procSpec) (*procResult, error) {
	if len(s.args) == 0 {
		return nil, fmt.Errorf("benchkit: empty command")
	}
	path := s.path
	if path == "" {
		var err error
		if path, err = lookPath(s.args[0], s.dir); err != nil {
			return nil, fmt.Errorf("benchkit: %w", err)
		}
	}
	return startAndWait(ctx, path, s)
}

// parseHWM finds "VmHWM:\t  1144 kB" in a status file.
func parseHWM(status []byte) int64 {
	_, rest, ok := bytes.Cut(status, []byte("\nVmHWM:"))
	if !ok {
		return 0
	}
	line, _, _ := bytes.Cut(rest, []byte("\n"))
	f := bytes.Fields(line)
	if len(f) != 2 || string(f[1]) != "kB" {
		return 0
	}
	n, err := strconv.ParseInt(string(f[0]), 10, 64)
	if err != nil || n < 0 || n > 1<<44 { // 16 EiB in kB
		return 0
	}
	return n * 1024
}
