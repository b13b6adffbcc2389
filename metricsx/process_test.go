package metricsx

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nativego/nativego/internal/testenv"
)

// Recorded on this Linux machine (Debian, amd64): /proc/self/stat of
// head(1), /proc/stat's btime line and the start of /proc/self/auxv.
const (
	recordedStat     = "26585 (head) R 26574 26574 4991 0 -1 4194304 102 0 0 0 0 0 0 0 20 0 1 0 62481 2998272 393 18446744073709551615 94480020774912 0 0"
	recordedProcStat = "cpu  1 2 3\nintr 5\nbtime 1796208678\nprocesses 26585\n"
	recordedStatus   = "Name:\thead\nVmPeak:\t    5880 kB\nVmHWM:\t    1972 kB\nVmRSS:\t    1904 kB\n"
)

func TestParseStat(t *testing.T) {
	tests := []struct {
		name  string
		stat  string
		ticks uint64
		ok    bool
	}{
		{"recorded", recordedStat, 62481, true},
		{"command with spaces and parentheses", "1 (a) b) c) S 0 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 777 0 0", 777, true},
		{"truncated", "1 (x) S 0 0", 0, false},
		{"no command", "1 x S", 0, false},
		{"not a number", "1 (x) S 0 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 zz 0", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStatStartTicks([]byte(tt.stat))
			if (err == nil) != tt.ok || got != tt.ticks {
				t.Errorf("parseStatStartTicks = %d, %v; want %d, ok %v", got, err, tt.ticks, tt.ok)
			}
		})
	}
	boot, err := parseBootTime([]byte(recordedProcStat))
	if err != nil || boot != 1796208678 {
		t.Errorf("parseBootTime = %d, %v", boot, err)
	}
	if _, err := parseBootTime([]byte("cpu 1\n")); err == nil {
		t.Error("parseBootTime without btime succeeded")
	}
	want := time.Unix(1796208678+624, 810*int64(time.Millisecond))
	if got := startTime(boot, 62481, 100); !got.Equal(want) {
		t.Errorf("startTime = %v, want %v", got, want)
	}
}

func TestParseAuxv(t *testing.T) {
	// The first entries of a recorded amd64 auxv: AT_SYSINFO_EHDR, AT_MINSIGSTKSZ,
	// AT_HWCAP, AT_PAGESZ, AT_CLKTCK = 100.
	pairs := []uint64{33, 139725314179072, 51, 3376, 16, 395045887, 6, 4096, 17, 100, 0, 0}
	for _, tt := range []struct {
		name  string
		size  int
		order interface {
			binary.ByteOrder
			binary.AppendByteOrder
		}
	}{{"64-bit little-endian", 8, binary.LittleEndian}, {"32-bit big-endian", 4, binary.BigEndian}} {
		t.Run(tt.name, func(t *testing.T) {
			var b []byte
			for _, v := range pairs {
				if tt.size == 4 {
					b = tt.order.AppendUint32(b, uint32(v))
				} else {
					b = tt.order.AppendUint64(b, v)
				}
			}
			if hz, ok := parseAuxvClockTicks(b, tt.size, tt.order); !ok || hz != 100 {
				t.Errorf("AT_CLKTCK = %d, %v; want 100", hz, ok)
			}
			if _, ok := parseAuxvClockTicks(b[:4*tt.size], tt.size, tt.order); ok {
				t.Error("found AT_CLKTCK in a vector cut before it")
			}
		})
	}
}

func TestParseStatus(t *testing.T) {
	if v, ok := parseStatusKB([]byte(recordedStatus), "VmHWM"); !ok || v != 1972*1024 {
		t.Errorf("VmHWM = %d, %v", v, ok)
	}
	if v, ok := parseStatusKB([]byte(recordedStatus), "VmRSS"); !ok || v != 1904*1024 {
		t.Errorf("VmRSS = %d, %v", v, ok)
	}
	for _, bad := range []string{"VmHWM:\t12 MB\n", "VmHWM:\tx kB\n", "VmHWM:\t99999999999999999999 kB\n", ""} {
		if v, ok := parseStatusKB([]byte(bad), "VmHWM"); ok {
			t.Errorf("parseStatusKB(%q) = %d", bad, v)
		}
	}
}

// TestDarwinConversions pins the macOS logic: ru_maxrss is bytes there
// (getrusage(2) on macOS; kilobytes on Linux), and kinfo_proc's
// p_starttime is a timeval. The values are those of a small Go program
// on an arm64 Mac: 15,958,016 bytes peak (the same program shows about
// 15,600 KiB on Linux).
func TestDarwinConversions(t *testing.T) {
	if got := maxRSSBytes("darwin", 15958016); got != 15958016 {
		t.Errorf("darwin maxrss = %d", got)
	}
	if got := maxRSSBytes("linux", 15584); got != 15584*1024 {
		t.Errorf("linux maxrss = %d", got)
	}
	if got := maxRSSBytes("darwin", -1); got != 0 {
		t.Errorf("negative maxrss = %d", got)
	}
	if got, want := timevalTime(1796208678, 250000), time.Unix(1796208678, 250*int64(time.Millisecond)); !got.Equal(want) {
		t.Errorf("timevalTime = %v, want %v", got, want)
	}
	if got := rusageCPUSeconds(1, 500000, 2, 750000); got != 4.25 {
		t.Errorf("rusageCPUSeconds = %v", got)
	}
}

// TestReadProcess compares ReadProcess on Linux with ps(1) and the
// descriptor count of internal/testenv.
func TestReadProcess(t *testing.T) {
	p, err := ReadProcess()
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "linux" {
		t.Skipf("ReadProcess on %s gives %+v; compared with ps only on Linux", runtime.GOOS, p)
	}
	all := ProcessCPU | ProcessMaxRSS | ProcessRSS | ProcessOpenFDs | ProcessMaxFDs | ProcessStartTime
	if p.Known != all {
		t.Errorf("Known = %b, want %b", p.Known, all)
	}
	if n := testenv.OpenFiles(t); p.OpenFDs == 0 || absDiff(p.OpenFDs, uint64(n)) > 2 {
		t.Errorf("OpenFDs = %d, /proc/self/fd lists %d", p.OpenFDs, n)
	}
	if p.RSSBytes == 0 || p.MaxRSSBytes < p.RSSBytes/2 || p.CPUSeconds <= 0 {
		t.Errorf("ReadProcess = %+v", p)
	}
	ps, err := exec.LookPath("ps")
	if err != nil {
		t.Skip("no ps to compare the start time with")
	}
	// ps -o lstart prints the start to the second, in the local zone.
	out, err := exec.Command(ps, "-o", "lstart=", "-p", strconv.Itoa(os.Getpid())).Output()
	if err != nil {
		t.Skipf("ps: %v", err)
	}
	want, err := time.ParseInLocation("Mon Jan _2 15:04:05 2006", strings.TrimSpace(string(bytes.Join(bytes.Fields(out), []byte(" ")))), time.Local)
	if err != nil {
		t.Fatalf("ps printed %q: %v", out, err)
	}
	if d := p.StartTime.Sub(want); d < -time.Second || d > 2*time.Second {
		t.Errorf("StartTime = %v, ps says %v", p.StartTime, want)
	}
}

func absDiff(a, b uint64) uint64 {
	if a > b {
		return a - b
	}
	return b - a
}
