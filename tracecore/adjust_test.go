package tracecore

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// lineThrough returns the edgeLine through point a in direction (dx, dy).
func lineThrough(a Point, dx, dy float64) edgeLine {
	l := math.Sqrt(dx*dx + dy*dy)
	nx, ny := -dy/l, dx/l
	return edgeLine{nx: nx, ny: ny, c: -(nx*a.X + ny*a.Y), ok: true}
}

// lineCost is Σ squared distance of z from the lines that exist.
func lineCost(z Point, lines ...edgeLine) float64 {
	var c float64
	for _, l := range lines {
		if l.ok {
			d := l.nx*z.X + l.ny*z.Y + l.c
			c += d * d
		}
	}
	return c
}

// fitLineOf fits a line to points i … j of p (point len(p) is point 0 again).
func fitLineOf(p []lattice, i, j int) edgeLine {
	s := &polygonScratch{}
	s.computeSums(p)
	return s.fitLine(i, j, len(p))
}

func requireInHalfPixel(t testing.TB, p, z Point) {
	t.Helper()
	const eps = 1e-12
	require.LessOrEqual(t, math.Abs(z.X-p.X), 0.5+eps, "%v moved from %v", z, p)
	require.LessOrEqual(t, math.Abs(z.Y-p.Y), 0.5+eps, "%v moved from %v", z, p)
}

func TestAdjustVertex(t *testing.T) {
	t.Run("NoLines", func(t *testing.T) {
		p := Point{3, 4}
		require.Equal(t, p, adjustVertex(p, edgeLine{}, edgeLine{}))
	})

	t.Run("RightAngle", func(t *testing.T) {
		// Two exact lines meeting at a right angle near p: the vertex moves
		// to their intersection.
		tests := []struct {
			name   string
			p      Point
			l1, l2 edgeLine
			want   Point
		}{
			{"AxisAligned", Point{3.2, 2.3}, lineThrough(Point{3, 0}, 0, 1), lineThrough(Point{0, 2}, 1, 0), Point{3, 2}},
			{"Rotated", Point{3, 2}, lineThrough(Point{3.25, 2.1}, 4, 3), lineThrough(Point{3.25, 2.1}, -3, 4), Point{3.25, 2.1}},
			{"ReversedOrder", Point{3, 2}, lineThrough(Point{3.25, 2.1}, -3, 4), lineThrough(Point{3.25, 2.1}, 4, 3), Point{3.25, 2.1}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				z := adjustVertex(tt.p, tt.l1, tt.l2)
				require.InDelta(t, tt.want.X, z.X, 1e-12)
				require.InDelta(t, tt.want.Y, z.Y, 1e-12)
			})
		}
	})

	t.Run("ClampedToHalfPixel", func(t *testing.T) {
		// The lines x = 2 and y = 0 meet 2 pixels right of p = (0, 0). On the
		// square's right side x = ½ the cost (x-2)² + y² is least at y = 0.
		z := adjustVertex(Point{0, 0}, lineThrough(Point{2, 0}, 0, 1), lineThrough(Point{0, 0}, 1, 0))
		require.InDelta(t, 0.5, z.X, 1e-12)
		require.InDelta(t, 0, z.Y, 1e-12)
		// Far off along a diagonal: the nearest corner of the square.
		z = adjustVertex(Point{0, 0}, lineThrough(Point{5, 0}, 0, 1), lineThrough(Point{0, 5}, 1, 0))
		require.InDelta(t, 0.5, z.X, 1e-12)
		require.InDelta(t, 0.5, z.Y, 1e-12)
	})

	t.Run("ParallelLines", func(t *testing.T) {
		// y = 0 and y = 1 (normals either way round): the least-squares
		// points form the line y = ½; of those the one nearest p, its
		// projection, is taken.
		p := Point{3, 0.4}
		for _, l2 := range []edgeLine{lineThrough(Point{0, 1}, 1, 0), lineThrough(Point{0, 1}, -1, 0)} {
			z := adjustVertex(p, lineThrough(Point{0, 0}, 1, 0), l2)
			require.InDelta(t, 3, z.X, 1e-12)
			require.InDelta(t, 0.5, z.Y, 1e-12)
		}
		// The same line twice: the projection of p onto it.
		l := lineThrough(Point{0, 0}, 1, 1)
		z := adjustVertex(Point{0.2, 0.6}, l, l)
		require.InDelta(t, 0.4, z.X, 1e-12)
		require.InDelta(t, 0.4, z.Y, 1e-12)
		// Nearly parallel (below singularTolerance): treated as parallel.
		z = adjustVertex(p, lineThrough(Point{0, 0}, 1, 0), lineThrough(Point{0, 1}, 1, 1e-6))
		require.InDelta(t, 3, z.X, 1e-5)
		require.InDelta(t, 0.5, z.Y, 1e-5)
	})

	t.Run("OneLine", func(t *testing.T) {
		// One line missing: the projection of p onto the other, whichever
		// side it is on.
		l := lineThrough(Point{1, 0}, -1, 1) // x + y = 1
		for _, pair := range [][2]edgeLine{{l, {}}, {{}, l}} {
			z := adjustVertex(Point{0.25, 0.25}, pair[0], pair[1])
			require.InDelta(t, 0.5, z.X, 1e-12)
			require.InDelta(t, 0.5, z.Y, 1e-12)
		}
		// Projection outside the square: clamped.
		z := adjustVertex(Point{0, 0}, lineThrough(Point{0, 3}, 1, 0), edgeLine{})
		require.InDelta(t, 0, z.X, 1e-12)
		require.InDelta(t, 0.5, z.Y, 1e-12)
	})

	t.Run("RandomStaysInSquareAndIsOptimal", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(41, 42))
		randomLine := func(p Point) edgeLine {
			if rng.IntN(8) == 0 {
				return edgeLine{}
			}
			a := rng.Float64() * 2 * math.Pi
			off := Point{p.X + 4*(rng.Float64()-0.5), p.Y + 4*(rng.Float64()-0.5)}
			return lineThrough(off, math.Cos(a), math.Sin(a))
		}
		const grid = 40
		for i := 0; i < 500; i++ {
			p := Point{float64(rng.IntN(200) - 100), float64(rng.IntN(200) - 100)}
			l1, l2 := randomLine(p), randomLine(p)
			z := adjustVertex(p, l1, l2)
			requireInHalfPixel(t, p, z)
			if !l1.ok && !l2.ok {
				require.Equal(t, p, z)
				continue
			}
			if !l1.ok || !l2.ok || math.Abs(l1.nx*l2.ny-l1.ny*l2.nx) < 1e-3 {
				continue // the cost alone does not decide: tested above
			}
			// No point of the square (on a grid) costs less than z.
			cz := lineCost(z, l1, l2)
			for gx := 0; gx <= grid; gx++ {
				for gy := 0; gy <= grid; gy++ {
					q := Point{p.X - 0.5 + float64(gx)/grid, p.Y - 0.5 + float64(gy)/grid}
					if c := lineCost(q, l1, l2); c < cz-1e-9 {
						t.Fatalf("lines %+v, %+v, p %v: %v costs %g, less than adjustVertex's %v at %g", l1, l2, p, q, c, z, cz)
					}
				}
			}
		}
	})
}

