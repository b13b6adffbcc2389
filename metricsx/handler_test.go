package metricsx

import (
	"encoding/json"
	"expvar"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
)

func TestHandlerNegotiates(t *testing.T) {
	srv := httptest.NewServer(Handler(HandlerOptions{}))
	defer srv.Close()
	promStatus, promType := http.StatusNotAcceptable, "text/plain; charset=utf-8"
	if prometheusBuiltIn {
		promStatus, promType = http.StatusOK, "text/plain; version=0.0.4; charset=utf-8"
	}
	tests := []struct {
		name, query, accept string
		status              int
		contentType         string
	}{
		{"default", "", "", 200, "application/json"},
		{"curl", "", "*/*", 200, "application/json"},
		{"Accept json", "", "application/json", 200, "application/json"},
		{"browser", "", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", 200, "application/json"},
		{"query json beats Accept", "?format=json", "text/plain", 200, "application/json"},
		{"unknown format", "?format=xml", "", 400, "text/plain; charset=utf-8"},
		{"Prometheus scraper", "", "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1", promStatus, promType},
		{"query prometheus", "?format=prometheus", "", promStatus, promType},
		{"Accept text/plain", "", "text/plain", promStatus, promType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(t.Context(), "GET", srv.URL+tt.query, nil)
			if tt.accept != "" {
				req.Header.Set("Accept", tt.accept)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status || resp.Header.Get("Content-Type") != tt.contentType {
				t.Fatalf("status %d, %s; want %d, %s\n%.200s", resp.StatusCode, resp.Header.Get("Content-Type"), tt.status, tt.contentType, body)
			}
			switch {
			case tt.contentType == "application/json":
				checkHandlerJSON(t, body)
			case resp.StatusCode == http.StatusOK && !strings.Contains(string(body), "# TYPE go_gc_cycles_total_gc_cycles_total counter"):
				t.Errorf("Prometheus text lacks the GC cycle counter:\n%.300s", body)
			}
		})
	}
	resp, err := srv.Client().Post(srv.URL, "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: status %d", resp.StatusCode)
	}
}

func checkHandlerJSON(t *testing.T, body []byte) {
	t.Helper()
	var s Snapshot
	if err := s.UnmarshalJSON(body); err != nil {
		t.Fatal(err)
	}
	if s.GoVersion() != runtime.Version() || !s.Has("/gc/heap/allocs:bytes") {
		t.Errorf("served snapshot of %s with %d metrics", s.GoVersion(), s.Len())
	}
	var withProcess struct {
		Process *Process `json:"process"`
	}
	if err := json.Unmarshal(body, &withProcess); err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS == "linux" && (withProcess.Process == nil || withProcess.Process.CPUSeconds <= 0 || withProcess.Process.StartTime.IsZero()) {
		t.Errorf("process = %+v", withProcess.Process)
	}
}

func TestPublishExpvar(t *testing.T) {
	if err := PublishExpvar("metricsx_test"); err != nil {
		t.Fatal(err)
	}
	if err := PublishExpvar("metricsx_test"); err == nil {
		t.Error("publishing a name twice succeeded")
	}
	srv := httptest.NewServer(expvar.Handler())
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var vars map[string]json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&vars); err != nil {
		t.Fatal(err)
	}
	var s Snapshot
	if err := s.UnmarshalJSON(vars["metricsx_test"]); err != nil {
		t.Fatalf("expvar metricsx_test: %v", err)
	}
	if !s.Has("/sched/latencies:seconds") {
		t.Error("expvar snapshot lacks /sched/latencies:seconds")
	}
}
