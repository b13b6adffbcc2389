//go:build linux

package benchkit

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// maxrssUnit is the unit of ru_maxrss: kibibytes on Linux (getrusage(2)).
const maxrssUnit = 1024

// On Linux a process that execs inherits, in its ru_maxrss, the
// high-water mark of the address space it replaced (fs/exec.c,
// exec_mmap: setmax_mm_hiwater_rss(&tsk->signal->maxrss, old_mm)).
// os/exec and syscall.ForkExec start children with CLONE_VM|CLONE_VFORK,
// so the replaced address space is the parent's own: a child started by
// a Go process with a 300 MiB heap reports at least 300 MiB, even
// /bin/true. Measured here: 2.3 MiB for /bin/true from a fresh Go
// process (its own VmHWM), 310 MiB after the parent touched 300 MiB.
//
// VmHWM in /proc/<pid>/status belongs to the new address space only,
// but it vanishes when the process exits, and sampling misses a late
// peak. So the child is started traced (PTRACE_TRACEME) with
// PTRACE_O_TRACEEXIT, which stops it in do_exit before exit_mm releases
// its address space: VmHWM read there is exact. Nothing else is
// intercepted; signals are passed on unchanged.
//
// Where taskstats exit records can be had (taskstats_linux.go), they
// give the same figure without stopping the child, and tracing is only
// the fallback.
//
// Descendants are not traced. Their ru_maxrss reaches the parent
// through wait4, inflated at most by the high-water mark of the process
// that started them, which is itself part of the measured tree — so
// the tree's maximum is exact once the first process's own figure is.

var traceDisabled atomic.Bool

func canTrace() bool { return !traceDisabled.Load() }
func noTrace()       { traceDisabled.Store(true) }

// traceRefused reports whether ForkExec failed because PTRACE_TRACEME
// was refused or is not implemented (qemu-user).
func traceRefused(err error) bool {
	return errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.ENOSYS) || errors.Is(err, syscall.EACCES)
}

func sysProcAttr(trace bool) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Ptrace: trace}
}

// selfHWM returns this process's own peak RSS in bytes, or 0: its
// ru_maxrss, which is at least its address space's high-water mark (what
// a child inherits at exec) and costs one system call, where reading
// VmHWM from /proc/self/status costs tens of microseconds.
func selfHWM() int64 {
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Maxrss * maxrssUnit
}

// readHWM reads the VmHWM line of a /proc/<pid>/status file, in bytes.
func readHWM(name string) int64 {
	b, err := os.ReadFile(name)
	if err != nil {
		return 0
	}
	return parseHWM(b)
}

// seize makes this thread the tracer of pid, a child that has just
// execed, with an exit stop and nothing else intercepted. It reports
// false when the child cannot be traced, such as when it has already
// exited: the run then has no exit-time VmHWM. ptrace refused outright
// (a seccomp filter, qemu-user) disables tracing from now on.
func seize(pid int) bool {
	const opts = unix.PTRACE_O_TRACEEXIT | unix.PTRACE_O_EXITKILL
	_, _, errno := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_SEIZE, uintptr(pid), 0, opts, 0, 0)
	if errno == syscall.ENOSYS || errno == syscall.EACCES {
		noTrace()
	}
	return errno == 0
}

// waitProc waits for pid, a traced child when trace is set, and
// returns its status and rusage. It runs on the thread that started
// pid. traceme says the child was started with PTRACE_TRACEME and stops
// after its execve; otherwise a traced child was seized after it.
// watch, when not nil, collects the exit records of an untraced child.
func waitProc(pid int, trace, traceme bool, tree *treeCgroup, g *group, watch *exitWatch) waitOutcome {
	if !trace {
		return waitUntraced(pid, g, watch)
	}
	var w waitOutcome
	execStop, sawExit := traceme, false
	for {
		var ws syscall.WaitStatus
		var ru syscall.Rusage
		_, err := syscall.Wait4(pid, &ws, syscall.WALL, &ru)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			w.err = err
			return w
		}
		switch {
		case ws.Exited() || ws.Signaled():
			// The clock stops here, as for an untraced process and for
			// hyperfine and time(1): the exit includes tearing the
			// process down (releasing its memory), which it costs.
			w.end = time.Now()
			if !sawExit {
				// No exit stop was seen (killed while stopped): the
				// group is killed late, and the ID cannot have been
				// reused by anything else in between.
				g.exited()
			}
			w.status, w.rusage = ws, ru
			return w
		case !ws.Stopped():
			continue
		}
		sig := ws.StopSignal()
		// The process stands still from its stop until it is continued;
		// the time this thread spends in between (reading VmHWM, joining
		// a cgroup) is the measurement's, not the command's, and is taken
		// off its wall time.
		seen := time.Now()
		wasExec := execStop
		cont := 0
		switch {
		case execStop && sig == syscall.SIGTRAP:
			// The stop after PTRACE_TRACEME's execve: the program is
			// loaded and has run none of its code.
			execStop = false
			if tree != nil {
				tree.join(pid)
			}
			if err := unix.PtraceSetOptions(pid, unix.PTRACE_O_TRACEEXIT|unix.PTRACE_O_TRACEEXEC|unix.PTRACE_O_EXITKILL); err != nil {
				w.err = fmt.Errorf("ptrace: %w", err)
				syscall.Kill(-pid, syscall.SIGKILL)
				syscall.PtraceCont(pid, 0)
				continue
			}
		case sig == syscall.SIGTRAP && ws.TrapCause() == unix.PTRACE_EVENT_EXIT:
			sawExit = true
			w.exitHWM = readHWM("/proc/" + strconv.Itoa(pid) + "/status")
			w.hwmSource = "vmhwm"
			g.exited()
		case sig == syscall.SIGTRAP && ws.TrapCause() > 0:
			// Another ptrace event (a later execve): continue.
		case int(ws)>>16 == unix.PTRACE_EVENT_STOP:
			// A seized child's group-stop (SIGSTOP and the like, after
			// its signal-delivery stop): no signal can be injected
			// here; continuing resumes it.
		default:
			// A signal for the program: deliver it.
			cont = int(sig)
		}
		syscall.PtraceCont(pid, cont)
		held := time.Since(seen)
		w.held += held
		if wasExec {
			w.heldExec += held
		}
	}
}

// waitUntraced waits for pid, an untraced child, and reaps it. It waits
// for the exit without reaping first, so that the process ID still names
// the group while what is left of it is killed.
func waitUntraced(pid int, g *group, watch *exitWatch) waitOutcome {
	var info unix.Siginfo
	var end time.Time
	for {
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		end = time.Now()
		if err == nil {
			break
		}
		if err != unix.EINTR {
			if watch != nil {
				watch.release()
			}
			return waitOutcome{err: err}
		}
	}
	g.exited()
	var w waitOutcome
	var err error
	for {
		_, err = syscall.Wait4(pid, &w.status, 0, &w.rusage)
		if err != unix.EINTR {
			break
		}
	}
	w.end, w.err = end, err
	if watch != nil {
		// After the reaping, outside the timed region: the records
		// were queued before waitid returned.
		var ok bool
		w.exitHWM, ok = watch.collect()
		w.hwmSource, w.hwmLost = "taskstats", !ok
	}
	return w
}
