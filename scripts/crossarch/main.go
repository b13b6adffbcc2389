// Crossarch regenerates the headline table of "what native buys" on a
// linux/amd64 machine: the official Go toolchain for linux/amd64, run
// natively, against the official one for linux/arm64, emulated by
// qemu-user. Both come from the Go module proxy as golang.org/toolchain
// modules.
//
// It measures, in interleaved rounds:
//
//   - go test -bench of a small real package (unicode/utf8), the test
//     binary built for amd64 (native) and arm64 (emulated);
//   - go build of a hello-world program with a fresh, empty GOCACHE per
//     run by each toolchain (both building for linux/amd64, so the output
//     is the same program), with wall, user and sys time of the whole
//     build and its peak memory; in -quick mode instead the compile of a
//     single file by each toolchain's compiler, which CI can afford;
//   - the go command's start-up (go version).
//
// A go command starts compile and link as child processes, which qemu-user
// runs only through a binfmt_misc handler, or when the go command is told
// -toolexec qemu-aarch64. -emu picks one (auto: binfmt when this process
// may mount binfmt_misc and register a handler, toolexec otherwise); the
// results record which was used in their exec key. A handler this program
// registered is removed afterwards, and binfmt_misc unmounted if it
// mounted it: the host is left as it was found.
//
// Usage:
//
//	go run ./scripts/crossarch [-quick] [-emu auto|binfmt|toolexec] [-n rounds] [-o dir] [-gocache dir]
//
// It writes the raw results (Go benchmark format, readable by benchstat),
// a Markdown report and an SVG chart into -o, and the Markdown to stdout.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/nativego/nativego/archcheck"
	"github.com/nativego/nativego/benchkit"
	"golang.org/x/perf/benchfmt"
)

func main() { os.Exit(run(os.Stdout, os.Stderr, os.Args[1:])) }

