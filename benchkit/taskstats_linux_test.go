//go:build linux

package benchkit

import (
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

var captureTaskstats = flag.Bool("capture-taskstats", false, "rewrite testdata/taskstats/*.bin from this machine's kernel")

// mustHaveTaskstats skips a test where taskstats cannot be used: not
// root, not in the initial namespaces, or a kernel without it.
func mustHaveTaskstats(t testing.TB) {
	t.Helper()
	if err := taskstatsErr(); err != nil {
		t.Skipf("taskstats unavailable: %v", err)
	}
}

// TestPeakRSSSourceTaskstats runs /bin/true from this process, whose own
// high-water mark (tens of MiB) is what the child's ru_maxrss holds, so
// the figure must come from the child's exit records.
func TestPeakRSSSourceTaskstats(t *testing.T) {
	mustMeasureProcesses(t)
	mustHaveTaskstats(t)
	r := measureOnce(t, Command{Args: []string{"/bin/true"}}, nil)
	t.Logf("/bin/true: %.2f MiB (%s) %s", float64(r.PeakRSS)/mib, r.PeakRSSSource, r.PeakRSSNote)
	if r.PeakRSSSource != "taskstats" {
		t.Fatalf("rss-source = %q, want taskstats", r.PeakRSSSource)
	}
	if r.PeakRSS < 256<<10 || r.PeakRSS > 16*mib {
		t.Errorf("/bin/true peak RSS = %d bytes, want between 256 KiB and 16 MiB", r.PeakRSS)
	}
}

// TestPeakRSSPtraceFallback checks that the ptrace exit stop still
// measures where taskstats is unavailable, and that the two agree.
func TestPeakRSSPtraceFallback(t *testing.T) {
	mustMeasureProcesses(t)
	var viaTaskstats Run
	if taskstatsErr() == nil {
		viaTaskstats = measureOnce(t, Command{Args: []string{"/bin/true"}}, nil)
	}
	withoutTaskstats(t)
	if !canTrace() {
		t.Skip("ptrace is not allowed here")
	}
	// The fallback seizes the child after its execve: a /bin/true that
	// exits before that leaves the run without a figure ("unknown"),
	// which a slow (-race) parent sees now and then. Some run must get
	// one.
	var r Run
	for range 10 {
		if r = measureOnce(t, Command{Args: []string{"/bin/true"}}, nil); r.PeakRSSSource != "unknown" {
			break
		}
	}
	t.Logf("/bin/true: %.2f MiB (%s); with taskstats %.2f MiB (%s)", float64(r.PeakRSS)/mib, r.PeakRSSSource,
		float64(viaTaskstats.PeakRSS)/mib, viaTaskstats.PeakRSSSource)
	if r.PeakRSSSource != "vmhwm" {
		t.Fatalf("rss-source = %q, want vmhwm", r.PeakRSSSource)
	}
	if r.PeakRSS < 256<<10 || r.PeakRSS > 16*mib {
		t.Errorf("/bin/true peak RSS = %d bytes, want between 256 KiB and 16 MiB", r.PeakRSS)
	}
	// The same program's high-water mark, read two ways. Here VmHWM
	// read 0.1–0.15 MiB more than taskstats, run after run, while GNU
	// time's ru_maxrss agreed with taskstats: the RSS counters are
	// per-CPU, and /proc/<pid>/status appears to sum them exactly where
	// tsacct's get_mm_hiwater_rss reads the approximate total, off by at
	// most a counter batch (32 pages here) per CPU.
	if viaTaskstats.PeakRSS != 0 {
		if d := r.PeakRSS - viaTaskstats.PeakRSS; d > 512<<10 || d < -512<<10 {
			t.Errorf("ptrace says %d bytes, taskstats %d: differ by more than 512 KiB", r.PeakRSS, viaTaskstats.PeakRSS)
		}
	}
}

// TestTaskstatsConcurrentMeasure runs Measure from several goroutines
// at once: each run must be credited its own child's records, which
// the others' drains read too.
func TestTaskstatsConcurrentMeasure(t *testing.T) {
	mustMeasureProcesses(t)
	mustHaveTaskstats(t)
	cmds := []Command{{Args: []string{"/bin/true"}}, {Args: []string{"/bin/sh", "-c", "exec /bin/true"}}}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			m, err := Measure(t.Context(), cmds, &MeasureOptions{Runs: 10})
			if err != nil {
				errs <- err
				return
			}
			for _, r := range m.Runs {
				if r.PeakRSSSource != "taskstats" || r.PeakRSS <= 0 || r.PeakRSS > 16*mib {
					errs <- fmt.Errorf("%s: peak RSS %d bytes from %q (%s)", cmds[r.Command].name(), r.PeakRSS, r.PeakRSSSource, r.PeakRSSNote)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	l := taskstatsListener()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.watches) != 0 {
		t.Errorf("%d watches left after all runs", len(l.watches))
	}
}

// TestTaskstatsCaptured parses the records captured from a real kernel.
func TestTaskstatsCaptured(t *testing.T) {
	files, _ := filepath.Glob("testdata/taskstats/*.bin")
	if len(files) == 0 {
		t.Fatal("no testdata/taskstats/*.bin")
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		family := binary.NativeEndian.Uint16(b[4:])
		var recs []taskExit
		if err := parseTaskstats(b, family, func(r taskExit) { recs = append(recs, r) }, nil); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if len(recs) != 1 {
			t.Errorf("%s: %d records, want 1", name, len(recs))
			continue
		}
		r := recs[0]
		t.Logf("%s: %+v", filepath.Base(name), r)
		if r.version < tsFirstTGIDVersion || r.pid == 0 || r.tgid == 0 || r.hiwaterKiB == 0 {
			t.Errorf("%s: record %+v", name, r)
		}
		// Every cut of a record ends in an error or in no record, never
		// in a panic or a record read from bytes that are not there.
		for n := range len(b) {
			got := 0
			err := parseTaskstats(b[:n], family, func(taskExit) { got++ }, nil)
			if err == nil && got != 0 {
				t.Errorf("%s cut to %d bytes: %d records and no error", name, n, got)
			}
		}
	}
}

// TestParseTaskstatsMalformed pins the errors for lying lengths.
func TestParseTaskstatsMalformed(t *testing.T) {
	const family = 0x1c
	msg := func(typ uint16, payload []byte) []byte {
		b := binary.NativeEndian.AppendUint32(nil, uint32(nlmsgHdrLen+len(payload)))
		b = binary.NativeEndian.AppendUint16(b, typ)
		b = append(b, make([]byte, 10)...)
		return append(b, payload...)
	}
	attr := func(typ uint16, payload []byte) []byte {
		b := binary.NativeEndian.AppendUint16(nil, uint16(nlaHdrLen+len(payload)))
		b = binary.NativeEndian.AppendUint16(b, typ)
		b = append(b, payload...)
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
		return b
	}
	cat := func(parts ...[]byte) []byte {
		var b []byte
		for _, p := range parts {
			b = append(b, p...)
		}
		return b
	}
	genl := []byte{unix.TASKSTATS_CMD_NEW, 1, 0, 0}
	pid := attr(unix.TASKSTATS_TYPE_PID, binary.NativeEndian.AppendUint32(nil, 42))
	stats := make([]byte, tsMinLen)
	binary.NativeEndian.PutUint16(stats[tsOffVersion:], 17)
	binary.NativeEndian.PutUint32(stats[tsOffPID:], 42)
	binary.NativeEndian.PutUint32(stats[tsOffTGID:], 40)
	binary.NativeEndian.PutUint64(stats[tsOffHiwater:], 1234)
	record := func(pid, stats []byte) []byte {
		return msg(family, cat(genl, attr(unix.TASKSTATS_TYPE_AGGR_PID, cat(pid, attr(unix.TASKSTATS_TYPE_STATS, stats)))))
	}
	good := record(pid, stats)
	v15 := append([]byte(nil), stats...)
	binary.NativeEndian.PutUint16(v15[tsOffVersion:], 15)
	otherPID := append([]byte(nil), stats...)
	binary.NativeEndian.PutUint32(otherPID[tsOffPID:], 7)
	for _, tt := range []struct {
		name    string
		b       []byte
		want    []taskExit
		wantErr bool
	}{
		{"record", good, []taskExit{{version: 17, pid: 42, tgid: 40, hiwaterKiB: 1234}}, false},
		{"two messages", cat(good, good), []taskExit{{version: 17, pid: 42, tgid: 40, hiwaterKiB: 1234}, {version: 17, pid: 42, tgid: 40, hiwaterKiB: 1234}}, false},
		{"other family", msg(family+1, genl), nil, false},
		{"message longer than datagram", good[:len(good)-1], nil, true},
		{"message length below header", func() []byte { b := append([]byte(nil), good...); binary.NativeEndian.PutUint32(b, 3); return b }(), nil, true},
		{"attribute length zero", msg(family, cat(genl, []byte{0, 0, 4, 0})), nil, true},
		{"short stats", record(pid, stats[:tsMinLen-1]), nil, true},
		{"no pid", msg(family, cat(genl, attr(unix.TASKSTATS_TYPE_AGGR_PID, attr(unix.TASKSTATS_TYPE_STATS, stats)))), nil, true},
		{"pid disagrees", record(pid, otherPID), nil, true},
		{"version 15 layout", record(pid, v15), []taskExit{{version: 15}}, false},
		{"error code out of range", msg(unix.NLMSG_ERROR, []byte{1, 0, 0, 0}), nil, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []taskExit
			err := parseTaskstats(tt.b, family, func(r taskExit) { got = append(got, r) }, nil)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			var ne *netlinkError
			if err != nil && !errors.As(err, &ne) {
				t.Errorf("err = %T, want *netlinkError", err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("records %+v, want %+v", got, tt.want)
			}
		})
	}
}

func FuzzParseTaskstats(f *testing.F) {
	files, _ := filepath.Glob("testdata/taskstats/*.bin")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < 6 {
			return
		}
		family := binary.NativeEndian.Uint16(b[4:])
		parseTaskstats(b, family, func(r taskExit) {
			if r.tgid != 0 && r.version < tsFirstTGIDVersion {
				t.Errorf("record of version %d read as %+v", r.version, r)
			}
		}, func(netlinkStatus) {})
		parseFamilyID(b)
	})
}

