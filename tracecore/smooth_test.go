package tracecore

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSmooth(t *testing.T) {
	t.Run("FitVertex", func(t *testing.T) {
		// a = (0, 0), c = (4, 0): D = 4, and b = (2, y) gives
		// h = |cross(b-a, c-a)|/D = 4y/4 = y, α = 4/3·(1 - 1/h) for h > 1.
		a, c := Point{0, 0}, Point{4, 0}
		tests := []struct {
			name     string
			b        Point
			alphamax float64
			corner   bool
			alpha    float64 // when a curve: the clamped α
		}{
			{"FlatIsCurveAtMinAlpha", Point{2, 0.5}, 1, false, 0.55}, // h = ½: α = 0, clamped up
			{"HOneIsCurveAtMinAlpha", Point{2, 1}, 1, false, 0.55},   // h = 1: α = 0
			{"HTwo", Point{2, 2}, 1, false, 2.0 / 3},                 // α = 4/3·½
			{"HTwoBelowAlphaMax", Point{2, 2}, 0.7, false, 2.0 / 3},  // α < alphamax
			{"HTwoAtSmallAlphaMax", Point{2, 2}, 0.6, true, 0},       // α ≥ alphamax
			{"HFourIsCornerAtAlphaMaxOne", Point{2, 4}, 1, true, 0},  // α = 1 ≥ 1
			{"HFourIsCurveAboveOne", Point{2, 4}, 1.2, false, 1},     // α = 1
			{"HEightClampedToOne", Point{2, 8}, 1.2, false, 1},       // α = 7/6, clamped down
			{"HEightCorner", Point{2, 8}, 7.0 / 6, true, 0},          // α ≥ alphamax exactly
			{"OtherSide", Point{2, -2}, 1, false, 2.0 / 3},           // |cross|: either side
			{"AboveAnEnd", Point{0, 3}, 1, false, 8.0 / 9},           // h = 12/4 = 3: α = 4/3·⅔
			{"AlphaMaxZeroAlwaysCorner", Point{2, 0.5}, 0, true, 0},
			{"AlphaMaxZeroAlwaysCornerFlat", Point{2, 0}, 0, true, 0},
			{"AlphaMaxFourThirdsNeverCorner", Point{2, 1000}, 4.0 / 3, false, 1},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				f := fitVertex(a, tt.b, c, tt.alphamax)
				require.Equal(t, tt.b, f.b)
				require.Equal(t, tt.corner, f.corner)
				if !tt.corner {
					require.InDelta(t, tt.alpha, f.alpha, 1e-12)
				}
			})
		}
	})

	t.Run("DegenerateChordIsCorner", func(t *testing.T) {
		// a = c: D = 0 makes b a corner whatever alphamax says.
		for _, alphamax := range []float64{0, 1, 4.0 / 3, 100} {
			f := fitVertex(Point{1, 1}, Point{3, 2}, Point{1, 1}, alphamax)
			require.True(t, f.corner, "alphamax %v", alphamax)
		}
	})

	t.Run("Random", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(51, 52))
		pt := func() Point { return Point{float64(rng.IntN(4001)) / 40, float64(rng.IntN(4001)) / 40} }
		for i := 0; i < 2000; i++ {
			a, b, c := pt(), pt(), pt()
			if a == c {
				continue
			}
			// alphamax 0: always a corner; 4/3 or more: never.
			require.True(t, fitVertex(a, b, c, 0).corner)
			for _, am := range []float64{4.0 / 3, 2, 100} {
				f := fitVertex(a, b, c, am)
				require.False(t, f.corner, "%v %v %v alphamax %v", a, b, c, am)
				require.GreaterOrEqual(t, f.alpha, alphaMin)
				require.LessOrEqual(t, f.alpha, alphaMax)
			}
			// In between, a curve's α is clamped into [0.55, 1] and was
			// below alphamax before clamping up.
			am := rng.Float64() * 4 / 3
			if f := fitVertex(a, b, c, am); !f.corner {
				require.GreaterOrEqual(t, f.alpha, alphaMin)
				require.LessOrEqual(t, f.alpha, alphaMax)
				require.True(t, f.alpha < am || f.alpha == alphaMin, "α %v drawn with alphamax %v", f.alpha, am)
			}
		}
	})

	t.Run("Stage", func(t *testing.T) {
		// Through the tracer: a square's four vertices are corners at
		// alphamax 1 when h = L/2 ≥ 4 (α ≥ 1), curves when the square is
		// small.
		corners := func(size int) []bool {
			rows := make([]string, size+2)
			for y := range rows {
				rows[y] = strings.Repeat(".", size+2)
				if y >= 1 && y <= size {
					rows[y] = "." + strings.Repeat("#", size) + "."
				}
			}
			tr := &Tracer{ctx: t.Context()}
			o := DefaultOptions()
			require.NoError(t, tr.decompose(bitmapFromRows(t, rows...), &o))
			require.NoError(t, tr.polygons())
			require.NoError(t, tr.smooth(o.AlphaMax))
			var out []bool
			for _, f := range tr.curves[:len(tr.verts)] {
				out = append(out, f.corner)
			}
			return out
		}
		// L = 8: h = |cross((0, 8), (8, 8))|/16 = 4, α = 1: corners.
		require.Equal(t, []bool{true, true, true, true}, corners(8))
		// L = 7: h = 3.5, α = 4/3·(1 - 2/7) = 20/21 < 1: curves.
		require.Equal(t, []bool{false, false, false, false}, corners(7))
	})
}
