package uring

import "unsafe"

// The io_uring ABI: the structures and constants this package uses, with
// the names and values of include/uapi/linux/io_uring.h in the Linux
// source tree (https://github.com/torvalds/linux/blob/master/include/uapi/linux/io_uring.h).
// golang.org/x/sys/unix supplies only the system call numbers
// (SYS_IO_URING_SETUP, SYS_IO_URING_ENTER, SYS_IO_URING_REGISTER).

// params is struct io_uring_params: the argument of io_uring_setup,
// filled in by the kernel with the ring sizes, features and the offsets
// of the fields in the mapped rings.
type params struct {
	sqEntries    uint32
	cqEntries    uint32
	flags        uint32 // setup* flags
	sqThreadCPU  uint32
	sqThreadIdle uint32
	features     uint32 // feat* flags
	wqFD         uint32
	resv         [3]uint32
	sqOff        sqringOffsets
	cqOff        cqringOffsets
}

// sqringOffsets is struct io_sqring_offsets: where each field of the
// submission ring lies in its mapping.
type sqringOffsets struct {
	head, tail, ringMask, ringEntries, flags, dropped, array, resv1 uint32
	userAddr                                                        uint64
}

// cqringOffsets is struct io_cqring_offsets: where each field of the
// completion ring lies in its mapping.
type cqringOffsets struct {
	head, tail, ringMask, ringEntries, overflow, cqes, flags, resv1 uint32
	userAddr                                                        uint64
}

// sqe is struct io_uring_sqe, a submission queue entry, with each union
// reduced to the member this package uses: off, addr, open_flags (the
// op-flags union), buf_index, file_index (the splice_fd_in union) and
// addr3.
type sqe struct {
	opcode      uint8
	flags       uint8 // sqe* flags
	ioprio      uint16
	fd          int32
	off         uint64
	addr        uint64
	len         uint32
	opFlags     uint32
	userData    uint64
	bufIndex    uint16
	personality uint16
	fileIndex   uint32
	addr3       uint64
	_           uint64
}

// cqe is struct io_uring_cqe, a completion queue entry, without the
// 16 bytes of IORING_SETUP_CQE32, which this package does not set.
type cqe struct {
	userData uint64
	res      int32 // result, or a negated errno
	flags    uint32
}

// geteventsArg is struct io_uring_getevents_arg, the argument of
// io_uring_enter with enterExtArg: here, only a timeout for the wait.
type geteventsArg struct {
	sigmask   uint64
	sigmaskSz uint32
	minWait   uint32 // min_wait_usec (Linux 6.12), pad before
	ts        uint64 // address of a kernelTimespec
}

// kernelTimespec is struct __kernel_timespec.
type kernelTimespec struct {
	sec, nsec int64
}

// probeHeader is struct io_uring_probe without its flexible array of
// probeOp, which follows it in memory.
type probeHeader struct {
	lastOp uint8
	opsLen uint8
	resv   uint16
	resv2  [3]uint32
}

// probeOp is struct io_uring_probe_op.
type probeOp struct {
	op    uint8
	resv  uint8
	flags uint16 // opSupported
	resv2 uint32
}

// The sizes of the structures are fixed by the ABI; these declarations
// fail to compile if a field is added or mistyped.
var (
	_ [120 - unsafe.Sizeof(params{})]byte
	_ [unsafe.Sizeof(params{}) - 120]byte
	_ [64 - unsafe.Sizeof(sqe{})]byte
	_ [unsafe.Sizeof(sqe{}) - 64]byte
	_ [16 - unsafe.Sizeof(cqe{})]byte
	_ [unsafe.Sizeof(cqe{}) - 16]byte
	_ [16 - unsafe.Sizeof(probeHeader{})]byte
	_ [8 - unsafe.Sizeof(probeOp{})]byte
	_ [24 - unsafe.Sizeof(geteventsArg{})]byte
	_ [unsafe.Sizeof(geteventsArg{}) - 24]byte
)

// Offsets passed to mmap to select what to map (IORING_OFF_*).
const (
	offSQRing = 0
	offCQRing = 0x8000000
	offSQEs   = 0x10000000
)

// Setup flags (IORING_SETUP_*).
const (
	setupSubmitAll = 1 << 7 // Linux 5.18
)

// Features (IORING_FEAT_*).
const (
	featSingleMmap = 1 << 0
	featExtArg     = 1 << 8 // Linux 5.11: io_uring_enter takes a timeout
	// featLinkedFile (Linux 5.17) means a linked request resolves its
	// fixed file when it runs, not when it is submitted: without it the
	// read of an open → read chain would look up the direct descriptor
	// before the open had installed it, and fail with EBADF.
	featLinkedFile = 1 << 12
)

// Opcodes (enum io_uring_op).
const (
	opAsyncCancel = 14
	opOpenat      = 18
	opClose       = 19
	opRead        = 22
)

// SQE flags (IOSQE_*).
const (
	sqeFixedFile  = 1 << 0
	sqeIOLink     = 1 << 2
	sqeIOHardlink = 1 << 3
)

// io_uring_enter flags (IORING_ENTER_*).
const (
	enterGetEvents = 1 << 0
	enterExtArg    = 1 << 3 // Linux 5.11
)

// io_uring_register opcodes (IORING_REGISTER_*).
const (
	registerFiles = 2
	registerProbe = 8
)

// opSupported is IO_URING_OP_SUPPORTED, set in probeOp.flags.
const opSupported = 1 << 0
