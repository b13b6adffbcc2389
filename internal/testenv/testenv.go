// Package testenv holds helpers for tests that need real tools: the go
// command, cross-compiled binaries, official Go distributions fetched
// through the module proxy, and qemu-user.
//
// Each MustHave helper skips the test, with the reason, only when the thing
// is truly absent. When the environment variable CI is set to "true", a
// missing network or tool fails the test instead: CI is expected to have
// them, and a silent skip there would hide a broken pipeline.
package testenv

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// InCI reports whether the tests run in CI, where missing tools and
// network are failures, not reasons to skip.
func InCI() bool { return os.Getenv("CI") == "true" }

// skipOrFail skips t with msg, or fails it when running in CI.
func skipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	if InCI() {
		t.Fatalf("CI=true but "+format, args...)
	}
	t.Skipf(format, args...)
}

// goTool finds the go command on PATH; go test puts the go command's own
// GOROOT/bin first on the PATH of the test binaries it runs.
var goTool = sync.OnceValues(func() (string, error) {
	return exec.LookPath("go")
})

// GOROOT returns the go command's GOROOT, as `go env GOROOT` reports it.
func GOROOT(t testing.TB) string {
	t.Helper()
	goroot := strings.TrimSpace(string(Run(t, GoCommand(t, "env", "GOROOT"))))
	if goroot == "" {
		t.Fatal("go env GOROOT is empty")
	}
	return goroot
}

// GoTool returns the path of the go command, skipping t if there is none
// (for example when the tests run under qemu on a machine without Go).
func GoTool(t testing.TB) string {
	t.Helper()
	p, err := goTool()
	if err != nil {
		skipOrFail(t, "go command not found: %v", err)
	}
	return p
}

// GoCommand returns an exec.Cmd for the go command with a bounded
// shutdown: when t's context ends the process is killed, and Wait waits
// at most 10 s more for its output.
func GoCommand(t testing.TB, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), GoTool(t), args...)
	cmd.WaitDelay = 10 * time.Second
	return cmd
}

// Run runs cmd and returns its standard output, failing t with the
// command's standard error if it fails.
func Run(t testing.TB, cmd *exec.Cmd) []byte {
	t.Helper()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, stderr.Bytes())
	}
	return out
}

// Program is the source of a small Go main package, used when a test
// needs a real executable and does not care what it does. It imports
// nothing, so a cold build cache compiles only the runtime for each
// platform: half the cost of a program that imports fmt.
const Program = `package main

func main() { println("hello from nativego test") }
`

// FmtProgram is a main package that imports fmt, for tests that depend on
// the shape of a typical program's code, such as how far its entry point
// lies from the end of its text: in Program's tiny binaries the runtime
// ends the text soon after the entry point.
const FmtProgram = `package main

import "fmt"

func main() { fmt.Println("hello from nativego test") }
`

// BuildSpec describes one cross-compiled test binary.
type BuildSpec struct {
	GOOS, GOARCH string
	// Source is the main package's source; Program when empty.
	Source string
	// CGO enables cgo (with the host C compiler); off by default so that
	// every GOOS/GOARCH pair cross-compiles.
	CGO bool
	// Flags are extra arguments for go build, such as "-ldflags=-s -w"
	// or "-trimpath".
	Flags []string
	// Env holds extra environment entries, such as "GOAMD64=v3".
	Env []string
}

func (s BuildSpec) key() string {
	return fmt.Sprintf("%s/%s cgo=%v %q %q %q", s.GOOS, s.GOARCH, s.CGO, s.Flags, s.Env, s.Source)
}

var (
	buildMu    sync.Mutex
	buildCache = map[string]string{}
	buildDir   string
)

// Build cross-compiles spec and returns the binary's path. Results are
// memoized for the life of the test process, in a directory that Main
// removes; a package that calls Build should call Main from TestMain.
func Build(t testing.TB, spec BuildSpec) string {
	t.Helper()
	goCmd := GoTool(t)
	if spec.CGO {
		needCC(t)
	}
	buildMu.Lock()
	defer buildMu.Unlock()
	if p, ok := buildCache[spec.key()]; ok {
		return p
	}
	if buildDir == "" {
		d, err := os.MkdirTemp("", "nativego-testenv-")
		if err != nil {
			t.Fatal(err)
		}
		buildDir = d
	}
	dir, err := os.MkdirTemp(buildDir, "build-")
	if err != nil {
		t.Fatal(err)
	}
	src := spec.Source
	if src == "" {
		src = Program
	}
	mod := "module example.com/nativegotest\n\ngo 1.26\n"
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(mod), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	name := "prog-" + spec.GOOS + "-" + spec.GOARCH
	if spec.GOOS == "windows" {
		name += ".exe"
	}
	out := filepath.Join(dir, name)
	args := append([]string{"build", "-o", out}, spec.Flags...)
	args = append(args, ".")
	cmd := exec.CommandContext(t.Context(), goCmd, args...)
	cmd.WaitDelay = 10 * time.Second
	cmd.Dir = dir
	cgo := "0"
	if spec.CGO {
		cgo = "1"
	}
	cmd.Env = append(os.Environ(), "GOOS="+spec.GOOS, "GOARCH="+spec.GOARCH, "CGO_ENABLED="+cgo,
		"GOFLAGS=-buildvcs=false", "GOTOOLCHAIN=local")
	cmd.Env = append(cmd.Env, spec.Env...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build for %s/%s: %v\n%s", spec.GOOS, spec.GOARCH, err, b)
	}
	buildCache[spec.key()] = out
	return out
}

