package benchkit

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/aclements/go-moremath/stats"
)

// RoundsForInterval returns the smallest sample size for which the
// median has a finite confidence interval at the given level: 6 for 95%,
// since the widest interval, from the smallest to the largest of n
// values, covers the median with probability 1 − 2·0.5ⁿ. benchstat
// warns "need >= 6 samples for confidence interval at level 0.95" only
// after the run; ask this before it.
func RoundsForInterval(confidence float64) int {
	const limit = 1000
	for n := 2; n <= limit; n++ {
		ci := stats.QuantileCI(n, 0.5, confidence)
		if ci.LoOrder > 0 && ci.HiOrder <= n {
			return n
		}
	}
	return limit
}

// RoundsToDetect returns the smallest per-column sample size for which
// the Mann–Whitney U test can give p <= alpha at all, however large the
// difference: 4 for α = 0.05 (the smallest p for two samples of n is
// 2/C(2n, n), which is 0.029 at n = 4). With fewer, every delta shows as
// "~".
func RoundsToDetect(alpha float64) int {
	const limit = 1000
	for n := 1; n <= limit; n++ {
		if 2/binomial(2*n, n) <= alpha {
			return n
		}
	}
	return limit
}

func binomial(n, k int) float64 {
	lg := func(x int) float64 { v, _ := math.Lgamma(float64(x) + 1); return v }
	return math.Exp(lg(n) - lg(k) - lg(n-k))
}

// RoundsNeeded returns how many rounds a run needs so that every row can
// have a confidence interval at the given level and every comparison can
// be significant at alpha: the larger of [RoundsForInterval] and
// [RoundsToDetect]. Levels of 0 mean 0.95 and 0.05.
func RoundsNeeded(confidence, alpha float64) int {
	if confidence == 0 {
		confidence = 0.95
	}
	if alpha == 0 {
		alpha = 0.05
	}
	return max(RoundsForInterval(confidence), RoundsToDetect(alpha))
}

// An Advice names one inconclusive result of a report and the sample
// size that would likely resolve it.
type Advice struct {
	Table  *Table
	Row    string
	Column string // the compared column; "" for advice on the row as a whole
	N      int    // the current (smaller) sample size

	// Need is the per-column sample size that would likely resolve it, 0
	// when no practical size would (see Reason).
	Need int

	// Reason says why the row is inconclusive and how Need was found.
	Reason string
}

func (a Advice) String() string {
	where := a.Row + " (" + a.Table.Unit
	if a.Column != "" {
		where += ", " + a.Column + " vs " + a.Table.Columns[0].Name
	}
	where += ")"
	if a.Need == 0 {
		return fmt.Sprintf("%s: %s", where, a.Reason)
	}
	return fmt.Sprintf("%s: %s; about %d rounds would likely resolve it", where, a.Reason, a.Need)
}

// maxAdvisedRounds is where advice gives up: beyond it the difference is
// so far inside the noise that more rounds are not the remedy.
const maxAdvisedRounds = 500

// power is the probability of detecting the observed difference that the
// advised sample size aims at, the usual 80%.
const power = 0.8

