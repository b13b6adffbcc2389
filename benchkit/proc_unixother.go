//go:build unix && !linux

package benchkit

import (
	"context"
	"os"
	"syscall"
	"time"
)

// maxrssUnit is the unit of ru_maxrss: bytes on macOS and the BSDs'
// getrusage as Go exposes it on darwin; FreeBSD and the other BSDs
// report kilobytes.
var maxrssUnit int64 = maxrssUnitOS

func canTrace() bool              { return false }
func noTrace()                    {}
func traceRefused(err error) bool { return false }
func selfHWM() int64              { return 0 }
func seize(pid int) bool          { return false }

func sysProcAttr(trace bool) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// waitProc reaps pid. Without waitid's WNOWAIT the group is killed
// right after the leader is reaped; the leader's ID cannot be handed to
// a new process while the rest of its group lives, so the kill reaches
// only the leftovers of this group.
func waitProc(pid int, trace, traceme bool, tree *treeCgroup, g *group, watch *exitWatch) waitOutcome {
	var w waitOutcome
	var err error
	for {
		_, err = syscall.Wait4(pid, &w.status, 0, &w.rusage)
		if err != syscall.EINTR {
			break
		}
	}
	w.end, w.err = time.Now(), err
	g.exited()
	return w
}

// Taskstats is Linux-only.
type exitListener struct{}
type exitWatch struct{}

func taskstatsListener() *exitListener           { return nil }
func (*exitListener) lockStart()                 {}
func (*exitListener) unlockStart(int) *exitWatch { return nil }

// treeCgroup is Linux-only.
type treeCgroup struct{}

func (*treeCgroup) peak() int64   { return 0 }
func (*treeCgroup) remove() error { return nil }

type cgroupParent struct{ label string }

func (*cgroupParent) newRun() (*treeCgroup, error) { return nil, nil }

func findCgroupParent() (*cgroupParent, string) {
	return nil, "cgroups are Linux-only"
}

// pollAvailable reports false: the poll loop over a pidfd (proc_poll_linux.go)
// is Linux's.
func pollAvailable() bool { return false }

func startAndPoll(context.Context, string, *procSpec, *os.File, *exitListener) (*procResult, error) {
	return nil, errNoPidfd
}
