// Package uring reads the first bytes of many files with few system
// calls, using Linux's io_uring.
//
// A scan that sniffs every file of a tree for a format's magic number
// spends most of its time entering and leaving the kernel: openat, pread
// and close for each file, three transitions for a few hundred
// nanoseconds of work. A [Sniffer] queues the open, the read and the close
// of a whole batch of files and hands them to the kernel in one
// io_uring_enter.
//
// # Use
//
// Each goroutine owns a Sniffer. When NewSniffer fails with an error
// wrapping errors.ErrUnsupported — another operating system, a kernel
// older than Linux 5.17, a seccomp filter, the kernel.io_uring_disabled
// sysctl, qemu-user — use plain system calls instead.
//
//	s, err := uring.NewSniffer(64)
//	if errors.Is(err, errors.ErrUnsupported) {
//		// openat, pread, close
//	}
//	defer s.Close()
//	reqs := []uring.Request{
//		{Dir: dirfd, Name: "a.out", Flags: unix.O_RDONLY | unix.O_NONBLOCK | unix.O_NOFOLLOW, Buf: make([]byte, 4096)},
//	}
//	if err := s.Sniff(reqs); err != nil { ... } // the ring failed
//	for _, r := range reqs {
//		if r.Err != nil { ... } // *fs.PathError: which step, which errno
//		magic := r.Buf[:r.N]
//	}
//
// # Testing the fallback
//
// Setting the environment variable [EnvDisable] to "off" makes
// NewSniffer fail as it does where io_uring is missing, so the tests of
// a caller can exercise its fallback on any machine:
//
//	t.Setenv(uring.EnvDisable, "off")
//
// # Kernel requirements
//
// Linux 5.17 or later (IORING_FEAT_LINKED_FILE, checked at NewSniffer),
// with IORING_OP_OPENAT, IORING_OP_READ and IORING_OP_CLOSE (probed), a
// registered file table of n slots (n ≤ RLIMIT_NOFILE) and io_uring
// allowed by kernel.io_uring_disabled and any seccomp filter.
// IORING_SETUP_SUBMIT_ALL (Linux 5.18) is used when offered.
//
// # Differences from pread
//
// The read is io_uring's IORING_OP_READ at offset 0, which, unlike
// pread, does not refuse files that cannot seek: on a named pipe, socket
// or terminal it reads as read(2) would (consuming what it reads) where
// pread fails with ESPIPE. Nor does it apply O_NONBLOCK there: the read
// of a pipe whose writer is attached but silent waits for data. So a
// batch that has not completed after a timeout has its unfinished
// requests cancelled, and they fail with ECANCELED.
//
// Regular files, directories and the errors of the open are the same as
// with openat and pread; the tests check this against the system calls.
package uring
