package benchkit

import (
	"math"
	"slices"
	"sync"

	"github.com/aclements/go-moremath/stats"
)

// ratioInterval returns the Hodges–Lehmann estimate of the ratio y/x of
// two positive samples and its distribution-free confidence interval at
// the given level.
//
// On the log scale a ratio is a shift, and the interval for a shift that
// belongs with the Mann–Whitney U test (the test benchstat and this
// package use for p-values) is a pair of order statistics of the n1·n2
// pairwise differences log y_j − log x_i: the k-th smallest and the k-th
// largest, with k chosen from the distribution of U so that
// 2·P(U ≤ k−1) ≤ 1 − confidence (Hollander & Wolfe, Nonparametric
// Statistical Methods, §4.3). It needs no assumption about the shape of
// the distributions, only that they differ by a scale factor; benchmark
// timings are close to that. The point estimate is the median of the
// pairwise ratios.
//
// Both samples must be sorted. It returns NaNs if a value is not positive
// and an interval of [0, +Inf] when the samples are too small to give one
// at this level.
func ratioInterval(x, y []float64, confidence float64) (est, lo, hi float64) {
	nan := math.NaN()
	if len(x) == 0 || len(y) == 0 || !(x[0] > 0) || !(y[0] > 0) {
		return nan, nan, nan
	}
	lx, ly := logs(x), logs(y)
	m := len(x) * len(y)
	k := ratioOrder(len(x), len(y), confidence)
	if m <= maxMaterializedPairs {
		d := make([]float64, 0, m)
		for _, b := range ly {
			for _, a := range lx {
				d = append(d, b-a)
			}
		}
		slices.Sort(d)
		est = d[m/2]
		if m%2 == 0 {
			est = (d[m/2-1] + d[m/2]) / 2
		}
		if k < 1 {
			return math.Exp(est), 0, math.Inf(1)
		}
		return math.Exp(est), math.Exp(d[k-1]), math.Exp(d[m-k])
	}
	// Too many pairs to hold: find the order statistics by bisection on
	// the value, counting the pairs below it in one linear pass.
	est = (kthDiff(lx, ly, (m+1)/2) + kthDiff(lx, ly, m/2+1)) / 2
	if k < 1 {
		return math.Exp(est), 0, math.Inf(1)
	}
	return math.Exp(est), math.Exp(kthDiff(lx, ly, k)), math.Exp(kthDiff(lx, ly, m+1-k))
}

// maxMaterializedPairs bounds the pairwise differences ratioInterval
// sorts in memory: 1<<18 float64s are 2 MiB, samples of 512 each.
const maxMaterializedPairs = 1 << 18

func logs(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = math.Log(x)
	}
	return out
}

// kthDiff returns the k-th smallest (1-based) of y_j − x_i for sorted x
// and y, by bisection, to within 1e-10 (the values are logarithms, so
// this is a relative error of the ratio of 1e-10, far below what any
// benchmark resolves), or to adjacent float64 values.
func kthDiff(x, y []float64, k int) float64 {
	lo, hi := y[0]-x[len(x)-1], y[len(y)-1]-x[0]
	for range 200 {
		mid := lo + (hi-lo)/2
		if mid <= lo || mid >= hi || hi-lo <= 1e-10 {
			break
		}
		if countAtMost(x, y, mid) >= k {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}

// countAtMost counts pairs with y_j − x_i <= t, that is x_i >= y_j − t.
func countAtMost(x, y []float64, t float64) int {
	n, i := 0, 0
	for _, b := range y {
		for i < len(x) && x[i] < b-t {
			i++
		}
		n += len(x) - i
	}
	return n
}

type orderKey struct {
	n1, n2     int
	confidence float64
}

var orderCache sync.Map // orderKey -> int

// ratioOrder returns the largest k >= 1 with 2·P(U <= k−1) <= 1−confidence
// for the Mann–Whitney U statistic of samples of n1 and n2, or 0 if there
// is none. It uses the exact distribution (without ties) where
// go-moremath's U test does, the normal approximation beyond.
func ratioOrder(n1, n2 int, confidence float64) int {
	key := orderKey{n1, n2, confidence}
	if k, ok := orderCache.Load(key); ok {
		return k.(int)
	}
	alpha2 := (1 - confidence) / 2
	m := n1 * n2
	var k int
	if n1 <= stats.MannWhitneyExactLimit && n2 <= stats.MannWhitneyExactLimit {
		// CDF is increasing in u: find the largest u with CDF(u) <= alpha2
		// by binary search over [−1, m/2]; then k = u+1.
		dist := stats.UDist{N1: n1, N2: n2}
		lo, hi := -1, m/2 // invariant: CDF(lo) <= alpha2 (CDF(−1) = 0)
		for lo < hi {
			mid := lo + (hi-lo+1)/2
			if dist.CDF(float64(mid)) <= alpha2 {
				lo = mid
			} else {
				hi = mid - 1
			}
		}
		k = lo + 1
	} else {
		mu := float64(m) / 2
		sigma := math.Sqrt(float64(m) * float64(n1+n2+1) / 12)
		z := stats.StdNormal.InvCDF(1 - alpha2)
		k = int(math.Floor(mu - z*sigma))
	}
	k = max(k, 0)
	orderCache.Store(key, k)
	return k
}
