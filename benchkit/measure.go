package benchkit

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/perf/benchfmt"
)

// A Command is a command line to time. It is started directly, not
// through a shell, as the leader of its own process group.
type Command struct {
	// Name is the benchmark name its results carry, such as "GoBuild".
	// When empty it is made from Args.
	Name string
	Args []string // the program and its arguments
	Dir  string   // the working directory; the caller's when empty
	// Env holds environment entries that override or extend the
	// measuring process's own environment.
	Env []string

	// Config, when set, is the config key of the command's results, so
	// that commands with the same Name and different Configs line up as
	// one row with a column each (KEYS.md): for example the same build
	// by a native and an emulated go command. Exec, Translated and
	// Emulated are then recorded too.
	Config     string
	Exec       string // how it runs: "native", "qemu-user", "qemu-user-binfmt", "rosetta"
	Translated bool
	Emulated   bool
}

// name returns c's benchmark name: Name, or Args with every run of
// characters a benchmark name cannot hold (space, '/') made one '_'.
func (c Command) name() string {
	s := c.Name
	if s == "" {
		s = strings.Join(c.Args, " ")
	}
	var b strings.Builder
	under := false
	for _, r := range s {
		if unicode.IsSpace(r) || r == '/' || !unicode.IsPrint(r) {
			if !under && b.Len() > 0 {
				b.WriteByte('_')
			}
			under = true
			continue
		}
		b.WriteRune(r)
		under = false
	}
	return strings.TrimSuffix(b.String(), "_")
}

// MeasureOptions configures Measure. The zero value runs each command
// 10 times, without warmup, in a fresh random order each round.
type MeasureOptions struct {
	Runs   int // measured runs of each command; 10 when zero
	Warmup int // unmeasured runs of each command before the measured ones

	// Prepare, when set, runs before every run of a command (warmup
	// included), outside the timed region, for example to delete a
	// build's output.
	Prepare func(ctx context.Context, c Command) error

	// FreshGOCACHE gives every run its own new, empty GOCACHE
	// directory, removed afterwards: the way to time a clean build.
	// (GOCACHE=off is not a thing: the go command has refused it since
	// Go 1.12, and Measure rejects it.) It does not clear the module
	// cache.
	FreshGOCACHE bool

	// TreePeak asks for the peak memory of each run's whole process tree
	// (Run.TreePeak), from a memory cgroup made for the run (Linux, as
	// root or with a delegated cgroup). Moving the process into its
	// cgroup happens inside the timed region, before the program runs,
	// and costs a cgroup migration; measured with /bin/true on a 2-core
	// machine it added about a fifth to the run's wall time, so it is off
	// unless asked for.
	TreePeak bool

	// Timeout bounds each run; a run that exceeds it is killed with its
	// whole process group and Measure fails with a *TimeoutError.
	Timeout time.Duration

	// Seed seeds the run order; 0 picks a random seed.
	Seed uint64

	// Config holds file configuration, such as MachineState.Config,
	// attached to every result.
	Config []benchfmt.Config

	// Progress, when set, is called after every run with the number of
	// runs done and the total.
	Progress func(done, total int)
}

// A Run is one measured run of a command.
type Run struct {
	Command int // index of the command in Measurement.Commands
	Round   int

	// Wall runs from the start to the observed exit. On Linux the time
	// the process stood at a ptrace stop while Measure read its peak
	// memory (or moved it into its cgroup) is taken off; with taskstats
	// (below) the process is not stopped at all.
	Wall time.Duration
	// User and Sys are CPU time of the process and every descendant it
	// waited for (wait4's rusage), such as the compiler and linker a
	// go build starts.
	User, Sys time.Duration

	// Startup is the time to the first byte on standard output, or to
	// exit when the command wrote nothing (StartupEvent "first-byte" or
	// "exit").
	Startup      time.Duration
	StartupEvent string

	// PeakRSS is the largest resident set size of any single process of
	// the run, in bytes; 0 when it could not be known. PeakRSSSource
	// says where it came from: "wait4" (ru_maxrss); when ru_maxrss held
	// the measuring process's own high-water mark (Linux, see
	// proc_linux.go), the first process's own high-water mark at its
	// exit, from "taskstats" (the kernel's per-task exit records, which
	// need CAP_NET_ADMIN in the initial namespaces; the process is not
	// stopped) or else "vmhwm" (VmHWM read at a ptrace exit stop); or
	// "unknown".
	PeakRSS       int64
	PeakRSSSource string
	// PeakRSSNote explains a "taskstats", "vmhwm" or "unknown" source.
	PeakRSSNote string

	// TreePeak is the peak memory of the whole process tree from its
	// own cgroup, in bytes (page cache included), or 0.
	TreePeak int64

	ExitCode int
}

