package tracecore

import (
	"errors"
	"math"
)

// The optimal polygon (Selinger §2.2): for each path, the polygon with the
// fewest edges whose every edge stays close to the path points it spans, and
// among those the one of least total penalty. Vertices are path points.

// prefixSum holds running sums over a path's points, relative to its first point.
// Integer sums are exact; with MaxPixels bounding both the coordinates and the
// path length they stay far inside int64.
type prefixSum struct {
	x, y, xx, xy, yy int64
}

type polygonScratch struct {
	// Per-point arrays are the largest scratch of a trace (the longest path of
	// an 8 MP photo has some 60 000 points), so indices are int32: MaxPixels
	// keeps a path's length far below 2³¹.
	sums  []prefixSum // sums[k]: over points 0 … k-1
	steps []step8     // steps[k]: the unit step from point k to point k+1
	next  []int32     // next[k]: the next corner after point k, as a linear index
	lon   []int32     // lon[k]: the farthest point v_k … v_lon[k] is straight to (linear); then clip
	clip1 []int32     // clip1[j]: the first i with clip[i] ≥ j
	seg0  []int       // greedy forward vertex positions
	seg1  []int       // greedy backward vertex positions
	pen   []float64   // least penalty of a polygon prefix ending at position j
	prev  []int32     // the vertex before j on that prefix
	poly  []int       // the chosen polygon's vertex positions
	lines []edgeLine  // per polygon edge, the fitted line
}

// A step8 is a unit step between lattice points.
type step8 struct{ x, y int8 }

func (d step8) vec() ivec { return ivec{int(d.x), int(d.y)} }

// polygons computes the optimal polygon of every path and adjusts its vertices,
// appending them to t.verts and recording their place in t.paths.
func (t *Tracer) polygons() error {
	total := 0
	for _, p := range t.paths {
		total += p.n
	}
	if err := t.begin(StagePolygon, total); err != nil {
		return err
	}
	t.verts = t.verts[:0]
	for i := range t.paths {
		p := &t.paths[i]
		pts := t.pts[p.off : p.off+p.n]
		s := &t.polygon
		s.computeSums(pts)
		s.computeLon(pts)
		if err := s.optimalPolygon(len(pts)); err != nil {
			return err
		}
		voff := len(t.verts)
		t.verts = s.adjustVertices(pts, t.verts)
		if p.hole {
			reverseAfterFirst(t.verts[voff:])
		}
		p.voff, p.m = voff, len(t.verts)-voff
		if err := t.advance(p.n); err != nil {
			return err
		}
	}
	t.end()
	return nil
}

// reverseAfterFirst reverses the cyclic order of v while keeping v[0] first.
func reverseAfterFirst(v []Point) {
	for i, j := 1, len(v)-1; i < j; i, j = i+1, j-1 {
		v[i], v[j] = v[j], v[i]
	}
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n, n+n/4)
	}
	return s[:n]
}

func (s *polygonScratch) computeSums(pts []lattice) {
	n := len(pts)
	s.sums = grow(s.sums, n+1)
	x0, y0 := int64(pts[0].X), int64(pts[0].Y)
	var acc prefixSum
	s.sums[0] = acc
	for k, p := range pts {
		x, y := int64(p.X)-x0, int64(p.Y)-y0
		acc.x += x
		acc.y += y
		acc.xx += x * x
		acc.xy += x * y
		acc.yy += y * y
		s.sums[k+1] = acc
	}
}

type ivec struct{ x, y int }

func icross(a, b ivec) int { return a.x*b.y - a.y*b.x }

// dirBit gives each of the four unit steps its own bit.
func dirBit(d step8) uint { return 1 << uint(d.x+2*d.y+2) }

// step returns the unit step from point k to point k+1 (cyclically).
func step(pts []lattice, k int) step8 {
	n := len(pts)
	a, b := pts[k%n], pts[(k+1)%n]
	return step8{int8(b.X - a.X), int8(b.Y - a.Y)}
}

// rel returns point k (a linear index, taken mod n) relative to point i.
func rel(pts []lattice, k, i int) ivec {
	n := len(pts)
	a, b := pts[i%n], pts[k%n]
	return ivec{int(b.X - a.X), int(b.Y - a.Y)}
}

