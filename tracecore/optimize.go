package tracecore

import "math"

// Curve optimisation (Selinger §2.5): join runs of consecutive Bézier segments
// into single curves where the result stays within OptTolerance of them,
// choosing by dynamic programming the fewest curves, then the least deviation.

// cos179 bounds how far an edge of a joined run may turn from the run's first
// edge: a run must turn by less than a half turn, which keeps, for example, the
// eight curves of an octagon from merging into a few. Written as a constant
// (cos 179°) so that no math.Cos result, which may differ in the last bit
// between platforms, reaches the output.
const cos179 = -0.9998476951563913

// A joinedCurve is the best curve found ending at a position of the DP.
type joinedCurve struct {
	c1, c2 Point
}

type optimizeScratch struct {
	conv  []int8        // turn direction at each vertex: -1, 0, +1
	areac []float64     // areac[k]: signed area contributed by segments 1 … k
	count []int         // fewest curves reaching position j
	pen   []float64     // their least penalty
	prev  []int         // where the last run into j starts
	curve []joinedCurve // that run's curve when it joins several segments
	runs  []int         // the chosen run ends, back to front
}

// optimize turns every path's smoothed vertices into the Result's segments,
// joining curves when opts.OptiCurve.
func (t *Tracer) optimize(res *Result, opts *Options) error {
	if err := t.begin(StageOptimize, len(t.curves)); err != nil {
		return err
	}
	slab := make([]Segment, 0, len(t.curves)) // never more segments than vertices
	res.Paths = make([]Path, len(t.paths))
	s := &t.opt
	for pi, p := range t.paths {
		f := t.curves[p.voff : p.voff+p.m]
		m := len(f)
		start := len(slab)
		if opts.OptiCurve && m >= 3 {
			s.joinRuns(f, opts.OptTolerance)
		} else {
			s.noRuns(m)
		}
		// Runs were recorded back to front; emit them front to back.
		for r := len(s.runs) - 1; r >= 0; r-- {
			j := s.runs[r]
			i := s.prev[j]
			if j-i == 1 {
				slab = append(slab, segmentOf(f, j))
			} else {
				e := mid(f[j%m].b, f[(j+1)%m].b)
				slab = append(slab, Segment{Kind: Bezier, C1: s.curve[j].c1, C2: s.curve[j].c2, End: e})
			}
		}
		res.Paths[pi] = Path{
			Hole:     p.hole,
			Area:     p.area,
			Start:    mid(f[0].b, f[1%m].b),
			Segments: slab[start:len(slab):len(slab)],
		}
		if err := t.advance(m); err != nil {
			return err
		}
	}
	t.end()
	return nil
}

// segmentOf returns the unjoined segment around vertex k (mod m): from the
// midpoint of the edge before it to the midpoint of the edge after it.
func segmentOf(f []vertexFit, k int) Segment {
	m := len(f)
	a, v, c := f[(k+m-1)%m].b, f[k%m], f[(k+1)%m].b
	s0, e := mid(a, v.b), mid(v.b, c)
	if v.corner {
		return Segment{Kind: Corner, C1: v.b, C2: v.b, End: e}
	}
	return Segment{Kind: Bezier, C1: lerp(s0, v.b, v.alpha), C2: lerp(e, v.b, v.alpha), End: e}
}

// noRuns records every segment as its own run.
func (s *optimizeScratch) noRuns(m int) {
	s.prev = grow(s.prev, m+1)
	s.runs = s.runs[:0]
	for j := m; j >= 1; j-- {
		s.prev[j] = j - 1
		s.runs = append(s.runs, j)
	}
}

// joinRuns chooses how to divide the closed curve into runs. Position k is the
// end of segment k (segment m is segment 0 again); a run (i, j) replaces
// segments i+1 … j. The loop is cut at the end of segment 0, so that segment
// can only be the last piece of the final run.
func (s *optimizeScratch) joinRuns(f []vertexFit, tol float64) {
	m := len(f)
	s.conv = grow(s.conv, m)
	s.areac = grow(s.areac, m+1)
	s.count = grow(s.count, m+1)
	s.pen = grow(s.pen, m+1)
	s.prev = grow(s.prev, m+1)
	s.curve = grow(s.curve, m+1)
	for k := range m {
		a, b, c := f[(k+m-1)%m].b, f[k].b, f[(k+1)%m].b
		s.conv[k] = sign(cross(sub(b, a), sub(c, b)))
	}
	// Cumulative signed area of segments 1 … k, as seen from o: the fan
	// triangle (o, start, end) plus the area between the segment and its chord,
	// which for a curve is (3/10)·α·(4-α) times its control triangle's.
	o := f[0].b
	s.areac[0] = 0
	for k := 1; k <= m; k++ {
		v := f[k%m]
		s0, e := mid(f[k-1].b, v.b), mid(v.b, f[(k+1)%m].b)
		area := cross(sub(s0, o), sub(e, o)) * 0.5
		if v.corner {
			area += cross(sub(v.b, s0), sub(e, s0)) * 0.5
		} else {
			area += float64(float64(float64(0.3*v.alpha)*(4-v.alpha))*cross(sub(v.b, s0), sub(e, s0))) * 0.5
		}
		s.areac[k] = s.areac[k-1] + area
	}
	s.count[0], s.pen[0] = 0, 0
	for j := 1; j <= m; j++ {
		s.count[j], s.pen[j], s.prev[j] = s.count[j-1]+1, s.pen[j-1], j-1
		for i := j - 2; i >= 0; i-- {
			c1, c2, pen, ok := s.tryRun(f, i, j, tol, o)
			if !ok {
				break // a longer run ending at j would fail too
			}
			if n := s.count[i] + 1; n < s.count[j] || (n == s.count[j] && s.pen[i]+pen < s.pen[j]) {
				s.count[j], s.pen[j], s.prev[j] = n, s.pen[i]+pen, i
				s.curve[j] = joinedCurve{c1, c2}
			}
		}
	}
	s.runs = s.runs[:0]
	for j := m; j > 0; j = s.prev[j] {
		s.runs = append(s.runs, j)
	}
}