func TestFitLine(t *testing.T) {
	t.Run("Collinear", func(t *testing.T) {
		tests := []struct {
			name string
			pts  []lattice
		}{
			{"Vertical", pts(0, 0, 0, 1, 0, 2, 0, 3)},
			{"Horizontal", pts(5, 7, 6, 7, 7, 7)},
			{"Diagonal", pts(1, 1, 2, 3, 3, 5, 4, 7, 5, 9)},
			{"AntiDiagonal", pts(4, 0, 3, 1, 2, 2, 1, 3)},
			{"TwoPoints", pts(2, 2, 3, 2)},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				l := fitLineOf(tt.pts, 0, len(tt.pts)-1)
				require.True(t, l.ok)
				require.InDelta(t, 1, l.nx*l.nx+l.ny*l.ny, 1e-12, "unit normal")
				// Coordinates are relative to the first point.
				for _, q := range tt.pts {
					x, y := float64(q.X-tt.pts[0].X), float64(q.Y-tt.pts[0].Y)
					require.InDelta(t, 0, l.nx*x+l.ny*y+l.c, 1e-9, "%v is off the line %+v", q, l)
				}
			})
		}
	})

	t.Run("TotalLeastSquares", func(t *testing.T) {
		// Scattered points: the fitted line passes through their centroid
		// and no other line through it has a smaller sum of squared
		// distances (the principal axis is the total least-squares line).
		for _, p := range [][]lattice{
			pts(0, 0, 1, 0, 2, 1, 3, 1, 4, 2, 5, 2, 6, 3, 7, 3), // a staircase of slope ½
			pts(0, 0, 0, 1, 0, 2, 1, 2, 2, 2, 2, 3),             // an S bend
			pts(3, 3, 3, 4, 4, 4, 5, 4, 5, 5, 5, 6, 6, 6),
		} {
			l := fitLineOf(p, 0, len(p)-1)
			require.True(t, l.ok)
			var cx, cy float64
			for _, q := range p {
				cx += float64(q.X - p[0].X)
				cy += float64(q.Y - p[0].Y)
			}
			cx, cy = cx/float64(len(p)), cy/float64(len(p))
			require.InDelta(t, 0, l.nx*cx+l.ny*cy+l.c, 1e-12, "through the centroid")
			cost := func(nx, ny float64) float64 {
				var sum float64
				for _, q := range p {
					d := nx*(float64(q.X-p[0].X)-cx) + ny*(float64(q.Y-p[0].Y)-cy)
					sum += d * d
				}
				return sum
			}
			best := cost(l.nx, l.ny)
			for a := 0.0; a < math.Pi; a += 0.001 {
				require.GreaterOrEqual(t, cost(math.Cos(a), math.Sin(a)), best-1e-9, "points %v, angle %v", p, a)
			}
		}
	})

	t.Run("WrapsToPointZero", func(t *testing.T) {
		// Points 2, 3 and n (= 0): (2, 0), (1, 0), (0, 0).
		p := pts(0, 0, 0, 1, 2, 0, 1, 0)
		l := fitLineOf(p, 2, 4)
		require.True(t, l.ok)
		require.InDelta(t, 0, l.nx, 1e-12)
		require.InDelta(t, 1, math.Abs(l.ny), 1e-12)
		require.InDelta(t, 0, l.c, 1e-12)
	})
}

