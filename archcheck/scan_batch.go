//go:build linux

package archcheck

import (
	"github.com/nativego/nativego/internal/uring"
)

// Identifying a batch of files with one system call.
//
// Opening, reading and closing each file costs three trips into the
// kernel for a few hundred nanoseconds of work in it; over a tree of a
// hundred thousand files the trips are most of a scan. Where Linux offers
// io_uring, each worker hands a whole batch of opens, reads and closes to
// the kernel at once (internal/uring), and takes only the files that need
// more down the plain path: executables, to parse, and anything the batch
// could not settle. Elsewhere, and when io_uring is refused, every file
// takes the plain path.

// batchReadSize is what a batched read asks of each file: the bytes
// Identify needs. Executables are read again on the plain path.
const batchReadSize = identifyMinSize

// A batchSniffer is a worker's ring and the requests it reuses.
type batchSniffer struct {
	sn   *uring.Sniffer
	reqs []uring.Request
	bufs []byte
}

// newBatchSniffer sets up a ring, or returns nil when io_uring is
// unavailable (another system, an old kernel, a seccomp filter, qemu-user,
// uring.EnvDisable) or refused for any other reason: the plain path is
// always there.
func newBatchSniffer() *batchSniffer {
	sn, err := uring.NewSniffer(jobBatch)
	if err != nil {
		return nil
	}
	return &batchSniffer{sn: sn, reqs: make([]uring.Request, jobBatch), bufs: make([]byte, jobBatch*batchReadSize)}
}

func (b *batchSniffer) close() {
	if b != nil {
		b.sn.Close()
	}
}

// identify reads the start of every file in batch through the ring and
// counts them. plain[i] reports whether job i still needs the plain path:
// an executable, a failed request (the plain path reports the error with
// what the file has become), or an empty read, which is also what a
// named pipe swapped in since the walk reads as (pread refuses a pipe;
// io_uring's read does not, and when the pipe's writer is silent the
// request fails, cancelled, after uring's batch timeout). It returns
// false, with plain untouched, when
// the ring fails, and the worker then drops the ring.
func (w *worker) identify(batch []job, plain []bool) bool {
	b := w.batch
	reqs := b.reqs[:len(batch)]
	for i, j := range batch {
		dir, name, flags := j.openat()
		reqs[i] = uring.Request{Dir: dir, Name: name, Flags: flags, Buf: b.bufs[i*batchReadSize : (i+1)*batchReadSize]}
	}
	if testHookOpen != nil {
		for _, j := range batch {
			if closed := testHookOpen(j.path()); closed != nil {
				defer closed()
			}
		}
	}
	if err := b.sn.Sniff(reqs); err != nil {
		return false
	}
	for i, r := range reqs {
		plain[i] = r.Err != nil || r.N == 0 || Identify(r.Buf[:r.N]) != FormatUnknown
		if !plain[i] { // settled here; the plain path counts the others
			w.files++
			w.bytes += int64(r.N)
		}
	}
	return true
}
