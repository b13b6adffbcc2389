//go:build unix

package benchkit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// A waitOutcome is what the waiting thread learned.
type waitOutcome struct {
	status syscall.WaitStatus
	rusage syscall.Rusage
	end    time.Time // when the exit was observed
	// held is how long the tracer kept the process stopped at its
	// ptrace stops; heldExec the part at the stop after its execve,
	// before it could write anything.
	held, heldExec time.Duration
	exitHWM        int64
	hwmSource      string // where exitHWM came from: "taskstats" or "vmhwm"
	hwmLost        bool   // taskstats records were lost: exitHWM is not known
	err            error
}

// A startInfo is what starting a process learned.
type startInfo struct {
	start time.Time
	floor int64
	err   error
}

// A group is a started process and its process group, which it leads.
// kill signals the whole group until the leader has been reaped, and
// never afterwards, so that a recycled process ID is never signalled.
type group struct {
	mu     sync.Mutex
	pid    int
	reaped bool
}

func (g *group) kill() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.pid > 0 && !g.reaped {
		syscall.Kill(-g.pid, syscall.SIGKILL)
	}
}

// exited is called once the leader has exited but before it is
// reaped: its process ID still names the group, so what is left of the
// group (descendants that outlived it) is killed now, and no orphan
// survives the run.
func (g *group) exited() {
	g.mu.Lock()
	defer g.mu.Unlock()
	syscall.Kill(-g.pid, syscall.SIGKILL)
	g.reaped = true
}

func startAndWait(ctx context.Context, path string, s *procSpec) (*procResult, error) {
	if s.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.timeout)
		defer cancel()
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	devnull, err := openDevNull()
	if err != nil {
		return nil, err
	}
	// The exit-time high-water mark comes from the kernel's taskstats
	// exit records where they can be had, which costs the run no stop;
	// else from a ptrace exit stop. A run in a cgroup is traced anyway,
	// to be stopped after its execve.
	var ts *exitListener
	if s.exitHWM && s.tree == nil && !s.noTaskstats {
		ts = taskstatsListener()
	}
	trace := s.exitHWM && ts == nil && canTrace()
	if !trace && pollAvailable() {
		res, err := startAndPoll(ctx, path, s, devnull, ts)
		if err != errNoPidfd {
			return res, err
		}
	}

	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer outR.Close()
	errR, errW, err := os.Pipe()
	if err != nil {
		outW.Close()
		return nil, err
	}
	defer errR.Close()

	fb := &firstByteWriter{w: s.stdout}
	var tail tailBuffer
	var copiers sync.WaitGroup
	var copying atomic.Int32
	copying.Store(2)
	copiers.Go(func() { copyAll(fb, outR); copying.Add(-1) })
	copiers.Go(func() { copyAll(&tail, errR); copying.Add(-1) })

	g := &group{}
	startedc := make(chan startInfo, 1)
	waited := make(chan waitOutcome, 1)
	// startWait starts the child, reports it on startedc, calls
	// onStart once it runs and sends what waiting for it learned.
	startWait := func(onStart func()) {
		files := []uintptr{devnull.Fd(), outW.Fd(), errW.Fd()}
		trace := trace // a refused or failed ptrace turns it off for this run
		locked := trace
		if locked {
			// ForkExec with ptrace and every later ptrace request must
			// come from one thread. It is unlocked only once the child
			// is reaped; otherwise it exits with this goroutine, taking
			// any tracing state with it.
			runtime.LockOSThread()
		}
		// Joining a cgroup needs the child stopped before it runs any
		// code of its own: the stop after a traced execve. Without one,
		// the child is traced from just after its execve instead, which
		// spares the run that stop, but a child that exits before it is
		// seized has no figure. The repetition of a run whose taskstats
		// records were lost must have one, so it pays for the stop.
		traceme := trace && (s.tree != nil || s.noTaskstats)
		pid, watch, st := forkWatched(path, s.args, &syscall.ProcAttr{Dir: s.dir, Env: s.env, Files: files, Sys: sysProcAttr(traceme)}, ts)
		err := st.err
		if err != nil && traceme && traceRefused(err) {
			// ptrace is not allowed here (a seccomp filter, qemu-user):
			// measure without it from now on.
			noTrace()
			trace, traceme = false, false
			st.start = time.Now()
			pid, err = syscall.ForkExec(path, s.args, &syscall.ProcAttr{Dir: s.dir, Env: s.env, Files: files, Sys: sysProcAttr(false)})
			st.err = err
		}
		if err == nil && trace && !traceme {
			trace = seize(pid)
		}
		outW.Close()
		errW.Close()
		if err == nil {
			g.mu.Lock()
			g.pid = pid
			g.mu.Unlock()
		}
		startedc <- st
		if err != nil {
			return
		}
		onStart()
		w := waitProc(pid, trace, traceme, s.tree, g, watch)
		if locked && w.err == nil {
			// The child is reaped, so this thread traces nothing any
			// more: it can serve other goroutines rather than exit
			// with this one, sparing the next run a new thread.
			runtime.UnlockOSThread()
		}
		waited <- w
	}

	var st startInfo
	var w waitOutcome
	if trace {
		go startWait(func() {})
		if st = <-startedc; st.err != nil {
			return nil, fmt.Errorf("benchkit: starting %s: %w", s.args[0], st.err)
		}
		select {
		case w = <-waited:
		case <-ctx.Done():
			g.kill()
			w = <-waited
		}
	} else {
		// Untraced, this goroutine starts and waits itself, and the
		// context's end kills the group from a callback: the run then
		// costs no goroutine start (which wakes an idle thread to look
		// for work) and no hand-over of the outcome.
		stop := func() bool { return false }
		startWait(func() { stop = context.AfterFunc(ctx, g.kill) })
		if st = <-startedc; st.err != nil {
			return nil, fmt.Errorf("benchkit: starting %s: %w", s.args[0], st.err)
		}
		w = <-waited
		stop()
	}
	// The group is gone; a descendant that left it may still hold the
	// pipes, so reading stops after waitDelay. The copiers have usually
	// seen the end of both pipes by now (the child's files are closed
	// before its parent is told it exited), and then no deadline timer
	// is needed.
	if copying.Load() > 0 {
		deadline := time.Now().Add(waitDelay)
		outR.SetReadDeadline(deadline)
		errR.SetReadDeadline(deadline)
	}
	copiers.Wait()
	return procResultOf(ctx, s, st, w, fb.first, tail.Bytes())
}

