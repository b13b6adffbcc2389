//go:build linux

package benchkit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nativego/nativego/benchkit/load"
	"github.com/nativego/nativego/metricsx"
	"golang.org/x/perf/benchfmt"
)

// Environment of the helper server, a copy of this test binary started
// by the tests below as the server under load.
const (
	helperMode    = "BENCHKIT_SERVER_HELPER"         // serve, crash or noterm
	helperAddr    = "BENCHKIT_SERVER_HELPER_ADDR"    // where to listen
	helperPIDFile = "BENCHKIT_SERVER_HELPER_PIDFILE" // where to write its process ID
)

// TestServerHelper is not a test: it is the server the tests start, in
// the mode helperMode names. It serves GET / with a JSON body built from
// a fresh 32 KiB buffer (so that the garbage collector has work), and
//
//   - serve: exits on SIGTERM as Go programs do by default, and serves
//     its runtime metrics at /debug/metrics (metricsx.Handler);
//   - crash: exits with status 3 after 50 requests, saying so on stderr;
//   - noterm: ignores SIGTERM, and starts a child (sleep) that inherits
//     the ignored SIGTERM, so that only a group SIGKILL ends both.
func TestServerHelper(t *testing.T) {
	mode := os.Getenv(helperMode)
	if mode == "" {
		t.Skip("the server the ServerBench tests start; not a test by itself")
	}
	if f := os.Getenv(helperPIDFile); f != "" {
		os.WriteFile(f, []byte(strconv.Itoa(os.Getpid())), 0o666)
	}
	if mode == "noterm" {
		signal.Ignore(syscall.SIGTERM)
		exec.Command("sleep", "300").Start()
	}
	ln, err := net.Listen("tcp", os.Getenv(helperAddr))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var n atomic.Int64
	mux := http.NewServeMux()
	mux.Handle("/debug/metrics", metricsx.Handler(metricsx.HandlerOptions{}))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if mode == "crash" && n.Add(1) > 50 {
			fmt.Fprintln(os.Stderr, "helper: crashing on purpose after 50 requests")
			os.Exit(3)
		}
		buf := make([]byte, 32<<10)
		json.NewEncoder(w).Encode(map[string]int{"len": len(buf)})
	})
	fmt.Printf("listening on %s\n", ln.Addr())
	http.Serve(ln, mux)
	os.Exit(0)
}

// helperServer returns a Server that runs this test binary as the
// helper in mode, and the file its process ID will be written to.
func helperServer(t *testing.T, mode string) (Server, string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	pidFile := filepath.Join(t.TempDir(), "pid")
	addr := freeAddr(t)
	return Server{
		Name: mode,
		Args: []string{exe, "-test.run=^TestServerHelper$"},
		Env:  []string{helperMode + "=" + mode, helperAddr + "=" + addr, helperPIDFile + "=" + pidFile},
		Addr: addr,
	}, pidFile
}

// freeAddr returns a loopback address nothing listens on, for now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// mustServe skips the spawning tests under emulation in -short mode:
// every server there is a second emulated process, too slow for CI's
// emulated run.
func mustServe(t *testing.T) {
	t.Helper()
	if testing.Short() && emulated() {
		t.Skip("starts servers under qemu-user; skipped in -short")
	}
}

// emulated reports whether this test binary runs under qemu-user,
// which keeps its own name in /proc/self/status.
func emulated() bool {
	b, _ := os.ReadFile("/proc/self/status")
	name, _, _ := strings.Cut(string(b), "\n")
	return strings.Contains(name, "qemu-")
}

