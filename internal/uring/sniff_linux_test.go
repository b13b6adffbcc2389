package uring

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/nativego/nativego/internal/testenv"
)

// mustSniffer returns a Sniffer for batches of n, closed when t ends, or
// skips t with the reason when io_uring cannot be used here (qemu-user
// has no io_uring; neither do kernels before 5.17).
func mustSniffer(t testing.TB, n int) *Sniffer {
	t.Helper()
	s, err := NewSniffer(n)
	if errors.Is(err, errors.ErrUnsupported) {
		t.Skipf("io_uring unavailable, callers fall back to system calls: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// outcome is what a request came to, in a form cmp can compare.
type outcome struct {
	N     int
	Data  string
	Op    string // the failing step, or ""
	Errno syscall.Errno
}

// outcomeOf returns the outcome of a request Sniff carried out.
func outcomeOf(t *testing.T, r Request) outcome {
	t.Helper()
	o := outcome{N: r.N, Data: string(r.Buf[:r.N])}
	if r.Err != nil {
		var pe *fs.PathError
		if !errors.As(r.Err, &pe) || pe.Path != r.Name {
			t.Fatalf("%q: Err = %#v, want an *fs.PathError for the name", r.Name, r.Err)
		}
		o.Op = pe.Op
		if !errors.As(pe.Err, &o.Errno) {
			t.Fatalf("%q: Err = %v, want one wrapping a syscall.Errno", r.Name, r.Err)
		}
	}
	return o
}

// oracle carries out r with the plain system calls Sniff replaces:
// openat, pread, close.
func oracle(r Request) outcome {
	fd, err := unix.Openat(r.Dir, r.Name, r.Flags, 0)
	if err != nil {
		return outcome{Op: "open", Errno: err.(syscall.Errno)}
	}
	defer unix.Close(fd)
	buf := make([]byte, min(len(r.Buf), MaxRead))
	n, err := unix.Pread(fd, buf, 0)
	if err != nil {
		return outcome{Op: "read", Errno: err.(syscall.Errno)}
	}
	return outcome{N: n, Data: string(buf[:n])}
}

// A sniffCase is one request of TestSniffMatchesSyscalls.
type sniffCase struct {
	name   string
	req    Request
	reason string // why the outcome is what it is, for the reader
}

// sniffTree builds a directory of every kind of thing a scan meets and
// returns its path, a descriptor for it, and a request for each thing.
func sniffTree(t *testing.T) (string, int, []sniffCase) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, size := range []int{0, 1, 63, 4095, 4096, 10000} {
		b := make([]byte, size)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprint("f", size)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, err := range []error{
		os.Symlink("f4096", filepath.Join(dir, "link")),
		os.Mkdir(filepath.Join(dir, "sub"), 0o755),
		unix.Mkfifo(filepath.Join(dir, "fifo"), 0o644),
		os.WriteFile(filepath.Join(dir, "secret"), []byte("secret"), 0),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	dirfd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(dirfd) })

	const flags = unix.O_RDONLY | unix.O_NONBLOCK | unix.O_CLOEXEC
	page := func() []byte { return make([]byte, 4096) }
	req := func(name string, flags int, buf []byte) Request {
		return Request{Dir: dirfd, Name: name, Flags: flags, Buf: buf}
	}
	cases := []sniffCase{
		{"empty file", req("f0", flags, page()), ""},
		{"1 byte", req("f1", flags, page()), ""},
		{"63 bytes", req("f63", flags, page()), ""},
		{"4095 bytes", req("f4095", flags, page()), "short read by one byte"},
		{"4096 bytes", req("f4096", flags, page()), "exactly the buffer"},
		{"10000 bytes", req("f10000", flags, page()), "longer than the buffer"},
		{"10000 bytes, larger buffer", req("f10000", flags, make([]byte, 12000)), "the Sniffer grows its buffers"},
		{"nil buffer", req("f63", flags, nil), "reads nothing"},
		{"nil buffer on directory", req("sub", flags, nil), "a read of nothing still fails on a directory"},
		{"buffer beyond MaxRead", req("f10000", flags, make([]byte, MaxRead+1)), "capped at MaxRead"},
		{"symbolic link followed", req("link", flags, page()), ""},
		{"symbolic link, O_NOFOLLOW", req("link", flags|unix.O_NOFOLLOW, page()), "ELOOP"},
		{"missing", req("missing", flags, page()), "ENOENT"},
		{"directory", req("sub", flags, page()), "open succeeds, read fails with EISDIR"},
		{"O_DIRECTORY on a file", req("f1", flags|unix.O_DIRECTORY, page()), "ENOTDIR"},
		{"without O_CLOEXEC", req("f1", unix.O_RDONLY, page()), ""},
		{"empty name", req("", flags, page()), "ENOENT"},
		{"NUL in name", req("f1\x00x", flags, page()), "EINVAL, as unix.Openat"},
		{"name too long", req(strings.Repeat("x", 5000), flags, page()), "ENAMETOOLONG"},
		{"name of PATH_MAX-1 bytes", req(strings.Repeat("x", pathMax-1), flags, page()), "the longest name getname takes: ENAMETOOLONG for the component"},
		{"absolute name", req(filepath.Join(dir, "f63"), flags, page()), "Dir is ignored"},
		{"AT_FDCWD", Request{Dir: unix.AT_FDCWD, Name: filepath.Join(dir, "f1"), Flags: flags, Buf: page()}, ""},
		{"bad directory descriptor", Request{Dir: -1, Name: "f1", Flags: flags, Buf: page()}, "EBADF"},
		{"write-only open", req("f1", unix.O_WRONLY, page()), "read fails with EBADF"},
	}
	if os.Geteuid() != 0 {
		cases = append(cases, sniffCase{"unreadable", req("secret", flags, page()), "EACCES"})
	}
	return dir, dirfd, cases
}

// TestSniffMatchesSyscalls checks each request against openat, pread and
// close, in one batch and one at a time.
func TestSniffMatchesSyscalls(t *testing.T) {
	_, _, cases := sniffTree(t)
	want := make([]outcome, len(cases))
	for i, c := range cases {
		want[i] = oracle(c.req)
	}

	t.Run("batch", func(t *testing.T) {
		s := mustSniffer(t, len(cases))
		reqs := make([]Request, len(cases))
		for i, c := range cases {
			reqs[i] = c.req
		}
		if err := s.Sniff(reqs); err != nil {
			t.Fatal(err)
		}
		for i, c := range cases {
			if diff := cmp.Diff(want[i], outcomeOf(t, reqs[i])); diff != "" {
				t.Errorf("%s (%s): outcome mismatch (-syscalls +Sniff):\n%s", c.name, c.reason, diff)
			}
		}
	})
	t.Run("one at a time", func(t *testing.T) {
		s := mustSniffer(t, 1)
		for i, c := range cases {
			reqs := []Request{c.req}
			if err := s.Sniff(reqs); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want[i], outcomeOf(t, reqs[0])); diff != "" {
				t.Errorf("%s (%s): outcome mismatch (-syscalls +Sniff):\n%s", c.name, c.reason, diff)
			}
		}
	})
}

// TestSniffFIFO pins the one documented difference from pread: a named
// pipe opened with O_NONBLOCK makes pread fail with ESPIPE, while
// io_uring's read at offset 0 reads it as read(2) does. With no writer,
// that is end of file.
func TestSniffFIFO(t *testing.T) {
	dir := t.TempDir()
	if err := unix.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	req := Request{Dir: unix.AT_FDCWD, Name: filepath.Join(dir, "fifo"), Flags: unix.O_RDONLY | unix.O_NONBLOCK, Buf: make([]byte, 16)}
	if got, want := oracle(req), (outcome{Op: "read", Errno: unix.ESPIPE}); got != want {
		t.Errorf("pread of a FIFO: %+v, want %+v", got, want)
	}
	s := mustSniffer(t, 1)
	reqs := []Request{req}
	if err := s.Sniff(reqs); err != nil {
		t.Fatal(err)
	}
	if got, want := outcomeOf(t, reqs[0]), (outcome{}); got != want {
		t.Errorf("Sniff of a FIFO without writer: %+v, want %+v (end of file)", got, want)
	}
}

// TestSniffFIFOWithWriter checks that a named pipe whose writer is
// attached but has written nothing does not block Sniff. io_uring ignores
// the descriptor's O_NONBLOCK and waits for data; Sniff cancels the read
// after batchTimeout.
func TestSniffFIFOWithWriter(t *testing.T) {
	defer func(d time.Duration) { batchTimeout = d }(batchTimeout)
	batchTimeout = 100 * time.Millisecond
	name := tempFIFO(t)
	// O_RDWR opens a FIFO without waiting on Linux, and holds a writer.
	writer, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	s := mustSniffer(t, 1)
	reqs := []Request{{Dir: unix.AT_FDCWD, Name: name, Flags: unix.O_RDONLY | unix.O_NONBLOCK, Buf: make([]byte, 16)}}
	sniffUnblocked(t, s, reqs, name)
	if got, want := outcomeOf(t, reqs[0]), (outcome{Op: "read", Errno: unix.ECANCELED}); got != want {
		t.Errorf("Sniff of a FIFO with a silent writer: %+v, want %+v", got, want)
	}
	checkUsable(t, s)
}

// TestSniffFIFOBlocking checks the cancellation of a chain that waits on
// a named pipe opened without O_NONBLOCK. io_uring's first attempt at the
// open does not wait for a writer (it opens nonblocking, then clears the
// flag), so it is the read that waits, until Sniff cancels it after
// batchTimeout; were the open to wait, its cancellation would end it
// the same way. Either way the request fails with ECANCELED, the other
// request of the batch is unaffected and the Sniffer stays usable.
func TestSniffFIFOBlocking(t *testing.T) {
	defer func(d time.Duration) { batchTimeout = d }(batchTimeout)
	batchTimeout = 100 * time.Millisecond
	name := tempFIFO(t)
	s := mustSniffer(t, 2)
	reqs := []Request{
		{Dir: unix.AT_FDCWD, Name: name, Flags: unix.O_RDONLY, Buf: make([]byte, 16)},
		selfRequest(),
	}
	sniffUnblocked(t, s, reqs, name)
	if got := outcomeOf(t, reqs[0]); got.Errno != unix.ECANCELED || got.N != 0 {
		t.Errorf("FIFO opened without O_NONBLOCK: %+v, want the open or read to fail with ECANCELED", got)
	}
	if got, want := outcomeOf(t, reqs[1]), selfOutcome; got != want {
		t.Errorf("the other request of the batch: %+v, want %+v", got, want)
	}
	checkUsable(t, s)
}

// tempFIFO makes a named pipe in a temporary directory.
func tempFIFO(t *testing.T) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "fifo")
	if err := unix.Mkfifo(name, 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

// sniffUnblocked runs s.Sniff(reqs) in a goroutine so that a regression
// that waits on the named pipe fifo fails the test rather than hanging
// it: after 30 s it writes to the pipe, which ends any wait on it, and
// fails.
func sniffUnblocked(t *testing.T, s *Sniffer, reqs []Request, fifo string) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- s.Sniff(reqs) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		if w, err := os.OpenFile(fifo, os.O_RDWR, 0); err == nil {
			w.Write([]byte("x"))
			defer w.Close()
		}
		<-done
		t.Fatalf("Sniff waited on the named pipe %s", fifo)
	}
}

