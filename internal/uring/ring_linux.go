package uring

import (
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// This file holds all of the package's unsafe code: the ring's shared
// memory and the three io_uring system calls. The kernel and this
// process share the rings; a head or tail is read and written with
// sync/atomic, whose operations are sequentially consistent and so at
// least as strong as the acquire loads and release stores the ABI asks
// for. Every address handed to the kernel points into memory mapped by
// this package, never into the Go heap, so the garbage collector never
// has to be told about it.

// A ring is one io_uring instance and its mappings.
type ring struct {
	fd       int
	features uint32 // feat* flags

	sqMem, cqMem, sqeMem []byte // the mappings; cqMem aliases sqMem with featSingleMmap

	sqHead, sqTail *uint32 // the kernel advances sqHead, we advance sqTail
	sqMask         uint32
	sqArray        []uint32 // indexes into sqes, in submission order
	sqes           []sqe

	cqHead, cqTail *uint32 // we advance cqHead, the kernel advances cqTail
	cqMask         uint32
	cqes           []cqe
}

// setupRing creates a ring with room for entries submissions (the
// kernel rounds up to a power of two) and twice as many completions,
// asking for flags. It returns the name of the failing step and its
// errno.
func setupRing(entries uint32, flags uint32) (*ring, string, error) {
	p := params{flags: flags}
	fd, _, errno := unix.Syscall(unix.SYS_IO_URING_SETUP, uintptr(entries), uintptr(unsafe.Pointer(&p)), 0)
	if errno != 0 {
		return nil, "io_uring_setup", errno
	}
	r := &ring{fd: int(fd), features: p.features}
	if op, err := r.mapRings(&p); err != nil {
		r.close()
		return nil, op, err
	}
	return r, "", nil
}

// mapRings maps the submission ring, the completion ring and the array of
// submission entries, and points r's fields into them.
func (r *ring) mapRings(p *params) (op string, err error) {
	const prot, flags = unix.PROT_READ | unix.PROT_WRITE, unix.MAP_SHARED | unix.MAP_POPULATE
	sqSize := int(p.sqOff.array) + int(p.sqEntries)*4 // array holds a uint32 per entry
	cqSize := int(p.cqOff.cqes) + int(p.cqEntries)*int(unsafe.Sizeof(cqe{}))
	if r.features&featSingleMmap != 0 {
		// One mapping serves both rings (Linux 5.4): map the larger size.
		sqSize = max(sqSize, cqSize)
	}
	if r.sqMem, err = unix.Mmap(r.fd, offSQRing, sqSize, prot, flags); err != nil {
		return "mmap", err
	}
	if r.features&featSingleMmap != 0 {
		r.cqMem = r.sqMem
	} else if r.cqMem, err = unix.Mmap(r.fd, offCQRing, cqSize, prot, flags); err != nil {
		return "mmap", err
	}
	if r.sqeMem, err = unix.Mmap(r.fd, offSQEs, int(p.sqEntries)*int(unsafe.Sizeof(sqe{})), prot, flags); err != nil {
		return "mmap", err
	}

	r.sqHead = (*uint32)(unsafe.Pointer(&r.sqMem[p.sqOff.head]))
	r.sqTail = (*uint32)(unsafe.Pointer(&r.sqMem[p.sqOff.tail]))
	r.sqMask = *(*uint32)(unsafe.Pointer(&r.sqMem[p.sqOff.ringMask]))
	r.sqArray = unsafe.Slice((*uint32)(unsafe.Pointer(&r.sqMem[p.sqOff.array])), p.sqEntries)
	r.sqes = unsafe.Slice((*sqe)(unsafe.Pointer(&r.sqeMem[0])), p.sqEntries)

	r.cqHead = (*uint32)(unsafe.Pointer(&r.cqMem[p.cqOff.head]))
	r.cqTail = (*uint32)(unsafe.Pointer(&r.cqMem[p.cqOff.tail]))
	r.cqMask = *(*uint32)(unsafe.Pointer(&r.cqMem[p.cqOff.ringMask]))
	r.cqes = unsafe.Slice((*cqe)(unsafe.Pointer(&r.cqMem[p.cqOff.cqes])), p.cqEntries)
	return "", nil
}

// close unmaps the rings and closes the ring's descriptor. The kernel
// then cancels whatever is still in flight and releases the registered
// files in the background.
func (r *ring) close() error {
	// Munmap fails only for an address that is not mapped, which these
	// are by construction; the descriptor's close is the one to report.
	if r.sqeMem != nil {
		unix.Munmap(r.sqeMem)
	}
	if r.cqMem != nil && r.features&featSingleMmap == 0 {
		unix.Munmap(r.cqMem)
	}
	if r.sqMem != nil {
		unix.Munmap(r.sqMem)
	}
	r.sqMem, r.cqMem, r.sqeMem = nil, nil, nil
	r.sqes, r.cqes, r.sqArray = nil, nil, nil
	r.sqHead, r.sqTail, r.cqHead, r.cqTail = nil, nil, nil, nil
	return unix.Close(r.fd)
}

// supports reports whether the kernel implements every opcode in ops,
// asking it with IORING_REGISTER_PROBE (Linux 5.6).
func (r *ring) supports(ops ...uint8) (bool, error) {
	const maxOps = 256 // opcodes are a uint8
	var buf struct {
		h   probeHeader
		ops [maxOps]probeOp
	}
	if err := r.register(registerProbe, unsafe.Pointer(&buf), maxOps); err != nil {
		return false, err
	}
	for _, op := range ops {
		if int(op) >= int(buf.h.opsLen) || buf.ops[op].flags&opSupported == 0 {
			return false, nil
		}
	}
	return true, nil
}

// registerSparseFiles registers a table of n empty direct-descriptor
// slots, an array of n -1 entries being the form every kernel with direct
// descriptors accepts (IORING_REGISTER_FILES2 with
// IORING_RSRC_REGISTER_SPARSE came later, in Linux 5.19).
func (r *ring) registerSparseFiles(n int) error {
	fds := make([]int32, n)
	for i := range fds {
		fds[i] = -1
	}
	return r.register(registerFiles, unsafe.Pointer(&fds[0]), uint32(n))
}

// register calls io_uring_register, retrying when interrupted.
func (r *ring) register(op uint32, arg unsafe.Pointer, n uint32) error {
	for {
		_, _, errno := unix.Syscall6(unix.SYS_IO_URING_REGISTER, uintptr(r.fd), uintptr(op), uintptr(arg), uintptr(n), 0, 0)
		if errno != unix.EINTR {
			return errnoErr(errno)
		}
	}
}

// submit submits toSubmit entries without waiting for completions.
func (r *ring) submit(toSubmit uint32) error {
	_, _, errno := unix.Syscall6(unix.SYS_IO_URING_ENTER, uintptr(r.fd), uintptr(toSubmit), 0, 0, 0, 0)
	return errnoErr(errno)
}

// enterTimeout submits toSubmit entries and waits until at least
// minComplete completions are in the ring, or timeout has passed (ETIME).
// It may return early (EINTR, or once submission is done); callers look
// at the rings to see what happened.
func (r *ring) enterTimeout(toSubmit, minComplete uint32, timeout time.Duration) error {
	ts := kernelTimespec{sec: int64(timeout / time.Second), nsec: int64(timeout % time.Second)}
	arg := geteventsArg{ts: uint64(uintptr(unsafe.Pointer(&ts)))}
	// The kernel copies arg and ts during the call; both stay reachable
	// through the arguments until it returns.
	_, _, errno := unix.Syscall6(unix.SYS_IO_URING_ENTER, uintptr(r.fd), uintptr(toSubmit), uintptr(minComplete),
		enterGetEvents|enterExtArg, uintptr(unsafe.Pointer(&arg)), unsafe.Sizeof(arg))
	runtime.KeepAlive(&ts)
	return errnoErr(errno)
}

// room returns how many entries push may queue now.
func (r *ring) room() uint32 {
	return uint32(len(r.sqes)) - r.unsubmitted()
}

// errnoErr returns nil for 0, else errno as an error.
func errnoErr(errno unix.Errno) error {
	if errno == 0 {
		return nil
	}
	return errno
}

// unsubmitted returns how many queued entries the kernel has not yet
// consumed.
func (r *ring) unsubmitted() uint32 {
	return *r.sqTail - atomic.LoadUint32(r.sqHead)
}

// push queues e for submission; the caller makes sure the ring has room.
// Only this process writes sqTail, so it is read without an atomic; the
// atomic store publishes the entry to the kernel.
func (r *ring) push(e *sqe) {
	tail := *r.sqTail
	i := tail & r.sqMask
	r.sqes[i] = *e
	r.sqArray[i] = i
	atomic.StoreUint32(r.sqTail, tail+1)
}

// reap appends every completion in the ring to dst and frees their
// places in the ring.
func (r *ring) reap(dst []cqe) []cqe {
	head, tail := *r.cqHead, atomic.LoadUint32(r.cqTail)
	for h := head; h != tail; h++ {
		dst = append(dst, r.cqes[h&r.cqMask])
	}
	atomic.StoreUint32(r.cqHead, tail)
	return dst
}

// addr returns the address of b[0] as the kernel wants it in an sqe.
// b must be memory this package mapped (see Sniffer.mem), never the Go
// heap: the kernel may write to it after the system call that passed it
// returns.
func addr(b []byte) uint64 {
	return uint64(uintptr(unsafe.Pointer(unsafe.SliceData(b))))
}