// TestCaptureTaskstats rewrites testdata/taskstats with -capture-taskstats:
// the exit records of /bin/true and of a multi-threaded Go program (this
// test binary listing its tests), read from a second listener.
func TestCaptureTaskstats(t *testing.T) {
	if !*captureTaskstats {
		t.Skip("rewrites testdata with -capture-taskstats")
	}
	mustHaveTaskstats(t)
	l, err := openExitListener()
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(l.fd)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("testdata", "taskstats")
	os.MkdirAll(dir, 0o755)
	for _, c := range []struct {
		name string
		args []string
	}{{"bin-true", []string{"/bin/true"}}, {"go-threads", []string{self, "-test.list=^$"}}} {
		cmd := exec.Command(c.args[0], c.args[1:]...)
		if err := cmd.Run(); err != nil {
			t.Fatal(err)
		}
		pid := uint32(cmd.Process.Pid)
		saved := 0
		for saved < 16 {
			n, err := l.recv()
			if err == unix.EAGAIN {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if n < 0 || n > len(l.buf) {
				continue
			}
			b := l.buf[:n]
			mine := false
			parseTaskstats(b, l.family, func(r taskExit) { mine = mine || r.tgid == pid }, nil)
			if !mine {
				continue
			}
			name := filepath.Join(dir, fmt.Sprintf("%s-%d.bin", c.name, saved))
			if err := os.WriteFile(name, b, 0o644); err != nil {
				t.Fatal(err)
			}
			saved++
		}
		if saved == 0 {
			t.Errorf("%s: no record for pid %d", c.name, pid)
		}
	}
}

// TestTaskstatsLostRecordsRetried overflows the listener's socket for
// real: with the smallest receive buffer, the exit records of a shell's
// fifty children cannot all be queued, the kernel drops some and the
// next receive says ENOBUFS. The run's own figure is then not
// trustworthy, and Measure runs it again with the ptrace exit stop.
func TestTaskstatsLostRecordsRetried(t *testing.T) {
	mustMeasureProcesses(t)
	mustHaveTaskstats(t)
	if !canTrace() {
		t.Skip("ptrace is not allowed here")
	}
	l := taskstatsListener()
	size, err := unix.GetsockoptInt(l.fd, unix.SOL_SOCKET, unix.SO_RCVBUF)
	if err != nil {
		t.Fatal(err)
	}
	// The kernel doubles what it is given and applies its minimum.
	if err := unix.SetsockoptInt(l.fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 1); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.SetsockoptInt(l.fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, size/2) })

	var runs int
	opts := &MeasureOptions{Prepare: func(context.Context, Command) error { runs++; return nil }}
	r := measureOnce(t, Command{Args: []string{"/bin/sh", "-c", "for i in $(seq 50); do /bin/true; done"}}, opts)
	t.Logf("peak RSS %.2f MiB (%s) after %d runs: %s", float64(r.PeakRSS)/mib, r.PeakRSSSource, runs, r.PeakRSSNote)
	if r.PeakRSSSource != "vmhwm" || runs != 2 {
		t.Errorf("rss-source %q after %d runs, want vmhwm after 2 (taskstats, then the ptrace retry)", r.PeakRSSSource, runs)
	}
}