// selfRequest asks for the first four bytes of this test binary, and
// selfOutcome is what it comes to.
func selfRequest() Request {
	return Request{Dir: unix.AT_FDCWD, Name: "/proc/self/exe", Flags: unix.O_RDONLY, Buf: make([]byte, 4)}
}

var selfOutcome = outcome{N: 4, Data: "\x7fELF"}

// checkUsable checks that s still carries out a request after a batch
// with cancelled chains, which therefore freed their slots.
func checkUsable(t *testing.T, s *Sniffer) {
	t.Helper()
	reqs := []Request{selfRequest()}
	if err := s.Sniff(reqs); err != nil {
		t.Fatal(err)
	}
	if got := outcomeOf(t, reqs[0]); got != selfOutcome {
		t.Errorf("Sniff after the cancellation: %+v, want %+v", got, selfOutcome)
	}
	if got := usedSlots(t, s); got != 0 {
		t.Errorf("after the cancellation: %d direct descriptors in use, want 0", got)
	}
}

// TestSniffUsr compares Sniff with the system calls over real files: the
// first 5000 regular files of /usr in walk order (500 with -short), each
// opened relative to its directory's descriptor, in batches of 64.
func TestSniffUsr(t *testing.T) {
	limit := 5000
	if testing.Short() {
		limit = 500
	}
	reqs := usrRequests(t, "/usr", limit, 4096)
	s := mustSniffer(t, 64)
	mismatches := 0
	for start := 0; start < len(reqs); start += 64 {
		batch := reqs[start:min(start+64, len(reqs))]
		if err := s.Sniff(batch); err != nil {
			t.Fatal(err)
		}
		for _, r := range batch {
			want := oracle(r)
			if diff := cmp.Diff(want, outcomeOf(t, r)); diff != "" {
				t.Errorf("%s: outcome mismatch (-syscalls +Sniff):\n%s", r.Name, diff)
				if mismatches++; mismatches > 10 {
					t.Fatal("too many mismatches")
				}
			}
		}
	}
	t.Logf("compared %d files", len(reqs))
}

