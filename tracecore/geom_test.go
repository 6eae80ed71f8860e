package tracecore

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// bezierDeriv is B'(t)/3 of the cubic p0 … p3.
func bezierDeriv(p0, p1, p2, p3 Point, t float64) Point {
	s := 1 - t
	return Point{
		s*s*(p1.X-p0.X) + 2*s*t*(p2.X-p1.X) + t*t*(p3.X-p2.X),
		s*s*(p1.Y-p0.Y) + 2*s*t*(p2.Y-p1.Y) + t*t*(p3.Y-p2.Y),
	}
}

// requireTangentParallel checks that the curve's tangent at t is parallel to
// d: the sine of the angle between them is below tol.
func requireTangentParallel(t testing.TB, p0, p1, p2, p3, d Point, at, tol float64) {
	t.Helper()
	v := bezierDeriv(p0, p1, p2, p3, at)
	sin := cross(v, d) / (norm(v) * norm(d))
	require.Less(t, math.Abs(sin), tol, "curve %v %v %v %v, direction %v: the tangent at t = %v is %v, %.3g radians off", p0, p1, p2, p3, d, at, v, math.Asin(math.Min(1, math.Abs(sin))))
}

func TestGeom(t *testing.T) {
	t.Run("BezierEnds", func(t *testing.T) {
		p0, p1, p2, p3 := Point{1.5, -2}, Point{7, 3}, Point{-4, 9.25}, Point{3.125, 0.1}
		require.Equal(t, p0, bezier(p0, p1, p2, p3, 0))
		require.Equal(t, p3, bezier(p0, p1, p2, p3, 1))
		// B(½) = (p0 + 3p1 + 3p2 + p3)/8.
		m := bezier(p0, p1, p2, p3, 0.5)
		require.InDelta(t, (p0.X+3*p1.X+3*p2.X+p3.X)/8, m.X, 1e-12)
		require.InDelta(t, (p0.Y+3*p1.Y+3*p2.Y+p3.Y)/8, m.Y, 1e-12)
		// A straight cubic with evenly spaced control points moves uniformly.
		q := bezier(Point{0, 0}, Point{1, 2}, Point{2, 4}, Point{3, 6}, 0.25)
		require.InDelta(t, 0.75, q.X, 1e-12)
		require.InDelta(t, 1.5, q.Y, 1e-12)
	})

	t.Run("Helpers", func(t *testing.T) {
		a, b := Point{3, 4}, Point{-1, 2}
		require.Equal(t, Point{4, 2}, sub(a, b))
		require.Equal(t, Point{1, 3}, mid(a, b))
		require.Equal(t, 3*2-4*(-1.0), cross(a, b))
		require.Equal(t, 3*(-1)+4*2.0, dot(a, b))
		require.Equal(t, 5.0, norm(a))
		require.Equal(t, Point{2, 3.5}, lerp(a, b, 0.25))
	})

	t.Run("TangentParam", func(t *testing.T) {
		horizontal := Point{1, 0}
		tests := []struct {
			name           string
			p0, p1, p2, p3 Point
			d              Point
			want           float64
			ok             bool
		}{
			// A mirror-symmetric arch: the t² coefficient is exactly zero and
			// the linear equation gives the apex.
			{"SymmetricArchLinear", Point{0, 0}, Point{0, 1}, Point{1, 1}, Point{1, 0}, horizontal, 0.5, true},
			// y' ∝ 3(1-t)² + 2t(1-t) - 3t², zero where 2t² + 4t - 3 = 0.
			{"Quadratic", Point{0, 0}, Point{1, 3}, Point{2, 4}, Point{3, 1}, horizontal, (math.Sqrt(10) - 2) / 2, true},
			// The same arch scaled: the direction's length does not matter.
			{"LongDirection", Point{0, 0}, Point{1, 3}, Point{2, 4}, Point{3, 1}, Point{7, 0}, (math.Sqrt(10) - 2) / 2, true},
			// Tangent parallel to the start's control leg: t = 0.
			{"AtStart", Point{0, 0}, Point{1, 0}, Point{2, 2}, Point{3, 3}, horizontal, 0, true},
			// A straight curve along x has no tangent parallel to y.
			{"StraightNone", Point{0, 0}, Point{1, 0}, Point{2, 0}, Point{3, 0}, Point{0, 1}, 0, false},
			// y' = (1-t)² + t² > 0: discriminant negative.
			{"NoRealRoot", Point{0, 0}, Point{1, 1}, Point{2, 1}, Point{3, 2}, horizontal, 0, false},
			// y' ∝ (1+t)²: the double root t = -1 is outside [0, 1].
			{"RootOutside", Point{0, 0}, Point{1, 1}, Point{2, 3}, Point{3, 7}, horizontal, 0, false},
			// a = 0 and the linear root -c/b = -1 is outside.
			{"LinearRootOutside", Point{0, 0}, Point{1, 1}, Point{2, 2.5}, Point{3, 4.5}, horizontal, 0, false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, ok := tangentParam(tt.p0, tt.p1, tt.p2, tt.p3, tt.d)
				require.Equal(t, tt.ok, ok)
				if tt.ok {
					require.InDelta(t, tt.want, got, 1e-12)
					require.GreaterOrEqual(t, got, 0.0)
					require.LessOrEqual(t, got, 1.0)
				}
			})
		}
	})

	t.Run("TangentParamRandom", func(t *testing.T) {
		// Whenever the tangent's cross product with d changes sign on
		// [0, 1], there is a parameter to find, and at it the tangent is
		// parallel to d.
		rng := rand.New(rand.NewPCG(61, 62))
		pt := func() Point { return Point{rng.Float64()*40 - 20, rng.Float64()*40 - 20} }
		found := 0
		for i := 0; i < 3000; i++ {
			p0, p1, p2, p3, d := pt(), pt(), pt(), pt(), pt()
			at, ok := tangentParam(p0, p1, p2, p3, d)
			if ok {
				found++
				require.True(t, at >= 0 && at <= 1, "t = %v", at)
				requireTangentParallel(t, p0, p1, p2, p3, d, at, 1e-6)
				continue
			}
			c0 := cross(bezierDeriv(p0, p1, p2, p3, 0), d)
			for k := 1; k <= 100; k++ {
				ck := cross(bezierDeriv(p0, p1, p2, p3, float64(k)/100), d)
				require.False(t, (c0 > 1e-9 && ck < -1e-9) || (c0 < -1e-9 && ck > 1e-9),
					"curve %v %v %v %v, direction %v: the tangent turns past d but no t was found", p0, p1, p2, p3, d)
			}
		}
		require.Greater(t, found, 1000)
	})

	t.Run("TangentParamNearlySymmetric", func(t *testing.T) {
		// A mirror-symmetric run has a t² coefficient of exactly zero; one
		// whose symmetry is broken only by rounding (a vertex off by a few
		// units in the last place) has a tiny non-zero one. The parameter
		// found must still be the one where the tangent is parallel to d:
		// here the apex, near t = ½. The textbook root (-b + √disc)/(2a)
		// cancels catastrophically when |a| ≪ |b|.
		for _, eps := range []float64{0, 1e-15, 1e-14, 3e-14, 1e-13, 1e-12, 1e-9, 1e-6} {
			p0, p1, p2, p3 := Point{0, 0}, Point{10, 30}, Point{40, 30}, Point{50, eps}
			at, ok := tangentParam(p0, p1, p2, p3, Point{1, 0})
			require.True(t, ok, "eps %g", eps)
			require.InDelta(t, 0.5, at, 1e-6, "eps %g", eps)
			requireTangentParallel(t, p0, p1, p2, p3, Point{1, 0}, at, 1e-6)
		}
	})
}
