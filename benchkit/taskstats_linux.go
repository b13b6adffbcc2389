//go:build linux

package benchkit

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Taskstats (Documentation/accounting/taskstats.rst) gives the same
// exit-time figure as the ptrace exit stop without stopping the child:
// a listener registered for a set of CPUs receives a record for every
// task that exits on one of them, sent from do_exit by taskstats_exit
// before exit_mm releases the address space (kernel/exit.c), so its
// hiwater_rss (KiB, get_mm_hiwater_rss in kernel/tsacct.c xacct_add_tsk)
// is the task's final high-water mark. The record is queued on the
// socket synchronously (genlmsg_unicast), and the parent is woken only
// later, in exit_notify of the last thread; so once wait4 has returned
// for the child, the records of all its threads are already queued, and
// reading them costs a non-blocking recvfrom each — no stop, no extra
// wake-up of the measuring thread.
//
// The figure is the one ru_maxrss is made of (get_mm_hiwater_rss, also
// used by exit for the signal's maxrss): the mm's RSS counters are
// per-CPU and this reads their approximate total, which can be off by
// up to a counter batch (max(32, 2×CPUs) pages) per CPU the process
// ran on. Measured here on /bin/true it agreed with GNU time's
// ru_maxrss, and VmHWM read at a ptrace exit stop was 0.1–0.15 MiB
// higher.
//
// Registration needs CAP_NET_ADMIN (GENL_ADMIN_PERM) in the initial
// user namespace, and the kernel refuses listeners outside the initial
// user and PID namespaces (add_del_listener); the family exists only in
// the initial network namespace. Wherever it fails, Measure keeps using
// the ptrace exit stop.
//
// The listener hears every exit on the machine. Records of tasks that
// are not a watched child are read and dropped at every run's start and
// end, so they occupy at most the socket's receive buffer in the
// meantime. When that buffer overflows the kernel drops records and the
// next receive fails with ENOBUFS; every run being watched then has no
// trustworthy figure (hwmLost) and Measure repeats it with ptrace when
// wait4's ru_maxrss cannot stand in for it.

// exitRcvBuf is the receive buffer asked for. With SO_RCVBUFFORCE
// (CAP_NET_ADMIN) the kernel doubles it for bookkeeping: 16 MiB holds
// several thousand records (a datagram is 596 bytes for a thread, 1172
// for a process's last thread, with struct taskstats version 16 as
// captured in testdata/taskstats; the kernel charges each its 1–2 KiB
// allocation), more than the thread exits of a go build. Without the
// privilege SO_RCVBUF is capped by net.core.rmem_max.
const exitRcvBuf = 8 << 20

// exitRecvLen is the buffer one datagram is read into: a record is one
// nlmsghdr, one genlmsghdr and at most two nested attributes with a
// struct taskstats each (688 bytes in version 17), well below 4 KiB; a
// longer datagram is counted as a loss, never parsed cut.
const exitRecvLen = 16 << 10

// maxDrain bounds the datagrams one drain reads, so that a machine
// where tasks exit faster than they can be read cannot keep a run
// draining forever. The child's own records are among the first read:
// they were queued before wait4 returned.
const maxDrain = 1 << 16

// An exitListener is the process's taskstats socket, shared by all runs.
type exitListener struct {
	// broken is set when the socket failed other than by overflowing:
	// later runs use ptrace rather than lose every figure.
	broken  atomic.Bool
	mu      sync.Mutex // held while draining, and across a watched ForkExec
	fd      int
	family  uint16
	seq     uint32
	buf     []byte
	watches map[uint32]*exitWatch // by thread group ID
}

// An exitWatch collects the exit records of one child's threads.
type exitWatch struct {
	l       *exitListener
	tgid    uint32
	hwmKiB  uint64
	records int
	lost    bool // a receive failed while it was watched
}

// A taskstatsError says why taskstats exit records cannot be used; the
// ptrace exit stop is used instead.
type taskstatsError struct {
	Op  string // the step that failed, such as "register"
	Err error
}

func (e *taskstatsError) Error() string { return "benchkit: taskstats: " + e.Op + ": " + e.Err.Error() }
func (e *taskstatsError) Unwrap() error { return e.Err }

var openListener = sync.OnceValues(openExitListener)

// taskstatsListener returns the process's exit listener, opening it on
// first use, or nil when taskstats cannot be used here.
func taskstatsListener() *exitListener {
	if taskstatsOff.Load() {
		return nil
	}
	l, err := openListener()
	if err != nil || l.broken.Load() {
		return nil
	}
	return l
}

// taskstatsErr returns why taskstats cannot be used, or nil.
func taskstatsErr() error {
	_, err := openListener()
	return err
}

