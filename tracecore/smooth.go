package tracecore

import "math"

// Smoothing (Selinger §2.4): each polygon vertex becomes either a corner or one
// Bézier curve from the midpoint of the edge before it to the midpoint of the
// edge after it, depending on how far it sticks out from its neighbours' chord.

// A vertexFit is smoothing's decision for one vertex b.
type vertexFit struct {
	b      Point
	alpha  float64 // the α drawn, in [0.55, 1]; unused for corners
	corner bool
}

// Bounds on the α of a curve (Selinger §2.4): below 0.55 a curve is too flat to
// look round, above 1 its control points pass the vertex.
const (
	alphaMin = 0.55
	alphaMax = 1.0
)

// smooth decides corner or curve for every adjusted vertex of every path.
func (t *Tracer) smooth(alphamax float64) error {
	if err := t.begin(StageSmooth, len(t.verts)); err != nil {
		return err
	}
	t.curves = grow(t.curves, len(t.verts))
	for _, p := range t.paths {
		v := t.verts[p.voff : p.voff+p.m]
		out := t.curves[p.voff : p.voff+p.m]
		m := len(v)
		for k := range v {
			out[k] = fitVertex(v[(k+m-1)%m], v[k], v[(k+1)%m], alphamax)
		}
		if err := t.advance(m); err != nil {
			return err
		}
	}
	t.end()
	return nil
}

// fitVertex decides vertex b with neighbours a and c. The curve's α puts its
// apex on a tangent of the half-pixel square around b: with D the L1 length of
// the chord a–c, h = |cross(b-a, c-a)|/D measures b's distance from it in
// pixel-grid units and α = 4/3·(1 - 1/h).
func fitVertex(a, b, c Point, alphamax float64) vertexFit {
	d := math.Abs(c.X-a.X) + math.Abs(c.Y-a.Y)
	if d == 0 {
		return vertexFit{b: b, corner: true}
	}
	h := math.Abs(cross(sub(b, a), sub(c, a))) / d
	alpha := 0.0
	if h > 1 {
		alpha = (1 - 1/h) / 0.75
	}
	if alpha >= alphamax {
		return vertexFit{b: b, corner: true}
	}
	return vertexFit{b: b, alpha: min(max(alpha, alphaMin), alphaMax)}
}