func sign(x float64) int8 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}

// tryRun tests whether segments i+1 … j can be replaced by one curve, and
// returns its control points and penalty if so.
func (s *optimizeScratch) tryRun(f []vertexFit, i, j int, tol float64, o Point) (c1, c2 Point, pen float64, ok bool) {
	m := len(f)
	b := func(k int) Point { return f[k%m].b }
	// Every segment a curve, every vertex turning the same (non-zero) way.
	runSign := s.conv[(i+1)%m]
	if runSign == 0 {
		return
	}
	for k := i + 1; k <= j; k++ {
		if f[k%m].corner || s.conv[k%m] != runSign {
			return
		}
	}
	// Every later edge turns the run's way from the first, by less than 179°.
	r := sub(b(i+1), b(i))
	rlen := norm(r)
	for k := i + 1; k <= j; k++ {
		e := sub(b(k+1), b(k))
		if sign(cross(r, e)) != runSign || dot(r, e) < float64(float64(rlen*norm(e))*cos179) {
			return
		}
	}
	// The candidate: tangent at p0 towards b(i+1), at p3 from b(j).
	p0, p3 := mid(b(i), b(i+1)), mid(b(j), b(j+1))
	ej := sub(b(j+1), b(j))
	den := cross(r, ej)
	if den == 0 {
		return
	}
	// The tangents meet at xp = p0 + tx·r = p3 + u·ej.
	tx := cross(sub(p3, p0), ej) / den
	xp := Point{p0.X + float64(tx*r.X), p0.Y + float64(tx*r.Y)}
	// Choose α so the new curve encloses, with the chord p0–p3, the same area
	// as the run: (3/10)·α·(4-α)·T = A.
	area := s.areac[j] - s.areac[i] + cross(sub(p3, o), sub(p0, o))*0.5
	tri := cross(sub(xp, p0), sub(p3, p0)) * 0.5
	if tri == 0 {
		return
	}
	ratio := area / tri
	if ratio < 0 || ratio/0.3 > 4 {
		return
	}
	alpha := 2 - math.Sqrt(4-ratio/0.3)
	c1, c2 = lerp(p0, xp, alpha), lerp(p3, xp, alpha)
	// Edges: where the curve runs parallel to an inner edge it must be within
	// tol of it and beside it.
	for k := i + 1; k < j; k++ {
		a, e := b(k), sub(b(k+1), b(k))
		t, found := tangentParam(p0, c1, c2, p3, e)
		if !found {
			return
		}
		z := bezier(p0, c1, c2, p3, t)
		el := norm(e)
		d := cross(e, sub(z, a)) / el
		if math.Abs(d) > tol {
			return
		}
		if proj := dot(sub(z, a), e) / float64(el*el); proj < 0 || proj > 1 {
			return
		}
		pen += float64(d * d)
	}
	// Bulges: where the curve runs parallel to a segment's chord it must
	// reach nearly as far out as that segment does (¾·α·dist(b, chord)).
	for k := i + 1; k <= j; k++ {
		v := f[k%m]
		s0, e := mid(b(k-1), v.b), mid(v.b, b(k+1))
		chord := sub(e, s0)
		cl := norm(chord)
		if cl == 0 {
			return
		}
		t, found := tangentParam(p0, c1, c2, p3, chord)
		if !found {
			return
		}
		z := bezier(p0, c1, c2, p3, t)
		side := cross(chord, sub(v.b, s0))
		reach := cross(chord, sub(z, s0)) / cl
		if side < 0 {
			reach = -reach
		}
		want := float64(float64(0.75*v.alpha)*math.Abs(side)) / cl
		if short := want - reach; short > tol {
			return
		} else if short > 0 {
			pen += float64(short * short)
		}
	}
	return c1, c2, pen, true
}
