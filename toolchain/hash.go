package toolchain

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"
)

// A digest is the SHA-256 of one file's content.
type digest [sha256.Size]byte

// maxHashWorkers bounds the goroutines hashing files at once. Hashing a
// Go tree (about 15,000 files, 250 MB) is limited by SHA-256 throughput
// and the disk; more workers than cores only add contention.
const maxHashWorkers = 16

// hashBufSize is each worker's copy buffer, reused across files.
const hashBufSize = 64 << 10

// digestAll returns the SHA-256 of each of n files, opened by open, using
// a bounded pool of workers that stream each file through a reused
// buffer. It stops at the first error or when ctx is done.
func digestAll(ctx context.Context, n int, open func(i int) (io.ReadCloser, error)) ([]digest, error) {
	sums := make([]digest, n)
	workers := min(runtime.GOMAXPROCS(0), maxHashWorkers, max(n, 1))
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, hashBufSize)
			h := sha256.New()
			for i := range next {
				if err := digestOne(h, buf, open, i, &sums[i]); err != nil {
					cancel(err)
				}
			}
		}()
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if ctx.Err() != nil { // a worker failed, or the caller gave up
		return nil, context.Cause(ctx)
	}
	return sums, nil
}

// onlyReader hides an *os.File's WriteTo, whose generic fallback would
// allocate a fresh 32 KiB buffer per file instead of using ours.
type onlyReader struct{ io.Reader }

func digestOne(h interface {
	io.Writer
	Reset()
	Sum([]byte) []byte
}, buf []byte, open func(int) (io.ReadCloser, error), i int, out *digest) error {
	r, err := open(i)
	if err != nil {
		return err
	}
	defer r.Close()
	h.Reset()
	if _, err := io.CopyBuffer(h, onlyReader{r}, buf); err != nil {
		return err
	}
	h.Sum(out[:0])
	return nil
}

// hash1 combines per-file digests into an "h1:" hash exactly as
// dirhash.Hash1 does: the SHA-256 of the lines "<hex sha256>  <name>\n"
// sorted by name. dirhash.Hash1 itself opens and hashes each file in turn;
// computing the per-file digests first lets them be hashed in parallel and
// reused for the per-file diff. The tests check the two agree on real
// trees.
func hash1(names []string, sums []digest) (string, error) {
	idx := make([]int, len(names))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return strings.Compare(names[a], names[b]) })
	h := sha256.New()
	var line []byte
	for _, i := range idx {
		if strings.Contains(names[i], "\n") {
			return "", errors.New("dirhash: filenames with newlines are not supported")
		}
		line = hex.AppendEncode(line[:0], sums[i][:])
		line = append(line, "  "...)
		line = append(line, names[i]...)
		line = append(line, '\n')
		h.Write(line)
	}
	return "h1:" + base64.StdEncoding.EncodeToString(h.Sum(nil)), nil
}
