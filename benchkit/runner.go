package benchkit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nativego/nativego/archcheck"
	"golang.org/x/perf/benchfmt"
)

// A Config is one configuration a Runner compares: a way to build and
// run the same package's benchmarks.
type Config struct {
	Name         string   // the config key's value, such as "native" or "emulated"
	GOOS, GOARCH string   // the target; the go command's defaults when empty
	Env          []string // extra environment for building and running, such as "GOAMD64=v3"
	BuildFlags   []string // extra go test -c flags, such as "-tags=purego"
	// Exec, when set, is the wrapper the test binary runs under,
	// overriding the one ChooseExec picks.
	Exec []string
}

// A Runner builds a package's test binary once per configuration and
// runs the configurations' benchmarks interleaved: each round runs every
// configuration once (-test.count=1), in a fresh random order, so that
// drift in the machine's state spreads over all of them instead of
// biasing one.
type Runner struct {
	Dir     string   // directory the go command runs in; the current one when empty
	Pkg     string   // the package, as go test takes it; "." when empty
	Configs []Config // at least one

	Bench     string // -test.bench; "." when empty
	Benchtime string // -test.benchtime, such as "1s" or "100x"; go test's default when empty
	CPU       string // -test.cpu, such as "1,2"
	Benchmem  bool   // -test.benchmem
	Count     int    // rounds; 6 when zero, the fewest for a 95% confidence interval

	Timeout time.Duration // bounds each run of a test binary; none when zero

	// Host is the machine the verdicts are about; DetectHost's answer
	// when nil.
	Host *archcheck.Host
	// GoCommand is the go command to build with; "go" from PATH when
	// empty.
	GoCommand string
	Seed      uint64            // run order seed; random when 0
	Config    []benchfmt.Config // file configuration added to every result (MachineState.Config)

	// Progress, when set, is called after each run with the runs done
	// and the total.
	Progress func(done, total int)
}

// A built is one configuration ready to run.
type built struct {
	cfg  Config
	bin  string
	exec *Exec
}

// Run builds the test binaries, runs count rounds and writes every
// result to w as it arrives, tagged with the KEYS.md keys config,
// exec, translated, emulated and round. A failing test binary ends the
// run with an *ExitError; ctx's end kills the running binary's process
// group.
func (r *Runner) Run(ctx context.Context, w *benchfmt.Writer) error {
	if len(r.Configs) == 0 {
		return errors.New("benchkit: Runner has no configurations")
	}
	seen := map[string]bool{}
	for _, c := range r.Configs {
		if c.Name == "" || seen[c.Name] {
			return fmt.Errorf("benchkit: configuration names must be unique and non-empty: %q", c.Name)
		}
		seen[c.Name] = true
	}
	host := r.Host
	if host == nil {
		h, err := archcheck.DetectHost(ctx)
		if err != nil {
			return fmt.Errorf("benchkit: %w", err)
		}
		host = h
	}
	tmp, err := os.MkdirTemp("", "benchkit-run-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	pkgDir, err := r.packageDir(ctx)
	if err != nil {
		return err
	}
	var bs []built
	for i, c := range r.Configs {
		b := built{cfg: c, bin: filepath.Join(tmp, fmt.Sprintf("%d-%s.test", i, c.Name))}
		if err := r.build(ctx, c, b.bin); err != nil {
			return err
		}
		if c.Exec != nil {
			b.exec, err = ChooseExec(b.bin, host, nil)
			if err != nil {
				b.exec = &Exec{}
			}
			b.exec.Wrapper, b.exec.Label = c.Exec, strings.Join(c.Exec, " ")
		} else if b.exec, err = ChooseExec(b.bin, host, nil); err != nil {
			return fmt.Errorf("configuration %s: %w", c.Name, err)
		}
		bs = append(bs, b)
	}

	count := r.Count
	if count <= 0 {
		count = 6
	}
	seed := r.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	rng := rand.New(rand.NewPCG(seed, seed))
	units := map[benchfmt.UnitMetadataKey]bool{}
	done, total := 0, count*len(bs)
	for round := 1; round <= count; round++ {
		for _, i := range rng.Perm(len(bs)) {
			if err := r.runOne(ctx, bs[i], pkgDir, round, w, units); err != nil {
				return err
			}
			done++
			if r.Progress != nil {
				r.Progress(done, total)
			}
		}
	}
	return nil
}

func (r *Runner) goCmd(ctx context.Context, c Config, args ...string) *exec.Cmd {
	g := r.GoCommand
	if g == "" {
		g = "go"
	}
	cmd := exec.CommandContext(ctx, g, args...)
	cmd.Dir = r.Dir
	cmd.WaitDelay = waitDelay
	var env []string
	if c.GOOS != "" {
		env = append(env, "GOOS="+c.GOOS)
	}
	if c.GOARCH != "" {
		env = append(env, "GOARCH="+c.GOARCH)
	}
	cmd.Env = mergeEnv(os.Environ(), append(env, c.Env...))
	return cmd
}

func (r *Runner) pkg() string {
	if r.Pkg == "" {
		return "."
	}
	return r.Pkg
}

// packageDir is where the test binaries run, as go test runs them.
func (r *Runner) packageDir(ctx context.Context) (string, error) {
	cmd := r.goCmd(ctx, Config{}, "list", "-f", "{{.Dir}}", r.pkg())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("benchkit: go list %s: %v\n%s", r.pkg(), err, stderr.Bytes())
	}
	dirs := strings.Fields(string(out))
	if len(dirs) != 1 {
		return "", fmt.Errorf("benchkit: %s names %d packages; a Runner runs one", r.pkg(), len(dirs))
	}
	return dirs[0], nil
}