func run(stdout, stderr io.Writer, args []string) int {
	fl := flag.NewFlagSet("crossarch", flag.ContinueOnError)
	fl.SetOutput(stderr)
	quick := fl.Bool("quick", false, "the reduced run CI can afford")
	emu := fl.String("emu", "auto", "how the arm64 go command runs its tools: auto, binfmt or toolexec")
	n := fl.Int("n", 0, "rounds (default 6, or 6 for benchmarks and 3 for builds with -quick)")
	outDir := fl.String("o", "crossarch-out", "output `dir`")
	version := fl.String("version", "go1.27.3", "Go release")
	qemu := fl.String("qemu", "qemu-aarch64", "qemu-user for arm64")
	gocache := fl.String("gocache", "", "build cache `dir` for the test binaries and warm builds, kept between runs (default: a new one, removed)")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	switch *emu {
	case "auto", "binfmt", "toolexec":
	default:
		fmt.Fprintf(stderr, "crossarch: -emu must be auto, binfmt or toolexec\n")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := headline(ctx, stdout, stderr, *quick, *emu, *n, *outDir, *version, *qemu, *gocache); err != nil {
		fmt.Fprintf(stderr, "crossarch: %v\n", err)
		return 1
	}
	return 0
}

func headline(ctx context.Context, stdout, stderr io.Writer, quick bool, emu string, n int, outDir, version, qemuName, cache string) error {
	qemu, err := exec.LookPath(qemuName)
	if err != nil {
		return fmt.Errorf("%v (Debian package qemu-user)", err)
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "crossarch-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	logf := func(format string, args ...any) { fmt.Fprintf(stderr, "crossarch: "+format+"\n", args...) }
	goNative, err := toolchain(ctx, version, "amd64", work)
	if err != nil {
		return err
	}
	goEmu, err := toolchain(ctx, version, "arm64", work)
	if err != nil {
		return err
	}
	logf("toolchains: %s, %s", goNative, goEmu)

	// The emulated go command: directly through a binfmt_misc handler, or
	// under qemu-user with -toolexec.
	mode := emu
	if mode == "auto" || mode == "binfmt" {
		cleanup, how, err := ensureBinfmt(qemu)
		switch {
		case err == nil:
			defer func() {
				if err := cleanup(); err != nil {
					logf("restoring binfmt_misc: %v", err)
				}
			}()
			logf("binfmt_misc: %s", how)
			mode = "binfmt"
		case mode == "binfmt":
			return err
		default:
			logf("binfmt_misc unavailable (%v); using -toolexec %s", err, qemu)
			mode = "toolexec"
		}
	}
	emuExec := map[string]string{"binfmt": "qemu-user-binfmt", "toolexec": "qemu-user"}[mode]

	benchRounds, buildRounds := 6, 6
	if n > 0 {
		benchRounds, buildRounds = n, n
	}
	if cache == "" {
		cache = filepath.Join(work, "gocache")
	}
	baseEnv := []string{"GOTOOLCHAIN=local", "GOFLAGS=-buildvcs=false", "CGO_ENABLED=0", "GOCACHE=" + cache, "GOENV=off"}

	ms, err := benchkit.ReadMachineState(ctx)
	if err != nil {
		return err
	}
	var raw bytes.Buffer
	w := benchfmt.NewWriter(&raw)
	extra := append(ms.Config(), benchfmtConfig("toolchains", version+" linux/amd64 (native) vs linux/arm64 (emulated, "+mode+")"))

	// 1. go test -bench of unicode/utf8.
	bench := "^Benchmark(RuneCountTenJapaneseChars|ValidLongMostlyASCII|ValidLongJapanese|EncodeJapaneseRune|DecodeJapaneseRune)$"
	benchtime := "200ms"
	if quick {
		bench, benchtime = "^Benchmark(RuneCountTenJapaneseChars|ValidLongJapanese|DecodeJapaneseRune)$", "50ms"
	}
	host, err := archcheck.DetectHost(ctx)
	if err != nil {
		return err
	}
	logf("go test -bench unicode/utf8: %d rounds", benchRounds)
	r := &benchkit.Runner{
		Dir: work, Pkg: "unicode/utf8", GoCommand: goNative, Host: host,
		Configs: []benchkit.Config{
			{Name: "native", GOARCH: "amd64", Env: baseEnv},
			{Name: "emulated", GOARCH: "arm64", Env: baseEnv},
		},
		Bench: bench, Benchtime: benchtime, Count: benchRounds,
		Timeout: 10 * time.Minute, Config: extra,
	}
	if err := r.Run(ctx, w); err != nil {
		return err
	}

	// 2. go build (or, -quick, one compile) and 3. the go command's start-up.
	hello := filepath.Join(work, "hello")
	if err := os.MkdirAll(hello, 0o755); err != nil {
		return err
	}
	os.WriteFile(filepath.Join(hello, "go.mod"), []byte("module example.com/hello\n\ngo 1.26\n"), 0o644)
	os.WriteFile(filepath.Join(hello, "main.go"), []byte(helloSrc), 0o644)
	one := filepath.Join(work, "one")
	if err := os.MkdirAll(one, 0o755); err != nil {
		return err
	}
	os.WriteFile(filepath.Join(one, "main.go"), []byte(compileSrc), 0o644)

	emuGo := func(args ...string) []string {
		if mode == "toolexec" {
			if len(args) > 0 && args[0] == "build" {
				args = append([]string{"build", "-toolexec", qemu}, args[1:]...)
			}
			return append([]string{qemu, goEmu}, args...)
		}
		return append([]string{goEmu}, args...)
	}
	emuTool := func(tool string, args ...string) []string {
		p := filepath.Join(filepath.Dir(filepath.Dir(goEmu)), "pkg", "tool", "linux_arm64", tool)
		if mode == "toolexec" {
			return append([]string{qemu, p}, args...)
		}
		return append([]string{p}, args...)
	}
	nativeTool := func(tool string, args ...string) []string {
		return append([]string{filepath.Join(filepath.Dir(filepath.Dir(goNative)), "pkg", "tool", "linux_amd64", tool)}, args...)
	}
	env := append(baseEnv, "GOOS=linux", "GOARCH=amd64")
	var cmds []benchkit.Command
	opts := &benchkit.MeasureOptions{Runs: buildRounds, Timeout: 30 * time.Minute, Config: extra, TreePeak: true}
	if quick {
		src := filepath.Join(one, "main.go")
		cmds = []benchkit.Command{
			{Name: "CompileOneFile", Config: "native", Exec: "native", Dir: hello, Env: env,
				Args: nativeTool("compile", "-p", "main", "-o", filepath.Join(work, "native.o"), src)},
			{Name: "CompileOneFile", Config: "emulated", Exec: emuExec, Emulated: true, Dir: hello, Env: env,
				Args: emuTool("compile", "-p", "main", "-o", filepath.Join(work, "emu.o"), src)},
		}
	} else {
		opts.FreshGOCACHE = true
		cmds = []benchkit.Command{
			{Name: "GoBuildHelloFreshCache", Config: "native", Exec: "native", Dir: hello, Env: env,
				Args: []string{goNative, "build", "-o", filepath.Join(work, "hello-native"), "."}},
			{Name: "GoBuildHelloFreshCache", Config: "emulated", Exec: emuExec, Emulated: true, Dir: hello, Env: env,
				Args: emuGo("build", "-o", filepath.Join(work, "hello-emu"), ".")},
		}
	}
	cmds = append(cmds,
		benchkit.Command{Name: "GoVersion", Config: "native", Exec: "native", Env: env, Args: []string{goNative, "version"}},
		benchkit.Command{Name: "GoVersion", Config: "emulated", Exec: emuExec, Emulated: true, Env: env, Args: emuGo("version")},
	)
	logf("%d commands, %d rounds%s", len(cmds), buildRounds, map[bool]string{true: ", fresh GOCACHE per build"}[opts.FreshGOCACHE])
	start := time.Now()
	opts.Progress = func(done, total int) { logf("run %d/%d (%s)", done, total, time.Since(start).Round(time.Second)) }
	m, err := benchkit.Measure(ctx, cmds, opts)
	if err != nil {
		return err
	}
	if err := m.WriteTo(w); err != nil {
		return err
	}

	// Report.
	rawPath := filepath.Join(outDir, "results.txt")
	if err := os.WriteFile(rawPath, raw.Bytes(), 0o644); err != nil {
		return err
	}
	b, err := benchkit.NewBuilder(benchkit.CompareOptions{})
	if err != nil {
		return err
	}
	if err := b.Read(bytes.NewReader(raw.Bytes()), "crossarch"); err != nil {
		return err
	}
	rep := b.Build()
	var md bytes.Buffer
	fmt.Fprintf(&md, "## %s: linux/amd64 native vs linux/arm64 under qemu-user (%s)\n\n", version, mode)
	if err := rep.WriteMarkdown(&md, benchkit.ViewCost); err != nil {
		return err
	}
	md.WriteString("\n")
	if err := rep.WriteMarkdown(&md, benchkit.ViewTable); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(outDir, "headline.md"), md.Bytes(), 0o644); err != nil {
		return err
	}
	svg, err := os.Create(filepath.Join(outDir, "headline.svg"))
	if err != nil {
		return err
	}
	if err := rep.WriteSVG(svg); err != nil {
		svg.Close()
		return err
	}
	if err := svg.Close(); err != nil {
		return err
	}
	_, err = stdout.Write(md.Bytes())
	return err
}

const helloSrc = `package main

import "fmt"

func main() { fmt.Println("hello, world") }
`

// compileSrc imports nothing, so its compile needs no build cache.
const compileSrc = `package main

type node struct {
	left, right *node
	key         int
}

func insert(n *node, k int) *node {
	if n == nil {
		return &node{key: k}
	}
	if k < n.key {
		n.left = insert(n.left, k)
	} else {
		n.right = insert(n.right, k)
	}
	return n
}

func sum(n *node) int {
	if n == nil {
		return 0
	}
	return n.key + sum(n.left) + sum(n.right)
}

func main() {
	var root *node
	for i := 0; i < 1000; i++ {
		root = insert(root, (i*7919)%1000)
	}
	println(sum(root))
}
`

func benchfmtConfig(k, v string) benchfmt.Config {
	return benchfmt.Config{Key: k, Value: []byte(v), File: true}
}

// toolchain downloads golang.org/toolchain@v0.0.1-<version>.linux-<arch>
// with the go command and copies it under work with the executable bits
// the module zip does not carry (the go command sets them itself only for
// toolchains it switches to). It returns the copy's bin/go.
func toolchain(ctx context.Context, version, arch, work string) (string, error) {
	mod := fmt.Sprintf("golang.org/toolchain@v0.0.1-%s.linux-%s", version, arch)
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", mod)
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local", "GOFLAGS=")
	out, err := cmd.Output()
	var d struct{ Dir, Error string }
	json.Unmarshal(out, &d)
	if d.Error != "" {
		err = errors.New(d.Error)
	}
	if err != nil {
		return "", fmt.Errorf("go mod download %s: %v", mod, err)
	}
	dst := filepath.Join(work, "go-"+arch)
	err = filepath.WalkDir(d.Dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(d.Dir, path)
		target := filepath.Join(dst, rel)
		if e.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		mode := os.FileMode(0o644)
		if strings.HasPrefix(rel, "bin"+string(filepath.Separator)) || strings.HasPrefix(rel, filepath.Join("pkg", "tool")+string(filepath.Separator)) {
			mode = 0o755
		}
		// Streamed, not read whole: this process's own high-water mark
		// must stay low, or it hides small children's peak RSS (see
		// benchkit's exec high-water pitfall).
		return copyFile(target, path, mode)
	})
	if err != nil {
		return "", err
	}
	// The module renames each go.mod to _go.mod; the tree works as is.
	return filepath.Join(dst, "bin", "go"), nil
}

func copyFile(dst, src string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
