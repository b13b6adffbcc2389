package load

import (
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
		t.Run(tt.name, func(t *testing.T) {
			srv, served := countingServer(t, nil)
			res, err := Run(t.Context(), mustHTTP(t, HTTPConfig{URL: srv.URL}), tt.cfg)
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
			if tt.cfg.Requests > 0 && int64(res.Requests)+int64(res.Missed) != tt.cfg.Requests {
				t.Errorf("measured %d + missed %d requests, want %d", res.Requests, res.Missed, tt.cfg.Requests)
			}
			if res.Status[200] != res.Requests {
				t.Errorf("status 200 counted %d times, want %d", res.Status[200], res.Requests)
			}
			if res.Latency.Count() != res.Requests {
				t.Errorf("latency histogram holds %d, want %d", res.Latency.Count(), res.Requests)
			}
			t.Logf("%d req in %v (%.0f req/s), p50 %v p99 %v, missed %d, generator %+v",
				res.Requests, res.Duration, res.RequestsPerSec(), res.Latency.Percentile(50), res.Latency.Percentile(99), res.Missed, res.Generator)
		})
	}
}
