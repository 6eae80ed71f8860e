package tracecore

import (
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// refOtsu computes every split's between-class variance exactly, as
// rationals, and returns the best split and its variance.
func refOtsu(hist *[histLevels]uint64) (best int, bestVar *big.Rat) {
	var n, s uint64
	for v, c := range hist {
		n += c
		s += uint64(v) * c
	}
	var n0, s0 uint64
	for k := 1; k < histLevels; k++ {
		n0 += hist[k-1]
		s0 += uint64(k-1) * hist[k-1]
		n1, s1 := n-n0, s-s0
		if n0 == 0 || n1 == 0 {
			continue
		}
		d := new(big.Rat).Sub(big.NewRat(int64(s1), int64(n1)), big.NewRat(int64(s0), int64(n0)))
		v := new(big.Rat).Mul(d, d)
		v.Mul(v, new(big.Rat).SetInt64(int64(n0*n1)))
		if bestVar == nil || v.Cmp(bestVar) > 0 {
			best, bestVar = k, v
		}
	}
	return best, bestVar
}

func TestOtsu(t *testing.T) {
	hist := func(levels ...uint64) *[histLevels]uint64 { // level, count, level, count…
		var h [histLevels]uint64
		for i := 0; i < len(levels); i += 2 {
			h[levels[i]] += levels[i+1]
		}
		return &h
	}
	t.Run("Bimodal", func(t *testing.T) {
		tests := []struct {
			name string
			h    *[histLevels]uint64
			want int
		}{
			// Two levels: every split between them is as good; the
			// middle of the run is chosen, rounded up.
			{"BlackWhite", hist(0, 100, 255, 300), 128},
			{"BlackWhiteEqual", hist(0, 5, 255, 5), 128},
			{"TwoLevels", hist(50, 100, 200, 300), 126}, // runs 51…200
			{"Adjacent", hist(10, 7, 11, 9), 11},
			// Two clusters with spread: the split falls in the gap, at
			// its middle.
			{"Clusters", hist(40, 10, 41, 20, 42, 10, 180, 5, 181, 30, 182, 5), 112}, // 43…180
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				k, ok := otsu(tt.h)
				require.True(t, ok)
				require.Equal(t, tt.want, k)
			})
		}
	})

	t.Run("Degenerate", func(t *testing.T) {
		for name, h := range map[string]*[histLevels]uint64{
			"Empty":    hist(),
			"OneLevel": hist(77, 1000),
			"Black":    hist(0, 3),
			"White":    hist(255, 3),
		} {
			_, ok := otsu(h)
			require.False(t, ok, name)
		}
	})

	t.Run("Unequal", func(t *testing.T) {
		// A large dark class and a small light one: Otsu's split is
		// between them, not at the middle of the level range.
		h := hist(20, 1000, 30, 1000, 220, 10, 230, 10)
		k, ok := otsu(h)
		require.True(t, ok)
		require.Greater(t, k, 30)
		require.LessOrEqual(t, k, 220)
		// Three clusters: the split isolates the most distant one.
		h = hist(10, 100, 120, 100, 130, 100, 250, 100)
		k, _ = otsu(h)
		_, best := refOtsu(h)
		require.Zero(t, best.Cmp(splitVariance(h, k)))
		require.Equal(t, 191, k) // 250 alone, in the middle of the run 131…250
	})

	t.Run("MatchesExactVariance", func(t *testing.T) {
		// Against the exact rational variances, on histograms without
		// empty runs (so the best split is a single level): the float
		// computation picks the exact best, or a split whose variance is
		// within rounding of it.
		rng := rand.New(rand.NewPCG(91, 92))
		for range 200 {
			var h [histLevels]uint64
			for range 2 + rng.IntN(4) {
				c, spread := rng.IntN(256), 1+rng.IntN(40)
				for range 1 + rng.IntN(5000) {
					v := min(255, max(0, c+rng.IntN(2*spread+1)-spread))
					h[v]++
				}
			}
			for v := range h {
				h[v]++ // no empty levels
			}
			k, ok := otsu(&h)
			require.True(t, ok)
			want, wantVar := refOtsu(&h)
			if k != want {
				diff := new(big.Rat).Sub(wantVar, splitVariance(&h, k))
				rel, _ := new(big.Rat).Quo(diff, wantVar).Float64()
				require.Less(t, rel, 1e-12, "split %d, best %d", k, want)
			}
		}
	})

	t.Run("Deterministic", func(t *testing.T) {
		// The same histogram always gives the same split (no map order,
		// no randomness), and scaling every count leaves it unchanged.
		h := hist(3, 17, 90, 40, 91, 41, 160, 3, 161, 80, 240, 9)
		k, _ := otsu(h)
		for range 10 {
			k2, _ := otsu(h)
			require.Equal(t, k, k2)
		}
		var h1000 [histLevels]uint64
		for v, c := range h {
			h1000[v] = 1000 * c
		}
		k2, _ := otsu(&h1000)
		require.Equal(t, k, k2)
	})
}

// splitVariance is the exact between-class variance of the split at k.
func splitVariance(hist *[histLevels]uint64, k int) *big.Rat {
	var n0, s0, n1, s1 int64
	for v, c := range hist {
		if v < k {
			n0, s0 = n0+int64(c), s0+int64(v)*int64(c)
		} else {
			n1, s1 = n1+int64(c), s1+int64(v)*int64(c)
		}
	}
	d := new(big.Rat).Sub(big.NewRat(s1, n1), big.NewRat(s0, n0))
	v := new(big.Rat).Mul(d, d)
	return v.Mul(v, new(big.Rat).SetInt64(n0*n1))
}
