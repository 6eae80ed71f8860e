package tracecore

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// polygonOf runs the optimal-polygon stage on one path. It also returns lon
// as computeLon left it (optimalPolygon may reuse that storage).
func polygonOf(t testing.TB, p []lattice) (s *polygonScratch, lon []int) {
	t.Helper()
	s = &polygonScratch{}
	s.computeSums(p)
	s.computeLon(p)
	for _, l := range s.lon[:len(p)] {
		lon = append(lon, int(l))
	}
	require.NoError(t, s.optimalPolygon(len(p)))
	return s, lon
}

// polygonVertices returns the path points the polygon of s chose.
func polygonVertices(s *polygonScratch, p []lattice) []lattice {
	var v []lattice
	for _, k := range s.poly {
		v = append(v, p[k])
	}
	return v
}

// thickLine is a digital straight band: pixel (x, y) is black for x in
// [0, length) and floor(x/3) ≤ y-1 < floor(x/3) + 3, a parallelogram whose long
// sides are staircases of slope 1/3.
func thickLine(t testing.TB, length int) *Bitmap {
	t.Helper()
	bm, err := NewBitmap(length, length/3+5, 0)
	require.NoError(t, err)
	for x := 0; x < length; x++ {
		for y := x/3 + 1; y < x/3+4; y++ {
			bm.Set(x, y, true)
		}
	}
	return bm
}

func TestPolygon(t *testing.T) {
	t.Run("SquareHasItsCorners", func(t *testing.T) {
		bm := bitmapFromRows(t,
			".........",
			"..#####..",
			"..#####..",
			"..#####..",
			"..#####..",
			"..#####..",
			".........",
			".........",
		)
		_, paths := decomposeBitmap(t, bm, DefaultOptions())
		require.Len(t, paths, 1)
		p := paths[0].pts
		s, _ := polygonOf(t, p)
		require.Equal(t, pts(2, 1, 2, 6, 7, 6, 7, 1), polygonVertices(s, p))
		// Every edge lies on its points' line: adjustment keeps the corners.
		require.Equal(t, []Point{{2, 1}, {2, 6}, {7, 6}, {7, 1}}, s.adjustVertices(p, nil))
	})

	t.Run("SinglePixelIsASquare", func(t *testing.T) {
		p := pts(0, 0, 0, 1, 1, 1, 1, 0)
		s, _ := polygonOf(t, p)
		require.Equal(t, p, polygonVertices(s, p))
		require.Equal(t, []Point{{0, 0}, {0, 1}, {1, 1}, {1, 0}}, s.adjustVertices(p, nil))
	})

	t.Run("StaircaseLineIsSmall", func(t *testing.T) {
		// A straight band's polygon has a few vertices at its ends, however
		// long the staircases along it are.
		var counts []int
		for _, length := range []int{30, 60, 120, 240} {
			_, paths := decomposeBitmap(t, thickLine(t, length), DefaultOptions())
			require.Len(t, paths, 1)
			p := paths[0].pts
			s, _ := polygonOf(t, p)
			require.LessOrEqual(t, len(s.poly), 6, "length %d: %v", length, polygonVertices(s, p))
			counts = append(counts, len(s.poly))
		}
		for _, c := range counts {
			require.Equal(t, counts[0], c, "vertex counts %v", counts)
		}
	})

	t.Run("LonIsMonotoneAndInRange", func(t *testing.T) {
		var paths [][]lattice
		forEachTestPath(t, func(p []lattice) { paths = append(paths, p) })
		files, err := filepath.Glob("testdata/pbm/*_400.pbm")
		require.NoError(t, err)
		for _, file := range files {
			_, ps := decomposeBitmap(t, readPBMTestFile(t, file), optsTurd(0, TurnMinority))
			for _, p := range ps {
				paths = append(paths, p.pts)
			}
		}
		for _, p := range paths {
			n := len(p)
			s := &polygonScratch{}
			s.computeLon(p)
			for i := 0; i < n; i++ {
				lon := int(s.lon[i])
				require.Greater(t, lon, i)
				require.Less(t, lon, i+n)
				next := int(s.lon[(i+1)%n])
				if i+1 == n {
					next += n
				}
				require.LessOrEqual(t, lon, next, "lon decreases at %d", i)
			}
		}
	})

	t.Run("PenaltyMatchesDirectSum", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(31, 32))
		forEachTestPath(t, func(p []lattice) {
			n := len(p)
			s := &polygonScratch{}
			s.computeSums(p)
			for range 20 {
				i := rng.IntN(n)
				j := i + 1 + rng.IntN(n-i)
				a, b := p[i], p[j%n]
				if a == b {
					continue
				}
				// L · sqrt(mean squared distance of v_i … v_j from the line).
				ex, ey := float64(b.X-a.X), float64(b.Y-a.Y)
				l := math.Sqrt(ex*ex + ey*ey)
				var sum float64
				for k := i; k <= j; k++ {
					q := p[k%n]
					d := (ex*float64(q.Y-a.Y) - ey*float64(q.X-a.X)) / l
					sum += d * d
				}
				want := l * math.Sqrt(sum/float64(j-i+1))
				require.InDelta(t, want, s.penalty(i, j, n), 1e-9*(1+want), "edge %d–%d of %d", i, j, n)
			}
		})
	})

	t.Run("OptimalAgainstFullDP", func(t *testing.T) {
		// The restricted DP of optimalPolygon must find a polygon as short and
		// as cheap as a DP over every allowed edge (with v_0 a vertex, as
		// optimalPolygon fixes it).
		forEachTestPath(t, func(p []lattice) {
			n := len(p)
			s, lon := polygonOf(t, p)
			clip := make([]int, n)
			for i := range clip {
				if i == 0 {
					clip[i] = min(lon[n-1]-n-1, n)
				} else {
					clip[i] = min(lon[i-1]-1, n)
				}
			}
			type best struct {
				count int
				pen   float64
			}
			dp := make([]best, n+1)
			for j := 1; j <= n; j++ {
				dp[j] = best{math.MaxInt, math.Inf(1)}
				for i := 0; i < j; i++ {
					if j > clip[i] || dp[i].count == math.MaxInt {
						continue
					}
					c := best{dp[i].count + 1, dp[i].pen + s.penalty(i, j, n)}
					if c.count < dp[j].count || (c.count == dp[j].count && c.pen < dp[j].pen) {
						dp[j] = c
					}
				}
			}
			m := len(s.poly)
			require.Equal(t, dp[n].count, m, "path of %d points", n)
			require.Zero(t, s.poly[0])
			total := 0.0
			for k := 0; k < m; k++ {
				i, j := s.poly[k], n
				if k+1 < m {
					j = s.poly[k+1]
				}
				require.Less(t, i, j)
				require.LessOrEqual(t, j, clip[i], "edge %d–%d is not allowed", i, j)
				total += s.penalty(i, j, n)
			}
			require.InDelta(t, dp[n].pen, total, 1e-9*(1+total))
		})
	})
}

