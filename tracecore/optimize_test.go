package tracecore

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// disc returns a bitmap with a black disc of radius r centred in it.
func disc(t testing.TB, r float64) *Bitmap {
	t.Helper()
	n := int(2*r) + 4
	bm, err := NewBitmap(n, n, 0)
	require.NoError(t, err)
	c := float64(n) / 2
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			dx, dy := float64(x)+0.5-c, float64(y)+0.5-c
			if dx*dx+dy*dy <= r*r {
				bm.Set(x, y, true)
			}
		}
	}
	return bm
}

// octagon returns a bitmap with a regular octagon of apothem a centred in it.
func octagon(t testing.TB, a float64) *Bitmap {
	t.Helper()
	n := int(2*a) + 10
	bm, err := NewBitmap(n, n, 0)
	require.NoError(t, err)
	c := float64(n) / 2
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			dx, dy := math.Abs(float64(x)+0.5-c), math.Abs(float64(y)+0.5-c)
			if dx <= a && dy <= a && dx+dy <= a*math.Sqrt2 {
				bm.Set(x, y, true)
			}
		}
	}
	return bm
}

func traceWith(t testing.TB, bm *Bitmap, set func(*Options)) *Result {
	t.Helper()
	o := DefaultOptions()
	set(&o)
	res, err := Trace(t.Context(), bm, o)
	require.NoError(t, err)
	return res
}

// pathArea is the signed area a Path encloses. Each Bézier's ∫x dy − y dx is
// a polynomial of degree 5 in t, which 3-point Gauss–Legendre integrates
// exactly.
func pathArea(p Path) float64 {
	gl := [3][2]float64{{-math.Sqrt(0.6), 5.0 / 9}, {0, 8.0 / 9}, {math.Sqrt(0.6), 5.0 / 9}}
	var area float64
	line := func(a, b Point) { area += cross(a, b) / 2 }
	cur := p.Start
	for _, s := range p.Segments {
		if s.Kind == Corner {
			line(cur, s.C2)
			line(s.C2, s.End)
		} else {
			for _, g := range gl {
				u := (g[0] + 1) / 2
				q := bezier(cur, s.C1, s.C2, s.End, u)
				d := bezierDeriv(cur, s.C1, s.C2, s.End, u) // B'/3
				area += g[1] / 2 * cross(q, d) * 3 / 2
			}
		}
		cur = s.End
	}
	return area
}

// requireClosedPaths checks that each path's segments chain from Start back
// to Start.
func requireClosedPaths(t testing.TB, res *Result) {
	t.Helper()
	for i, p := range res.Paths {
		require.NotEmpty(t, p.Segments, "path %d", i)
		require.Equal(t, p.Start, p.Segments[len(p.Segments)-1].End, "path %d ends where it starts", i)
		for _, s := range p.Segments {
			if s.Kind == Corner {
				require.Equal(t, s.C1, s.C2)
			}
		}
	}
}

