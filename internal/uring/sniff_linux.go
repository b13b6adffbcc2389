package uring

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// A Sniffer reads the first bytes of many files per system call. Each
// request of a batch becomes a chain of three linked io_uring operations
// — open into a direct descriptor, read, close — and one io_uring_enter
// submits every chain and waits for all of them.
//
// Direct descriptors live in a table the ring owns, one slot per request
// of a batch: they never take a slot in the process's descriptor table,
// so a batch cannot run the process out of descriptors, and they are not
// inherited by child processes. The table's size still counts against
// RLIMIT_NOFILE once, when NewSniffer registers it.
//
// A Sniffer is not safe for concurrent use: give each goroutine its own.
type Sniffer struct {
	r *ring
	n int // the most requests a batch may hold

	// mem is an anonymous mapping that the kernel reads names from and
	// reads file data into: n buffers of bufSize bytes, then n name slots
	// of pathMax bytes. It is not Go heap memory, so the kernel may keep
	// writing to it after a failed io_uring_enter without corrupting
	// anything the garbage collector owns.
	mem     []byte
	bufSize int

	results []result // per request of the batch
	cqes    []cqe    // completions reaped, reused across batches

	// err is a ring-level failure; once set, the Sniffer refuses work.
	// leak is set when the failure left requests in flight, whose reads
	// the kernel may still complete into mem: Close must not unmap it.
	err  error
	leak bool
}

// A result collects the completions of one request's chain.
type result struct {
	queued           bool
	done             uint8 // 1<<step for each step whose completion arrived
	open, read, shut int32 // each step's cqe.res
}

// The three steps of a chain, kept in the low bits of an sqe's user
// data, the request's index in the bits above. stepCancel marks the
// entries that cancel an unfinished step (see wait).
const (
	stepCancel = iota
	stepOpen
	stepRead
	stepClose
	stepBits = 2
)

// pathMax is PATH_MAX (include/uapi/linux/limits.h): the kernel refuses
// a name of that many bytes or more, counting its NUL, with ENAMETOOLONG.
const pathMax = 4096

// NewSniffer sets up a ring for batches of up to n requests, 1 ≤ n ≤
// [MaxBatch]. n must not exceed RLIMIT_NOFILE (the kernel refuses a
// larger direct-descriptor table with EMFILE).
//
// The error is an [*Error]. It wraps errors.ErrUnsupported when io_uring
// cannot be used here: the kernel lacks it (ENOSYS, also what qemu-user
// says), policy forbids it (EPERM from seccomp or the sysctl
// kernel.io_uring_disabled), the kernel is older than Linux 5.17 or lacks
// an operation, or [EnvDisable] is "off". Callers then use plain system
// calls.
func NewSniffer(n int) (*Sniffer, error) {
	if err := disabledError(); err != nil {
		return nil, err
	}
	if n < 1 || n > MaxBatch {
		return nil, &Error{Op: "NewSniffer", Err: fmt.Errorf("batch size %d out of range [1, %d]", n, MaxBatch)}
	}
	// Each request takes three submission entries, and at most two more
	// when wait cancels its steps: the completion ring, twice as large as
	// the submission ring by default, never overflows.
	entries := uint32(3 * n)
	// SUBMIT_ALL keeps the kernel submitting after a chain that failed
	// to prepare (a name too long, say). It saves wait a system call;
	// wait copes without it, so a kernel refusing it (EINVAL, before
	// Linux 5.18) gets a plain ring.
	//
	// Not COOP_TASKRUN, SINGLE_ISSUER or DEFER_TASKRUN: they tie the
	// completion of work done by the kernel's workers to the thread that
	// submitted it, and a goroutine moves between threads. With
	// COOP_TASKRUN the kernel does not wake that thread to finish the
	// work, so a goroutine waiting on another thread could wait until
	// the first happened to wake.
	r, op, err := setupRing(entries, setupSubmitAll)
	if err == unix.EINVAL {
		r, op, err = setupRing(entries, 0)
	}
	if err != nil {
		return nil, &Error{Op: op, Err: err, Unsupported: refusal(err)}
	}
	s := &Sniffer{r: r, n: n, results: make([]result, n), cqes: make([]cqe, 0, 3*n)}
	if err := s.init(); err != nil {
		r.close()
		return nil, err
	}
	return s, nil
}

