package benchkit

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/nativego/nativego/internal/testenv"
	"golang.org/x/perf/benchfmt"
)

// allocProgram touches 200 MiB of heap and holds it while it exits.
const allocProgram = `package main

import "os"

var sink []byte

func main() {
	sink = make([]byte, 200<<20)
	for i := 0; i < len(sink); i += 4096 {
		sink[i] = 1
	}
	os.Stdout.Write(sink[:1])
}
`

const mib = 1 << 20

func mustMeasureProcesses(t testing.TB) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("benchkit does not run commands on windows")
	}
}

// withoutTaskstats makes the test's runs use the ptrace exit stop.
func withoutTaskstats(t testing.TB) {
	taskstatsOff.Store(true)
	t.Cleanup(func() { taskstatsOff.Store(false) })
}

func measureOnce(t *testing.T, c Command, opts *MeasureOptions) Run {
	t.Helper()
	if opts == nil {
		opts = &MeasureOptions{}
	}
	opts.Runs = 1
	m, err := Measure(t.Context(), []Command{c}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Runs) != 1 {
		t.Fatalf("got %d runs, want 1", len(m.Runs))
	}
	return m.Runs[0]
}

func TestPeakRSS200MiB(t *testing.T) {
	mustMeasureProcesses(t)
	if testing.Short() {
		t.Skip("builds and runs a 200 MiB program in -short mode")
	}
	bin := testenv.Build(t, testenv.BuildSpec{GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, Source: allocProgram})
	r := measureOnce(t, Command{Args: []string{bin}}, &MeasureOptions{TreePeak: true})
	t.Logf("peak RSS %.1f MiB (%s), tree peak %.1f MiB", float64(r.PeakRSS)/mib, r.PeakRSSSource, float64(r.TreePeak)/mib)
	if lo, hi := int64(200*mib), int64(220*mib); r.PeakRSS < lo || r.PeakRSS > hi {
		t.Errorf("peak RSS = %d bytes, want 200 MiB within 10%%", r.PeakRSS)
	}
	if r.TreePeak != 0 && r.TreePeak < 200*mib {
		t.Errorf("tree peak = %d bytes, less than the 200 MiB one process touched", r.TreePeak)
	}
	if r.StartupEvent != "first-byte" {
		t.Errorf("startup event = %q, want first-byte (the program writes one byte)", r.StartupEvent)
	}
}

// TestPeakRSSNotInflatedByParent pins the Linux exec high-water
// pitfall: a child started by a process with a large heap reports that
// heap in its ru_maxrss. The large heap is made in a copy of this test
// binary, so that it does not raise the high-water mark of this process
// for the tests that follow.
func TestPeakRSSNotInflatedByParent(t *testing.T) {
	mustMeasureProcesses(t)
	if testing.Short() {
		t.Skip("touches 300 MiB in -short mode")
	}
	if os.Getenv("BENCHKIT_TEST_BIG_PARENT") == "1" {
		bigParent(t)
		return
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// A 200 MiB child below the 300 MiB parent: ru_maxrss says 300, so
	// the figure must come from the child's own exit-time mark, and a
	// multi-threaded Go program's, whose last thread to exit may not be
	// its first.
	bin := testenv.Build(t, testenv.BuildSpec{GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, Source: allocProgram})
	cmd := exec.CommandContext(t.Context(), self, "-test.run=^TestPeakRSSNotInflatedByParent$", "-test.v")
	cmd.Env = append(os.Environ(), "BENCHKIT_TEST_BIG_PARENT=1", "BENCHKIT_TEST_ALLOC_BIN="+bin)
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatal(err)
	}
}

var bigHeap []byte

