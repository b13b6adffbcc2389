package metricsx_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nativego/nativego/metricsx"
)

// addCaptureSeeds seeds f with the real captures in blocks of 12 lines:
// small inputs keep each execution, and the minimization of a new
// input, quick (a whole 20 KB capture made the fuzzer spend its time
// minimizing).
func addCaptureSeeds(f *testing.F) {
	files, _ := filepath.Glob("testdata/gctrace-*.txt")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		var block []byte
		n := 0
		for line := range bytes.Lines(b) {
			block = append(block, line...)
			if n++; n%12 == 0 {
				f.Add(block)
				block = nil
			}
		}
		if block != nil {
			f.Add(block)
		}
	}
}

// FuzzGCTraceReader reads arbitrary output, checking that the counts add
// up, that every cycle read prints back as a line that parses to it, and
// that no more is passed on than came in (plus the newlines that end the
// pieces of torn lines).
func FuzzGCTraceReader(f *testing.F) {
	addCaptureSeeds(f)
	f.Add([]byte("gc 1 @0.1s 0%: 0.1+hi\n0.2+0.3 ms clock, 0.2+0/0.1/0+0.2 ms cpu, 4->4->1 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 2 P\n"))
	f.Add([]byte("GC forced\nscav 1 KiB work (bg), 0 KiB work (eager), 2 KiB now, 99% util\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		var other bytes.Buffer
		r := metricsx.NewGCTraceReader(bytes.NewReader(in), &other)
		for r.Scan() {
			c := r.Cycle()
			line := formatGCTraceLine(c, true)
			back, err := metricsx.ParseGCTraceLine([]byte(line))
			if err != nil {
				t.Fatalf("cycle %+v prints as %q, which does not parse: %v", c, line, err)
			}
			back.Repaired = c.Repaired
			if c != back {
				diff := cmp.Diff(c, back)
				t.Fatalf("%q (-read +reparsed)\n%s", line, diff)
			}
		}
		if err := r.Err(); err != nil {
			t.Fatal(err)
		}
		st := r.Stats()
		checkStatsSum(t, st)
		if limit := len(in) + int(st.Lines) + 2*int(st.Repaired); other.Len() > limit {
			t.Fatalf("passed on %d bytes of %d", other.Len(), len(in))
		}
	})
}

// FuzzParseGCTraceLine checks that a line that parses prints back, in
// the runtime's format, as a line that parses to the same cycle.
func FuzzParseGCTraceLine(f *testing.F) {
	files, _ := filepath.Glob("testdata/gctrace-*.txt")
	for _, name := range files {
		b, _ := os.ReadFile(name)
		for line := range bytes.Lines(b) {
			f.Add(bytes.TrimSuffix(line, []byte("\n")))
		}
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		c, err := metricsx.ParseGCTraceLine(line)
		if err != nil {
			return
		}
		back, err := metricsx.ParseGCTraceLine([]byte(formatGCTraceLine(c, true)))
		if err != nil {
			t.Fatal(err)
		}
		if c != back {
			t.Fatalf("(-parsed +reparsed)\n%s", cmp.Diff(c, back))
		}
	})
}
