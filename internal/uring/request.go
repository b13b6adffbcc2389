package uring

import (
	"errors"
	"os"
)

// MaxBatch is the most requests a Sniffer may be made for. Each takes
// three submission entries, and 3×4096 stays well within the kernel's
// 32768 (IORING_MAX_ENTRIES in io_uring/io_uring.h).
const MaxBatch = 4096

// MaxRead is the most bytes a request reads, whatever the length of its
// buffer: enough to recognise any file format, small enough that the
// Sniffer's buffers (MaxBatch × MaxRead at worst) stay reasonable.
const MaxRead = 64 << 10

// A Request names one file for [Sniffer.Sniff]: it is opened with
// openat(Dir, Name, Flags), read once, at offset 0, into Buf, and closed.
// Sniff sets N and Err.
type Request struct {
	// Dir is the directory Name is relative to: a descriptor, or
	// unix.AT_FDCWD. An absolute Name ignores it, as openat does.
	Dir int
	// Name is the file's name. It may not contain a NUL byte (the request
	// fails with EINVAL) and must be shorter than PATH_MAX, 4096 bytes
	// (else ENAMETOOLONG), as for openat.
	Name string
	// Flags are openat's flags, for example
	// unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOFOLLOW. O_CLOEXEC is
	// ignored: the file never has a descriptor in the process's table.
	// Without O_NONBLOCK, opening a named pipe waits for a writer, as
	// openat does.
	Flags int
	// Buf receives the bytes read. Its length, capped at MaxRead, bounds
	// the read. A nil or empty Buf receives nothing, but the read still
	// happens and can fail, as pread of no bytes fails on a directory.
	Buf []byte

	// N is the number of bytes read into Buf: less than len(Buf) when
	// the file is shorter.
	N int
	// Err is nil, or an *fs.PathError whose Op is the step that failed
	// ("open", "read" or "close"), whose Path is Name and whose Err is
	// the syscall.Errno the system call would have returned: ENOENT for
	// a missing file, ELOOP for a symbolic link opened with O_NOFOLLOW,
	// EISDIR for reading a directory; or ECANCELED for a step still
	// waiting when its batch timed out (see the package documentation).
	// When the open fails nothing is read and Err reports the open.
	Err error
}

// An Error reports a failure of the ring itself: of NewSniffer, or of a
// Sniff whose requests could not all be carried out. When Unsupported is
// set, errors.Is(err, errors.ErrUnsupported) is true: the kernel or its
// policy refuses io_uring, or lacks a feature this package needs, and
// callers should use plain system calls instead.
type Error struct {
	Op          string // the step that failed, such as "io_uring_setup"
	Err         error  // usually a syscall.Errno
	Unsupported bool
}

func (e *Error) Error() string {
	msg := "uring: " + e.Op + ": " + e.Err.Error()
	if e.Unsupported {
		msg += " (io_uring unsupported)"
	}
	return msg
}

// Unwrap returns Err, and errors.ErrUnsupported when Unsupported.
func (e *Error) Unwrap() []error {
	if e.Unsupported {
		return []error{e.Err, errors.ErrUnsupported}
	}
	return []error{e.Err}
}

// EnvDisable names the environment variable that hides io_uring: when it
// is "off", NewSniffer returns an error wrapping errors.ErrUnsupported
// without asking the kernel. Tests of callers set it (t.Setenv) to
// exercise their fallback to plain system calls; users can set it to
// rule io_uring out when a scan misbehaves.
const EnvDisable = "NATIVEGO_URING"

// disabledError returns the error NewSniffer returns when EnvDisable
// hides io_uring, or nil.
func disabledError() error {
	if v := os.Getenv(EnvDisable); v == "off" {
		return &Error{Op: "NewSniffer", Err: errors.New(EnvDisable + "=off"), Unsupported: true}
	}
	return nil
}
