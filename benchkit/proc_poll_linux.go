//go:build linux

package benchkit

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// An untraced run on Linux is waited for the way hyperfine waits: by the
// calling thread alone. The child's standard output and error go to pipes
// whose read ends are non-blocking, its exit is signalled by a pidfd, and
// one poll loop reads the output as it comes (the first byte on standard
// output timing the start-up) and sees the exit. With a goroutine per pipe
// (startAndWait) every run also started two goroutines, which wakes an
// idle thread each, and ended with their wake-ups from the network poller
// after the exit, work on the machine's CPUs between one run and the next
// that a 2-CPU machine notices.

// pollAvailable reports whether the kernel gives pidfds (pidfd_open,
// Linux 5.3; clone's CLONE_PIDFD is 5.2) and starting a child with one has
// not failed.
func pollAvailable() bool { return !pollOff.Load() && pidfdOpens() }

var pidfdOpens = sync.OnceValue(func() bool {
	fd, err := unix.PidfdOpen(os.Getpid(), 0)
	if err != nil {
		return false
	}
	unix.Close(fd)
	return true
})

// pollOff is set when starting a child with a pidfd failed as clone
// fails on a flag it does not know: qemu-user 7.2 implements pidfd_open
// but refuses CLONE_PIDFD.
var pollOff atomic.Bool

// startAndPoll runs s untraced, waiting for its exit and output in a poll
// loop on this thread. ts, if not nil, gives the exit-time high-water mark.
func startAndPoll(ctx context.Context, path string, s *procSpec, devnull *os.File, ts *exitListener) (*procResult, error) {
	var out, errp [2]int
	if err := readPipe(&out); err != nil {
		return nil, err
	}
	defer unix.Close(out[0])
	if err := readPipe(&errp); err != nil {
		unix.Close(out[1])
		return nil, err
	}
	defer unix.Close(errp[0])

	pidfd := -1
	attr := &syscall.ProcAttr{
		Dir:   s.dir,
		Env:   s.env,
		Files: []uintptr{devnull.Fd(), uintptr(out[1]), uintptr(errp[1])},
		Sys:   &syscall.SysProcAttr{Setpgid: true, PidFD: &pidfd},
	}
	pid, watch, st := forkWatched(path, s.args, attr, ts)
	unix.Close(out[1])
	unix.Close(errp[1])
	if err := st.err; err == syscall.EINVAL || err == syscall.ENOSYS {
		// Perhaps the program's own fault, perhaps the pidfd's: the run
		// is made again without one, which tells.
		pollOff.Store(true)
		return nil, errNoPidfd
	}
	if st.err != nil {
		return nil, fmt.Errorf("benchkit: starting %s: %w", s.args[0], st.err)
	}
	if pidfd >= 0 {
		defer unix.Close(pidfd)
	}
	g := &group{pid: pid}
	stop := context.AfterFunc(ctx, g.kill)

	fb := firstByteWriter{w: s.stdout}
	var tail tailBuffer
	bp := copyBufs.Get().(*[32 << 10]byte)
	defer copyBufs.Put(bp)
	// Entries with a negative descriptor are ignored by poll: a pipe at
	// its end, the pidfd once the exit is seen (or where there is none).
	fds := [3]unix.PollFd{
		{Fd: int32(out[0]), Events: unix.POLLIN},
		{Fd: int32(errp[0]), Events: unix.POLLIN},
		{Fd: int32(pidfd), Events: unix.POLLIN},
	}
	sinks := [2]sink{{w: &fb}, {w: &tail}}
	var w waitOutcome
	exited := false
	var drainBy time.Time
	for {
		pipesOpen := fds[0].Fd >= 0 || fds[1].Fd >= 0
		if !exited && fds[2].Fd < 0 && !pipesOpen {
			// No pidfd, and the child has closed its output: wait.
			w, exited = waitUntraced(pid, g, watch), true
		}
		if exited && (!pipesOpen || !time.Now().Before(drainBy)) {
			break
		}
		timeout := -1
		if exited {
			// The group is gone; a descendant that left it (setsid)
			// may still hold the pipes, so reading stops after waitDelay.
			timeout = int((time.Until(drainBy) + time.Millisecond - 1) / time.Millisecond)
		}
		_, err := unix.Poll(fds[:], timeout)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			if !exited {
				// Leave nothing behind: kill the group and reap it.
				g.kill()
				waitUntraced(pid, g, watch)
			}
			stop()
			return nil, fmt.Errorf("benchkit: waiting for %s: poll: %w", s.args[0], err)
		}
		if !exited && fds[2].Revents != 0 {
			// The clock stops in waitUntraced, which returns at once.
			w, exited = waitUntraced(pid, g, watch), true
			fds[2].Fd = -1
			drainBy = time.Now().Add(waitDelay)
		}
		for i := range sinks {
			if fds[i].Fd >= 0 && fds[i].Revents != 0 && sinks[i].drain(int(fds[i].Fd), bp[:]) {
				fds[i].Fd = -1
			}
		}
	}
	stop()
	return procResultOf(ctx, s, st, w, fb.first, tail.Bytes())
}

// readPipe makes a pipe whose read end, p[0], does not block; the write
// end stays blocking, as programs expect of their standard output.
func readPipe(p *[2]int) error {
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return os.NewSyscallError("pipe2", err)
	}
	if err := unix.SetNonblock(p[0], true); err != nil {
		unix.Close(p[0])
		unix.Close(p[1])
		return os.NewSyscallError("fcntl", err)
	}
	return nil
}

// drain reads what fd holds into s, and reports whether fd has ended (or
// failed).
func (s *sink) drain(fd int, buf []byte) (ended bool) {
	for {
		n, err := unix.Read(fd, buf)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			return false
		case err != nil || n == 0:
			return true
		}
		s.write(buf[:n])
	}
}