func bigParent(t *testing.T) {
	bigHeap = make([]byte, 300*mib)
	for i := 0; i < len(bigHeap); i += 4096 {
		bigHeap[i] = 1
	}
	r := measureOnce(t, Command{Args: []string{"/bin/true"}}, nil)
	t.Logf("/bin/true peak RSS %.2f MiB (%s) beside a 300 MiB parent heap", float64(r.PeakRSS)/mib, r.PeakRSSSource)
	if r.PeakRSS == 0 && runtime.GOOS == "linux" {
		t.Fatalf("peak RSS unknown: %s", r.PeakRSSSource)
	}
	if r.PeakRSS > 16*mib {
		t.Errorf("/bin/true peak RSS = %.1f MiB: the parent's heap leaked into it", float64(r.PeakRSS)/mib)
	}
	if bin := os.Getenv("BENCHKIT_TEST_ALLOC_BIN"); bin != "" && runtime.GOOS == "linux" {
		for _, ptrace := range []bool{false, true} {
			if ptrace {
				withoutTaskstats(t)
			}
			r := measureOnce(t, Command{Args: []string{bin}}, nil)
			t.Logf("200 MiB program: peak RSS %.1f MiB (%s) beside a 300 MiB parent heap", float64(r.PeakRSS)/mib, r.PeakRSSSource)
			if lo, hi := int64(200*mib), int64(220*mib); r.PeakRSS < lo || r.PeakRSS > hi {
				t.Errorf("peak RSS = %d bytes (%s), want 200 MiB within 10%%", r.PeakRSS, r.PeakRSSSource)
			}
		}
	}
	// The oracle: GNU time forks /bin/true from its own small process.
	if gnuTime, err := exec.LookPath("/usr/bin/time"); err == nil {
		out, err := exec.Command(gnuTime, "-f", "%M", "/bin/true").CombinedOutput()
		if kib, perr := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64); err == nil && perr == nil {
			t.Logf("GNU time says %d KiB", kib)
			if d := float64(r.PeakRSS) - float64(kib*1024); d > 2*mib || d < -2*mib {
				t.Errorf("peak RSS %d bytes, GNU time %d KiB: differ by more than 2 MiB", r.PeakRSS, kib)
			}
		}
	}
}

// TestPeakRSSGoBuildLinker builds a program whose largest process is
// the linker, and checks the peak against the linker's own, observed
// independently by GNU time as -toolexec.
func TestPeakRSSGoBuildLinker(t *testing.T) {
	mustMeasureProcesses(t)
	if testing.Short() {
		t.Skip("go build in -short mode")
	}
	goCmd := testenv.GoTool(t)
	gnuTime, err := exec.LookPath("/usr/bin/time")
	if err != nil {
		t.Skip("GNU time (Debian package time) not installed: no independent oracle")
	}
	dir := t.TempDir()
	// net/http makes the link the build's largest step.
	src := "package main\n\nimport \"net/http\"\n\nfunc main() { http.ListenAndServe(\"\", nil) }\n"
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/link\n\ngo 1.26\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644)
	env := []string{"GOTOOLCHAIN=local", "GOFLAGS=-buildvcs=false", "CGO_ENABLED=0"}
	// Warm the build cache so that the compiles are cached and the link
	// (never cached by go build) dominates.
	warm := exec.CommandContext(t.Context(), goCmd, "build", "-o", filepath.Join(dir, "warm"), ".")
	warm.Dir, warm.Env = dir, mergeEnv(os.Environ(), env)
	if out, err := warm.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	r := measureOnce(t, Command{Args: []string{goCmd, "build", "-o", filepath.Join(dir, "a"), "."}, Dir: dir, Env: env}, nil)

	log := filepath.Join(dir, "time.log")
	toolexec := gnuTime + " -a -o " + log + " -f %C:%M"
	r2 := measureOnce(t, Command{Args: []string{goCmd, "build", "-toolexec", toolexec, "-o", filepath.Join(dir, "b"), "."}, Dir: dir, Env: env}, nil)
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	var link, largest int64
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		i := strings.LastIndexByte(line, ':')
		kib, err := strconv.ParseInt(line[i+1:], 10, 64)
		if err != nil {
			continue
		}
		if strings.Contains(line, "/link ") && !strings.Contains(line, "-V=full") {
			link = max(link, kib*1024)
		}
		largest = max(largest, kib*1024)
	}
	t.Logf("go build peak RSS %.1f MiB (%s); with -toolexec GNU time: %.1f MiB; the linker alone %.1f MiB; tree peak %.1f MiB",
		float64(r.PeakRSS)/mib, r.PeakRSSSource, float64(r2.PeakRSS)/mib, float64(link)/mib, float64(r.TreePeak)/mib)
	if link == 0 {
		t.Fatalf("GNU time saw no link step:\n%s", b)
	}
	if link < largest {
		t.Fatalf("the linker (%d) is not the build's largest tool (%d); the test's premise fails", link, largest)
	}
	// Linking is not deterministic in memory to the byte; 10% covers it.
	if d := float64(r.PeakRSS-link) / float64(link); d < -0.10 || d > 0.10 {
		t.Errorf("go build peak RSS %d bytes; the linker's own peak is %d bytes (%+.1f%%)", r.PeakRSS, link, 100*d)
	}
}