// init checks that the ring can run open → read → close chains and sets
// up the direct-descriptor table and the buffers.
func (s *Sniffer) init() error {
	if s.r.features&featLinkedFile == 0 {
		return &Error{Op: "io_uring_setup", Err: errors.New("kernel lacks IORING_FEAT_LINKED_FILE (Linux 5.17)"), Unsupported: true}
	}
	if s.r.features&featExtArg == 0 { // implied by featLinkedFile; checked as it is relied on
		return &Error{Op: "io_uring_setup", Err: errors.New("kernel lacks IORING_FEAT_EXT_ARG (Linux 5.11)"), Unsupported: true}
	}
	ok, err := s.r.supports(opOpenat, opRead, opClose, opAsyncCancel)
	if err != nil {
		return &Error{Op: "io_uring_register(IORING_REGISTER_PROBE)", Err: err, Unsupported: refusal(err)}
	}
	if !ok {
		return &Error{Op: "io_uring_register(IORING_REGISTER_PROBE)", Err: errors.New("kernel lacks IORING_OP_OPENAT, IORING_OP_READ, IORING_OP_CLOSE or IORING_OP_ASYNC_CANCEL"), Unsupported: true}
	}
	if err := s.r.registerSparseFiles(s.n); err != nil {
		return &Error{Op: "io_uring_register(IORING_REGISTER_FILES)", Err: err, Unsupported: refusal(err)}
	}
	return s.grow(defaultBufSize)
}

// refusal reports whether a system call's errno means io_uring, or the
// part of it asked for, is not available here rather than that the
// system is short of something.
func refusal(err error) bool {
	return err == unix.ENOSYS || err == unix.EPERM || err == unix.EACCES || err == unix.EINVAL || err == unix.EOPNOTSUPP
}

// defaultBufSize is the buffer size NewSniffer maps: one page, as much as
// a scan reads to recognise a file.
const defaultBufSize = 4096

// grow makes sure every buffer of mem holds at least size bytes.
func (s *Sniffer) grow(size int) error {
	if s.mem != nil && size <= s.bufSize {
		return nil
	}
	size = (size + defaultBufSize - 1) &^ (defaultBufSize - 1)
	m, err := unix.Mmap(-1, 0, s.n*(size+pathMax), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return &Error{Op: "mmap", Err: err}
	}
	if s.mem != nil {
		unix.Munmap(s.mem)
	}
	s.mem, s.bufSize = m, size
	return nil
}

// buf returns request i's buffer in mem, with room for n bytes.
func (s *Sniffer) buf(i, n int) []byte {
	off := i * s.bufSize
	return s.mem[off : off+n : off+n]
}

// name returns request i's name slot in mem.
func (s *Sniffer) name(i int) []byte {
	off := s.n*s.bufSize + i*pathMax
	return s.mem[off : off+pathMax : off+pathMax]
}

// Sniff carries out every request (len(reqs) at most the n given to
// NewSniffer) and sets each one's N and Err; see [Request]. Requests are
// independent: the order in which they run is unspecified.
//
// The error is for the ring itself; the Sniffer is then unusable. It is
// an [*Error], or wraps os.ErrClosed after Close.
func (s *Sniffer) Sniff(reqs []Request) error {
	if s.r == nil {
		return &Error{Op: "Sniff", Err: os.ErrClosed}
	}
	if s.err != nil {
		return s.err
	}
	if len(reqs) > s.n {
		return &Error{Op: "Sniff", Err: fmt.Errorf("%d requests in a batch, more than the %d the Sniffer was made for", len(reqs), s.n)}
	}
	size := 0
	for i := range reqs {
		reqs[i].N, reqs[i].Err = 0, nil
		size = max(size, min(len(reqs[i].Buf), MaxRead))
	}
	if err := s.grow(size); err != nil {
		return err
	}
	clear(s.results) // none of an earlier batch's results survive into this one
	chains := 0
	for i := range reqs {
		if s.queue(i, &reqs[i]) {
			chains++
		}
	}
	if err := s.wait(3 * chains); err != nil {
		s.err = err
		return err
	}
	for i := range reqs {
		s.finish(i, &reqs[i])
	}
	return nil
}

