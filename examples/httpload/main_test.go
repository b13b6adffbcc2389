package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
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
