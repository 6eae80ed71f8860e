package tracecore

import "math"

// Vertex adjustment (Selinger §2.3): move each polygon vertex, a pixel corner,
// to where the lines best fitting its two edges meet, but no farther than half
// a pixel in either coordinate.

// An edgeLine is the line fitted to the path points one polygon edge spans, as
// a unit normal (nx, ny) and offset c: the signed distance of z is n·z + c.
// ok is false when the points have no principal direction.
type edgeLine struct {
	nx, ny, c float64
	ok        bool
}

// equalEigenTolerance: the prefix-sum covariance is not exact, so eigenvalues
// this close relative to the trace count as equal (no principal axis). It is
// far above float64 rounding of pixel-scale moments and far below any real
// elongation; the unit-square notch of TestAdjustNotch pins it.
const equalEigenTolerance = 1e-12

// singularTolerance: with unit-normal lines the 2×2 system's determinant is
// sin² of the angle between them; below this (about 0.002°) the lines are
// treated as parallel.
const singularTolerance = 1e-9

// fitLine fits a line to points i … j through their centroid along the
// principal axis of their covariance. Coordinates are relative to point 0.
func (s *polygonScratch) fitLine(i, j, n int) edgeLine {
	sum, k := s.rangeSum(i, j, n)
	fk := float64(k)
	mx, my := float64(sum.x)/fk, float64(sum.y)/fk
	a := float64(sum.xx)/fk - float64(mx*mx)
	b := float64(sum.xy)/fk - float64(mx*my)
	c := float64(sum.yy)/fk - float64(my*my)
	h := (a - c) * 0.5
	r := float64(h*h) + float64(b*b)
	if r <= float64(equalEigenTolerance*float64((a+c)*(a+c))) {
		return edgeLine{}
	}
	lambda := (a+c)*0.5 + math.Sqrt(r)
	// Eigenvector of lambda from either row of (A - λI)v = 0; take the longer.
	vx, vy := b, lambda-a
	if ux, uy := lambda-c, b; float64(ux*ux)+float64(uy*uy) > float64(vx*vx)+float64(vy*vy) {
		vx, vy = ux, uy
	}
	l := math.Sqrt(float64(vx*vx) + float64(vy*vy))
	nx, ny := -vy/l, vx/l
	return edgeLine{nx: nx, ny: ny, c: -(float64(nx*mx) + float64(ny*my)), ok: true}
}

// quadForm is Σ (n·z + c)² over some lines, as a symmetric 3×3 matrix on (x, y, 1).
type quadForm struct {
	xx, xy, yy, x, y, cc float64
}

func (q *quadForm) add(nx, ny, c float64) {
	q.xx += float64(nx * nx)
	q.xy += float64(nx * ny)
	q.yy += float64(ny * ny)
	q.x += float64(nx * c)
	q.y += float64(ny * c)
	q.cc += float64(c * c)
}

func (q *quadForm) at(x, y float64) float64 {
	return float64(float64(q.xx*x)*x) + float64(float64(2*q.xy)*float64(x*y)) + float64(float64(q.yy*y)*y) +
		float64(float64(2*q.x)*x) + float64(float64(2*q.y)*y) + q.cc
}

// adjustVertices appends the adjusted vertices of polygon s.poly, in absolute
// coordinates, to dst.
func (s *polygonScratch) adjustVertices(pts []lattice, dst []Point) []Point {
	n, m := len(pts), len(s.poly)
	s.lines = grow(s.lines, m)
	for t := 0; t < m; t++ {
		j := n
		if t+1 < m {
			j = s.poly[t+1]
		}
		s.lines[t] = s.fitLine(s.poly[t], j, n)
	}
	x0, y0 := float64(pts[0].X), float64(pts[0].Y)
	for t := 0; t < m; t++ {
		v := s.point(s.poly[t], n)
		z := adjustVertex(Point{float64(v.x), float64(v.y)}, s.lines[(t+m-1)%m], s.lines[t])
		dst = append(dst, Point{z.X + x0, z.Y + y0})
	}
	return dst
}

// adjustVertex returns the point within half a pixel (per coordinate) of the
// corner p that minimises the summed squared distance to the lines l1, l2.
func adjustVertex(p Point, l1, l2 edgeLine) Point {
	var q quadForm
	var dx, dy float64 // direction of a line we have
	have := false
	for _, l := range [2]edgeLine{l1, l2} {
		if l.ok {
			q.add(l.nx, l.ny, l.c)
			if !have {
				dx, dy, have = -l.ny, l.nx, true
			}
		}
	}
	if !have {
		return p
	}
	z, ok := q.minimum()
	if !ok {
		// Parallel lines or one line: also pull towards the line through p
		// across them, which picks the nearest point along them.
		q.add(dx, dy, -(float64(dx*p.X) + float64(dy*p.Y)))
		z, _ = q.minimum()
	}
	if math.Abs(z.X-p.X) <= 0.5 && math.Abs(z.Y-p.Y) <= 0.5 {
		return z
	}
	// The minimum is outside the square: the constrained minimum is on its
	// boundary. Try each side (a 1-D quadratic, clamped) and keep the best.
	best, bestVal := p, math.Inf(1)
	try := func(x, y float64) {
		if v := q.at(x, y); v < bestVal {
			best, bestVal = Point{x, y}, v
		}
	}
	x0, x1, y0, y1 := p.X-0.5, p.X+0.5, p.Y-0.5, p.Y+0.5
	for _, x := range [2]float64{x0, x1} {
		if q.yy > 0 {
			y := -(float64(q.xy*x) + q.y) / q.yy
			try(x, min(max(y, y0), y1))
		}
	}
	for _, y := range [2]float64{y0, y1} {
		if q.xx > 0 {
			x := -(float64(q.xy*y) + q.x) / q.xx
			try(min(max(x, x0), x1), y)
		}
	}
	try(x0, y0)
	try(x1, y0)
	try(x0, y1)
	try(x1, y1)
	return best
}

// minimum solves for the unconstrained minimum of q, reporting false when the
// system is singular.
func (q *quadForm) minimum() (Point, bool) {
	det := float64(q.xx*q.yy) - float64(q.xy*q.xy)
	if det < singularTolerance {
		return Point{}, false
	}
	return Point{
		(float64(q.xy*q.y) - float64(q.yy*q.x)) / det,
		(float64(q.xy*q.x) - float64(q.xx*q.y)) / det,
	}, true
}
