package benchkit

import (
	"math"
	"slices"
	"testing"
)

// TestRatioOrder checks the order statistic against the critical values
// of the two-sided Mann–Whitney test at α = 0.05 in published tables: the
// test rejects when U <= c, and the interval's k is c+1.
func TestRatioOrder(t *testing.T) {
	for _, tt := range []struct{ n1, n2, c int }{
		{5, 5, 2}, {6, 6, 5}, {8, 8, 13}, {10, 10, 23}, {6, 10, 11}, {20, 20, 127},
	} {
		if k := ratioOrder(tt.n1, tt.n2, 0.95); k != tt.c+1 {
			t.Errorf("n=%d+%d: k=%d, want %d", tt.n1, tt.n2, k, tt.c+1)
		}
	}
	if k := ratioOrder(3, 3, 0.95); k != 0 {
		t.Errorf("n=3+3: k=%d, want 0 (no interval)", k)
	}
	// The normal approximation beyond the exact limit continues the
	// exact values smoothly.
	exact, approx := ratioOrder(50, 50, 0.95), ratioOrder(51, 51, 0.95)
	if approx < exact || approx > exact+60 {
		t.Errorf("k(50,50)=%d, k(51,51)=%d", exact, approx)
	}
}

func TestRatioIntervalBruteForce(t *testing.T) {
	x := []float64{10, 11, 12, 13, 14, 15}
	y := []float64{20, 23, 24, 25, 29, 30}
	est, lo, hi := ratioInterval(x, y, 0.95)
	var ratios []float64
	for _, b := range y {
		for _, a := range x {
			ratios = append(ratios, b/a)
		}
	}
	slices.Sort(ratios)
	const k = 6 // TestRatioOrder: n=6+6
	wantEst := math.Sqrt(ratios[17] * ratios[18])
	if !near(est, wantEst) || !near(lo, ratios[k-1]) || !near(hi, ratios[36-k]) {
		t.Errorf("got %v [%v, %v], want %v [%v, %v]", est, lo, hi, wantEst, ratios[k-1], ratios[36-k])
	}
	// The bisection used for large samples finds the same order statistics.
	lx, ly := logs(x), logs(y)
	for _, k := range []int{1, 6, 18, 31, 36} {
		if got := math.Exp(kthDiff(lx, ly, k)); !near(got, ratios[k-1]) {
			t.Errorf("kthDiff(%d) = %v, want %v", k, got, ratios[k-1])
		}
	}
	if e, l, h := ratioInterval([]float64{0, 1}, y, 0.95); !math.IsNaN(e) || !math.IsNaN(l) || !math.IsNaN(h) {
		t.Errorf("zero value: %v [%v, %v], want NaNs", e, l, h)
	}
}

func TestRatioIntervalLarge(t *testing.T) {
	// 600×600 pairs exceed maxMaterializedPairs: the bisection path.
	var x, y []float64
	for i := range 600 {
		x = append(x, 100+float64(i%37))
		y = append(y, 300+3*float64(i%41))
	}
	slices.Sort(x)
	slices.Sort(y)
	est, lo, hi := ratioInterval(x, y, 0.95)
	if !(lo < est && est < hi) || est < 2.9 || est > 3.1 || hi-lo > 0.1 {
		t.Errorf("%v [%v, %v], want about 3 with a narrow interval", est, lo, hi)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b)) }
