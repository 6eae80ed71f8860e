package main

import (
	"fmt"
	"math"
	"slices"
)

// A Summary is the median and range of a set of measurements.
type Summary struct {
	Median, Min, Max float64
	N                int
}

// summarize returns the median, minimum and maximum of xs. The median of an
// even count is the mean of the middle two. An empty xs gives NaNs and N 0.
func summarize(xs []float64) Summary {
	if len(xs) == 0 {
		return Summary{Median: math.NaN(), Min: math.NaN(), Max: math.NaN()}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	med := s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return Summary{Median: med, Min: s[0], Max: s[n-1], N: n}
}

func median(xs []float64) float64 { return summarize(xs).Median }

// pairRatios returns a[i]/b[i] for each pair measured together, over the
// shorter of the two.
func pairRatios(a, b []float64) []float64 {
	n := min(len(a), len(b))
	r := make([]float64, 0, n)
	for i := range n {
		r = append(r, a[i]/b[i])
	}
	return r
}

// geomean returns the geometric mean of xs (NaN for none).
func geomean(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	sum := 0.0
	for _, x := range xs {
		sum += math.Log(x)
	}
	return math.Exp(sum / float64(len(xs)))
}

// fmtMs formats a duration in milliseconds to three significant figures:
// 312 ms, 34.2 ms, 3.72 ms, 0.129 ms.
func fmtMs(ms float64) string {
	return fmtSig3(ms) + " ms"
}

// fmtSig3 formats v with three significant figures, without exponent, and no
// decimals at 100 or more.
func fmtSig3(v float64) string {
	a := math.Abs(v)
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return "n/a"
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	case a >= 1:
		return fmt.Sprintf("%.2f", v)
	case a >= 0.1:
		return fmt.Sprintf("%.3f", v)
	default:
		return fmt.Sprintf("%.4f", v)
	}
}

// fmtRange formats a summary as "median (min–max)" with f.
func fmtRange(s Summary, f func(float64) string) string {
	if s.N == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%s (%s–%s)", f(s.Median), f(s.Min), f(s.Max))
}

// fmtRatio formats a ratio with two decimals: 1.23×.
func fmtRatio(r float64) string {
	if math.IsNaN(r) || math.IsInf(r, 0) {
		return "n/a"
	}
	return fmt.Sprintf("%.2f×", r)
}

// fmtRatioBare is fmtRatio without the sign, for ranges.
func fmtRatioBare(r float64) string {
	if math.IsNaN(r) || math.IsInf(r, 0) {
		return "n/a"
	}
	return fmt.Sprintf("%.2f", r)
}

// fmtRatioRange formats "1.12× (1.05–1.20)".
func fmtRatioRange(s Summary) string {
	if s.N == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%s (%s–%s)", fmtRatio(s.Median), fmtRatioBare(s.Min), fmtRatioBare(s.Max))
}

// fmtKB formats a size given in KiB as MiB: 47.4 MiB.
func fmtKB(kb float64) string {
	return fmtSig3(kb/1024) + " MiB"
}

// fmtInt formats an integer with commas between groups of three: 2,401,495.
func fmtInt(n int64) string {
	s := fmt.Sprint(n)
	neg := false
	if n < 0 {
		neg, s = true, s[1:]
	}
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}
