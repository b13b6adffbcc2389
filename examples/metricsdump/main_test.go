package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime/metrics"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nativego/nativego/metricsx"
)

// The -update flag rewrites golden files. It is registered in init,
// after every package-level variable, only if no other test file of this
// package (gctrace_test.go on the gctrace branch) registered it already.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files in testdata")
	}
}

func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if updating() {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}

func TestUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"help", []string{"-h"}},
		{"unknown-format", []string{"-format", "xml"}},
		{"extra-args", []string{"extra"}},
		{"compare-without-serve", []string{"-compare", "http://127.0.0.1:1/metrics"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(&stdout, &stderr, tt.args); code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			golden(t, "usage-"+tt.name+".golden", stderr.Bytes())
		})
	}
}

func TestGCTraceModeAbsent(t *testing.T) {
	if gctraceMode != nil {
		t.Skip("-gctrace is built in")
	}
	var stdout, stderr bytes.Buffer
	if code := run(&stdout, &stderr, []string{"-gctrace", "--", "true"}); code != 2 {
		t.Errorf("exit %d, want 2; stderr %s", code, stderr.Bytes())
	}
}

// TestText checks that the text output names every metric the runtime
// lists, once, with a value.
func TestText(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(&stdout, &stderr, nil); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.Bytes())
	}
	lines := map[string]string{}
	for _, line := range strings.Split(stdout.String(), "\n") {
		if name, rest, ok := strings.Cut(line, " "); ok && strings.HasPrefix(name, "/") {
			lines[name] = strings.TrimSpace(rest)
		}
	}
	for _, d := range metrics.All() {
		v, ok := lines[d.Name]
		if !ok || v == "" {
			t.Errorf("no value for %s", d.Name)
		}
		if d.Kind == metrics.KindFloat64Histogram && !strings.HasPrefix(v, "count=") {
			t.Errorf("%s: %q, want a histogram summary", d.Name, v)
		}
	}
	if !strings.Contains(stdout.String(), "process cpu seconds") && strings.Contains(stdout.String(), "linux") {
		t.Error("no process statistics on Linux")
	}
}

func TestJSON(t *testing.T) {
	for _, args := range [][]string{{"-json"}, {"-format", "json"}} {
		var stdout, stderr bytes.Buffer
		if code := run(&stdout, &stderr, args); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr.Bytes())
		}
		var s metricsx.Snapshot
		if err := s.UnmarshalJSON(stdout.Bytes()); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if s.Len() != len(metrics.All()) {
			t.Errorf("%v: %d metrics, want %d", args, s.Len(), len(metrics.All()))
		}
	}
}

// TestServe serves on a loopback port, fetches every endpoint, and stops
// by cancelling the context, as an interrupt does.
func TestServe(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	addrc := make(chan string, 1)
	done := make(chan int, 1)
	var stderr bytes.Buffer
	go func() {
		done <- runContext(ctx, io.Discard, &stderr, []string{"-serve", "127.0.0.1:0", "-interval", "10ms", "-churn", "1000000"}, func(a string) { addrc <- a })
	}()
	var addr string
	select {
	case addr = <-addrc:
	case code := <-done:
		t.Fatalf("exit %d before serving: %s", code, stderr.Bytes())
	}
	get := func(path string) []byte {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %s: %s", path, resp.Status, b)
		}
		return b
	}
	if page := get("/"); !bytes.Contains(page, []byte("<svg")) && !bytes.Contains(page, []byte("SVGNS")) {
		t.Error("/ is not the page")
	}
	var s metricsx.Snapshot
	if err := s.UnmarshalJSON(get("/metrics")); err != nil {
		t.Errorf("/metrics: %v", err)
	}
	var data metricsx.PageData
	if err := json.Unmarshal(get("/?data"), &data); err != nil || len(data.Series) != 1 {
		t.Errorf("/?data: %v, %d series", err, len(data.Series))
	}
	var vars map[string]json.RawMessage
	if err := json.Unmarshal(get("/debug/vars"), &vars); err != nil || vars["metricsx"] == nil {
		t.Errorf("/debug/vars: %v, metricsx present: %v", err, vars["metricsx"] != nil)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit %d after cancel: %s", code, stderr.Bytes())
	}
}