// needCC skips t when there is no C compiler for cgo (a machine with
// only Go), and in CI fails it instead.
func needCC(t testing.TB) {
	t.Helper()
	cc := os.Getenv("CC")
	if cc == "" {
		cc = "gcc"
		if runtime.GOOS == "darwin" || runtime.GOOS == "freebsd" || runtime.GOOS == "openbsd" {
			cc = "clang"
		}
	}
	if f := strings.Fields(cc); len(f) > 0 {
		cc = f[0]
	}
	if _, err := exec.LookPath(cc); err != nil {
		skipOrFail(t, "no C compiler for cgo: %v", err)
	}
}

// BuildBytes is Build, returning the binary's contents.
func BuildBytes(t testing.TB, spec BuildSpec) []byte {
	t.Helper()
	b, err := os.ReadFile(Build(t, spec))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Main runs the tests and removes what Build left behind.
func Main(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// Matrix is the GOOS/GOARCH matrix the tests cross-compile: every
// platform nativego reasons about, in each executable format.
var Matrix = []struct{ GOOS, GOARCH string }{
	{"darwin", "arm64"}, {"darwin", "amd64"},
	{"linux", "amd64"}, {"linux", "arm64"}, {"linux", "386"}, {"linux", "arm"},
	{"linux", "ppc64le"}, {"linux", "ppc64"}, {"linux", "s390x"}, {"linux", "riscv64"},
	{"linux", "mips"}, {"linux", "mipsle"}, {"linux", "mips64"}, {"linux", "loong64"},
	{"windows", "amd64"}, {"windows", "arm64"}, {"windows", "386"},
	{"freebsd", "amd64"},
}

// OfficialVersion is the Go release whose official distributions the
// tests download.
const OfficialVersion = "go1.27.3"

type download struct {
	Dir, Zip, Error string
}

var (
	toolchainMu    sync.Mutex
	toolchainCache = map[string]download{}
)

// Toolchain downloads the official Go distribution for version (such as
// "go1.27.3") and goos/goarch through the Go module proxy, as module
// golang.org/toolchain, and returns the directory of the extracted tree in
// the module cache (read-only). It skips t when the proxy cannot be
// reached, and in CI fails instead.
func Toolchain(t testing.TB, version, goos, goarch string) string {
	t.Helper()
	d := toolchainModule(t, version, goos, goarch)
	return d.Dir
}

// ToolchainZip is like Toolchain but returns the module zip's path.
func ToolchainZip(t testing.TB, version, goos, goarch string) string {
	t.Helper()
	return toolchainModule(t, version, goos, goarch).Zip
}

func toolchainModule(t testing.TB, version, goos, goarch string) download {
	t.Helper()
	if testing.Short() {
		t.Skip("downloading a Go distribution in -short mode")
	}
	mod := fmt.Sprintf("golang.org/toolchain@v0.0.1-%s.%s-%s", version, goos, goarch)
	toolchainMu.Lock()
	defer toolchainMu.Unlock()
	if d, ok := toolchainCache[mod]; ok {
		return d
	}
	cmd := exec.CommandContext(t.Context(), GoTool(t), "mod", "download", "-json", mod)
	cmd.WaitDelay = 10 * time.Second
	cmd.Dir = os.TempDir() // outside any module
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local", "GOFLAGS=")
	out, err := cmd.Output()
	var d download
	if jerr := json.Unmarshal(out, &d); jerr != nil && err == nil {
		err = jerr
	}
	if d.Error != "" {
		err = errors.New(d.Error)
	}
	if err != nil {
		if isNetworkError(err.Error()) {
			skipOrFail(t, "cannot reach the Go module proxy to fetch %s: %v", mod, err)
		}
		t.Fatalf("go mod download %s: %v", mod, err)
	}
	if err := makeExecutable(d.Dir); err != nil {
		t.Fatalf("%s: %v", mod, err)
	}
	toolchainCache[mod] = d
	return d
}

// makeExecutable sets the execute bits of the commands in a toolchain
// module's tree. A module zip keeps no file modes, so go mod download
// leaves bin/go and the tools unexecutable; the go command sets the bits
// itself only when it switches to a toolchain (cmd/go/internal/toolchain),
// so on a fresh module cache nothing else has.
func makeExecutable(root string) error {
	dirs := []string{filepath.Join(root, "bin")}
	tools, _ := filepath.Glob(filepath.Join(root, "pkg", "tool", "*_*")) // goos_goarch
	dirs = append(dirs, tools...)
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, e := range entries {
			info, err := e.Info()
			if err != nil {
				return err
			}
			if !info.Mode().IsRegular() || info.Mode()&0o111 == 0o111 {
				continue
			}
			if err := os.Chmod(filepath.Join(dir, e.Name()), info.Mode()|0o111); err != nil {
				return err
			}
		}
	}
	return nil
}

// isNetworkError reports whether a go command error message says the
// network, rather than the request, failed.
func isNetworkError(msg string) bool {
	for _, s := range []string{"dial tcp", "lookup ", "no such host", "connection refused",
		"network is unreachable", "i/o timeout", "TLS handshake timeout", "GOPROXY=off"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// QEMU returns the path of the qemu-user emulator for goarch (for
// example qemu-aarch64 for arm64), skipping t when it is not installed.
func QEMU(t testing.TB, goarch string) string {
	t.Helper()
	name, ok := qemuNames[goarch]
	if !ok {
		t.Fatalf("no qemu-user name known for GOARCH=%s", goarch)
	}
	p, err := exec.LookPath(name)
	if err != nil {
		skipOrFail(t, "%s not installed (Debian package qemu-user): %v", name, err)
	}
	return p
}

var qemuNames = map[string]string{
	"arm64": "qemu-aarch64", "amd64": "qemu-x86_64", "arm": "qemu-arm",
	"riscv64": "qemu-riscv64", "ppc64le": "qemu-ppc64le", "s390x": "qemu-s390x", "386": "qemu-i386",
}
