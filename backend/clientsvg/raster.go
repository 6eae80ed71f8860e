package clientsvg

import (
	"image"
	"image/draw"
	"iter"
	"math"

	"golang.org/x/image/vector"
)

// CoveredAlpha is the alpha from which Rasterize's pixels count as covered:
// coverage of at least 50 %.
const CoveredAlpha = 0x80

// Rasterize renders d's coverage onto a w×h canvas, the viewBox scaled to
// fit: each path's coverage by its fill rule, times its fill-opacity,
// composited over the paths before it (source over), whatever their
// colours. The nonzero rule is x/image/vector's accumulation; an evenodd
// path is drawn one subpath at a time, each within its bounding box, and
// the coverages combined by exclusive or (exact where subpaths do not
// cross, as in traced outlines). Parse bounds the points to the viewBox's
// neighbourhood and the evenodd subpaths to maxEvenOddSubpaths, so the
// work is proportional to the segments times the canvas's height. The
// caller bounds w and h (the image is w×h bytes, and so is each scratch
// mask); a w or h below 1 gives an empty image.
func (d *Doc) Rasterize(w, h int) *image.Alpha {
	if w <= 0 || h <= 0 {
		return image.NewAlpha(image.Rectangle{})
	}
	dst := image.NewAlpha(image.Rect(0, 0, w, h))
	if d.ViewWidth <= 0 || d.ViewHeight <= 0 {
		return dst
	}
	r := rasterizer{
		sx:   float64(w) / float64(d.ViewWidth) / Scale,
		sy:   float64(h) / float64(d.ViewHeight) / Scale,
		w:    w,
		h:    h,
		mask: image.NewAlpha(dst.Rect),
	}
	for i := range d.Paths {
		p := &d.Paths[i]
		a := uint32(opacityUnits(p.FillOpacity) * 255 / Scale)
		if a == 0 {
			continue
		}
		clear(r.mask.Pix)
		if p.FillRule == "evenodd" {
			r.evenOdd(p.Data)
		} else {
			r.nonZero(p.Data)
		}
		for k, m := range r.mask.Pix {
			s := uint32(m) * a / 255
			b := uint32(dst.Pix[k])
			dst.Pix[k] = uint8(b + s*(255-b)/255)
		}
	}
	return dst
}

type rasterizer struct {
	z      vector.Rasterizer
	sx, sy float64 // canvas pixels per path data unit
	w, h   int
	mask   *image.Alpha // one path's coverage
	sub    image.Alpha  // one evenodd subpath's coverage, within its box
	segs   []segment
}

func (r *rasterizer) nonZero(pd PathData) {
	r.z.Reset(r.w, r.h)
	r.z.DrawOp = draw.Src
	for s := range segments(pd) {
		r.draw(s, 0, 0)
	}
	r.z.Draw(r.mask, r.mask.Rect, image.Opaque, image.Point{})
}

func (r *rasterizer) evenOdd(pd PathData) {
	r.segs = r.segs[:0]
	for s := range segments(pd) {
		r.segs = append(r.segs, s)
		if s.op == 'Z' {
			r.subpath(r.segs)
			r.segs = r.segs[:0]
		}
	}
}