// forEachTestPath calls f with every path of some small random bitmaps, which
// between them have every local configuration of a few pixels.
func forEachTestPath(t testing.TB, f func(p []lattice)) {
	t.Helper()
	rng := rand.New(rand.NewPCG(33, 34))
	for i := 0; i < 60; i++ {
		bm := randomBitmap(t, rng, 4+rng.IntN(20), 4+rng.IntN(20), 0.2+0.6*rng.Float64())
		_, paths := decomposeBitmap(t, bm, optsTurd(0, TurnPolicies[i%len(TurnPolicies)]))
		for _, p := range paths {
			f(p.pts)
		}
	}
}

// pivotPointByPoint is the straight-subpath walk of TRACING.md §2.2 step 2 as
// written: from v_i, visit every following point; test it against the cone,
// then narrow the cone with the square around it; stop before the step that
// introduces the fourth direction. It returns the last point that passed, as
// a linear index.
func pivotPointByPoint(p []lattice, i int) int {
	n := len(p)
	type vec struct{ x, y int }
	cross := func(a, b vec) int { return a.x*b.y - a.y*b.x }
	at := func(k int) vec { q := p[k%n]; return vec{int(q.X), int(q.Y)} }
	stepDir := func(k int) int { // 0 … 3 for the step from v_k to v_k+1
		a, b := at(k), at(k+1)
		switch (vec{b.x - a.x, b.y - a.y}) {
		case vec{1, 0}:
			return 0
		case vec{0, 1}:
			return 1
		case vec{-1, 0}:
			return 2
		}
		return 3
	}
	var seen [4]bool
	seen[stepDir(i)] = true
	var c0, c1 vec
	constrained := false
	origin := at(i)
	for k := i + 1; ; k++ {
		q := at(k)
		d := vec{q.x - origin.x, q.y - origin.y}
		if constrained && (cross(c0, d) < 0 || cross(c1, d) > 0) {
			return k - 1
		}
		if d.x > 1 || d.x < -1 || d.y > 1 || d.y < -1 {
			corners := []vec{{d.x - 1, d.y - 1}, {d.x + 1, d.y - 1}, {d.x - 1, d.y + 1}, {d.x + 1, d.y + 1}}
			var cw, ccw vec
			for _, a := range corners {
				mostCW, mostCCW := true, true
				for _, b := range corners {
					mostCW = mostCW && cross(a, b) >= 0
					mostCCW = mostCCW && cross(a, b) <= 0
				}
				if mostCW {
					cw = a
				}
				if mostCCW {
					ccw = a
				}
			}
			if !constrained {
				c0, c1, constrained = cw, ccw, true
			} else {
				if cross(c0, cw) > 0 {
					c0 = cw
				}
				if cross(c1, ccw) < 0 {
					c1 = ccw
				}
			}
		}
		dir := stepDir(k)
		if !seen[dir] {
			seen[dir] = true
			if seen[0] && seen[1] && seen[2] && seen[3] {
				return k
			}
		}
	}
}