// computeLon finds, for every point i, the farthest point lon[i] (a linear
// index, i < lon[i] < i+n) such that v_i … v_lon[i] is a straight subpath, and
// makes lon monotone.
func (s *polygonScratch) computeLon(pts []lattice) {
	n := len(pts)
	s.steps = grow(s.steps, n)
	s.next = grow(s.next, n)
	s.lon = grow(s.lon, n)
	for k := range n {
		s.steps[k] = step(pts, k)
	}
	// next corners: a corner is a point where the step changes direction.
	first := -1
	for k := 0; k < n && first < 0; k++ {
		if s.steps[(k+n-1)%n] != s.steps[k] {
			first = k
		}
	}
	nxt := int32(first + n)
	for k := n - 1; k >= 0; k-- {
		s.next[k] = nxt
		if s.steps[(k+n-1)%n] != s.steps[k] {
			nxt = int32(k)
		}
	}
	for i := 0; i < n; i++ {
		s.lon[i] = int32(pivot(pts, s.steps, s.next, i))
	}
	// Make lon monotone: a straight subpath from i+1 reaching j means one from
	// i cannot be credited with more than j.
	for range 2 {
		for i := n - 1; i >= 0; i-- {
			nx := s.lon[(i+1)%n]
			if i+1 == n {
				nx += int32(n)
			}
			s.lon[i] = min(s.lon[i], nx)
		}
	}
}

// allDirs is the union of dirBit over the four unit steps.
const allDirs = 1<<0 | 1<<1 | 1<<3 | 1<<4

// pivot walks from point i corner to corner, keeping the cone of directions a
// line from v_i may take to pass within a pixel (in each coordinate) of every
// point so far, and returns the last point the walk reaches (a linear index).
// steps[k] is the step from point k to k+1, next[k] the first corner after k.
//
// Along a run between two corners the points lie on a segment, so the squares
// around its inner points constrain nothing that the squares around its two
// ends do not; and a point's own square contains it, so only the cone as it
// stood at the run's first corner can stop the walk inside a run. The first
// point where it does is found by division. TestPivotsMatchPointByPoint checks
// this against the point-by-point walk the paper describes.
func pivot(pts []lattice, steps []step8, next []int32, i int) int {
	n := len(pts)
	origin := pts[i]
	dirs := dirBit(steps[i])
	var c0, c1 ivec
	narrowed := false
	k, km := i, i // k linear, km = k mod n
	for {
		length := int(next[km]) - km
		u := steps[km].vec()
		p := ivec{int(pts[km].X - origin.X), int(pts[km].Y - origin.Y)}
		if narrowed {
			// Point p + t·u stays in the cone while cross(c0, p) + t·cross(c0, u)
			// ≥ 0 and cross(c1, p) + t·cross(c1, u) ≤ 0; p itself is inside. The
			// division that finds the last such t runs only when the run
			// leaves the cone before its end.
			tmax := length
			if b := icross(c0, u); b < 0 {
				if a := icross(c0, p); a < length*-b {
					tmax = a / -b
				}
			}
			if b := icross(c1, u); b > 0 {
				if a := -icross(c1, p); a < tmax*b {
					tmax = a / b
				}
			}
			if tmax < length {
				return k + tmax
			}
		}
		q := ivec{p.x + length*u.x, p.y + length*u.y}
		if q.x > 1 || q.x < -1 || q.y > 1 || q.y < -1 {
			cw, ccw := squareExtremes(q)
			if !narrowed {
				c0, c1, narrowed = cw, ccw, true
			} else {
				if icross(c0, cw) > 0 {
					c0 = cw
				}
				if icross(c1, ccw) < 0 {
					c1 = ccw
				}
			}
		}
		k += length
		if km += length; km >= n {
			km -= n
		}
		if dirs |= dirBit(steps[km]); dirs == allDirs {
			return k
		}
	}
}

// squareExtremes returns the corners of the square q + [-1, 1]² that are most
// clockwise (cw: every corner c has cross(cw, c) ≥ 0) and most
// counter-clockwise (ccw: cross(ccw, c) ≤ 0) as seen from the origin, which
// lies outside the square (|q.x| ≥ 2 or |q.y| ≥ 2).
//
// Moving a point by o turns its direction by cross(q, o)/|q|², so the extreme
// corners take o = ±(sign q.y, -sign q.x). When q is on an axis one of those
// is zero, and then the nearer corner on that side is the extreme one (for
// q = (x, 0), x > 0: o.x = -1 for both). squareExtremesLoop in the tests
// checks every corner against every other.
func squareExtremes(q ivec) (cw, ccw ivec) {
	sx, sy := isign(q.x), isign(q.y)
	cwx, ccwx := sy, -sy
	if sy == 0 {
		cwx, ccwx = -sx, -sx
	}
	cwy, ccwy := -sx, sx
	if sx == 0 {
		cwy, ccwy = -sy, -sy
	}
	return ivec{q.x + cwx, q.y + cwy}, ivec{q.x + ccwx, q.y + ccwy}
}

