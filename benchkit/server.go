package benchkit

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nativego/nativego/archcheck"
	"github.com/nativego/nativego/benchkit/load"
	"github.com/nativego/nativego/metricsx"
	"golang.org/x/perf/benchfmt"
)

// A Server is one configuration a [ServerBench] compares: a program that
// serves HTTP on a loopback address until it is sent SIGTERM.
type Server struct {
	// Name is the config key of its results: the column it fills.
	Name string

	// Args is the command line: the program (looked up in PATH when it
	// has no slash, relative to Dir when it has one) and its arguments.
	// When Package is set, Args holds only the built program's arguments.
	Args []string
	// Package, when set, is a Go package built with `go build` in Dir for
	// GOOS and GOARCH (the go command's defaults when empty), with
	// BuildFlags; the result is run with Args.
	Package      string
	GOOS, GOARCH string
	BuildFlags   []string

	Dir string   // working directory of the build and the server
	Env []string // entries that override or extend the environment

	// Exec, when set, is the wrapper the program runs under, overriding
	// the one ChooseExec picks from archcheck's verdict (qemu-user for a
	// foreign ELF binary when no binfmt_misc handler is registered,
	// `arch -x86_64` for Rosetta 2).
	Exec []string

	// Addr is the host:port the server listens on, which must be a
	// loopback address; ServerBench.Addr when empty.
	Addr string
	// Ready, when set, is a loopback URL that answers 2xx once the server
	// is ready; when empty the server is ready once Addr accepts TCP
	// connections.
	Ready string
	// Metrics, when set, is a loopback URL serving the server's runtime
	// metrics as metricsx.Handler does. Its GC figures and allocation
	// rate then come from runtime/metrics over the load (exact bytes,
	// histogram pause quantiles) instead of from gctrace (MiB-truncated
	// heap sizes), and results carry gc-source: metricsx.
	Metrics string
}

// ServerBench loads servers in interleaved rounds and records, per
// round, what the load generator saw and what the server spent.
//
// Every round starts each server once, in a fresh random order, as the
// Runner does: the server is started as the leader of its own process
// group with gctrace=1 appended to its GODEBUG, ready within
// ReadyTimeout, loaded by [load.Run] over raw HTTP/1.1 keep-alive
// connections for Load.Duration, then sent SIGTERM and, if still
// running after StopGrace, killed with its whole group.
//
// Each round gives one BenchmarkServer result whose iterations are the
// requests measured: throughput and latency quantiles from the
// generator; GC pause p99, GC cycles per second, GC CPU share and
// allocation rate over the load, from the server's gctrace (or its
// Metrics endpoint); the server's peak RSS, its VmHWM read just before
// SIGTERM (on Linux; elsewhere wait4's ru_maxrss), which under qemu-user
// is the emulator's process, guest and translator together; and its CPU
// time over its whole life, start-up included.
type ServerBench struct {
	Servers []Server

	// Addr is the address servers without their own listen on;
	// "127.0.0.1:8080" when empty.
	Addr string
	// Path is the request path; "/" when empty.
	Path string
	// Load configures the generator; its zero value is one connection in
	// a closed loop for load.DefaultDuration. ServerPID is set for each
	// round.
	Load load.Config
	// Rounds is the number of rounds; 6 when zero, the fewest for a 95%
	// confidence interval.
	Rounds int

	// ReadyTimeout bounds the wait for readiness; 30 s when zero, which
	// leaves room for a server starting under qemu-user on a busy
	// machine.
	ReadyTimeout time.Duration
	// StopGrace is how long a server has to exit after SIGTERM before its
	// group is killed; 5 s when zero.
	StopGrace time.Duration

	// Host is the machine the exec verdicts are about; DetectHost's
	// answer when nil.
	Host *archcheck.Host
	// GoCommand builds Servers with a Package; "go" from PATH when empty.
	GoCommand string
	Seed      uint64            // run order seed; random when 0
	Config    []benchfmt.Config // file configuration added to every result

	// Progress, when set, is called after each round of a server with
	// the rounds done and the total.
	Progress func(done, total int)
}

