//go:build unix

package benchkit

import (
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/nativego/nativego/metricsx"
)

// A serverProc is a running server: the leader of its own process
// group, with its standard error read for gctrace cycles as it arrives.
//
// It is started without ptrace, unlike the commands Measure times: a
// traced Go program stops for every signal it receives, and the
// runtime's preemption signals (SIGURG) would each cost the server a
// round trip through the measuring process under load. Its peak RSS is
// read from /proc/<pid>/status (VmHWM) before it is stopped instead.
type serverProc struct {
	pid     int
	g       *group
	start   time.Time
	done    chan struct{} // closed once the leader has exited and been reaped
	outcome waitOutcome   // valid after done

	outR, errR *os.File
	copiers    sync.WaitGroup
	tail       tailBuffer // the server's own output, both streams
	cycles     []metricsx.GCCycle
	dropped    int // cycles beyond maxCycles
	trace      metricsx.GCTraceStats
}

func startServer(path string, args, env []string, dir string) (*serverProc, error) {
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return nil, err
	}
	defer devnull.Close()
	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return nil, err
	}
	p := &serverProc{g: &group{}, done: make(chan struct{}), outR: outR, errR: errR}
	p.copiers.Add(2)
	go func() { defer p.copiers.Done(); copyAll(&p.tail, outR) }()
	go func() {
		defer p.copiers.Done()
		r := metricsx.NewGCTraceReader(errR, &p.tail)
		for r.Scan() {
			if len(p.cycles) < maxCycles {
				p.cycles = append(p.cycles, r.Cycle())
			} else {
				p.dropped++
			}
		}
		p.trace = r.Stats()
		// Drain what is left so that the server never blocks on a
		// full pipe after a read error.
		io.Copy(io.Discard, errR)
	}()

	started := make(chan error, 1)
	go func() {
		files := []uintptr{devnull.Fd(), outW.Fd(), errW.Fd()}
		p.start = time.Now()
		pid, err := syscall.ForkExec(path, args, &syscall.ProcAttr{Dir: dir, Env: env, Files: files, Sys: sysProcAttr(false)})
		outW.Close()
		errW.Close()
		if err == nil {
			p.g.mu.Lock()
			p.g.pid = pid
			p.g.mu.Unlock()
			p.pid = pid
		}
		started <- err
		if err != nil {
			return
		}
		p.outcome = waitProc(pid, false, false, nil, p.g, nil)
		close(p.done)
	}()
	if err := <-started; err != nil {
		p.finish()
		return nil, fmt.Errorf("benchkit: starting %s: %w", args[0], err)
	}
	return p, nil
}

// signal sends sig to the server's whole process group, unless the
// leader has already been reaped (its ID may then name another group).
func (p *serverProc) signal(sig syscall.Signal) {
	p.g.mu.Lock()
	defer p.g.mu.Unlock()
	if p.g.pid > 0 && !p.g.reaped {
		syscall.Kill(-p.g.pid, sig)
	}
}

// stop sends SIGTERM to the group and waits up to grace for the leader
// to exit, then kills the group. It reports whether SIGTERM sufficed.
// When it returns the leader has been reaped and the rest of its group
// killed.
func (p *serverProc) stop(grace time.Duration) bool {
	select {
	case <-p.done:
		return true
	default:
	}
	p.signal(syscall.SIGTERM)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-p.done:
		return true
	case <-t.C:
	}
	p.g.kill()
	<-p.done
	return false
}

// finish waits for the output readers, bounded by waitDelay: a
// descendant that left the group may hold the pipes open.
func (p *serverProc) finish() {
	p.outR.SetReadDeadline(time.Now().Add(waitDelay))
	p.errR.SetReadDeadline(time.Now().Add(waitDelay))
	p.copiers.Wait()
	p.outR.Close()
	p.errR.Close()
}

// exited reports whether the leader has exited.
func (p *serverProc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// usage returns the server's CPU time and ru_maxrss in bytes, from wait4;
// valid after done.
func (p *serverProc) usage() (user, sys time.Duration, maxRSS int64) {
	ru := &p.outcome.rusage
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano()), int64(ru.Maxrss) * maxrssUnit
}

// exitStatus returns how the server ended: its exit code (-1 when
// killed by a signal) and the signal, if any; valid after done.
func (p *serverProc) exitStatus() (code int, signal string) {
	ws := p.outcome.status
	if ws.Signaled() {
		return -1, ws.Signal().String()
	}
	return ws.ExitStatus(), ""
}