func isign(v int) int {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

var errPolygon = errors.New("tracecore: internal error: no polygon closes the path")

// optimalPolygon chooses the polygon's vertices (positions 0 … n, position n
// being point 0 again) into s.poly: the fewest edges, then the least penalty.
func (s *polygonScratch) optimalPolygon(n int) error {
	// clip[i] = lon[i-1] - 1, computed in place over lon from the top down.
	clip := s.lon
	last := int(s.lon[n-1]) - n - 1
	for i := n - 1; i >= 1; i-- {
		clip[i] = int32(min(int(s.lon[i-1])-1, n))
	}
	clip[0] = int32(min(last, n))
	s.clip1 = grow(s.clip1, n+1)
	// clip never decreases, so the i with clip[i] ≥ j start at clip1[j].
	i := 0
	s.clip1[0] = 0
	for j := 1; j <= n; j++ {
		for i < n && int(clip[i]) < j {
			i++
		}
		if i >= j {
			return errPolygon
		}
		s.clip1[j] = int32(i)
	}
	// Greedy walks bound where the t-th vertex of a shortest polygon can be.
	s.seg0 = append(s.seg0[:0], 0)
	for j := 0; j < n; {
		nj := int(clip[j])
		if nj <= j {
			return errPolygon
		}
		j = nj
		s.seg0 = append(s.seg0, j)
	}
	m := len(s.seg0) - 1
	s.seg1 = grow(s.seg1, m+1)
	s.seg1[m] = n
	for t := m - 1; t >= 0; t-- {
		s.seg1[t] = int(s.clip1[s.seg1[t+1]])
	}
	// Dynamic programming, one edge count at a time.
	s.pen = grow(s.pen, n+1)
	s.prev = grow(s.prev, n+1)
	s.pen[0] = 0
	for t := 1; t <= m; t++ {
		for j := s.seg1[t]; j <= s.seg0[t]; j++ {
			best, bestI := math.Inf(1), -1
			lo := max(int(s.clip1[j]), s.seg1[t-1])
			for i := min(j-1, s.seg0[t-1]); i >= lo; i-- {
				c := s.pen[i] + s.penalty(i, j, n)
				if c < best {
					best, bestI = c, i
				}
			}
			if bestI < 0 {
				return errPolygon
			}
			s.pen[j], s.prev[j] = best, int32(bestI)
		}
	}
	s.poly = grow(s.poly, m)
	for t, j := m-1, n; t >= 0; t-- {
		j = int(s.prev[j])
		s.poly[t] = j
	}
	return nil
}

// rangeSum returns the sums over points i … j (0 ≤ i ≤ j ≤ n; point n is
// point 0, the origin of the sums, which adds nothing) and their count.
func (s *polygonScratch) rangeSum(i, j, n int) (prefixSum, int) {
	hi := s.sums[min(j+1, n)]
	lo := s.sums[i]
	return prefixSum{hi.x - lo.x, hi.y - lo.y, hi.xx - lo.xx, hi.xy - lo.xy, hi.yy - lo.yy}, j - i + 1
}

// point returns point j (0 ≤ j ≤ n) relative to point 0, from the sums.
func (s *polygonScratch) point(j, n int) ivec {
	if j >= n {
		return ivec{}
	}
	d := s.sums[j+1]
	c := s.sums[j]
	return ivec{int(d.x - c.x), int(d.y - c.y)}
}

// penalty of the polygon edge from point i to point j: its length times the
// root mean square distance of the points i … j from it (Selinger §2.2.4).
// With e = v_j - v_i and c the edge's midpoint, L²·dist(p)² = cross(e, p-c)²,
// so the length cancels: P = sqrt(Σ cross(e, p-c)² / k). The sums of the
// points' second moments about c are exact integers when taken four times over
// (c is on the half-integer grid).
func (s *polygonScratch) penalty(i, j, n int) float64 {
	sum, k := s.rangeSum(i, j, n)
	a, b := s.point(i, n), s.point(j, n)
	ex, ey := int64(b.x-a.x), int64(b.y-a.y)
	cx2, cy2 := int64(a.x+b.x), int64(a.y+b.y) // twice the midpoint
	kk := int64(k)
	// 4·Σ(x-cx)², 4·Σ(x-cx)(y-cy), 4·Σ(y-cy)²
	mxx := 4*sum.xx - 4*cx2*sum.x + kk*cx2*cx2
	mxy := 4*sum.xy - 2*cy2*sum.x - 2*cx2*sum.y + kk*cx2*cy2
	myy := 4*sum.yy - 4*cy2*sum.y + kk*cy2*cy2
	fex, fey := float64(ex), float64(ey)
	q := float64(float64(fey*fey)*float64(mxx)) - float64(2*float64(fex*fey)*float64(mxy)) + float64(float64(fex*fex)*float64(myy))
	return math.Sqrt(max(q, 0) / float64(4*kk))
}