// A Measurement holds the runs of Measure.
type Measurement struct {
	Commands []Command
	Runs     []Run
	// Config is the file configuration of the results: the caller's
	// options.Config and how the figures were obtained.
	Config []benchfmt.Config
}

// Units of the results, following KEYS.md: benchstat reads them too.
//
// UnitCPU is user and system time together. Linux splits a task's run
// time between the two by tick samples (kernel/sched/cputime.c,
// cputime_adjust), so for a command of a few milliseconds the split
// changes arbitrarily from run to run while the sum is the scheduler's
// exact run time: compare that.
const (
	UnitWall      = "sec/op"
	UnitUser      = "user-sec/op"
	UnitSys       = "sys-sec/op"
	UnitCPU       = "cpu-sec/op" // user + sys
	UnitPeakRSS   = "peak-RSS-bytes"
	UnitTreePeak  = "tree-peak-bytes"   // a cgroup's peak: the whole tree, page cache included
	UnitFirstByte = "first-byte-sec/op" // start-up to the first byte on standard output
	UnitExit      = "exit-sec/op"       // start-up of a command that wrote nothing: time to exit
)

// ErrGOCACHEOff is returned for a command whose environment sets
// GOCACHE=off, which the go command has rejected since Go 1.12.
var ErrGOCACHEOff = errors.New("GOCACHE=off is not supported by the go command since Go 1.12; use a fresh, empty GOCACHE directory (MeasureOptions.FreshGOCACHE)")

// Measure runs each command opts.Warmup times and then opts.Runs times,
// interleaved: every round runs every command once, in a fresh random
// order. It stops at the first failing run with an *ExitError or a
// *TimeoutError, and when ctx ends, killing the run's process group.
func Measure(ctx context.Context, commands []Command, opts *MeasureOptions) (*Measurement, error) {
	if opts == nil {
		opts = &MeasureOptions{}
	}
	runs := opts.Runs
	if runs <= 0 {
		runs = 10
	}
	for _, c := range commands {
		if len(c.Args) == 0 {
			return nil, errors.New("benchkit: a command has no arguments")
		}
		for _, e := range c.Env {
			if e == "GOCACHE=off" {
				return nil, fmt.Errorf("benchkit: %s: %w", c.name(), ErrGOCACHEOff)
			}
		}
	}
	if v, ok := os.LookupEnv("GOCACHE"); ok && v == "off" && !opts.FreshGOCACHE {
		return nil, fmt.Errorf("benchkit: %w", ErrGOCACHEOff)
	}
	seed := opts.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	rng := rand.New(rand.NewPCG(seed, seed))

	m := &Measurement{Commands: commands}
	m.Config = append(m.Config, opts.Config...)
	m.Config = append(m.Config, fileConfig("machine-order", fmt.Sprintf("interleaved, random each round (seed %d)", seed)))
	var parent *cgroupParent
	if opts.TreePeak {
		var why string
		parent, why = findCgroupParent()
		if parent != nil {
			m.Config = append(m.Config, fileConfig("machine-tree-peak", parent.label))
		} else {
			m.Config = append(m.Config, fileConfig("machine-tree-peak", "not measured: "+why))
		}
	}
	if opts.FreshGOCACHE {
		m.Config = append(m.Config, fileConfig("gocache", "fresh"))
	}

	// Each command's environment is made once, not per run, and its
	// program is looked up once: searching PATH cost a stat per entry
	// before every run. A program that is not there yet (Prepare may
	// build it) is looked up at each run until it is.
	envs := make([][]string, len(commands))
	paths := make([]string, len(commands))
	for i, c := range commands {
		envs[i] = mergeEnv(os.Environ(), c.Env)
		paths[i], _ = lookPath(c.Args[0], c.Dir)
	}
	total := len(commands) * (opts.Warmup + runs)
	done := 0
	for round := -opts.Warmup; round < runs; round++ {
		for _, i := range rng.Perm(len(commands)) {
			r, err := measureOne(ctx, commands[i], &paths[i], envs[i], opts, parent)
			if err != nil {
				return m, err
			}
			done++
			if opts.Progress != nil {
				opts.Progress(done, total)
			}
			if round < 0 {
				continue
			}
			r.Command, r.Round = i, round
			m.Runs = append(m.Runs, *r)
		}
	}
	return m, nil
}