// closedWalkOK reports whether p is a closed walk of unit steps that never
// steps straight back and moves along both axes.
func closedWalkOK(p []lattice) bool {
	n := len(p)
	if n < 4 {
		return false
	}
	horiz, vert := false, false
	for i := range p {
		a, b, c := p[i], p[(i+1)%n], p[(i+2)%n]
		dx, dy := b.X-a.X, b.Y-a.Y
		if dx*dx+dy*dy != 1 {
			return false
		}
		if c.X-b.X == -dx && c.Y-b.Y == -dy {
			return false
		}
		horiz, vert = horiz || dx != 0, vert || dy != 0
	}
	return horiz && vert
}

// TestPivotsMatchPointByPoint checks pivot, which jumps from corner to corner,
// against the point-by-point walk on every path of the 400 px test bitmaps and
// of small random ones.
func TestPivotsMatchPointByPoint(t *testing.T) {
	check := func(t *testing.T, p []lattice) {
		s := &polygonScratch{}
		s.computeLon(p) // fills s.steps and s.next
		for i := range p {
			want := pivotPointByPoint(p, i)
			if got := pivot(p, s.steps, s.next, i); got != want {
				t.Fatalf("path of %d points from %v: pivot(%d) = %d, the point-by-point walk gives %d", len(p), p[0], i, got, want)
			}
		}
	}
	t.Run("Random", func(t *testing.T) {
		forEachTestPath(t, func(p []lattice) { check(t, p) })
	})
	t.Run("RandomWalks", func(t *testing.T) {
		// Closed lattice walks that no bitmap draws (they may cross
		// themselves), for configurations of cone and run that real
		// outlines rarely reach. A walk never steps straight back, and
		// moves along both axes, so every start meets all four directions.
		rng := rand.New(rand.NewPCG(35, 36))
		dirs := []lattice{{1, 0}, {0, 1}, {-1, 0}, {0, -1}}
		for walks := 0; walks < 1000; {
			var p []lattice
			var at lattice
			prev := -1
			for k, n := 0, 4+rng.IntN(60); k < n; k++ {
				d := rng.IntN(4)
				if rng.IntN(3) > 0 && prev >= 0 {
					d = prev // long runs, as on real outlines
				}
				if prev >= 0 && d == (prev+2)%4 {
					continue
				}
				for range 1 + rng.IntN(6) {
					p = append(p, at)
					at.X, at.Y = at.X+dirs[d].X, at.Y+dirs[d].Y
				}
				prev = d
			}
			// Close the walk: back along x, then along y.
			for at.X != 0 || at.Y != 0 {
				d := 0
				switch {
				case at.X > 0:
					d = 2
				case at.X < 0:
					d = 0
				case at.Y > 0:
					d = 3
				default:
					d = 1
				}
				p = append(p, at)
				at.X, at.Y = at.X+dirs[d].X, at.Y+dirs[d].Y
			}
			if !closedWalkOK(p) {
				continue
			}
			walks++
			check(t, p)
		}
	})
	t.Run("Shapes", func(t *testing.T) {
		check(t, pts(0, 0, 0, 1, 1, 1, 1, 0))
		for _, length := range []int{30, 61} {
			_, paths := decomposeBitmap(t, thickLine(t, length), DefaultOptions())
			check(t, paths[0].pts)
		}
	})
	files, err := filepath.Glob("testdata/pbm/*_400.pbm")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			bm := readPBMTestFile(t, file)
			_, paths := decomposeBitmap(t, bm, optsTurd(0, TurnMinority))
			require.NotEmpty(t, paths)
			for _, p := range paths {
				check(t, p.pts)
			}
		})
	}
}
