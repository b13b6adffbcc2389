package load

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nativego/nativego/internal/testenv"
)

func TestParseCPUList(t *testing.T) {
	tests := []struct {
		in   string
		want []int
		err  bool
	}{
		{in: "0", want: []int{0}},
		{in: "0-3,8,10-11", want: []int{0, 1, 2, 3, 8, 10, 11}},
		{in: " 3, 1,1-2 ", want: []int{1, 2, 3}},
		{in: "", err: true},
		{in: "a", err: true},
		{in: "3-1", err: true},
		{in: "-1", err: true},
		{in: "0-99999999999", err: true},
		{in: "1,,2", err: true},
	}
	for _, tt := range tests {
		got, err := ParseCPUList(tt.in)
		if (err != nil) != tt.err {
			t.Errorf("ParseCPUList(%q) error %v, want error %v", tt.in, err, tt.err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseCPUList(%q) (-want +got):\n%s", tt.in, diff)
		}
		if err == nil {
			if back, _ := ParseCPUList(FormatCPUList(got)); !slices.Equal(back, got) {
				t.Errorf("FormatCPUList(%v) = %q does not read back", got, FormatCPUList(got))
			}
		}
	}
}

func FuzzParseCPUList(f *testing.F) {
	// Seeds in the format of /sys/devices/system/cpu/online and taskset -c.
	for _, s := range []string{"0", "0-3", "0-3,8,10-11", "0-1023", ""} {
		f.Add(s)
	}
	if b, err := os.ReadFile("/sys/devices/system/cpu/online"); err == nil {
		f.Add(strings.TrimSpace(string(b)))
	}
	f.Fuzz(func(t *testing.T, s string) {
		cpus, err := ParseCPUList(s)
		if err != nil {
			return
		}
		if len(cpus) == 0 || len(cpus) > maxCPU || !slices.IsSorted(cpus) {
			t.Fatalf("ParseCPUList(%q) = %v", s, cpus)
		}
		back, err := ParseCPUList(FormatCPUList(cpus))
		if err != nil || !slices.Equal(back, cpus) {
			t.Fatalf("round trip of %v: %v, %v", cpus, back, err)
		}
	})
}

// The child half of TestSetAffinity: confine this process to its first
// allowed CPU, start more threads, and print every thread's allowed CPUs.
func init() {
	if os.Getenv("NATIVEGO_LOAD_AFFINITY_CHILD") != "1" {
		return
	}
	mine, err := Affinity(0)
	if err == nil {
		err = SetAffinity(mine[:1])
	}
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	// New threads must inherit the mask.
	done := make(chan bool)
	for range 8 {
		go func() {
			runtime.LockOSThread()
			time.Sleep(10 * time.Millisecond)
			done <- true
		}()
	}
	for range 8 {
		<-done
	}
	fmt.Printf("gomaxprocs %d want %d\n", runtime.GOMAXPROCS(0), 1)
	ents, _ := os.ReadDir("/proc/self/task")
	for _, e := range ents {
		b, _ := os.ReadFile("/proc/self/task/" + e.Name() + "/status")
		for line := range strings.Lines(string(b)) {
			if v, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok {
				fmt.Printf("thread %s\n", strings.TrimSpace(v))
			}
		}
	}
	fmt.Printf("want %s\n", FormatCPUList(mine[:1]))
	os.Exit(0)
}

func TestSetAffinity(t *testing.T) {
	if runtime.GOOS != "linux" {
		if err := SetAffinity([]int{0}); err != ErrNoAffinity {
			t.Fatalf("SetAffinity = %v, want ErrNoAffinity", err)
		}
		return
	}
	if testing.Short() {
		t.Skip("starts a child process; skipped in -short (qemu-user does not emulate sched_setaffinity for all threads)")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd, err := testenv.TestBinaryCommand(t.Context(), exe, "-test.run=^$")
	if err != nil {
		t.Fatal(err)
	}
	cmd.Env = append(os.Environ(), "NATIVEGO_LOAD_AFFINITY_CHILD=1")
	out := testenv.Run(t, cmd)
	var want string
	var threads []string
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		switch f[0] {
		case "gomaxprocs":
			if f[1] != f[3] {
				t.Errorf("GOMAXPROCS %s after SetAffinity of one CPU", f[1])
			}
		case "thread":
			threads = append(threads, f[1])
		case "want":
			want = f[1]
		}
	}
	if len(threads) < 2 {
		t.Fatalf("child listed %d threads:\n%s", len(threads), out)
	}
	for i, got := range threads {
		if got != want {
			t.Errorf("thread %d may run on CPUs %s, want %s", i, got, want)
		}
	}
}

func TestSharedCPUs(t *testing.T) {
	shared, err := SharedCPUs(os.Getpid())
	if runtime.GOOS != "linux" {
		if err != ErrNoAffinity {
			t.Fatalf("SharedCPUs = %v, want ErrNoAffinity", err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	mine, _ := Affinity(0)
	if !slices.Equal(shared, mine) || len(mine) == 0 {
		t.Errorf("a process shares %v with itself, want all of %v", shared, mine)
	}
}

func TestSelfCheckReport(t *testing.T) {
	// Recorded values: a generator that used 1.9 of its 2 CPUs for a
	// second (saturated with GOMAXPROCS 2 or fewer), and whose goroutines'
	// waits put p99 in the bucket (2ms, 4ms].
	s := selfCheck{cpu0: time.Second, cpu1: 2900 * time.Millisecond}
	s.wall0 = time.Unix(100, 0)
	s.wall1 = s.wall0.Add(time.Second)
	buckets := []float64{0, 1e-6, 1e-3, 2e-3, 4e-3}
	s.sched0 = schedSample{counts: []uint64{0, 0, 0, 0}, buckets: buckets}
	s.sched1 = schedSample{counts: []uint64{50, 40, 8, 2}, buckets: buckets}
	cfg, _ := Config{ServerPID: os.Getpid()}.withDefaults()
	g := s.report(cfg, 0)
	if g.CPU != 1900*time.Millisecond || !g.Saturated || runtime.GOMAXPROCS(0) <= 2 && !strings.Contains(strings.Join(g.Warnings, ""), "of its") {
		t.Errorf("cpu %v saturated %v, want 1.9s and true", g.CPU, g.Saturated)
	}
	if g.SchedLatencyP99 != 4*time.Millisecond || g.SchedLatencyP50 != time.Microsecond {
		t.Errorf("scheduler latency p50 %v p99 %v, want 1µs and 4ms", g.SchedLatencyP50, g.SchedLatencyP99)
	}
	joined := strings.Join(g.Warnings, "\n")
	if !strings.Contains(joined, "waited 4ms") {
		t.Errorf("no scheduler warning in %q", joined)
	}
	if runtime.GOOS == "linux" && !strings.Contains(joined, "shares CPUs") {
		t.Errorf("no shared-CPU warning in %q", joined)
	}
}

// The event loops' polling counts in the CPU time reported but not in the
// check for a CPU-bound generator: a generator at 95% of its CPUs, a fifth
// of them polling, is not saturated; without the polling it would be.
func TestSelfCheckPolling(t *testing.T) {
	procs := time.Duration(runtime.GOMAXPROCS(0))
	s := selfCheck{cpu0: time.Second, cpu1: time.Second + procs*950*time.Millisecond}
	s.wall0 = time.Unix(100, 0)
	s.wall1 = s.wall0.Add(time.Second)
	buckets := []float64{0, 1e-6, 1e-3}
	s.sched0 = schedSample{counts: []uint64{0, 0}, buckets: buckets}
	s.sched1 = schedSample{counts: []uint64{100, 0}, buckets: buckets}
	cfg, _ := Config{}.withDefaults()
	for _, tt := range []struct {
		polled    time.Duration
		saturated bool
	}{{0, true}, {procs * 200 * time.Millisecond, false}} {
		g := s.report(cfg, tt.polled)
		if g.Saturated != tt.saturated || g.Polled != tt.polled || g.CPU != procs*950*time.Millisecond {
			t.Errorf("polled %v: saturated %v, Polled %v, CPU %v; want %v, %v, %v (warnings %q)",
				tt.polled, g.Saturated, g.Polled, g.CPU, tt.saturated, tt.polled, procs*950*time.Millisecond, g.Warnings)
		}
	}
}
