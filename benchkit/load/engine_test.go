package load

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"
)

func TestServerCountMatchesCompletions(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"closed-count", Config{Connections: 8, Requests: 2000, Warmup: 50 * time.Millisecond}},
		{"closed-duration", Config{Connections: 8, Duration: 300 * time.Millisecond}},
		{"open-count", Config{Connections: 4, Rate: 4000, Requests: 800, Warmup: 50 * time.Millisecond}},
		{"open-ramp", Config{Connections: 4, Rate: 4000, Ramp: 200 * time.Millisecond, Duration: 400 * time.Millisecond}},
	}
	for _, tt := range tests {
		for _, p := range paths {
			if tt.cfg.Rate > 0 && p.sessions {
				continue // open loop has only sessions
			}
			t.Run(tt.name+"/"+p.name, func(t *testing.T) { testServerCount(t, tt.cfg, p) })
		}
	}
}

func testServerCount(t *testing.T, cfg Config, p path) {
	srv, served := countingServer(t, nil)
	res, err := Run(t.Context(), mustHTTPOn(t, HTTPConfig{URL: srv.URL}, p), cfg)
	if err != nil {
		t.Fatal(err)
	}
	got := res.Requests + res.Warmup
	if int64(got) != served.Load() {
		t.Errorf("client completed %d (%d measured + %d warmup), server served %d", got, res.Requests, res.Warmup, served.Load())
	}
	if res.Errors[ClassCanceled] != nil || res.Stats.Errors != 0 {
		t.Errorf("errors: %+v", res.Errors)
	}
	if cfg.Requests > 0 && int64(res.Requests)+int64(res.Missed) != cfg.Requests {
		t.Errorf("measured %d + missed %d requests, want %d", res.Requests, res.Missed, cfg.Requests)
	}
	if res.Status[200] != res.Requests {
		t.Errorf("status 200 counted %d times, want %d", res.Status[200], res.Requests)
	}
	if res.Latency.Count() != res.Requests {
		t.Errorf("latency histogram holds %d, want %d", res.Latency.Count(), res.Requests)
	}
	t.Logf("%d req in %v (%.0f req/s), p50 %v p99 %v, missed %d, generator %+v",
		res.Requests, res.Duration, res.RequestsPerSec(), res.Latency.Percentile(50), res.Latency.Percentile(99), res.Missed, res.Generator)
}

// TestGraceCancels runs against a server that never answers: when the
// duration is over, requests in flight get the grace period, then are
// cancelled and counted as such, and the run ends.
func TestGraceCancels(t *testing.T) {
	srv, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	for _, p := range paths {
		tg := mustHTTPOn(t, HTTPConfig{URL: srv.URL, Timeout: time.Hour}, p)
		cfg := Config{Connections: 3, Duration: 200 * time.Millisecond, Grace: 100 * time.Millisecond}
		testGraceCancels(t, tg, cfg)
	}
	tg := mustHTTP(t, HTTPConfig{URL: srv.URL, Timeout: time.Hour})
	testGraceCancels(t, tg, Config{Connections: 3, Duration: 200 * time.Millisecond, Grace: 100 * time.Millisecond, Rate: 1000})
}

func testGraceCancels(t *testing.T, tg Target, cfg Config) {
	t.Helper()
	res, err := Run(t.Context(), tg, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ec := res.Errors[ClassCanceled]
	if ec == nil || ec.Count != 3 || res.Requests != 3 {
		t.Errorf("rate %v: %d requests, errors %v; want 3 cancelled", cfg.Rate, res.Requests, summarizeErrors(res))
	}
	if cfg.Rate > 0 && res.Missed == 0 {
		t.Errorf("open loop with every connection stuck missed nothing")
	}
}

// TestCancelStopsEarly cancels the caller's context mid-run: Run returns
// what it measured so far, with the context's error.
func TestCancelStopsEarly(t *testing.T) {
	for _, p := range paths {
		t.Run(p.name, func(t *testing.T) {
			srv, served := countingServer(t, nil)
			ctx, cancel := context.WithCancel(t.Context())
			time.AfterFunc(200*time.Millisecond, cancel)
			res, err := Run(ctx, mustHTTPOn(t, HTTPConfig{URL: srv.URL}, p), Config{Connections: 2, Duration: time.Hour})
			if !errors.Is(err, context.Canceled) || res == nil {
				t.Fatalf("Run = %v, %v; want a result and context.Canceled", res, err)
			}
			if res.Requests == 0 || int64(res.Requests) != served.Load() {
				t.Errorf("%d requests measured, %d served", res.Requests, served.Load())
			}
		})
	}
}
