//go:build !linux

package archcheck

// A batchSniffer would be a worker's io_uring ring; only Linux has one,
// and elsewhere every file takes the plain path (see scan_batch.go).
type batchSniffer struct{}

func newBatchSniffer() *batchSniffer { return nil }

func (b *batchSniffer) close() {}

func (w *worker) identify(batch []job, plain []bool) bool { return false }