// subpath draws one closed subpath within its bounding box and combines its
// coverage with the mask by exclusive or.
func (r *rasterizer) subpath(segs []segment) {
	minX, minY := math.Inf(1), math.Inf(1)
	maxX, maxY := math.Inf(-1), math.Inf(-1)
	for _, s := range segs {
		for _, p := range s.p[:s.n()] {
			x, y := float64(p[0])*r.sx, float64(p[1])*r.sy
			minX, maxX = min(minX, x), max(maxX, x)
			minY, maxY = min(minY, y), max(maxY, y)
		}
	}
	x0, y0 := max(int(math.Floor(minX)), 0), max(int(math.Floor(minY)), 0)
	x1, y1 := min(int(math.Ceil(maxX)), r.w), min(int(math.Ceil(maxY)), r.h)
	if x0 >= x1 || y0 >= y1 {
		return
	}
	bw, bh := x1-x0, y1-y0
	r.z.Reset(bw, bh)
	r.z.DrawOp = draw.Src
	for _, s := range segs {
		r.draw(s, float32(x0), float32(y0))
	}
	if cap(r.sub.Pix) < bw*bh {
		r.sub.Pix = make([]uint8, bw*bh)
	}
	r.sub.Pix, r.sub.Stride, r.sub.Rect = r.sub.Pix[:bw*bh], bw, image.Rect(0, 0, bw, bh)
	r.z.Draw(&r.sub, r.sub.Rect, image.Opaque, image.Point{})
	for y := range bh {
		row := r.mask.Pix[(y0+y)*r.mask.Stride+x0:][:bw]
		for x, b := range r.sub.Pix[y*bw:][:bw] {
			a := uint32(row[x])
			row[x] = uint8(a + uint32(b) - 2*a*uint32(b)/255)
		}
	}
}

func (r *rasterizer) draw(s segment, ox, oy float32) {
	pt := func(p [2]int64) (float32, float32) {
		return float32(float64(p[0])*r.sx) - ox, float32(float64(p[1])*r.sy) - oy
	}
	switch s.op {
	case 'M':
		r.z.MoveTo(pt(s.p[0]))
	case 'L':
		r.z.LineTo(pt(s.p[0]))
	case 'C':
		x1, y1 := pt(s.p[0])
		x2, y2 := pt(s.p[1])
		x3, y3 := pt(s.p[2])
		r.z.CubeTo(x1, y1, x2, y2, x3, y3)
	case 'Z':
		r.z.ClosePath()
	}
}

// A segment is a path command in absolute terms: M, L or C to its points, or
// Z.
type segment struct {
	op byte
	p  [3][2]int64
}

func (s *segment) n() int {
	switch s.op {
	case 'M', 'L':
		return 1
	case 'C':
		return 3
	}
	return 0
}

// segments iterates over pd in absolute terms, lines as L and curves (c,
// and s with its implicit control point) as C.
func segments(pd PathData) iter.Seq[segment] {
	return func(yield func(segment) bool) {
		var cx, cy, sx, sy, c2x, c2y int64
		smooth := false // the previous command was a curve
		for c := range pd.Commands() {
			var s segment
			a := c.Args
			switch c.Op {
			case 'M':
				cx, cy = a[0], a[1]
				sx, sy = cx, cy
				s = segment{op: 'M', p: [3][2]int64{{cx, cy}}}
			case 'm':
				cx, cy = cx+a[0], cy+a[1]
				sx, sy = cx, cy
				s = segment{op: 'M', p: [3][2]int64{{cx, cy}}}
			case 'l':
				cx, cy = cx+a[0], cy+a[1]
				s = segment{op: 'L', p: [3][2]int64{{cx, cy}}}
			case 'h':
				cx += a[0]
				s = segment{op: 'L', p: [3][2]int64{{cx, cy}}}
			case 'v':
				cy += a[0]
				s = segment{op: 'L', p: [3][2]int64{{cx, cy}}}
			case 'c', 's':
				var x1, y1 int64
				k := 0
				if c.Op == 'c' {
					x1, y1, k = cx+a[0], cy+a[1], 2
				} else if smooth {
					x1, y1 = 2*cx-c2x, 2*cy-c2y
				} else {
					x1, y1 = cx, cy
				}
				x2, y2 := cx+a[k], cy+a[k+1]
				x3, y3 := cx+a[k+2], cy+a[k+3]
				s = segment{op: 'C', p: [3][2]int64{{x1, y1}, {x2, y2}, {x3, y3}}}
				cx, cy, c2x, c2y = x3, y3, x2, y2
			case 'z':
				cx, cy = sx, sy
				s = segment{op: 'Z'}
			}
			smooth = c.Op == 'c' || c.Op == 's'
			if !yield(s) {
				return
			}
		}
	}
}