// measureOne runs c once. A run whose peak RSS is unknown only because
// taskstats records were lost (a burst of exits elsewhere overflowed the
// socket's buffer) is run again, Prepare included, with the ptrace exit
// stop: the command's figure cannot be had any more once it has exited,
// and a run without it would be the only one of its command without a
// peak.
func measureOne(ctx context.Context, c Command, path *string, env []string, opts *MeasureOptions, parent *cgroupParent) (*Run, error) {
	r, lost, err := measureAttempt(ctx, c, path, env, opts, parent, false)
	if err == nil && lost {
		r, _, err = measureAttempt(ctx, c, path, env, opts, parent, true)
	}
	return r, err
}

// measureAttempt runs c once; lost reports that its peak RSS is unknown
// because taskstats records were lost.
// path is the program looked up, or "" until it is found.
func measureAttempt(ctx context.Context, c Command, path *string, env []string, opts *MeasureOptions, parent *cgroupParent, noTaskstats bool) (r *Run, lost bool, err error) {
	if opts.Prepare != nil {
		if err := opts.Prepare(ctx, c); err != nil {
			return nil, false, fmt.Errorf("benchkit: preparing %s: %w", c.name(), err)
		}
	}
	if *path == "" {
		p, err := lookPath(c.Args[0], c.Dir)
		if err != nil {
			return nil, false, fmt.Errorf("benchkit: %w", err)
		}
		*path = p
	}
	if opts.FreshGOCACHE {
		dir, err := os.MkdirTemp("", "benchkit-gocache-")
		if err != nil {
			return nil, false, err
		}
		defer os.RemoveAll(dir)
		env = mergeEnv(env, []string{"GOCACHE=" + dir})
	}
	spec := &procSpec{args: c.Args, path: *path, dir: c.Dir, env: env, timeout: opts.Timeout, exitHWM: true, noTaskstats: noTaskstats}
	if parent != nil {
		if t, err := parent.newRun(); err == nil {
			spec.tree = t
			defer t.remove()
		}
	}
	p, err := runProc(ctx, spec)
	if err != nil {
		return nil, false, err
	}
	if p.exitCode != 0 || p.signal != "" {
		return nil, false, &ExitError{Command: c.Args, ExitCode: p.exitCode, Signal: p.signal, Stderr: p.stderr}
	}
	r = &Run{
		Wall: p.wall, User: p.user, Sys: p.sys,
		Startup: p.startup, StartupEvent: p.startupEvent,
		TreePeak: p.treePeak,
	}
	r.PeakRSS, r.PeakRSSSource, r.PeakRSSNote = peakRSS(p)
	return r, p.hwmLost && r.PeakRSSSource == "unknown", nil
}

// peakRSS decides which figure is the run's peak RSS. See proc_linux.go
// for the exec high-water pitfall: a ru_maxrss no larger than the
// measuring process's own high-water mark may be that mark and not the
// child's.
func peakRSS(p *procResult) (bytes int64, source, note string) {
	switch {
	case p.floor == 0 || p.maxRSS > p.floor:
		return p.maxRSS, "wait4", ""
	case p.exitHWM > 0:
		// Descendants that peaked below the measuring process's own
		// high-water mark cannot be told from it.
		what := "VmHWM at exit"
		if p.hwmSource == "taskstats" {
			what = "high-water mark from its taskstats exit records"
		}
		return p.exitHWM, p.hwmSource, fmt.Sprintf("wait4's ru_maxrss was the measuring process's own high-water mark (%d MiB); the first process's %s is used, and descendants below that mark are not seen", p.floor>>20, what)
	case p.hwmLost:
		return 0, "unknown", fmt.Sprintf("wait4's ru_maxrss was the measuring process's own high-water mark (%d MiB) and the taskstats exit records were lost", p.floor>>20)
	}
	return 0, "unknown", fmt.Sprintf("wait4's ru_maxrss was the measuring process's own high-water mark (%d MiB) and neither taskstats nor ptrace is available", p.floor>>20)
}