func (r *Runner) build(ctx context.Context, c Config, out string) error {
	args := append([]string{"test", "-c", "-o", out}, c.BuildFlags...)
	args = append(args, r.pkg())
	cmd := r.goCmd(ctx, c, args...)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("benchkit: building %s for configuration %s: %v\n%s", r.pkg(), c.Name, err, b)
	}
	if _, err := os.Stat(out); err != nil {
		return fmt.Errorf("benchkit: go test -c wrote no binary for %s (no test files?)", r.pkg())
	}
	return nil
}

func (r *Runner) runOne(ctx context.Context, b built, pkgDir string, round int, w *benchfmt.Writer, units map[benchfmt.UnitMetadataKey]bool) error {
	bench := r.Bench
	if bench == "" {
		bench = "."
	}
	args := append(append([]string(nil), b.exec.Wrapper...), b.bin, "-test.run=^$", "-test.bench="+bench, "-test.count=1")
	if r.Benchtime != "" {
		args = append(args, "-test.benchtime="+r.Benchtime)
	}
	if r.CPU != "" {
		args = append(args, "-test.cpu="+r.CPU)
	}
	if r.Benchmem {
		args = append(args, "-test.benchmem")
	}
	var out bytes.Buffer
	spec := &procSpec{args: args, dir: pkgDir, env: mergeEnv(os.Environ(), b.cfg.Env), stdout: &out, timeout: r.Timeout}
	p, err := runProc(ctx, spec)
	if err != nil {
		return err
	}
	if p.exitCode != 0 || p.signal != "" {
		return &ExitError{Command: args, ExitCode: p.exitCode, Signal: p.signal, Stderr: append(out.Bytes(), p.stderr...)}
	}
	keys := []benchfmt.Config{
		fileConfig("config", b.cfg.Name),
		fileConfig("exec", b.exec.Label),
		fileConfig("translated", strconv.FormatBool(b.exec.Translated)),
		fileConfig("emulated", strconv.FormatBool(b.exec.Emulated)),
		fileConfig("round", strconv.Itoa(round)),
	}
	keys = append(keys, r.Config...)
	rd := benchfmt.NewReader(&out, b.cfg.Name)
	for rd.Scan() {
		switch rec := rd.Result().(type) {
		case *benchfmt.UnitMetadata:
			if !units[rec.UnitMetadataKey] {
				units[rec.UnitMetadataKey] = true
				if err := w.Write(rec); err != nil {
					return err
				}
			}
		case *benchfmt.Result:
			if err := w.Write(tagged(rec, keys)); err != nil {
				return err
			}
		}
	}
	return rd.Err()
}

// tagged returns a copy of res whose file configuration is res's own
// with keys set, replacing any of the same name.
func tagged(res *benchfmt.Result, keys []benchfmt.Config) *benchfmt.Result {
	out := &benchfmt.Result{Name: append(benchfmt.Name(nil), res.Name...), Iters: res.Iters, Values: append([]benchfmt.Value(nil), res.Values...)}
	set := map[string]bool{}
	for _, k := range keys {
		set[k.Key] = true
	}
	for _, c := range res.Config {
		if !set[c.Key] {
			out.Config = append(out.Config, benchfmt.Config{Key: c.Key, Value: append([]byte(nil), c.Value...), File: c.File})
		}
	}
	for _, k := range keys {
		out.Config = append(out.Config, benchfmt.Config{Key: k.Key, Value: append([]byte(nil), k.Value...), File: true})
	}
	return out
}