// groupGone waits for the process group led by the process in pidFile
// to disappear, and fails t if it does not within 10 s: SIGKILL takes
// effect at once, but init reaps what the group leaves reparented to it
// on its own schedule.
func groupGone(t *testing.T, pidFile string) {
	t.Helper()
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatalf("the server never wrote its process ID: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 {
		t.Fatalf("bad process ID %q", b)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := syscall.Kill(-pid, 0)
		if errors.Is(err, syscall.ESRCH) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("process group %d still exists (kill -0: %v): orphans left behind", pid, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// runBench runs b with a bound well above what it should take, so that a
// hang fails the test instead of stalling it.
func runBench(t *testing.T, b *ServerBench) (*bytes.Buffer, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	var out bytes.Buffer
	start := time.Now()
	err := b.Run(ctx, benchfmt.NewWriter(&out))
	t.Logf("Run took %v; error: %v", time.Since(start).Round(time.Millisecond), err)
	if ctx.Err() != nil {
		t.Fatalf("Run did not end by itself: %v", err)
	}
	return &out, err
}

func TestServerReadyTimeout(t *testing.T) {
	mustServe(t)
	pidFile := filepath.Join(t.TempDir(), "pid")
	// A server that starts, says something and never listens.
	s := Server{
		Name: "deaf",
		Args: []string{"/bin/sh", "-c", `echo $$ > "$1"; echo "deaf: not listening" >&2; exec sleep 300`, "sh", pidFile},
		Addr: freeAddr(t),
	}
	_, err := runBench(t, &ServerBench{Servers: []Server{s}, ReadyTimeout: 500 * time.Millisecond, Rounds: 1})
	var se *ServerError
	if !errors.As(err, &se) || !errors.Is(err, ErrNotReady) || se.Op != "ready" || se.Round != 1 {
		t.Fatalf("got %v, want a ServerError for round 1 wrapping ErrNotReady", err)
	}
	if !strings.Contains(err.Error(), "deaf: not listening") {
		t.Errorf("error lacks the server's stderr tail:\n%v", err)
	}
	groupGone(t, pidFile)
}

func TestServerExitsBeforeReady(t *testing.T) {
	mustServe(t)
	s := Server{Name: "broken", Args: []string{"/bin/sh", "-c", `echo "broken: bad config" >&2; exit 7`}, Addr: freeAddr(t)}
	_, err := runBench(t, &ServerBench{Servers: []Server{s}, ReadyTimeout: 30 * time.Second, Rounds: 1})
	var se *ServerError
	if !errors.As(err, &se) || !errors.Is(err, ErrServerExited) || se.ExitCode != 7 {
		t.Fatalf("got %v, want a ServerError wrapping ErrServerExited with exit status 7", err)
	}
	if !strings.Contains(err.Error(), "broken: bad config") || !strings.Contains(err.Error(), "exit status 7") {
		t.Errorf("error lacks the status or stderr tail:\n%v", err)
	}
}

func TestServerCrashesUnderLoad(t *testing.T) {
	mustServe(t)
	s, pidFile := helperServer(t, "crash")
	// The load would last a minute; the crash must end it at once.
	_, err := runBench(t, &ServerBench{Servers: []Server{s}, Rounds: 1, Load: load.Config{Connections: 2, Duration: time.Minute}})
	var se *ServerError
	if !errors.As(err, &se) || !errors.Is(err, ErrServerExited) || se.Op != "load" || se.ExitCode != 3 {
		t.Fatalf("got %v, want a ServerError in load wrapping ErrServerExited with exit status 3", err)
	}
	if !strings.Contains(err.Error(), "crashing on purpose") {
		t.Errorf("error lacks the server's stderr tail:\n%v", err)
	}
	groupGone(t, pidFile)
}

func TestServerIgnoresSIGTERM(t *testing.T) {
	mustServe(t)
	s, pidFile := helperServer(t, "noterm")
	_, err := runBench(t, &ServerBench{Servers: []Server{s}, Rounds: 1, StopGrace: 300 * time.Millisecond,
		Load: load.Config{Connections: 2, Duration: 200 * time.Millisecond}})
	var se *ServerError
	if !errors.As(err, &se) || !errors.Is(err, ErrIgnoredSIGTERM) || se.Op != "stop" {
		t.Fatalf("got %v, want a ServerError in stop wrapping ErrIgnoredSIGTERM", err)
	}
	groupGone(t, pidFile)
}

func TestServerRounds(t *testing.T) {
	mustServe(t)
	s, pidFile := helperServer(t, "serve")
	s2, _ := helperServer(t, "serve")
	s2.Name = "again"
	s2.Metrics = "http://" + s2.Addr + "/debug/metrics"
	out, err := runBench(t, &ServerBench{Servers: []Server{s, s2}, Rounds: 2, Seed: 1,
		Load: load.Config{Connections: 2, Duration: 300 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	groupGone(t, pidFile)
	r := benchfmt.NewReader(bytes.NewReader(out.Bytes()), "out")
	got := map[string]int{}
	units := map[string]bool{}
	for r.Scan() {
		res, ok := r.Result().(*benchfmt.Result)
		if !ok {
			continue
		}
		got[res.GetConfig("config")]++
		for _, v := range res.Values {
			units[v.Unit] = true
		}
		if rps, ok := res.Value(UnitReqPerSec); !ok || rps <= 0 {
			t.Errorf("round without throughput: %v", res.Values)
		}
		want := map[string]string{"serve": "gctrace", "again": "metricsx"}[res.GetConfig("config")]
		if src := res.GetConfig("gc-source"); src != want {
			t.Errorf("%s: gc-source %q, want %q", res.GetConfig("config"), src, want)
		}
		if res.GetConfig("exec") == "" || res.GetConfig("round") == "" {
			t.Errorf("result lacks exec or round keys: %v", res.Config)
		}
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if got["serve"] != 2 || got["again"] != 2 {
		t.Errorf("results per config = %v, want 2 each", got)
	}
	for _, u := range []string{UnitReqPerSec, UnitP50, UnitP99, UnitGCPauseP99, UnitGCCycles, UnitAllocRate, UnitPeakRSS, UnitServerCPU} {
		if !units[u] {
			t.Errorf("no %s values in\n%s", u, out)
		}
	}

	b, err := NewBuilder(CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Read(bytes.NewReader(out.Bytes()), "out"); err != nil {
		t.Fatal(err)
	}
	var md bytes.Buffer
	if err := b.Build().WriteMetrics(&md, true); err != nil {
		t.Fatal(err)
	}
	if h := md.String(); !strings.Contains(h, "| metric | serve | again | vs serve |") && !strings.Contains(h, "| metric | again | serve | vs again |") {
		t.Errorf("table header not as expected:\n%s", md.String())
	}
}

func TestServerNotLoopback(t *testing.T) {
	for _, s := range []Server{
		{Name: "addr", Args: []string{"true"}, Addr: "192.0.2.1:80"},
		{Name: "ready", Args: []string{"true"}, Addr: "127.0.0.1:80", Ready: "http://192.0.2.1/health"},
	} {
		err := (&ServerBench{Servers: []Server{s}}).Run(t.Context(), benchfmt.NewWriter(&bytes.Buffer{}))
		if !errors.Is(err, ErrNotLoopback) {
			t.Errorf("%s: got %v, want ErrNotLoopback", s.Name, err)
		}
	}
}

func TestServerAddrInUse(t *testing.T) {
	mustServe(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	s := Server{Name: "late", Args: []string{"/bin/sh", "-c", "exit 0"}, Addr: ln.Addr().String()}
	_, err = runBench(t, &ServerBench{Servers: []Server{s}, Rounds: 1})
	if !errors.Is(err, ErrAddrInUse) {
		t.Fatalf("got %v, want ErrAddrInUse", err)
	}
}