func openExitListener() (*exitListener, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.NETLINK_GENERIC)
	if err != nil {
		return nil, &taskstatsError{"socket", err}
	}
	l := &exitListener{fd: fd, buf: make([]byte, exitRecvLen), watches: map[uint32]*exitWatch{}}
	if err := l.setup(); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return l, nil
}

func (l *exitListener) setup() error {
	if err := unix.Bind(l.fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return &taskstatsError{"bind", err}
	}
	if unix.SetsockoptInt(l.fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, exitRcvBuf) != nil {
		unix.SetsockoptInt(l.fd, unix.SOL_SOCKET, unix.SO_RCVBUF, exitRcvBuf)
	}

	// The family's ID is assigned at boot: ask the controller.
	if err := l.send(unix.GENL_ID_CTRL, unix.CTRL_CMD_GETFAMILY, unix.CTRL_ATTR_FAMILY_NAME, []byte(unix.TASKSTATS_GENL_NAME+"\x00"), false); err != nil {
		return &taskstatsError{"resolve family", err}
	}
	b, err := l.recvWait()
	if err != nil {
		return &taskstatsError{"resolve family", err}
	}
	if l.family, err = parseFamilyID(b); err != nil {
		return &taskstatsError{"resolve family", err}
	}

	// Ask for this process's own record: it needs the same privilege
	// as registering, and tells the struct's version, whose layout must
	// be one this file reads.
	self := uint32(os.Getpid())
	if err := l.send(l.family, unix.TASKSTATS_CMD_GET, unix.TASKSTATS_CMD_ATTR_PID, binary.NativeEndian.AppendUint32(nil, self), false); err != nil {
		return &taskstatsError{"query", err}
	}
	var got *taskExit
	var failed error
	for got == nil && failed == nil {
		b, err := l.recvWait()
		if err != nil {
			return &taskstatsError{"query", err}
		}
		err = parseTaskstats(b, l.family, func(r taskExit) {
			if r.pid == self || r.tgid == 0 {
				got = &r
			}
		}, func(s netlinkStatus) {
			if s.seq == l.seq && s.errno != 0 {
				failed = s.errno
			}
		})
		if err != nil {
			return &taskstatsError{"query", err}
		}
	}
	if failed != nil {
		return &taskstatsError{"query", failed}
	}
	if got.tgid == 0 {
		return &taskstatsError{"query", fmt.Errorf("struct taskstats version %d has no known layout", got.version)}
	}

	cpus, err := os.ReadFile("/sys/devices/system/cpu/online")
	if err != nil {
		return &taskstatsError{"register", err}
	}
	mask := strings.TrimSpace(string(cpus))
	if err := l.send(l.family, unix.TASKSTATS_CMD_GET, unix.TASKSTATS_CMD_ATTR_REGISTER_CPUMASK, []byte(mask+"\x00"), true); err != nil {
		return &taskstatsError{"register", err}
	}
	for acked := false; !acked; {
		b, err := l.recvWait()
		if err != nil {
			return &taskstatsError{"register", err}
		}
		// Exit records may come before the acknowledgement: no run is
		// watched yet, so they are dropped.
		err = parseTaskstats(b, l.family, func(taskExit) {}, func(s netlinkStatus) {
			if s.seq == l.seq {
				acked, failed = true, s.errno
				if s.errno == 0 {
					failed = nil
				}
			}
		})
		if err != nil {
			return &taskstatsError{"register", err}
		}
	}
	if failed != nil {
		return &taskstatsError{"register", failed}
	}
	return nil
}

// send sends the kernel one generic netlink request with one attribute.
func (l *exitListener) send(typ uint16, cmd uint8, attrType uint16, attr []byte, ack bool) error {
	l.seq++
	attrLen := nlaHdrLen + len(attr)
	n := nlmsgHdrLen + genlHdrLen + nlAlign(attrLen)
	m := make([]byte, n)
	flags := uint16(unix.NLM_F_REQUEST)
	if ack {
		flags |= unix.NLM_F_ACK
	}
	binary.NativeEndian.PutUint32(m[0:], uint32(n))
	binary.NativeEndian.PutUint16(m[4:], typ)
	binary.NativeEndian.PutUint16(m[6:], flags)
	binary.NativeEndian.PutUint32(m[8:], l.seq)
	m[nlmsgHdrLen] = cmd
	m[nlmsgHdrLen+1] = 1 // genlmsghdr.version: TASKSTATS_GENL_VERSION and the controller's are 1
	a := m[nlmsgHdrLen+genlHdrLen:]
	binary.NativeEndian.PutUint16(a[0:], uint16(attrLen))
	binary.NativeEndian.PutUint16(a[2:], attrType)
	copy(a[nlaHdrLen:], attr)
	return unix.Sendto(l.fd, m, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK})
}