func TestOptimize(t *testing.T) {
	t.Run("DiscJoinsCurves", func(t *testing.T) {
		bm := disc(t, 20)
		off := traceWith(t, bm, func(o *Options) { o.OptiCurve = false })
		on := traceWith(t, bm, func(o *Options) {})
		require.Len(t, off.Paths, 1)
		require.Len(t, on.Paths, 1)
		nOff, nOn := len(off.Paths[0].Segments), len(on.Paths[0].Segments)
		require.Less(t, nOn, nOff, "optimisation joins some of the circle's %d curves", nOff)
		for k, s := range on.Paths[0].Segments {
			require.Equal(t, Bezier, s.Kind, "segment %d of a circle", k)
		}
		// A closed convex curve turns by 360°, a joined run by less than
		// 180°: at least three curves remain.
		require.GreaterOrEqual(t, nOn, 3)
		requireClosedPaths(t, on)
	})

	t.Run("JoinsPreserveArea", func(t *testing.T) {
		// α is chosen so that a joined curve encloses, with its chord, the
		// area of the run it replaces: optimisation moves no area.
		type tc struct {
			name  string
			bm    *Bitmap
			joins bool // whether some curves join at the default tolerance
		}
		// The octagon's vertices are corners at alphamax 1: nothing joins.
		cases := []tc{{"Disc", disc(t, 20), true}, {"Octagon", octagon(t, 25), false}}
		files, err := filepath.Glob("testdata/pbm/*_400.pbm")
		require.NoError(t, err)
		require.GreaterOrEqual(t, len(files), 2)
		for _, f := range files[:2] {
			cases = append(cases, tc{filepath.Base(f), readPBMTestFile(t, f), true})
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				for _, tol := range []float64{0.2, 1} {
					off := traceWith(t, c.bm, func(o *Options) { o.OptiCurve, o.OptTolerance = false, tol })
					on := traceWith(t, c.bm, func(o *Options) { o.OptTolerance = tol })
					require.Len(t, on.Paths, len(off.Paths))
					joined := false
					for i := range on.Paths {
						a, b := pathArea(off.Paths[i]), pathArea(on.Paths[i])
						require.InDelta(t, a, b, 1e-9*(1+math.Abs(a)), "path %d, tolerance %v", i, tol)
						require.Equal(t, on.Paths[i].Hole, off.Paths[i].Hole)
						// Holes wind the other way from outlines.
						if on.Paths[i].Hole {
							require.Negative(t, a*pathArea(off.Paths[0]), "path %d", i)
						}
						joined = joined || len(on.Paths[i].Segments) < len(off.Paths[i].Segments)
					}
					require.Equal(t, c.joins, joined, "tolerance %v", tol)
					requireClosedPaths(t, on)
				}
			})
		}
	})

	t.Run("CornersNeverJoin", func(t *testing.T) {
		// alphamax 0 makes every vertex a corner: opticurve changes nothing.
		bm := disc(t, 20)
		off := traceWith(t, bm, func(o *Options) { o.AlphaMax, o.OptiCurve = 0, false })
		on := traceWith(t, bm, func(o *Options) { o.AlphaMax = 0 })
		require.Equal(t, off.Paths, on.Paths)
		for _, s := range on.Paths[0].Segments {
			require.Equal(t, Corner, s.Kind)
		}
	})

	t.Run("OctagonKeepsItsTurns", func(t *testing.T) {
		// A regular octagon of curves (alphamax 4/3: no corners). With a
		// tolerance so loose that only the turn rule limits joining, a run
		// may turn through at most three of the 45° vertices (four would
		// make 180°), so eight curves become no fewer than three.
		bm := octagon(t, 25)
		res := traceWith(t, bm, func(o *Options) { o.AlphaMax, o.OptTolerance = 4.0/3, 100 })
		require.Len(t, res.Paths, 1)
		n := len(res.Paths[0].Segments)
		require.GreaterOrEqual(t, n, 3)
		plain := traceWith(t, bm, func(o *Options) { o.AlphaMax, o.OptiCurve = 4.0/3, false })
		require.Less(t, n, len(plain.Paths[0].Segments))
	})

	t.Run("HalfTurnRule", func(t *testing.T) {
		// The eight vertices of a regular octagon, all curves. Joining the
		// segments of three vertices turns the curve by 135°: allowed.
		// Four turn it by 180°: refused, whatever the tolerance.
		f := make([]vertexFit, 8)
		for k := range f {
			a := float64(k) * math.Pi / 4
			f[k] = vertexFit{b: Point{10 * math.Cos(a), 10 * math.Sin(a)}, alpha: 1}
		}
		s := &optimizeScratch{}
		s.joinRuns(f, 100)
		for i := 0; i < 8; i++ {
			for j := i + 4; j <= min(i+6, 8); j++ {
				_, _, _, ok := s.tryRun(f, i, j, 100, f[0].b)
				require.False(t, ok, "run %d–%d turns by %d°", i, j, 45*(j-i))
			}
			if i+3 <= 8 {
				_, _, _, ok := s.tryRun(f, i, i+3, 100, f[0].b)
				require.True(t, ok, "run %d–%d turns by 135°", i, i+3)
			}
		}
		// The DP divides the loop into three runs, each of at most three
		// segments.
		require.Len(t, s.runs, 3)
		for r, j := range s.runs {
			require.LessOrEqual(t, j-s.prev[j], 3, "run %d", r)
		}
	})

	t.Run("RunsStopAtCornersAndInflections", func(t *testing.T) {
		// A zigzag: vertices alternate their turn, so no two curves join.
		var f []vertexFit
		for k := 0; k < 8; k++ {
			f = append(f, vertexFit{b: Point{float64(3 * k), float64(3 * (k % 2))}, alpha: 0.8})
		}
		f = append(f, vertexFit{b: Point{21, 20}, alpha: 0.8}, vertexFit{b: Point{0, 20}, alpha: 0.8})
		s := &optimizeScratch{}
		s.joinRuns(f, 100)
		for i := 0; i+2 <= 6; i++ { // vertices 1 … 6 alternate
			_, _, _, ok := s.tryRun(f, i, i+2, 100, f[0].b)
			require.False(t, ok, "run %d–%d spans an inflection", i, i+2)
		}
		// Any corner in a run stops it.
		g := make([]vertexFit, 8)
		for k := range g {
			a := float64(k) * math.Pi / 4
			g[k] = vertexFit{b: Point{10 * math.Cos(a), 10 * math.Sin(a)}, alpha: 1}
		}
		g[2].corner = true
		s.joinRuns(g, 100)
		for i := 0; i <= 1; i++ {
			for j := 2; j <= i+3; j++ {
				if j-i < 2 {
					continue
				}
				_, _, _, ok := s.tryRun(g, i, j, 100, g[0].b)
				require.False(t, ok, "run %d–%d contains the corner at 2", i, j)
			}
		}
	})

	t.Run("CandidateChecks", func(t *testing.T) {
		// Irregular convex polygons of curves: every run tryRun accepts at a
		// huge tolerance must have its tangent points on their edges, the
		// penalty the rules give, and become acceptable exactly at the
		// tolerance the rules say.
		rng := rand.New(rand.NewPCG(81, 82))
		checked := 0
		for poly := 0; poly < 60; poly++ {
			m := 6 + rng.IntN(10)
			angles := make([]float64, m)
			for k := range angles {
				angles[k] = rng.Float64() * 2 * math.Pi
			}
			slices.Sort(angles)
			rx, ry := 10+30*rng.Float64(), 10+30*rng.Float64()
			f := make([]vertexFit, m)
			for k, a := range angles {
				f[k] = vertexFit{b: Point{rx * math.Cos(a), ry * math.Sin(a)}, alpha: 0.55 + 0.45*rng.Float64()}
			}
			s := &optimizeScratch{}
			s.joinRuns(f, 100)
			for i := 0; i < m; i++ {
				for j := i + 2; j <= m; j++ {
					c1, c2, pen, ok := s.tryRun(f, i, j, 100, f[0].b)
					if !ok {
						continue
					}
					tau, wantPen, onEdges := runDeviation(f, i, j, c1, c2)
					require.True(t, onEdges, "polygon %d run %d–%d: a tangent point is beside its edge", poly, i, j)
					require.InDelta(t, wantPen, pen, 1e-6*(1+wantPen), "polygon %d run %d–%d penalty", poly, i, j)
					_, _, _, ok = s.tryRun(f, i, j, tau+1e-6, f[0].b)
					require.True(t, ok, "polygon %d run %d–%d refused at tolerance %v", poly, i, j, tau+1e-6)
					if tau > 1e-5 {
						_, _, _, ok = s.tryRun(f, i, j, tau-1e-6, f[0].b)
						require.False(t, ok, "polygon %d run %d–%d accepted below tolerance %v", poly, i, j, tau)
					}
					checked++
				}
			}
		}
		require.Greater(t, checked, 200)
	})

	t.Run("TurnJustUnderHalf", func(t *testing.T) {
		// Vertices on a circle at angles θ: the edge from θa to θb points
		// at (θa+θb)/2 + 90°, so the run over vertices 1 … 4 turns from
		// the edge (0°, 10°) to the edge (θ4, 190°) by (θ4 + 190 - 10)/2.
		// With θ4 = 179° that is 179.5°, the right way round but past the
		// 179° limit: refused. With θ4 = 177°, 178.5°: allowed. (A loose
		// tolerance leaves the turn as the only rule that can refuse.)
		run := func(theta4 float64) bool {
			deg := []float64{0, 10, 60, 120, theta4, 190, 270}
			f := make([]vertexFit, len(deg))
			for k, d := range deg {
				a := d * math.Pi / 180
				f[k] = vertexFit{b: Point{20 * math.Cos(a), 20 * math.Sin(a)}, alpha: 1}
			}
			s := &optimizeScratch{}
			s.joinRuns(f, 100)
			_, _, _, ok := s.tryRun(f, 0, 4, 100, f[0].b)
			return ok
		}
		require.False(t, run(179))
		require.True(t, run(177))
	})

	t.Run("DPIsOptimal", func(t *testing.T) {
		// Over the curves of real traces, the DP's division has the fewest
		// runs and then the least penalty of any division into runs that
		// tryRun accepts, trying each j's runs from i = j-2 down to the
		// first refusal.
		files, err := filepath.Glob("testdata/pbm/*_400.pbm")
		require.NoError(t, err)
		for _, file := range files[:3] {
			tr := &Tracer{ctx: t.Context()}
			o := DefaultOptions()
			require.NoError(t, tr.decompose(readPBMTestFile(t, file), &o))
			require.NoError(t, tr.polygons())
			require.NoError(t, tr.smooth(o.AlphaMax))
			for _, p := range tr.paths {
				f := tr.curves[p.voff : p.voff+p.m]
				m := len(f)
				if m < 3 {
					continue
				}
				s := &optimizeScratch{}
				s.joinRuns(f, o.OptTolerance)
				type best struct {
					count int
					pen   float64
				}
				dp := make([]best, m+1)
				for j := 1; j <= m; j++ {
					dp[j] = best{dp[j-1].count + 1, dp[j-1].pen}
					for i := j - 2; i >= 0; i-- {
						_, _, pen, ok := s.tryRun(f, i, j, o.OptTolerance, f[0].b)
						if !ok {
							break
						}
						c := best{dp[i].count + 1, dp[i].pen + pen}
						if c.count < dp[j].count || c.count == dp[j].count && c.pen < dp[j].pen {
							dp[j] = c
						}
					}
				}
				require.Equal(t, dp[m].count, len(s.runs), "%s: path of %d vertices", file, m)
				require.InDelta(t, dp[m].pen, s.pen[m], 1e-9*(1+dp[m].pen), "%s: path of %d vertices", file, m)
			}
		}
	})
}

