package uring

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"syscall"

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
	open, read, shut int32 // each step's cqe.res
}

// The three steps of a chain, kept in the low bits of an sqe's user
// data (from 1: every step's bits are set in its datum); the request's
// index is in the bits above.
const (
	stepOpen = iota + 1
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
	// Each request takes three submission entries; the completion ring
	// is twice as large by default, so it never overflows.
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
	ok, err := s.r.supports(opOpenat, opRead, opClose)
	if err != nil {
		return &Error{Op: "io_uring_register(IORING_REGISTER_PROBE)", Err: err, Unsupported: refusal(err)}
	}
	if !ok {
		return &Error{Op: "io_uring_register(IORING_REGISTER_PROBE)", Err: errors.New("kernel lacks IORING_OP_OPENAT, IORING_OP_READ or IORING_OP_CLOSE"), Unsupported: true}
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
	s.results[i] = result{}
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

// wait submits the queued entries and reaps completions until want have
// arrived. The ops are file-system operations on files: one that would
// block is handed by the kernel to its own worker threads and still
// completes, so the wait ends.
func (s *Sniffer) wait(want int) error {
	stalls := 0
	for got := 0; got < want; {
		err := s.r.enter(s.r.unsubmitted(), uint32(want-got), enterGetEvents)
		s.cqes = s.r.reap(s.cqes[:0])
		for i := range s.cqes {
			c := &s.cqes[i]
			r := &s.results[c.userData>>stepBits]
			switch c.userData & (1<<stepBits - 1) {
			case stepOpen:
				r.open = c.res
			case stepRead:
				r.read = c.res
			case stepClose:
				r.shut = c.res
			}
		}
		got += len(s.cqes)
		switch err {
		case nil, unix.EINTR:
			// EINTR: a signal (the Go runtime's preemption, often) ended
			// the wait; entries already submitted stay submitted.
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
	}
	return nil
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