// forkWatched starts path with attr: the measuring process's high-water
// mark and the start time are taken just before the fork, and ts, if not
// nil, watches the child's exit records from before it can exit.
func forkWatched(path string, args []string, attr *syscall.ProcAttr, ts *exitListener) (pid int, watch *exitWatch, st startInfo) {
	st.floor = selfHWM()
	if ts != nil {
		ts.lockStart()
	}
	st.start = time.Now()
	pid, st.err = syscall.ForkExec(path, args, attr)
	if ts != nil {
		watch = ts.unlockStart(pid)
	}
	return pid, watch, st
}

// errNoPidfd says a child could not be started with a pidfd: nothing was
// started, and the run is to be made without one.
var errNoPidfd = errors.New("benchkit: cannot start a process with a pidfd")

// procResultOf makes the result of a run from what starting and waiting
// for it learned: first is when the first byte arrived on its standard
// output (zero if none), stderr the tail of its standard error.
func procResultOf(ctx context.Context, s *procSpec, st startInfo, w waitOutcome, first time.Time, stderr []byte) (*procResult, error) {
	if w.err != nil {
		return nil, fmt.Errorf("benchkit: waiting for %s: %w", s.args[0], w.err)
	}
	if err := ctx.Err(); err != nil {
		if errors.Is(err, context.DeadlineExceeded) && s.timeout > 0 {
			return nil, &TimeoutError{Command: s.args, Timeout: s.timeout}
		}
		return nil, err
	}

	res := &procResult{
		wall:      w.end.Sub(st.start) - w.held,
		user:      time.Duration(w.rusage.Utime.Nano()),
		sys:       time.Duration(w.rusage.Stime.Nano()),
		maxRSS:    int64(w.rusage.Maxrss) * maxrssUnit,
		floor:     max(st.floor, selfHWM()),
		exitHWM:   w.exitHWM,
		hwmSource: w.hwmSource,
		hwmLost:   w.hwmLost,
		exitCode:  w.status.ExitStatus(),
		stderr:    stderr,
	}
	if w.status.Signaled() {
		res.signal = w.status.Signal().String()
	}
	if s.tree != nil {
		res.treePeak = s.tree.peak()
	}
	res.startup, res.startupEvent = res.wall, "exit"
	if !first.IsZero() {
		// The reader may see the first byte only after the exit was
		// observed; it was written before.
		res.startup, res.startupEvent = min(first.Sub(st.start)-w.heldExec, res.wall), "first-byte"
	}
	return res, nil
}

// copyBufs holds the copiers' buffers: two fresh 32 KiB buffers a run
// were most of a run's allocation, cleared and collected again and again.
var copyBufs = sync.Pool{New: func() any { return new([32 << 10]byte) }}

// openDevNull returns /dev/null opened for reading, once for the
// process: every run's standard input. It is never closed.
var openDevNull = sync.OnceValues(func() (*os.File, error) { return os.Open(os.DevNull) })

// A sink receives a pipe's output until writing to it fails; the pipe is
// read on after that, so that the writing process never blocks on it.
type sink struct {
	w      io.Writer
	failed bool
}

func (s *sink) write(p []byte) {
	if !s.failed {
		_, err := s.w.Write(p)
		s.failed = err != nil
	}
}

// copyAll copies r to w until r ends, continuing to drain r after w
// fails so that the writing process never blocks on a full pipe.
func copyAll(w io.Writer, r *os.File) {
	bp := copyBufs.Get().(*[32 << 10]byte)
	defer copyBufs.Put(bp)
	buf := bp[:]
	s := sink{w: w}
	for {
		n, err := r.Read(buf)
		if n > 0 {
			s.write(buf[:n])
		}
		if err != nil {
			return
		}
	}
}