// Units of ServerBench's results, besides UnitPeakRSS. Latency units end
// in "-sec" so that benchstat scales them as times.
const (
	UnitReqPerSec   = "req/s"
	UnitP50         = "p50-sec"
	UnitP99         = "p99-sec"
	UnitErrors      = "errors"
	UnitGCPauseP99  = "gc-pause-p99-sec" // over single stop-the-world pauses, two per cycle
	UnitGCCycles    = "gc-cycles/s"
	UnitGCCPU       = "gc-cpu-%" // GC CPU time over the CPU capacity (GOMAXPROCS) of the load
	UnitAllocRate   = "alloc-B/s"
	UnitServerCPU   = "cpu-sec" // the server's user+system CPU time over its whole life
	defaultAddr     = "127.0.0.1:8080"
	defaultReady    = 30 * time.Second
	defaultGrace    = 5 * time.Second
	defaultRounds   = 6
	serverBenchName = "Server"
)

// serverUnits are ServerBench's units in table order, with which way is
// better.
var serverUnits = []struct{ unit, better string }{
	{UnitReqPerSec, "higher"},
	{UnitP50, "lower"},
	{UnitP99, "lower"},
	{UnitErrors, "lower"},
	{UnitGCPauseP99, "lower"},
	{UnitGCCycles, "lower"},
	{UnitGCCPU, "lower"},
	{UnitAllocRate, "lower"},
	{UnitPeakRSS, "lower"},
	{UnitServerCPU, "lower"},
}

// A preparedServer is a Server ready to start.
type preparedServer struct {
	s       Server
	argv    []string // wrapper, program path, arguments
	exec    *Exec
	goarch  string // of the program, when archcheck could read it
	isGo    bool   // the program has Go build information
	addr    string
	ready   string
	metrics string
}