// Advice lists the rows of r that are inconclusive: a cell whose
// interval is infinite, or a comparison with p > Alpha. For a comparison
// it estimates, from the observed difference of medians and the observed
// spread (pooled median absolute deviation of the logarithms), the sample
// size at which a U test would detect that difference with 80% power:
// n = 2(z₁₋α/₂ + z₀.₈)²σ²/δ² divided by the test's asymptotic efficiency
// 3/π relative to the t-test. This is an estimate from a small sample;
// it says where to start, not a guarantee.
func (r *Report) Advice() []Advice {
	var out []Advice
	needCI := RoundsForInterval(r.Confidence)
	needDetect := RoundsToDetect(r.Alpha)
	for _, t := range r.Tables {
		for _, row := range t.Rows {
			// Cells without an interval: one piece of advice for the row.
			n, short := 0, []string(nil)
			for j, c := range row.Cells {
				if c != nil && (math.IsInf(c.Lo, 0) || math.IsInf(c.Hi, 0)) {
					if len(short) == 0 || c.N() < n {
						n = c.N()
					}
					short = append(short, t.Columns[j].Name)
				}
			}
			if len(short) > 0 {
				out = append(out, Advice{Table: t, Row: row.Name, N: n, Need: needCI,
					Reason: fmt.Sprintf("n=%d is too few for a %.0f%% interval of the median (in %s)", n, 100*r.Confidence, strings.Join(short, ", "))})
				continue
			}
			for j, c := range row.Cells {
				if j == 0 || c == nil || c.Vs == nil || c.Vs.Significant || row.Cells[0] == nil {
					continue
				}
				if a, ok := adviseDelta(t, row, j, r.Alpha, needDetect); ok {
					out = append(out, a)
				}
			}
		}
	}
	return out
}

// adviseDelta estimates the sample size that would resolve an
// inconclusive comparison. It reports false for two constant samples of
// the same value: they are as conclusive as measurements get.
func adviseDelta(t *Table, row *Row, j int, alpha float64, needDetect int) (Advice, bool) {
	base, c := row.Cells[0], row.Cells[j]
	a := Advice{Table: t, Row: row.Name, Column: t.Columns[j].Name, N: min(base.N(), c.N())}
	pfx := fmt.Sprintf("p=%.3f with n=%d+%d", c.Vs.P, base.N(), c.N())
	constant := func(c *Cell) bool { return c.Values[0] == c.Values[len(c.Values)-1] }
	if constant(base) && constant(c) && base.Center == c.Center {
		return a, false
	}
	if !(base.Center > 0) || !(c.Center > 0) {
		a.Reason = pfx + "; values are not positive, so no size can be estimated"
		return a, true
	}
	delta := math.Abs(math.Log(c.Center / base.Center))
	sigma := pooledLogMAD(base.Values, c.Values)
	switch {
	case delta == 0:
		a.Reason = pfx + "; the medians are equal, so no number of rounds will show a difference"
		return a, true
	case sigma == 0:
		// Both samples are constant yet differ: only the test's
		// minimum sample size stands in the way.
		a.Need = max(needDetect, a.N+1)
		a.Reason = pfx + "; the samples do not vary, so the U test's minimum size is what is missing"
		return a, true
	}
	za := stats.StdNormal.InvCDF(1 - alpha/2)
	zb := stats.StdNormal.InvCDF(power)
	n := 2 * (za + zb) * (za + zb) * sigma * sigma / (delta * delta) / (3 / math.Pi)
	need := max(int(math.Ceil(n)), needDetect)
	a.Reason = fmt.Sprintf("%s for a %.2f%% difference with %.2f%% spread", pfx, 100*(c.Center/base.Center-1), 100*sigma)
	if need > maxAdvisedRounds {
		a.Reason += fmt.Sprintf("; more than %d rounds would be needed: the difference is inside the noise", maxAdvisedRounds)
		return a, true
	}
	if need <= a.N {
		// The estimate says the sample should already have sufficed:
		// the observed spread is likely an underestimate.
		need = a.N + a.N/2 + 1
	}
	a.Need = need
	return a, true
}

// pooledLogMAD estimates the common standard deviation of the logarithms
// of two positive samples robustly: the root mean square of each sample's
// median absolute deviation, scaled by 1.4826 (the factor that makes the
// MAD of normal data estimate σ).
func pooledLogMAD(x, y []float64) float64 {
	mad := func(v []float64) float64 {
		l := logs(v)
		slices.Sort(l)
		med := median(l)
		for i := range l {
			l[i] = math.Abs(l[i] - med)
		}
		slices.Sort(l)
		return 1.4826 * median(l)
	}
	a, b := mad(x), mad(y)
	return math.Sqrt((a*a + b*b) / 2)
}

func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}
