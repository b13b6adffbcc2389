package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/nativego/nativego/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// zeroReader makes note.GenerateKey deterministic, so the golden files
// hold the same made-up key every run.
type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// sandbox replaces the process environment with a generated one: a home
// directory with the given user env file, and a GOROOT of its own whose
// go.env names a made-up proxy and checksum database. It returns the
// directory to normalize to $WORK.
func sandbox(t *testing.T, userFile string, env ...string) string {
	t.Helper()
	goCmd := testenv.GoTool(t)
	dir := t.TempDir()
	goroot := filepath.Join(dir, "goroot")
	if err := os.MkdirAll(filepath.Join(goroot, "pkg", "tool"), 0o755); err != nil {
		t.Fatal(err)
	}
	vkey := verifierKey(t)
	write(t, filepath.Join(goroot, "go.env"), "GOPROXY=https://proxy.corp.example,direct\nGOSUMDB="+vkey+"\nGOTOOLCHAIN=local\n")
	home := filepath.Join(dir, "home")
	if userFile != "" {
		write(t, filepath.Join(home, ".config", "go", "env"), strings.ReplaceAll(userFile, "$WORK", dir))
	}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("HOME", home)
	testenv.QuietTelemetry(t, home) // no telemetry child may outlive the test's go commands
	t.Setenv("PATH", filepath.Dir(goCmd)+":/usr/bin:/bin")
	t.Setenv("GOROOT", goroot)
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, strings.ReplaceAll(v, "$WORK", dir))
	}
	t.Chdir(dir)
	return dir
}

func verifierKey(t *testing.T) string {
	_, vkey, err := note.GenerateKey(zeroReader{}, "sum.corp.example")
	if err != nil {
		t.Fatal(err)
	}
	return vkey
}

func write(t *testing.T, name, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestGolden(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the go command's binary and a private environment")
	}
	tests := []struct {
		name     string
		args     []string
		user     string
		env      []string
		wantCode int
	}{
		{name: "clean", args: []string{"-changed", "-no-cc"}},
		{name: "clean-json", args: []string{"-changed", "-json", "-no-cc"}},
		{name: "why", args: []string{"-changed", "-no-cc"}, wantCode: 1,
			user: "GOSUMDB=company-sumdb https://sumdb.internal.company\nGOFLAGS=-ldflags='-s -w'\nGOPRIVATE=corp.example, git.corp.example/team/\nGONOSUMCHECK=corp.example\n",
			env:  []string{"GOFLAGS=", "GOPROXY=https://athens.corp.example"}},
		{name: "why-json", args: []string{"-changed", "-json", "-no-cc"}, wantCode: 1,
			user: "GOSUMDB=company-sumdb https://sumdb.internal.company\nGOFLAGS=-ldflags='-s -w'\n"},
		{name: "explain", args: []string{"-changed", "-no-cc", "-explain", "git.corp.example/team/x"},
			user: "GOPRIVATE=git.corp.example\nGOINSECURE=git.corp.example/team\n"},
		{name: "explain-public-json", args: []string{"-changed", "-json", "-no-cc", "-explain", "example.com/m"},
			user: "GOPROXY=https://a.corp.example|https://b.corp.example,direct\n"},
		{name: "bad-flag", args: []string{"-nope"}, wantCode: 2},
		{name: "probe-without-explain", args: []string{"-probe"}, wantCode: 2},
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			golden := filepath.Join(wd, "testdata", tc.name+".golden")
			dir := sandbox(t, tc.user, tc.env...)
			var stdout, stderr bytes.Buffer
			code := run(&stdout, &stderr, tc.args)
			if code != tc.wantCode {
				t.Errorf("exit %d, want %d\nstderr: %s", code, tc.wantCode, stderr.String())
			}
			got := strings.ReplaceAll(stdout.String()+stderr.String(), dir, "$WORK")
			if *update {
				write(t, golden, got)
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s (run with -update to accept):\n--- got\n%s\n--- want\n%s", golden, got, want)
			}
		})
	}
}

// TestProbeLoopback explains a module along loopback proxies and probes
// them: the first lacks the module, the second has it.
func TestProbeLoopback(t *testing.T) {
	if testing.Short() {
		t.Skip("starts loopback servers")
	}
	empty := testenv.NewModProxy(t, nil)
	full := testenv.NewModProxy(t, map[string][]string{"example.com/m": {"v1.0.0"}})
	sandbox(t, "GOPROXY="+empty.URL+","+full.URL+",direct\n")
	var stdout, stderr bytes.Buffer
	if code := run(&stdout, &stderr, []string{"-no-cc", "-explain", "example.com/m", "-probe"}); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "answered by "+full.URL) {
		t.Errorf("output lacks \"answered by %s\":\n%s", full.URL, stdout.String())
	}
}

// TestNoCredentialsInOutput plants credentials in GOPROXY, GOAUTH and the
// env file and checks that no output format shows them.
func TestNoCredentialsInOutput(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the go command's binary")
	}
	secrets := []string{"hunter2", "s3cr3t-token-value", "ghp_abcdef123456", "envfilepassword", "bob-the-user"}
	sandbox(t,
		"GOPROXY=https://bob-the-user:envfilepassword@athens.corp.example,direct\nGOAUTH=corp-auth --token=ghp_abcdef123456\nGITHUB_TOKEN=ghp_abcdef123456\n",
		"GOAUTH=my-helper --token s3cr3t-token-value; netrc",
		"GOSUMDB="+verifierKey(t)+" https://bob-the-user:hunter2@sum.corp.example",
		"GONOPROXY=https://bob-the-user:hunter2@git.corp.example",
	)
	for _, args := range [][]string{
		{"-no-cc"}, {"-json", "-no-cc"}, {"-changed", "-no-cc"},
		{"-no-cc", "-explain", "example.com/m"}, {"-json", "-no-cc", "-explain", "example.com/m"},
	} {
		var stdout, stderr bytes.Buffer
		run(&stdout, &stderr, args)
		out := stdout.String() + stderr.String()
		if !strings.Contains(out, "xxxxx") {
			t.Errorf("%q: output shows no redaction marker:\n%s", args, out)
		}
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("%q: output contains the secret %q:\n%s", args, s, out)
			}
		}
	}
}
