package metricsx

import (
	"errors"
	"math"
	"testing"
)

var inf = math.Inf(1)

// timeLike has the shape of the runtime's time histograms: -Inf and +Inf
// end buckets around finite ones.
func timeLike(counts ...uint64) Histogram {
	return Histogram{Counts: counts, Buckets: []float64{-inf, 0, 1, 2, 4, inf}}
}

func TestHistogramQuantile(t *testing.T) {
	tests := []struct {
		name string
		h    Histogram
		q    float64
		want float64 // NaN means NaN
	}{
		{"empty", timeLike(0, 0, 0, 0, 0), 0.5, math.NaN()},
		{"malformed", Histogram{Counts: []uint64{1}, Buckets: []float64{0}}, 0.5, math.NaN()},
		{"q below 0", timeLike(0, 1, 0, 0, 0), -0.1, math.NaN()},
		{"q above 1", timeLike(0, 1, 0, 0, 0), 1.1, math.NaN()},
		{"q NaN", timeLike(0, 1, 0, 0, 0), math.NaN(), math.NaN()},
		{"interpolated", timeLike(0, 0, 0, 4, 0), 0.5, 3},
		{"start of bucket", timeLike(0, 2, 2, 0, 0), 0.5, 1},
		{"-Inf bucket gives its upper edge", timeLike(3, 0, 0, 0, 0), 0.5, 0},
		{"+Inf bucket gives its lower edge", timeLike(0, 0, 0, 0, 3), 0.99, 4},
		{"p99 in the tail", timeLike(0, 99, 0, 0, 1), 0.995, 4},
		{"q 0", timeLike(0, 0, 5, 0, 0), 0, 1},
		{"q 1", timeLike(0, 0, 5, 0, 0), 1, 2},
		{"size histogram", Histogram{Counts: []uint64{2, 2}, Buckets: []float64{1, 9, inf}}, 0.25, 5},
		{"only infinite edges", Histogram{Counts: []uint64{1}, Buckets: []float64{-inf, inf}}, 0.5, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.h.Quantile(tt.q)
			if math.IsNaN(tt.want) != math.IsNaN(got) || !math.IsNaN(got) && got != tt.want {
				t.Errorf("Quantile(%v) = %v, want %v", tt.q, got, tt.want)
			}
		})
	}
}

func TestHistogramMeanMaxSum(t *testing.T) {
	tests := []struct {
		name           string
		h              Histogram
		mean, max, sum float64
	}{
		{"empty", timeLike(0, 0, 0, 0, 0), math.NaN(), math.NaN(), 0},
		{"finite buckets", timeLike(0, 1, 0, 1, 0), 1.75, 4, 3.5},
		{"+Inf bucket counts at its lower edge", timeLike(0, 0, 0, 0, 2), 4, 4, 8},
		{"-Inf bucket counts at its upper edge", timeLike(2, 0, 0, 0, 0), 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check := func(what string, got, want float64) {
				if math.IsNaN(want) != math.IsNaN(got) || !math.IsNaN(got) && got != want {
					t.Errorf("%s = %v, want %v", what, got, want)
				}
			}
			check("Mean", tt.h.Mean(), tt.mean)
			check("Max", tt.h.Max(), tt.max)
			check("Sum", tt.h.Sum(), tt.sum)
		})
	}
}

func TestHistogramSub(t *testing.T) {
	var d Histogram
	if err := d.Sub(timeLike(1, 5, 7, 0, 2), timeLike(1, 2, 7, 0, 1)); err != nil {
		t.Fatal(err)
	}
	want := []uint64{0, 3, 0, 0, 1}
	for i := range want {
		if d.Counts[i] != want[i] {
			t.Fatalf("Sub = %v, want %v", d.Counts, want)
		}
	}
	if err := d.Sub(timeLike(1, 1, 7, 0, 2), timeLike(1, 2, 7, 0, 1)); !errors.Is(err, ErrReset) {
		t.Errorf("Sub of a bucket that went backwards: %v, want ErrReset", err)
	}
	if d.Count() != 0 {
		t.Errorf("after a failed Sub, Count = %d", d.Count())
	}
	other := Histogram{Counts: []uint64{1, 1}, Buckets: []float64{1, 2, inf}}
	if err := d.Sub(other, timeLike(0, 0, 0, 0, 0)); !errors.Is(err, ErrBucketMismatch) {
		t.Errorf("Sub of different layouts: %v, want ErrBucketMismatch", err)
	}
}

func TestHistogramMerge(t *testing.T) {
	var h Histogram
	a := timeLike(1, 2, 3, 4, 5)
	if err := h.Merge(a); err != nil {
		t.Fatal(err)
	}
	if err := h.Merge(timeLike(1, 1, 1, 1, 1)); err != nil {
		t.Fatal(err)
	}
	if h.Count() != 20 || a.Count() != 15 {
		t.Errorf("after merges Count = %d (want 20), source Count = %d (want 15)", h.Count(), a.Count())
	}
	if err := h.Merge(Histogram{Counts: []uint64{1}, Buckets: []float64{0, 1}}); !errors.Is(err, ErrBucketMismatch) {
		t.Errorf("Merge of different layouts: %v, want ErrBucketMismatch", err)
	}
	if h.Count() != 20 {
		t.Errorf("failed Merge changed Count to %d", h.Count())
	}
}

func TestHistogramCloneIsDeep(t *testing.T) {
	a := timeLike(1, 2, 3, 4, 5)
	c := a.Clone()
	a.Counts[0] = 100
	a.Buckets[1] = 100
	if c.Counts[0] != 1 || c.Buckets[1] != 0 {
		t.Errorf("Clone shares storage: %v", c)
	}
}