// Run builds what needs building, runs the rounds and writes every
// result to w as it arrives, as BenchmarkServer with the config, exec,
// translated, emulated and round keys of KEYS.md. The first server that
// fails to build, start, become ready, survive its load or stop ends the
// run with a *ServerError; ctx's end stops the running server's group.
func (b *ServerBench) Run(ctx context.Context, w *benchfmt.Writer) error {
	if len(b.Servers) == 0 {
		return errors.New("benchkit: ServerBench has no servers")
	}
	seen := map[string]bool{}
	for _, s := range b.Servers {
		if s.Name == "" || seen[s.Name] {
			return fmt.Errorf("benchkit: server names must be unique and non-empty: %q", s.Name)
		}
		seen[s.Name] = true
		if len(s.Args) == 0 && s.Package == "" {
			return fmt.Errorf("benchkit: server %s has no command", s.Name)
		}
	}
	host := b.Host
	if host == nil {
		h, err := archcheck.DetectHost(ctx)
		if err != nil {
			return fmt.Errorf("benchkit: %w", err)
		}
		host = h
	}
	tmp, err := os.MkdirTemp("", "benchkit-servers-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	var ps []*preparedServer
	for i, s := range b.Servers {
		p, err := b.prepare(ctx, s, host, filepath.Join(tmp, strconv.Itoa(i)+"-server"))
		if err != nil {
			return err
		}
		ps = append(ps, p)
	}

	for _, u := range serverUnits {
		if err := w.Write(&benchfmt.UnitMetadata{UnitMetadataKey: benchfmt.UnitMetadataKey{Unit: u.unit, Key: "better"}, OrigUnit: u.unit, Value: u.better}); err != nil {
			return err
		}
	}
	rounds := b.Rounds
	if rounds <= 0 {
		rounds = defaultRounds
	}
	seed := b.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	rng := rand.New(rand.NewPCG(seed, seed))
	done, total := 0, rounds*len(ps)
	for round := 1; round <= rounds; round++ {
		for _, i := range rng.Perm(len(ps)) {
			r, err := b.round(ctx, ps[i], round)
			if err != nil {
				return err
			}
			if err := w.Write(b.result(ps[i], r, round, seed)); err != nil {
				return err
			}
			done++
			if b.Progress != nil {
				b.Progress(done, total)
			}
		}
	}
	return nil
}

// prepare checks s's addresses, builds its package if it has one and
// chooses how to start it.
func (b *ServerBench) prepare(ctx context.Context, s Server, host *archcheck.Host, bin string) (*preparedServer, error) {
	p := &preparedServer{s: s, addr: s.Addr, ready: s.Ready, metrics: s.Metrics}
	if p.addr == "" {
		p.addr = b.Addr
	}
	if p.addr == "" {
		p.addr = defaultAddr
	}
	fail := func(op string, err error) error { return &ServerError{Server: s.Name, Op: op, Err: err} }
	h, _, err := net.SplitHostPort(p.addr)
	if err != nil {
		return nil, fail("address", err)
	}
	if err := checkLoopback(h); err != nil {
		return nil, fail("address", err)
	}
	for _, raw := range []string{p.ready, p.metrics} {
		if raw == "" {
			continue
		}
		u, err := url.Parse(raw)
		if err != nil {
			return nil, fail("address", err)
		}
		if u.Scheme != "http" {
			return nil, fail("address", fmt.Errorf("%s: only http:// URLs are supported", raw))
		}
		if err := checkLoopback(u.Hostname()); err != nil {
			return nil, fail("address", err)
		}
	}
	args := s.Args
	if s.Package != "" {
		if err := b.build(ctx, s, bin); err != nil {
			return nil, fail("build", err)
		}
		args = append([]string{bin}, s.Args...)
	}
	path, err := lookPath(args[0], s.Dir)
	if err != nil {
		return nil, fail("start", err)
	}
	p.exec = &Exec{Label: "native"}
	if f, err := archcheck.Open(path); err == nil {
		// A program archcheck cannot read (a script) is started as it is.
		e, err := chooseExec(f, host, nil)
		if len(f.Slices) > 0 {
			p.goarch = f.Slices[0].Arch
			p.isGo = f.Slices[0].Go != nil
		}
		f.Close()
		if err != nil && s.Exec == nil {
			return nil, fail("start", err)
		}
		if err == nil {
			p.exec = e
		}
	}
	if s.Exec != nil {
		p.exec.Wrapper, p.exec.Label = s.Exec, strings.Join(s.Exec, " ")
	}
	p.argv = append(append(append([]string(nil), p.exec.Wrapper...), path), args[1:]...)
	if len(p.exec.Wrapper) > 0 {
		w, err := lookPath(p.exec.Wrapper[0], s.Dir)
		if err != nil {
			return nil, fail("start", err)
		}
		p.argv[0] = w
	}
	return p, nil
}

// checkLoopback reports an error unless host is a loopback IP address
// or "localhost".
func checkLoopback(host string) error {
	if host == "localhost" {
		return nil
	}
	a, err := netip.ParseAddr(host)
	if err != nil || !a.IsLoopback() {
		return fmt.Errorf("%s: %w", host, ErrNotLoopback)
	}
	return nil
}

func (b *ServerBench) build(ctx context.Context, s Server, out string) error {
	r := Runner{Dir: s.Dir, GoCommand: b.GoCommand}
	args := append([]string{"build", "-o", out}, s.BuildFlags...)
	cmd := r.goCmd(ctx, Config{GOOS: s.GOOS, GOARCH: s.GOARCH, Env: s.Env}, append(args, s.Package)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", s.Package, err, out)
	}
	return nil
}

// A serverRound is what one round measured.
type serverRound struct {
	load      *load.Result
	user, sys time.Duration
	peakRSS   int64
	rssSource string
	gc        metricsx.GCTraceSummary
	gcCycles  int     // cycles in the load window
	gcPerSec  float64 // gcCycles over the load window
	// gcSeen: the server is a Go program, or printed gctrace lines (a
	// Go program archcheck could not read, or one started by a script),
	// so that no cycle in the window means no collection, not no data.
	gcSeen bool
	// metrics, when the server serves them, is the runtime/metrics
	// window over the load, which replaces gc's figures.
	metrics *metricsx.Summary
	// dropped counts gctrace cycles beyond what a round keeps.
	dropped int
}

func (b *ServerBench) round(ctx context.Context, ps *preparedServer, round int) (*serverRound, error) {
	fail := func(op string, err error) *ServerError {
		return &ServerError{Server: ps.s.Name, Round: round, Op: op, Err: err}
	}
	// Readiness is another process's if it already holds the address.
	if c, err := net.DialTimeout("tcp", ps.addr, time.Second); err == nil {
		c.Close()
		return nil, fail("start", fmt.Errorf("%w: %s", ErrAddrInUse, ps.addr))
	}
	env := metricsx.WithGCTrace(mergeEnv(os.Environ(), ps.s.Env))
	p, err := startServer(ps.argv[0], ps.argv, env, ps.s.Dir)
	if err != nil {
		return nil, fail("start", err)
	}
	// However the round ends, the group is gone and the output read
	// before returning.
	stopped, cleanStop := false, true
	stop := func() {
		if !stopped {
			stopped = true
			cleanStop = p.stop(b.grace())
			p.finish()
		}
	}
	defer stop()
	exitErr := func(op string) *ServerError {
		stop()
		e := fail(op, ErrServerExited)
		e.ExitCode, e.Signal = p.exitStatus()
		e.Stderr = p.tail.Bytes()
		return e
	}

	if err := b.waitReady(ctx, p, ps); err != nil {
		if p.exited() {
			return nil, exitErr("ready")
		}
		stop()
		e := fail("ready", err)
		e.Stderr = p.tail.Bytes()
		return nil, e
	}

	tg, err := load.NewHTTP(load.HTTPConfig{URL: "http://" + ps.addr + b.path()})
	if err != nil {
		return nil, fail("load", err)
	}
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		// A server that dies under load ends the load at once instead
		// of leaving the generator to count refused connections.
		select {
		case <-p.done:
			cancel()
		case <-lctx.Done():
		}
	}()
	var src metricsx.Source
	var before, after metricsx.Snapshot
	if ps.metrics != "" {
		src = metricsx.HTTPSource(&http.Client{Timeout: 10 * time.Second}, ps.metrics)
		if err := src(ctx, &before); err != nil {
			return nil, fail("metrics", err)
		}
	}
	cfg := b.Load
	cfg.ServerPID = p.pid
	res, err := load.Run(lctx, tg, cfg)
	if p.exited() {
		return nil, exitErr("load")
	}
	if err != nil {
		return nil, fail("load", err)
	}
	var summary *metricsx.Summary
	if src != nil {
		if err := src(ctx, &after); err != nil {
			return nil, fail("metrics", err)
		}
		var w metricsx.Window
		if err := w.Set(&before, &after); err != nil {
			return nil, fail("metrics", err)
		}
		s := w.Summary()
		summary = &s
	}
	hwm := p.hwm()
	stop()
	if !cleanStop {
		e := fail("stop", fmt.Errorf("%w after a grace period of %v", ErrIgnoredSIGTERM, b.grace()))
		e.Stderr = p.tail.Bytes()
		return nil, e
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	r := &serverRound{load: res, metrics: summary, dropped: p.dropped}
	var maxRSS int64
	r.user, r.sys, maxRSS = p.usage()
	switch {
	case hwm > 0:
		r.peakRSS, r.rssSource = hwm, "vmhwm"
	case maxRSS > 0:
		// Without VmHWM (macOS) wait4's ru_maxrss is the only figure;
		// the exec high-water pitfall of proc_linux.go is Linux's.
		r.peakRSS, r.rssSource = maxRSS, "wait4"
	default:
		r.rssSource = "unknown"
	}
	r.gcSeen = ps.isGo || len(p.cycles) > 0
	// Keep the cycles that started while the load was measured. A
	// cycle's At counts from the runtime's start, a little after the
	// process's: the window is shifted late by that start-up time, a
	// few milliseconds natively and more under an emulator.
	from := res.Start.Add(res.Config.Warmup).Sub(p.start)
	to := from + res.Duration
	var in []metricsx.GCCycle
	for _, c := range p.cycles {
		if c.At >= from && c.At <= to {
			in = append(in, c)
		}
	}
	r.gc = metricsx.SummarizeGCTrace(in)
	r.gcCycles = len(in)
	if res.Duration > 0 {
		r.gcPerSec = float64(len(in)) / res.Duration.Seconds()
	}
	return r, nil
}

func (b *ServerBench) path() string {
	if b.Path == "" {
		return "/"
	}
	return b.Path
}

func (b *ServerBench) grace() time.Duration {
	if b.StopGrace > 0 {
		return b.StopGrace
	}
	return defaultGrace
}

// maxCycles bounds the GC cycles kept for one round, at about 150 bytes
// a cycle (20 MiB): a server that collects 200 times a second for a
// 10-minute round stays below it, and one that prints gctrace lines of
// its own cannot make the measuring process allocate without bound.
// Cycles beyond it are counted in dropped.
const maxCycles = 1 << 17

// readyPoll is the interval between readiness checks: short against a
// Go server's start-up (a few milliseconds natively, some hundreds under
// qemu-user), long enough not to compete with it for the CPU.
const readyPoll = 20 * time.Millisecond

// waitReady waits until the server accepts connections on its address,
// or answers its readiness URL with a 2xx status; it fails when the
// server exits, ctx ends or ReadyTimeout passes.
func (b *ServerBench) waitReady(ctx context.Context, p *serverProc, ps *preparedServer) error {
	timeout := b.ReadyTimeout
	if timeout <= 0 {
		timeout = defaultReady
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil}}
	tick := time.NewTicker(readyPoll)
	defer tick.Stop()
	for {
		if p.exited() {
			return ErrServerExited
		}
		if ready(ctx, client, ps) {
			return nil
		}
		select {
		case <-p.done:
			return ErrServerExited
		case <-ctx.Done():
			if err := context.Cause(ctx); errors.Is(err, context.DeadlineExceeded) {
				return fmt.Errorf("%w within %v", ErrNotReady, timeout)
			}
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// ready makes one readiness check, bounded by a second.
func ready(ctx context.Context, client *http.Client, ps *preparedServer) bool {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if ps.ready == "" {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", ps.addr)
		if err != nil {
			return false
		}
		c.Close()
		return true
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ps.ready, nil)
	if err != nil {
		return false
	}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode >= 200 && resp.StatusCode < 300
}

// result turns a round into one benchmark result.
func (b *ServerBench) result(ps *preparedServer, r *serverRound, round int, seed uint64) *benchfmt.Result {
	var cfg []benchfmt.Config
	for _, c := range b.Config {
		cfg = append(cfg, benchfmt.Config{Key: c.Key, Value: append([]byte(nil), c.Value...), File: true})
	}
	add := func(k, v string) { cfg = append(cfg, fileConfig(k, v)) }
	if ps.goarch != "" {
		// The GOARCH of the binary that ran, as go test records it:
		// benchkit's tables keep it out of the table split.
		add("goarch", ps.goarch)
	}
	add("connections", strconv.Itoa(r.load.Config.Connections))
	add("path", b.path())
	add("config", ps.s.Name)
	add("exec", ps.exec.Label)
	add("translated", strconv.FormatBool(ps.exec.Translated))
	add("emulated", strconv.FormatBool(ps.exec.Emulated))
	add("round", strconv.Itoa(round))
	add("rss-source", r.rssSource)
	switch {
	case r.metrics != nil:
		add("gc-source", "metricsx")
	case r.gcSeen:
		add("gc-source", "gctrace")
	}
	if r.dropped > 0 && r.metrics == nil {
		add("warn-gctrace", fmt.Sprintf("%d GC cycles beyond the first %d of a round were not kept; the GC figures cover only the start of the load", r.dropped, maxCycles))
	}
	add("machine-order", fmt.Sprintf("interleaved, random each round (seed %d)", seed))

	p := r.load.Latency.Summary()
	vals := []benchfmt.Value{
		{Value: r.load.RequestsPerSec(), Unit: UnitReqPerSec},
		{Value: p.P50.Seconds(), Unit: UnitP50},
		{Value: p.P99.Seconds(), Unit: UnitP99},
		{Value: float64(r.load.Stats.Errors), Unit: UnitErrors},
	}
	if m := r.metrics; m != nil {
		vals = append(vals,
			benchfmt.Value{Value: m.GCPauses.P99, Unit: UnitGCPauseP99},
			benchfmt.Value{Value: m.GCCyclesPerSec, Unit: UnitGCCycles},
			benchfmt.Value{Value: 100 * m.GCCPUFraction, Unit: UnitGCCPU},
			benchfmt.Value{Value: m.AllocBytesPerSec, Unit: UnitAllocRate},
		)
	} else if r.gcSeen {
		vals = append(vals,
			benchfmt.Value{Value: r.gc.PauseP99.Seconds(), Unit: UnitGCPauseP99},
			benchfmt.Value{Value: r.gcPerSec, Unit: UnitGCCycles},
			benchfmt.Value{Value: 100 * r.gc.CPUShare, Unit: UnitGCCPU},
			benchfmt.Value{Value: r.gc.AllocBytesPerSecond, Unit: UnitAllocRate},
		)
	}
	if r.peakRSS > 0 {
		vals = append(vals, benchfmt.Value{Value: float64(r.peakRSS), Unit: UnitPeakRSS})
	}
	vals = append(vals, benchfmt.Value{Value: (r.user + r.sys).Seconds(), Unit: UnitServerCPU})
	return &benchfmt.Result{Name: benchfmt.Name(serverBenchName), Iters: int(min(r.load.Requests, 1<<62)), Config: cfg, Values: vals}
}