// queue queues request i's chain, or sets its Err and reports false when
// the request cannot be expressed.
func (s *Sniffer) queue(i int, req *Request) bool {
	switch {
	case strings.IndexByte(req.Name, 0) >= 0:
		req.Err = pathError("open", req.Name, unix.EINVAL) // as unix.BytePtrFromString
		return false
	case len(req.Name) >= pathMax:
		req.Err = pathError("open", req.Name, unix.ENAMETOOLONG)
		return false
	case int(int32(req.Dir)) != req.Dir:
		req.Err = pathError("open", req.Name, unix.EBADF) // no descriptor is that large
		return false
	}
	name := s.name(i)
	copy(name, req.Name)
	name[len(req.Name)] = 0
	// A read of no bytes returns 0 from io_uring even on a directory,
	// where pread fails with EISDIR; reading one byte, which finish
	// does not copy into the empty Buf, gives pread's answer.
	buf := s.buf(i, max(1, min(len(req.Buf), MaxRead)))
	slot := uint32(i)
	ud := uint64(i) << stepBits

	// A chain breaks at a failed step whose link is IOSQE_IO_LINK: a
	// failed open cancels the read and the close (-ECANCELED), and there
	// is nothing to close. The read's link is IOSQE_IO_HARDLINK because
	// the kernel counts a short read (any file smaller than the buffer)
	// as a failure, and the close must run whatever the read did.
	s.r.push(&sqe{
		opcode:    opOpenat,
		flags:     sqeIOLink,
		fd:        int32(req.Dir),
		addr:      addr(name),
		opFlags:   uint32(req.Flags&^unix.O_CLOEXEC | unix.O_LARGEFILE), // the kernel refuses O_CLOEXEC for a direct descriptor; unix.Openat adds O_LARGEFILE
		fileIndex: slot + 1,                                             // 0 would mean an ordinary descriptor
		userData:  ud | stepOpen,
	})
	s.r.push(&sqe{
		opcode:   opRead,
		flags:    sqeFixedFile | sqeIOHardlink,
		fd:       int32(slot),
		addr:     addr(buf),
		len:      uint32(len(buf)),
		off:      0,
		userData: ud | stepRead,
	})
	s.r.push(&sqe{
		opcode:    opClose,
		fileIndex: slot + 1,
		userData:  ud | stepClose,
	})
	s.results[i].queued = true
	return true
}

// maxStalls bounds how many times in a row wait retries io_uring_enter
// when it fails with EAGAIN or EBUSY and nothing completes meanwhile.
const maxStalls = 1000

// batchTimeout is how long wait lets a batch run before it cancels the
// steps still running, and then how long it waits for the cancellations.
//
// Open, read and close of a file complete by themselves, however slow
// the disk, and a batch of them in milliseconds. What may never complete
// is a read of something that is no longer a regular file: a named pipe
// swapped in after the walk listed the name, whose writer is attached but
// silent. io_uring does not apply the descriptor's O_NONBLOCK to a pipe;
// it waits for data, where pread would have failed with ESPIPE.
var batchTimeout = 2 * time.Second

// wait submits the queued entries and reaps completions until want have
// arrived (three per chain). If they have not after batchTimeout, it
// cancels the open and read of each unfinished chain: those complete with
// ECANCELED, which callers treat as any failed request. If the cancelled
// steps still do not complete within batchTimeout, the ring is given up.
//
// The deadline bounds the whole batch, not the time since the last
// completion: the kernel's timed wait returns at its deadline, not at
// each completion, and says nothing of when they arrived.
//
// The first call only submits, and wait takes what completed meanwhile:
// with the files in the page cache that is every chain, and the batch
// costs one system call and no timer (BenchmarkSniff measured a timed
// wait from the start 13% slower per file).
func (s *Sniffer) wait(want int) error {
	stalls := 0
	cancelled := false
	deadline := time.Now().Add(batchTimeout)
	for got, submitted := 0, false; got < want; submitted = true {
		var err error
		if !submitted {
			err = s.r.submit(s.r.unsubmitted())
		} else {
			err = s.r.enterTimeout(s.r.unsubmitted(), uint32(want-got), max(time.Millisecond, time.Until(deadline)))
		}
		s.cqes = s.r.reap(s.cqes[:0])
		for i := range s.cqes {
			s.record(&s.cqes[i])
		}
		got += len(s.cqes)
		switch err {
		case nil, unix.EINTR, unix.ETIME:
			// EINTR: a signal (the Go runtime's preemption, often) ended
			// the wait; entries already submitted stay submitted. ETIME:
			// the deadline passed with no completion; the kernel returns
			// nil instead when some arrived.
			stalls = 0
		case unix.EAGAIN, unix.EBUSY:
			// The kernel was short of memory for requests, or holds
			// completions the ring had no room for; reaping made room.
			if len(s.cqes) > 0 {
				stalls = 0
			} else if stalls++; stalls > maxStalls {
				s.leak = true
				return &Error{Op: "io_uring_enter", Err: err}
			}
		default:
			s.leak = true
			return &Error{Op: "io_uring_enter", Err: err}
		}
		if got == want || time.Now().Before(deadline) {
			continue
		}
		if cancelled {
			s.leak = true
			return &Error{Op: "io_uring_enter", Err: fmt.Errorf("%d completions still missing %v after cancelling the unfinished requests", want-got, batchTimeout)}
		}
		n, err := s.cancelUnfinished()
		if err != nil {
			s.leak = true
			return err
		}
		want += n
		cancelled = true
		deadline = time.Now().Add(batchTimeout)
	}
	return nil
}