// tangentRoot finds, by bisection on a fine grid, the t in [0, 1] where the
// cubic's tangent is parallel to d: independent of tangentParam.
func tangentRoot(p0, p1, p2, p3, d Point) (float64, bool) {
	f := func(t float64) float64 { return cross(bezierDeriv(p0, p1, p2, p3, t), d) }
	const steps = 1000
	prev := f(0)
	if prev == 0 {
		return 0, true
	}
	for k := 1; k <= steps; k++ {
		t1 := float64(k) / steps
		cur := f(t1)
		if cur == 0 {
			return t1, true
		}
		if (prev < 0) != (cur < 0) {
			lo, hi := float64(k-1)/steps, t1
			for range 100 {
				m := (lo + hi) / 2
				if (f(m) < 0) == (prev < 0) {
					lo = m
				} else {
					hi = m
				}
			}
			return (lo + hi) / 2, true
		}
		prev = cur
	}
	return 0, false
}

// runDeviation measures the candidate curve p0, c1, c2, p3 of run (i, j) by
// the rules of TRACING.md §5, written out again: the largest edge distance or
// bulge shortfall (the tolerance at which the run becomes acceptable), the
// penalty, and whether every tangent point projects onto its edge.
func runDeviation(f []vertexFit, i, j int, c1, c2 Point) (tau, pen float64, onEdges bool) {
	m := len(f)
	b := func(k int) Point { return f[k%m].b }
	p0, p3 := mid(b(i), b(i+1)), mid(b(j), b(j+1))
	onEdges = true
	for k := i + 1; k < j; k++ {
		e := sub(b(k+1), b(k))
		t, ok := tangentRoot(p0, c1, c2, p3, e)
		if !ok {
			return math.Inf(1), 0, false
		}
		z := sub(bezier(p0, c1, c2, p3, t), b(k))
		d := cross(e, z) / norm(e)
		tau, pen = math.Max(tau, math.Abs(d)), pen+d*d
		if proj := dot(z, e) / dot(e, e); proj < 0 || proj > 1 {
			onEdges = false
		}
	}
	for k := i + 1; k <= j; k++ {
		s0, s1 := mid(b(k-1), b(k)), mid(b(k), b(k+1))
		chord := sub(s1, s0)
		t, ok := tangentRoot(p0, c1, c2, p3, chord)
		if !ok {
			return math.Inf(1), 0, false
		}
		side := cross(chord, sub(b(k), s0)) / norm(chord) // b's distance, signed
		reach := cross(chord, sub(bezier(p0, c1, c2, p3, t), s0)) / norm(chord)
		if side < 0 {
			side, reach = -side, -reach
		}
		short := 0.75*f[k%m].alpha*side - reach
		tau = math.Max(tau, short)
		if short > 0 {
			pen += short * short
		}
	}
	return tau, pen, onEdges
}