// errNoReply reports that the kernel did not answer a request in time.
var errNoReply = errors.New("no reply from the kernel")

// recvWait reads one datagram from the kernel, waiting for it. Requests
// are handled while sendto runs, so the reply is normally queued
// already; the wait only bounds a kernel that does not answer.
func (l *exitListener) recvWait() ([]byte, error) {
	for {
		n, err := l.recv()
		if err == unix.EAGAIN {
			fds := []unix.PollFd{{Fd: int32(l.fd), Events: unix.POLLIN}}
			k, err := unix.Poll(fds, 5000)
			if err != nil && err != unix.EINTR {
				return nil, err
			}
			if k == 0 {
				return nil, errNoReply
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		if n < 0 {
			continue // not from the kernel
		}
		if n > len(l.buf) {
			return nil, &netlinkError{len(l.buf), fmt.Sprintf("datagram of %d bytes truncated", n)}
		}
		return l.buf[:n], nil
	}
}

// recv reads one datagram into l.buf without blocking and returns its
// full length (which may exceed len(l.buf)), or -1 for a datagram that
// did not come from the kernel. It does not allocate.
func (l *exitListener) recv() (int, error) {
	for {
		var from unix.RawSockaddrNetlink
		fromLen := uint32(unix.SizeofSockaddrNetlink)
		n, _, errno := unix.Syscall6(unix.SYS_RECVFROM, uintptr(l.fd), uintptr(unsafe.Pointer(&l.buf[0])), uintptr(len(l.buf)),
			unix.MSG_DONTWAIT|unix.MSG_TRUNC, uintptr(unsafe.Pointer(&from)), uintptr(unsafe.Pointer(&fromLen)))
		switch {
		case errno == unix.EINTR:
			continue
		case errno != 0:
			return 0, errno
		case from.Pid != 0:
			// Only a privileged process can send to this socket; still,
			// only the kernel's records are believed.
			return -1, nil
		}
		return int(n), nil
	}
}

// drainLocked reads every queued datagram, crediting the records of
// watched children; l.mu is held.
func (l *exitListener) drainLocked() {
	for range maxDrain {
		n, err := l.recv()
		switch {
		case err == unix.EAGAIN:
			return
		case err == unix.ENOBUFS:
			// The kernel dropped records: any watched child's may be
			// among them. The socket stays usable.
			l.loseAll()
			continue
		case err != nil:
			l.loseAll()
			l.broken.Store(true)
			return
		case n < 0:
			continue
		case n > len(l.buf):
			l.loseAll()
			continue
		}
		err = parseTaskstats(l.buf[:n], l.family, l.credit, nil)
		if err != nil {
			// Not what the kernel sends: whatever it held is unknown.
			l.loseAll()
		}
	}
	l.loseAll()
}

func (l *exitListener) credit(r taskExit) {
	if w := l.watches[r.tgid]; w != nil && r.tgid != 0 {
		w.records++
		w.hwmKiB = max(w.hwmKiB, r.hiwaterKiB)
	}
}

func (l *exitListener) loseAll() {
	for _, w := range l.watches {
		w.lost = true
	}
}

// lockStart is called before a watched child is started: it drops the
// records queued so far, so that none of them, such as one of an
// earlier process whose ID the child reuses, is credited to the child,
// and holds the listener until unlockStart, so that no concurrent drain
// drops the child's records before it is watched.
func (l *exitListener) lockStart() {
	l.mu.Lock()
	l.drainLocked()
}

// unlockStart starts watching pid, unless it is 0 (the start failed).
func (l *exitListener) unlockStart(pid int) *exitWatch {
	defer l.mu.Unlock()
	if pid <= 0 {
		return nil
	}
	w := &exitWatch{l: l, tgid: uint32(pid)}
	l.watches[w.tgid] = w
	return w
}

// release stops watching a child that could not be waited for.
func (w *exitWatch) release() {
	w.l.mu.Lock()
	defer w.l.mu.Unlock()
	delete(w.l.watches, w.tgid)
}

// collect returns the child's peak RSS in bytes from the exit records
// of its threads, once it has been waited for. ok is false when no
// record was seen or records may have been lost.
func (w *exitWatch) collect() (hwm int64, ok bool) {
	l := w.l
	l.mu.Lock()
	defer l.mu.Unlock()
	l.drainLocked()
	delete(l.watches, w.tgid)
	if w.lost || w.records == 0 || w.hwmKiB > 1<<44 { // 16 EiB in KiB
		return 0, false
	}
	return int64(w.hwmKiB) * 1024, true
}