// usrRequests returns requests for the first limit regular files under
// root, in walk order, each relative to a descriptor for its directory
// that stays open until t ends. It skips t if root has no files.
func usrRequests(t testing.TB, root string, limit, bufSize int) []Request {
	t.Helper()
	var reqs []Request
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		if len(reqs) >= limit {
			return filepath.SkipAll
		}
		entries, err := os.ReadDir(path)
		if err != nil {
			return nil
		}
		dirfd := -1
		for _, e := range entries {
			if !e.Type().IsRegular() || len(reqs) >= limit {
				continue
			}
			if dirfd < 0 {
				if dirfd, err = unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0); err != nil {
					return nil
				}
				fd := dirfd
				t.Cleanup(func() { unix.Close(fd) })
			}
			reqs = append(reqs, Request{Dir: dirfd, Name: e.Name(), Flags: unix.O_RDONLY | unix.O_NONBLOCK | unix.O_NOFOLLOW | unix.O_CLOEXEC, Buf: make([]byte, bufSize)})
		}
		return nil
	})
	if len(reqs) == 0 {
		t.Skipf("no regular files under %s", root)
	}
	return reqs
}

// TestSniffLeaves checks that neither batches nor Close leave anything
// open: the process's descriptor count returns to where it was, and after
// each batch the ring's direct-descriptor table is empty.
func TestSniffLeaves(t *testing.T) {
	_, _, cases := sniffTree(t)
	reqs := make([]Request, len(cases))
	before := testenv.OpenFiles(t)

	s := mustSniffer(t, len(cases))
	if got := usedSlots(t, s); got != 0 {
		t.Fatalf("new Sniffer: %d direct descriptors in use, want 0", got)
	}
	// A positive control, that usedSlots sees an occupied slot: an open
	// into slot 0 with no close.
	name := s.name(0)
	copy(name, "/\x00")
	s.r.push(&sqe{opcode: opOpenat, fd: unix.AT_FDCWD, addr: addr(name), opFlags: unix.O_RDONLY, fileIndex: 1})
	if err := s.wait(1); err != nil {
		t.Fatal(err)
	}
	if got := usedSlots(t, s); got != 1 {
		t.Fatalf("after an open into slot 0: %d direct descriptors in use, want 1", got)
	}

	for i := range 50 {
		for i, c := range cases {
			reqs[i] = c.req
		}
		if err := s.Sniff(reqs); err != nil {
			t.Fatal(err)
		}
		if got := usedSlots(t, s); got != 0 {
			t.Fatalf("after batch %d: %d direct descriptors in use, want 0", i, got)
		}
		if got := testenv.OpenFiles(t); got != before+1 { // the ring's own descriptor
			t.Fatalf("after batch %d: %d descriptors open, want %d", i, got, before+1)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v, want nil", err)
	}
	if got := testenv.OpenFiles(t); got != before {
		t.Errorf("after Close: %d descriptors open, want %d as before", got, before)
	}
}

// usedSlots returns how many of the ring's direct-descriptor slots hold
// a file, from the ring's /proc fdinfo: after "UserFiles:\tN" the kernel
// lists each occupied slot as "%5u: path" (io_uring/fdinfo.c).
func usedSlots(t *testing.T, s *Sniffer) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/self/fdinfo/%d", s.r.fd))
	if err != nil {
		t.Skipf("cannot read the ring's fdinfo: %v", err)
	}
	_, files, ok := strings.Cut(string(b), "\nUserFiles:")
	if !ok {
		t.Skipf("no UserFiles in the ring's fdinfo:\n%s", b)
	}
	files, _, _ = strings.Cut(files, "\nUserBufs:")
	n := 0
	for line := range strings.Lines(files) {
		if before, _, ok := strings.Cut(line, ": "); ok && strings.Trim(before, " 0123456789") == "" {
			n++
		}
	}
	return n
}