// mergeEnv returns base with the entries of extra added, each replacing
// an entry of base with the same key: a child reading its environment
// with getenv(3) sees the first of duplicate entries, so duplicates must
// not reach it.
func mergeEnv(base, extra []string) []string {
	out := make([]string, 0, len(base)+len(extra))
	drop := map[string]bool{}
	for _, e := range extra {
		k, _, _ := strings.Cut(e, "=")
		drop[k] = true
	}
	for _, e := range base {
		k, _, _ := strings.Cut(e, "=")
		if !drop[k] {
			out = append(out, e)
		}
	}
	return append(out, extra...)
}

func fileConfig(key, value string) benchfmt.Config {
	return benchfmt.Config{Key: key, Value: []byte(value), File: true}
}

// Results returns the runs as benchmark results following KEYS.md: per
// run, BenchmarkCommand/<name> with UnitWall, UnitUser, UnitSys, UnitCPU,
// UnitPeakRSS (when known) and UnitTreePeak (when measured), and
// BenchmarkStartup/<name> with UnitFirstByte or UnitExit. Each carries
// the file configuration plus "round" and "rss-source".
func (m *Measurement) Results() []*benchfmt.Result {
	out := make([]*benchfmt.Result, 0, 2*len(m.Runs))
	for _, r := range m.Runs {
		name := m.Commands[r.Command].name()
		cfg := func() []benchfmt.Config {
			c := make([]benchfmt.Config, 0, len(m.Config)+3)
			for _, x := range m.Config {
				c = append(c, benchfmt.Config{Key: x.Key, Value: append([]byte(nil), x.Value...), File: x.File})
			}
			if cmd := m.Commands[r.Command]; cmd.Config != "" {
				exec := cmd.Exec
				if exec == "" {
					exec = "native"
				}
				c = append(c, fileConfig("config", cmd.Config), fileConfig("exec", exec),
					fileConfig("translated", strconv.FormatBool(cmd.Translated)), fileConfig("emulated", strconv.FormatBool(cmd.Emulated)))
			}
			c = append(c, fileConfig("round", strconv.Itoa(r.Round+1)), fileConfig("rss-source", r.PeakRSSSource))
			if r.PeakRSSNote != "" {
				c = append(c, fileConfig("warn-rss", r.PeakRSSNote))
			}
			return c
		}
		cmd := &benchfmt.Result{Name: benchfmt.Name("Command/" + name), Iters: 1, Config: cfg()}
		cmd.Values = []benchfmt.Value{
			{Value: r.Wall.Seconds(), Unit: UnitWall},
			{Value: r.User.Seconds(), Unit: UnitUser},
			{Value: r.Sys.Seconds(), Unit: UnitSys},
			{Value: (r.User + r.Sys).Seconds(), Unit: UnitCPU},
		}
		if r.PeakRSS > 0 {
			cmd.Values = append(cmd.Values, benchfmt.Value{Value: float64(r.PeakRSS), Unit: UnitPeakRSS})
		}
		if r.TreePeak > 0 {
			cmd.Values = append(cmd.Values, benchfmt.Value{Value: float64(r.TreePeak), Unit: UnitTreePeak})
		}
		unit := UnitExit
		if r.StartupEvent == "first-byte" {
			unit = UnitFirstByte
		}
		start := &benchfmt.Result{Name: benchfmt.Name("Startup/" + name), Iters: 1, Config: cfg(),
			Values: []benchfmt.Value{{Value: r.Startup.Seconds(), Unit: unit}}}
		out = append(out, cmd, start)
	}
	return out
}

// Units are the unit metadata lines for Measure's results: lower is
// better, and no unit is assumed exact.
func Units() []*benchfmt.UnitMetadata {
	var out []*benchfmt.UnitMetadata
	for _, u := range []string{UnitWall, UnitUser, UnitSys, UnitCPU, UnitPeakRSS, UnitTreePeak, UnitFirstByte, UnitExit} {
		out = append(out,
			&benchfmt.UnitMetadata{UnitMetadataKey: benchfmt.UnitMetadataKey{Unit: u, Key: "better"}, OrigUnit: u, Value: "lower"},
			&benchfmt.UnitMetadata{UnitMetadataKey: benchfmt.UnitMetadataKey{Unit: u, Key: "assume"}, OrigUnit: u, Value: "nothing"})
	}
	return out
}

// WriteTo writes Units and Results to w.
func (m *Measurement) WriteTo(w *benchfmt.Writer) error {
	for _, u := range Units() {
		if err := w.Write(u); err != nil {
			return err
		}
	}
	for _, r := range m.Results() {
		if err := w.Write(r); err != nil {
			return err
		}
	}
	return nil
}
