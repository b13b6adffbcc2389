package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nativego/nativego/benchkit"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// numbers matches the measured values in httpload's text output, with
// their units, and the port of the test server.
var numbers = regexp.MustCompile(`\b[0-9]+(\.[0-9]+)?(e[-+][0-9]+)?(ns|µs|ms|s|%)?`)

// normalizeText masks measured values and drops the self-check's warnings,
// which depend on how busy the machine is.
func normalizeText(out []byte) []byte {
	var b bytes.Buffer
	for line := range strings.Lines(string(out)) {
		if strings.HasPrefix(line, "  warning: ") {
			continue
		}
		if k, _, ok := strings.Cut(line, ": "); ok && (k == "goos" || k == "goarch") {
			line = k + ": GO" + strings.ToUpper(k[2:]) + "\n"
		}
		b.WriteString(numbers.ReplaceAllString(line, "N"))
	}
	return b.Bytes()
}

// normalizeJSON zeroes every number and the machine-dependent parts of the
// generator's self-check, keeping the object's shape. With exact, the
// counts a count-bounded closed-loop run determines (requests, errors and
// status codes) are kept.
func normalizeJSON(t *testing.T, out []byte, exact bool) []byte {
	t.Helper()
	var v any
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("output is not one JSON object: %v\n%s", err, out)
	}
	var walk func(v any) any
	walk = func(v any) any {
		switch v := v.(type) {
		case float64:
			return 0
		case map[string]any:
			for k, x := range v {
				v[k] = walk(x)
			}
			return v
		case []any:
			for i, x := range v {
				v[i] = walk(x)
			}
			return v
		}
		return v
	}
	m := v.(map[string]any)
	for k, x := range m {
		if exact && (k == "requests" || k == "errors" || k == "status") {
			continue
		}
		m[k] = walk(x)
	}
	if tl, ok := m["timeline"].(map[string]any); ok {
		tl["counts"] = []any{} // as many as the run's length in intervals
	}
	if g, ok := m["generator"].(map[string]any); ok {
		delete(g, "warnings")
		g["saturated"] = false
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

func TestGolden(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("hello\n")) })
	mux.HandleFunc("/fail", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", http.StatusServiceUnavailable) })
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != "POST" || r.Header.Get("X-Token") != "abc" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		b := new(bytes.Buffer)
		b.ReadFrom(r.Body)
		w.Write(b.Bytes())
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	body := filepath.Join(t.TempDir(), "body.json")
	if err := os.WriteFile(body, []byte(`{"hello":"world"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		json     bool
		exact    bool // keep counts in JSON
	}{
		{"closed", []string{"-c", "2", "-n", "200", srv.URL + "/"}, 0, false, false},
		{"closed-json", []string{"-c", "2", "-n", "200", "-json", srv.URL + "/"}, 0, true, true},
		{"open-json", []string{"-c", "4", "-rate", "2000", "-n", "200", "-json", srv.URL + "/"}, -1, true, false},
		{"post-json", []string{"-c", "1", "-n", "20", "-m", "POST", "-H", "X-Token: abc", "-body", body, "-json", srv.URL + "/echo"}, 0, true, true},
		{"errors", []string{"-c", "1", "-n", "20", srv.URL + "/fail"}, 1, false, false},
		{"errors-json", []string{"-c", "1", "-n", "20", "-json", srv.URL + "/fail"}, 1, true, true},
		{"bench", []string{"-c", "1", "-n", "20", "-bench", "Hello", srv.URL + "/"}, 0, false, false},
		{"closed-wrk", []string{"-c", "2", "-n", "200", "-wrk", srv.URL + "/"}, 0, false, false},
		{"closed-wrk-json", []string{"-c", "2", "-n", "200", "-wrk", "-json", srv.URL + "/"}, 0, true, true},
		{"bench-wrk", []string{"-c", "1", "-n", "20", "-wrk", "-bench", "Hello", srv.URL + "/"}, 0, false, false},
		{"wrk-open", []string{"-wrk", "-rate", "10", srv.URL}, 2, false, false},
		{"closed-count", []string{"-c", "2", "-n", "50", "-count", "2", srv.URL + "/"}, 0, false, false},
		{"bench-count", []string{"-c", "1", "-n", "20", "-count", "3", "-bench", "Hello", srv.URL + "/"}, 0, false, false},
		{"bad-count", []string{"-count", "0", srv.URL}, 2, false, false},
		{"remote", []string{"-n", "1", "http://192.0.2.1/"}, 2, false, false},
		{"bad-header", []string{"-H", "novalue", srv.URL}, 2, false, false},
		{"bad-cpus", []string{"-cpus", "3-1", srv.URL}, 2, false, false},
		{"json-and-bench", []string{"-json", "-bench", "X", srv.URL}, 2, false, false},
		{"no-url", nil, 2, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(&stdout, &stderr, tt.args)
			// An open loop on a busy machine may miss a scheduled request
			// at the end, and says so with status 1.
			if tt.wantCode >= 0 && code != tt.wantCode || tt.wantCode < 0 && code > 1 {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, stdout.Bytes(), stderr.Bytes())
			}
			var got []byte
			if tt.json {
				got = normalizeJSON(t, stdout.Bytes(), tt.exact)
			} else {
				got = normalizeText(stdout.Bytes())
			}
			got = append(got, "-- stderr --\n"...)
			got = append(got, strings.ReplaceAll(stderr.String(), srv.URL, "URL")...)
			golden := filepath.Join("testdata", tt.name+".golden")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("output differs from %s (-want +got):\n%s", golden, diff)
			}
		})
	}
}

// -count K with -json prints K objects, each a whole run's, and -svg plots
// one line per run.
func TestCountJSONAndSVG(t *testing.T) {
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		w.Write([]byte("hello\n"))
	}))
	defer srv.Close()
	svg := filepath.Join(t.TempDir(), "runs.svg")
	var stdout, stderr bytes.Buffer
	if code := run(&stdout, &stderr, []string{"-c", "2", "-n", "50", "-count", "3", "-json", "-svg", svg, srv.URL + "/"}); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr.Bytes())
	}
	dec := json.NewDecoder(&stdout)
	var objects int
	for dec.More() {
		var v struct{ Requests uint64 }
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		if v.Requests != 50 {
			t.Errorf("run %d: %d requests, want 50", objects+1, v.Requests)
		}
		objects++
	}
	if objects != 3 {
		t.Errorf("%d JSON objects, want 3", objects)
	}
	// Each run's 50 measured requests reached the server (no warmup here),
	// plus at most one probe connection per run, which sends nothing.
	if got := served.Load(); got != 150 {
		t.Errorf("the server answered %d requests, want 150", got)
	}
	b, err := os.ReadFile(svg)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "<polyline"); n != 3 {
		t.Errorf("the plot has %d lines, want one per run (3)", n)
	}
	for _, name := range []string{"run 1", "run 2", "run 3"} {
		if !strings.Contains(string(b), ">"+name+"<") {
			t.Errorf("the plot's legend lacks %q", name)
		}
	}
}

// -bench with -count gives benchcompare (and benchstat) the samples it
// compares: two files of six runs each make a req/s comparison of 6 against
// 6, with a confidence interval for each.
func TestCountFeedsComparison(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("hello\n")) }))
	defer srv.Close()
	dir := t.TempDir()
	var files []string
	for _, name := range []string{"old", "new"} {
		var stdout, stderr bytes.Buffer
		if code := run(&stdout, &stderr, []string{"-c", "2", "-n", "100", "-count", "6", "-bench", "Load", srv.URL + "/"}); code != 0 {
			t.Fatalf("exit %d\n%s", code, stderr.Bytes())
		}
		f := filepath.Join(dir, name+".txt")
		if err := os.WriteFile(f, stdout.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	rep, err := benchkit.CompareFiles(benchkit.CompareOptions{}, files...)
	if err != nil {
		t.Fatal(err)
	}
	for _, tb := range rep.Tables {
		if tb.Unit != "req/s" {
			continue
		}
		if len(tb.Columns) != 2 || len(tb.Rows) != 1 || len(tb.Rows[0].Cells) != 2 {
			t.Fatalf("req/s table: %d columns, %d rows, want 2 and 1", len(tb.Columns), len(tb.Rows))
		}
		c := tb.Rows[0].Cells[1]
		if c == nil || c.Vs == nil || c.Vs.N1 != 6 || c.Vs.N2 != 6 {
			t.Fatalf("req/s: the new column is not compared 6 against 6: %+v", c)
		}
		if math.IsInf(c.Lo, 0) || math.IsInf(c.Hi, 0) {
			t.Errorf("req/s: no confidence interval from 6 samples (%v, %v)", c.Lo, c.Hi)
		}
		return
	}
	t.Fatalf("no req/s table in the comparison")
}
