package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/nativego/nativego/archcheck"
)

// TestJSON runs verify in-process and checks each line against what the
// test can establish itself: the host line first, then the running test
// binary and the go command on PATH, each judged native on this machine.
func TestJSON(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(&stdout, &stderr, []string{"-json"})
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(nil, 1<<20)
	var lines []map[string]json.RawMessage
	for sc.Scan() {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("%v: %s", err, sc.Bytes())
		}
		lines = append(lines, m)
	}
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3 (host, program, go); stderr %s", len(lines), stderr.String())
	}
	var host archcheck.Host
	if err := json.Unmarshal(lines[0]["host"], &host); err != nil {
		t.Fatal(err)
	}
	if host.OS != runtime.GOOS || host.Arch != runtime.GOARCH {
		t.Errorf("host %s/%s, want %s/%s", host.OS, host.Arch, runtime.GOOS, runtime.GOARCH)
	}
	wantGo, err := exec.LookPath("go")
	if err == nil {
		wantGo, _ = filepath.Abs(wantGo)
		wantGo, err = filepath.EvalSymlinks(wantGo)
	}
	roles := []string{"program", "go"}
	for i, l := range lines[1:] {
		var role, path, verdict string
		json.Unmarshal(l["role"], &role)
		json.Unmarshal(l["path"], &path)
		json.Unmarshal(l["verdict"], &verdict)
		if role != roles[i] {
			t.Errorf("line %d role %q, want %q", i+1, role, roles[i])
		}
		if role == "go" && err == nil && path != wantGo {
			t.Errorf("go path %q, want %q (LookPath with symlinks resolved)", path, wantGo)
		}
		if verdict != "native" && !host.Emulated && !host.Translated {
			t.Errorf("%s %s: verdict %s on the machine it runs on", role, path, verdict)
		}
	}
	if wantCode := map[bool]int{true: 0, false: 1}[!host.Emulated && !host.Translated]; code != wantCode {
		t.Errorf("exit %d, want %d", code, wantCode)
	}
}

// TestText checks the human-readable report's shape.
func TestText(t *testing.T) {
	var stdout, stderr bytes.Buffer
	run(&stdout, &stderr, nil)
	out := stdout.String()
	for _, want := range []string{"host: " + runtime.GOOS + "/", "\nprogram: ", "\ngo: ", "  verdict: "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{{"extra"}, {"-nosuchflag"}} {
		var stdout, stderr bytes.Buffer
		if code := run(&stdout, &stderr, args); code != 2 || !strings.Contains(stderr.String(), "usage: verify") {
			t.Errorf("verify %q: exit %d, stderr %q; want 2 and usage", args, code, stderr.String())
		}
	}
}