func TestFreshGOCACHE(t *testing.T) {
	mustMeasureProcesses(t)
	var seen []string
	opts := &MeasureOptions{Runs: 2, FreshGOCACHE: true}
	cmd := Command{Args: []string{"/bin/sh", "-c", `test -d "$GOCACHE" && test -z "$(ls -A "$GOCACHE")" && echo "$GOCACHE"`}}
	opts.Prepare = func(ctx context.Context, c Command) error { seen = append(seen, "prepare"); return nil }
	m, err := Measure(t.Context(), []Command{cmd}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Runs) != 2 || len(seen) != 2 {
		t.Fatalf("%d runs, %d prepares; want 2 and 2", len(m.Runs), len(seen))
	}
	if _, err := Measure(t.Context(), []Command{{Args: []string{"/bin/true"}, Env: []string{"GOCACHE=off"}}}, nil); !errors.Is(err, ErrGOCACHEOff) {
		t.Errorf("GOCACHE=off: err = %v, want ErrGOCACHEOff", err)
	}
}

func TestMeasureInterleavesAndWritesBenchfmt(t *testing.T) {
	mustMeasureProcesses(t)
	cmds := []Command{{Args: []string{"/bin/true"}}, {Name: "Sleep", Args: []string{"sleep", "0.01"}}}
	m, err := Measure(t.Context(), cmds, &MeasureOptions{Runs: 3, Warmup: 1, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Runs) != 6 {
		t.Fatalf("%d runs, want 6", len(m.Runs))
	}
	for round := 0; round < 3; round++ {
		a, b := m.Runs[2*round], m.Runs[2*round+1]
		if a.Round != round || b.Round != round || a.Command == b.Command {
			t.Errorf("round %d: runs %+v and %+v are not one of each command", round, a, b)
		}
	}
	var buf bytes.Buffer
	w := benchfmt.NewWriter(&buf)
	for _, r := range m.Results() {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	rd := benchfmt.NewReader(bytes.NewReader(buf.Bytes()), "measure")
	n := 0
	for rd.Scan() {
		res, ok := rd.Result().(*benchfmt.Result)
		if !ok {
			continue // unit metadata
		}
		n++
		if bytes.HasPrefix(res.Name, []byte("Startup/")) {
			continue
		}
		if _, ok := res.Value("sec/op"); !ok {
			t.Errorf("%s has no sec/op", res.Name)
		}
		user, _ := res.Value("user-sec/op")
		sys, _ := res.Value("sys-sec/op")
		if cpu, ok := res.Value("cpu-sec/op"); !ok || math.Abs(cpu-(user+sys)) > 1e-9 {
			t.Errorf("%s: cpu-sec/op %v (present %v), want user %v + sys %v", res.Name, cpu, ok, user, sys)
		}
		if v, ok := res.Value("sec/op"); ok && string(res.Name) == "Command/Sleep" && v < 0.01 {
			t.Errorf("Sleep took %v s, less than it sleeps", v)
		}
	}
	if n != 12 {
		t.Errorf("read back %d results, want 12:\n%s", n, buf.Bytes())
	}
	if !bytes.Contains(buf.Bytes(), []byte("BenchmarkCommand/Sleep 1 ")) || !bytes.Contains(buf.Bytes(), []byte("BenchmarkCommand/bin_true 1 ")) {
		t.Errorf("names missing:\n%s", buf.Bytes())
	}
}

func TestMeasureExitError(t *testing.T) {
	mustMeasureProcesses(t)
	_, err := Measure(t.Context(), []Command{{Args: []string{"/bin/sh", "-c", "echo oops >&2; exit 3"}}}, nil)
	var ee *ExitError
	if !errors.As(err, &ee) || ee.ExitCode != 3 || !strings.Contains(string(ee.Stderr), "oops") {
		t.Fatalf("err = %v, want an ExitError with status 3 and the stderr", err)
	}
}

func TestCommandName(t *testing.T) {
	for _, tt := range []struct {
		c    Command
		want string
	}{
		{Command{Name: "GoBuild"}, "GoBuild"},
		{Command{Args: []string{"go", "build", "./..."}}, "go_build_._..."},
		{Command{Args: []string{"sleep", "0.05"}}, "sleep_0.05"},
	} {
		if got := tt.c.name(); got != tt.want {
			t.Errorf("name of %q = %q, want %q", tt.c.Args, got, tt.want)
		}
	}
}