// TestAdjustNotch pins equalEigenTolerance: four points forming a unit square
// (a one-pixel notch spanned by one polygon edge) have equal covariance
// eigenvalues, hence no principal axis and no line, wherever they lie.
func TestAdjustNotch(t *testing.T) {
	for _, off := range []lattice{{0, 0}, {1, 0}, {1000, 3}, {40000, 40000}} {
		square := pts(0, 0, 0, 1, 1, 1, 1, 0)
		// The square's points, after a long run from point 0 so that the
		// prefix sums are large and inexact differences show.
		var p []lattice
		for x := int32(0); x < off.X; x++ {
			p = append(p, lattice{x, 0})
		}
		start := len(p)
		for _, q := range square {
			p = append(p, lattice{q.X + off.X, q.Y + off.Y})
		}
		l := fitLineOf(p, start, start+3)
		require.False(t, l.ok, "offset %v: a unit square has no principal axis, got %+v", off, l)
	}
	// Sets with equal eigenvalues whose moments are not exact in floating
	// point: the 12 boundary points of a 3×3 square (k = 12), far from point
	// 0. The rounding of E[x²] - E[x]² at x ≈ 10⁵ is about 10⁻⁶, far above
	// float64's resolution at the scale of the covariance itself: the
	// tolerance must absorb it.
	ring := pts(0, 0, 0, 1, 0, 2, 0, 3, 1, 3, 2, 3, 3, 3, 3, 2, 3, 1, 3, 0, 2, 0, 1, 0)
	for _, offX := range []int32{0, 1000, 100000} {
		var p []lattice
		for x := int32(0); x < offX; x += 1 {
			p = append(p, lattice{x, 0})
		}
		start := len(p)
		for _, q := range ring {
			p = append(p, lattice{q.X + offX, q.Y + 7})
		}
		l := fitLineOf(p, start, start+len(ring)-1)
		require.False(t, l.ok, "offset %d: the square's boundary has no principal axis, got %+v", offX, l)
	}
	// Adjusting a vertex with a notch on one side and a clean line on the
	// other: the projection onto that line.
	z := adjustVertex(Point{2, 0.2}, edgeLine{}, lineThrough(Point{0, 0}, 1, 0))
	require.InDelta(t, 2, z.X, 1e-12)
	require.InDelta(t, 0, z.Y, 1e-12)
	// A slightly elongated rectangle does have an axis.
	l := fitLineOf(pts(0, 0, 0, 1, 2, 1, 2, 0), 0, 3)
	require.True(t, l.ok)
	require.InDelta(t, 0, l.nx, 1e-12)
}