// record files a completion under its request and step.
func (s *Sniffer) record(c *cqe) {
	step := c.userData & (1<<stepBits - 1)
	if step == stepCancel {
		return // the cancelled step reports its own completion
	}
	r := &s.results[c.userData>>stepBits]
	r.done |= 1 << step
	switch step {
	case stepOpen:
		r.open = c.res
	case stepRead:
		r.read = c.res
	case stepClose:
		r.shut = c.res
	}
}

// cancelUnfinished queues an IORING_OP_ASYNC_CANCEL for the open and the
// read of every chain whose read has not completed, and returns how many
// it queued: each posts a completion of its own. Cancelling an open
// fails the rest of its chain; a read's hard link still runs the close.
// A cancel that finds nothing (the step completed meanwhile, or has not
// started) completes with ENOENT and does no harm.
func (s *Sniffer) cancelUnfinished() (int, error) {
	var targets []uint64
	for i := range s.results {
		r := &s.results[i]
		if !r.queued || r.done&(1<<stepRead) != 0 {
			continue
		}
		ud := uint64(i) << stepBits
		if r.done&(1<<stepOpen) == 0 {
			targets = append(targets, ud|stepOpen)
		}
		targets = append(targets, ud|stepRead)
	}
	if uint32(len(targets)) > s.r.room() {
		return 0, &Error{Op: "io_uring_enter", Err: fmt.Errorf("no room to cancel %d unfinished steps", len(targets))}
	}
	for _, t := range targets {
		s.r.push(&sqe{opcode: opAsyncCancel, addr: t, userData: t &^ (1<<stepBits - 1)}) // step bits 0: stepCancel
	}
	return len(targets), nil
}

// finish sets request i's N and Err from its chain's completions.
func (s *Sniffer) finish(i int, req *Request) {
	r := s.results[i]
	if !r.queued {
		return
	}
	if r.open > 0 {
		// A kernel that ignored file_index would have put an ordinary
		// descriptor in the process's table; the feature check in
		// NewSniffer rules such kernels out, but never leak one.
		unix.Close(int(r.open))
	}
	switch {
	case r.open < 0:
		req.Err = pathError("open", req.Name, syscall.Errno(-r.open))
	case r.read < 0:
		req.Err = pathError("read", req.Name, syscall.Errno(-r.read))
	default:
		req.N = copy(req.Buf, s.buf(i, int(r.read)))
		if r.shut < 0 {
			req.Err = pathError("close", req.Name, syscall.Errno(-r.shut))
		}
	}
}

// pathError returns the error of a request's failed step.
func pathError(op, name string, errno syscall.Errno) error {
	return &fs.PathError{Op: op, Path: name, Err: errno}
}

// Close releases the ring, its direct descriptors and the buffers.
// Closing a closed Sniffer does nothing and returns nil.
func (s *Sniffer) Close() error {
	if s.r == nil {
		return nil
	}
	err := s.r.close()
	if !s.leak {
		unix.Munmap(s.mem)
	}
	s.r, s.mem = nil, nil
	if err != nil {
		return &Error{Op: "close", Err: err}
	}
	return nil
}
