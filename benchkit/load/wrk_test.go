package load

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestWrkCorrectedSmall(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name     string
		in       []time.Duration
		interval time.Duration
		want     []time.Duration // the corrected values, sorted
	}{
		// 10 ms adds 7 and 4 (1 is not above the interval); 1 ms adds nothing.
		{"textbook", []time.Duration{ms, 10 * ms}, 3 * ms, []time.Duration{ms, 4 * ms, 7 * ms, 10 * ms}},
		// Exactly twice the interval adds nothing; one nanosecond more adds one.
		{"twice", []time.Duration{6 * ms}, 3 * ms, []time.Duration{6 * ms}},
		{"twice+1ns", []time.Duration{6*ms + 1}, 3 * ms, []time.Duration{3*ms + 1, 6*ms + 1}},
		{"no interval", []time.Duration{ms, 10 * ms}, 0, []time.Duration{ms, 10 * ms}},
		{"interval above max/2", []time.Duration{ms, 10 * ms}, 6 * ms, []time.Duration{ms, 10 * ms}},
		{"empty", nil, 3 * ms, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h Histogram
			for _, d := range tt.in {
				h.Record(d)
			}
			c := h.WrkCorrected(tt.interval)
			if got, want := c.Count(), uint64(len(tt.want)); got != want {
				t.Fatalf("Count = %d, want %d", got, want)
			}
			if len(tt.want) == 0 {
				return
			}
			var sum time.Duration
			for _, d := range tt.want {
				sum += d
			}
			if got, want := c.Mean(), sum/time.Duration(len(tt.want)); got != want {
				t.Errorf("Mean = %v, want %v", got, want)
			}
			if got, want := c.Min(), tt.want[0]; got != want {
				t.Errorf("Min = %v, want %v", got, want)
			}
			if got, want := c.Max(), tt.want[len(tt.want)-1]; got != want {
				t.Errorf("Max = %v, want %v", got, want)
			}
			for i, d := range tt.want {
				p := float64(i+1) / float64(len(tt.want)) * 100
				if got := c.Percentile(p); got < d || float64(got) > float64(d)*(1+1.0/subCount) {
					t.Errorf("Percentile(%g) = %v, want %v (+0.78%%)", p, got, d)
				}
			}
			// h itself is unchanged.
			if h.Count() != uint64(len(tt.in)) {
				t.Errorf("the original's Count changed to %d", h.Count())
			}
		})
	}
}

// wrkReference is wrk's correction over exact values in whole
// microseconds, wrk's unit.
func wrkReference(us []int64, interval int64) []int64 {
	out := slices.Clone(us)
	for _, v := range us {
		for m := v - interval; v >= 2*interval && m > interval; m -= interval {
			out = append(out, m)
		}
	}
	slices.Sort(out)
	return out
}

func TestWrkCorrectedMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	// Latencies in whole microseconds like a loopback run's: mostly a few
	// hundred, a tail to tens of milliseconds.
	us := make([]int64, 20_000)
	var h Histogram
	for i := range us {
		us[i] = int64(math.Exp(rng.NormFloat64()*1.2)*250) + 1
		h.Record(time.Duration(us[i]) * time.Microsecond)
	}
	for _, interval := range []int64{50, 300, 2000} {
		ref := wrkReference(us, interval)
		c := h.WrkCorrected(time.Duration(interval) * time.Microsecond)
		// Each bucket's values count as its largest, so a bucket may add
		// up to 0.78% more values than its exact values would.
		if n := c.Count(); n < uint64(len(ref)) || float64(n) > float64(len(ref))*(1+1.0/subCount) {
			t.Fatalf("interval %dµs: Count = %d, reference %d (+0.78%%)", interval, n, len(ref))
		}
		for _, p := range []float64{50, 75, 90, 99, 99.9} {
			want := time.Duration(exactPercentile(toDurations(ref), p))
			got := c.Percentile(p)
			// The correction shifts a bucket's values by whole intervals,
			// so it keeps the bucket's error: below 1% either way.
			if d := math.Abs(float64(got-want)) / float64(want); d > 0.01 {
				t.Errorf("interval %dµs: p%g = %v, reference %v (%.2f%% off)", interval, p, got, want, d*100)
			}
		}
	}
}

func toDurations(us []int64) []time.Duration {
	out := make([]time.Duration, len(us))
	for i, v := range us {
		out[i] = time.Duration(v) * time.Microsecond
	}
	return out
}

// A one-nanosecond interval over values up to an hour would add about
// 3.6e12 values one at a time; counted per bucket it takes milliseconds.
func TestWrkCorrectedTinyInterval(t *testing.T) {
	var h Histogram
	vals := []time.Duration{time.Hour, time.Second, time.Millisecond, 5}
	for _, d := range vals {
		h.Record(d)
	}
	c := h.WrkCorrected(1)
	want := uint64(len(vals))
	for _, d := range vals {
		if d >= 2 {
			want += uint64(d) - 2 // v−1 … 2
		}
	}
	if n := c.Count(); n < want || float64(n) > float64(want)*(1+1.0/subCount) {
		t.Errorf("Count = %d, want %d (+0.78%%)", n, want)
	}
	if c.Min() != 2 {
		t.Errorf("Min = %v, want 2ns", c.Min())
	}
}

func TestWrkInterval(t *testing.T) {
	tests := []struct {
		name string
		r    Result
		want time.Duration
	}{
		// wrk -c32 printed "543832 requests in 5.10s": 5100000 µs / 16994.
		{"wrk run", Result{Config: Config{Connections: 32}, Duration: 5100 * time.Millisecond, Stats: Stats{Requests: 543832}}, 300 * time.Microsecond},
		{"open loop", Result{Config: Config{Connections: 32}, OpenLoop: true, Duration: time.Second, Stats: Stats{Requests: 1000}}, 0},
		{"fewer requests than connections", Result{Config: Config{Connections: 32}, Duration: time.Second, Stats: Stats{Requests: 31}}, 0},
	}
	for _, tt := range tests {
		if got := tt.r.WrkInterval(); got != tt.want {
			t.Errorf("%s: WrkInterval = %v, want %v", tt.name, got, tt.want)
		}
	}
}
