package uring

import (
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

// BenchmarkSniff compares a Sniffer with openat, pread and close over the
// same 2000 files under /usr/share, each opened relative to its
// directory's descriptor (opened once, outside the timing), reading up to
// 4096 bytes of each. ns/file is the figure to compare.
func BenchmarkSniff(b *testing.B) {
	reqs := usrRequests(b, "/usr/share", 2000, 4096)
	perFile := func(b *testing.B) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(reqs)), "ns/file")
	}

	b.Run("syscalls", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for i := range reqs {
				r := &reqs[i]
				fd, err := unix.Openat(r.Dir, r.Name, r.Flags, 0)
				if err != nil {
					b.Fatal(err)
				}
				if r.N, err = unix.Pread(fd, r.Buf, 0); err != nil {
					b.Fatal(err)
				}
				unix.Close(fd)
			}
		}
		perFile(b)
	})
	for _, batch := range []int{16, 64, 256} {
		b.Run("uring/batch="+strconv.Itoa(batch), func(b *testing.B) {
			s := mustSniffer(b, batch)
			b.ReportAllocs()
			for b.Loop() {
				for start := 0; start < len(reqs); start += batch {
					if err := s.Sniff(reqs[start:min(start+batch, len(reqs))]); err != nil {
						b.Fatal(err)
					}
				}
			}
			perFile(b)
		})
	}
}