// TestSniffRlimitNofile checks that direct descriptors do not count
// against RLIMIT_NOFILE: with fewer free descriptors than the batch has
// files, the batch still succeeds.
func TestSniffRlimitNofile(t *testing.T) {
	const n = 64
	s := mustSniffer(t, n) // registering n slots needs n ≤ RLIMIT_NOFILE
	reqs := usrRequests(t, "/usr/share", n, 64)

	var old unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &old); err != nil {
		t.Fatal(err)
	}
	lim := old
	lim.Cur = uint64(testenv.OpenFiles(t) + 4)
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	defer unix.Setrlimit(unix.RLIMIT_NOFILE, &old)

	// The control: the same files opened with openat, all at once, run
	// out of descriptors.
	var fds []int
	for _, r := range reqs {
		fd, err := unix.Openat(r.Dir, r.Name, r.Flags, 0)
		if err != nil {
			if err != unix.EMFILE {
				t.Errorf("openat %s: %v, want EMFILE or success", r.Name, err)
			}
			break
		}
		fds = append(fds, fd)
	}
	for _, fd := range fds {
		unix.Close(fd)
	}
	if len(fds) == len(reqs) {
		t.Fatalf("with RLIMIT_NOFILE %d, openat opened all %d files", lim.Cur, len(reqs))
	}

	if err := s.Sniff(reqs); err != nil {
		t.Fatal(err)
	}
	for _, r := range reqs {
		if r.Err != nil {
			t.Errorf("with RLIMIT_NOFILE %d: %v", lim.Cur, r.Err)
		}
	}

	// The table itself counts: a ring with more slots than the limit is
	// refused, and that is a shortage, not a lack of io_uring.
	big := int(lim.Cur) + 1
	if s, err := NewSniffer(big); !errors.Is(err, unix.EMFILE) || errors.Is(err, errors.ErrUnsupported) {
		if s != nil {
			s.Close()
		}
		t.Errorf("NewSniffer(%d) with RLIMIT_NOFILE %d: %v, want EMFILE and not ErrUnsupported", big, lim.Cur, err)
	}
}

