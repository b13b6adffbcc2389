package benchkit

import (
	"bytes"
	"errors"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"github.com/nativego/nativego/archcheck"
	"github.com/nativego/nativego/internal/testenv"
	"golang.org/x/perf/benchfmt"
)

func TestRunnerNativeAndEmulated(t *testing.T) {
	mustMeasureProcesses(t)
	if testing.Short() {
		t.Skip("builds test binaries in -short mode")
	}
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("the emulated configuration is linux/arm64 under qemu-user on a linux/amd64 host")
	}
	testenv.QEMU(t, "arm64")
	r := &Runner{
		Pkg:       "./testdata/benchpkg",
		Configs:   []Config{{Name: "native"}, {Name: "emulated", GOARCH: "arm64"}},
		Benchtime: "100x",
		Count:     2,
		Benchmem:  true,
		GoCommand: testenv.GoTool(t),
		Config:    []benchfmt.Config{fileConfig("machine-test", "yes")},
	}
	var progress []int
	r.Progress = func(done, total int) { progress = append(progress, done) }
	var buf bytes.Buffer
	if err := r.Run(t.Context(), benchfmt.NewWriter(&buf)); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", buf.Bytes())
	if len(progress) != 4 {
		t.Errorf("progress called %d times, want 4", len(progress))
	}
	got := map[string]int{}
	rd := benchfmt.NewReader(bytes.NewReader(buf.Bytes()), "out")
	for rd.Scan() {
		res, ok := rd.Result().(*benchfmt.Result)
		if !ok {
			continue
		}
		key := res.GetConfig("config") + " " + res.GetConfig("goarch") + " " + res.GetConfig("exec") + " emulated=" + res.GetConfig("emulated") + " " + res.GetConfig("machine-test")
		got[key]++
		if _, ok := res.Value("B/op"); !ok {
			t.Errorf("%s: no B/op with Benchmem", key)
		}
	}
	emu := "emulated arm64 qemu-user emulated=true yes"
	if _, ok := got["emulated arm64 qemu-user-binfmt emulated=true yes"]; ok {
		emu = "emulated arm64 qemu-user-binfmt emulated=true yes"
	}
	for _, k := range []string{"native amd64 native emulated=false yes", emu} {
		if got[k] != 2 {
			t.Errorf("%d results for %q, want 2; got %v", got[k], k, got)
		}
	}
}

func TestRunnerFailingBinary(t *testing.T) {
	mustMeasureProcesses(t)
	if testing.Short() {
		t.Skip("builds test binaries in -short mode")
	}
	r := &Runner{Pkg: "./testdata/benchpkg", Configs: []Config{{Name: "bad", Exec: []string{"/bin/sh", "-c", "exit 7", "sh"}}}, Count: 1, GoCommand: testenv.GoTool(t)}
	var ee *ExitError
	if err := r.Run(t.Context(), benchfmt.NewWriter(&bytes.Buffer{})); !errors.As(err, &ee) || ee.ExitCode != 7 {
		t.Fatalf("err = %v, want exit status 7", err)
	}
}

// TestChooseExec checks the wrapper for each verdict, the Mac cases
// with archcheck's typical host for darwin/arm64 (Rosetta 2 installed).
func TestChooseExec(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles five programs in -short mode")
	}
	qemuOnPath := func(name string) (string, error) { return "/usr/bin/" + name, nil }
	noQemu := func(name string) (string, error) { return "", exec.ErrNotFound }
	binfmt := archcheck.Target("linux", "amd64")
	binfmt.Runners = []archcheck.Runner{{Arch: "arm64", Name: "qemu-aarch64", Path: "/usr/bin/qemu-aarch64-static"}}
	for _, tt := range []struct {
		name         string
		goos, goarch string
		host         *archcheck.Host
		look         func(string) (string, error)
		wantLabel    string
		wantWrapper  string
		wantErr      bool
	}{
		{"native", "linux", "amd64", archcheck.Target("linux", "amd64"), noQemu, "native", "", false},
		{"qemu on PATH", "linux", "arm64", archcheck.Target("linux", "amd64"), qemuOnPath, "qemu-user", "/usr/bin/qemu-aarch64", false},
		{"binfmt_misc", "linux", "arm64", binfmt, noQemu, "qemu-user-binfmt", "", false},
		{"no emulator", "linux", "arm64", archcheck.Target("linux", "amd64"), noQemu, "", "", true},
		{"rosetta", "darwin", "amd64", archcheck.Target("darwin", "arm64"), noQemu, "rosetta", "arch -x86_64", false},
		{"apple silicon native", "darwin", "arm64", archcheck.Target("darwin", "arm64"), noQemu, "native", "", false},
		{"mac binary on linux", "darwin", "arm64", archcheck.Target("linux", "amd64"), qemuOnPath, "", "", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			bin := testenv.Build(t, testenv.BuildSpec{GOOS: tt.goos, GOARCH: tt.goarch})
			e, err := ChooseExec(bin, tt.host, tt.look)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("got %+v, want an error", e)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if e.Label != tt.wantLabel || strings.Join(e.Wrapper, " ") != tt.wantWrapper {
				t.Errorf("label %q wrapper %q, want %q %q (%v)", e.Label, e.Wrapper, tt.wantLabel, tt.wantWrapper, e.Reasons)
			}
			if e.Translated != (tt.wantLabel == "rosetta") || e.Emulated != strings.HasPrefix(tt.wantLabel, "qemu") {
				t.Errorf("translated %v emulated %v for %s", e.Translated, e.Emulated, tt.wantLabel)
			}
		})
	}
}