// TestDisabled checks the hook that hides io_uring from callers' tests.
func TestDisabled(t *testing.T) {
	t.Setenv(EnvDisable, "off")
	s, err := NewSniffer(8)
	if s != nil || !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("NewSniffer with %s=off = %v, %v; want nil and an error wrapping errors.ErrUnsupported", EnvDisable, s, err)
	}
	var e *Error
	if !errors.As(err, &e) || !e.Unsupported {
		t.Errorf("error %#v is not an *Error with Unsupported set", err)
	}
}

// TestSniffMisuse checks the errors of calls outside the contract.
func TestSniffMisuse(t *testing.T) {
	for _, n := range []int{0, -1, MaxBatch + 1} {
		if _, err := NewSniffer(n); err == nil || errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("NewSniffer(%d) = %v, want an error that is not ErrUnsupported", n, err)
		}
	}
	s := mustSniffer(t, 2)
	if err := s.Sniff(make([]Request, 3)); err == nil {
		t.Error("Sniff of 3 requests with a Sniffer for 2 succeeded")
	}
	if err := s.Sniff(nil); err != nil {
		t.Errorf("Sniff(nil) = %v", err)
	}
	s.Close()
	if err := s.Sniff(make([]Request, 1)); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Sniff after Close = %v, want os.ErrClosed", err)
	}
	var zero Sniffer
	if err := zero.Sniff(nil); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Sniff on a zero Sniffer = %v, want os.ErrClosed", err)
	}
	if err := zero.Close(); err != nil {
		t.Errorf("Close on a zero Sniffer = %v", err)
	}
}

// TestSniffConcurrent runs a Sniffer per goroutine, as scan workers do,
// for the race detector to watch.
func TestSniffConcurrent(t *testing.T) {
	reqs := usrRequests(t, "/usr/share", 256, 512)
	mustSniffer(t, 1) // skip early where io_uring is unavailable
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			s, err := NewSniffer(16)
			if err != nil {
				t.Error(err)
				return
			}
			defer s.Close()
			mine := make([]Request, 0, len(reqs)/4)
			for i := w; i < len(reqs); i += 4 {
				r := reqs[i]
				r.Buf = make([]byte, len(r.Buf))
				mine = append(mine, r)
			}
			for start := 0; start < len(mine); start += 16 {
				batch := mine[start:min(start+16, len(mine))]
				if err := s.Sniff(batch); err != nil {
					t.Error(err)
					return
				}
				for _, r := range batch {
					if want := oracle(r); want.Op != "" || want.Data != string(r.Buf[:r.N]) {
						t.Errorf("%s: Sniff read %d bytes, %v; system calls %+v", r.Name, r.N, r.Err, want)
					}
				}
			}
		})
	}
	wg.Wait()
}
