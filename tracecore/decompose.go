package tracecore

import (
	"fmt"
	"math/bits"
)

// Path decomposition (Selinger §2.1): split the bitmap's black/white boundary
// into closed paths of unit steps between pixel corners.

// A lattice point is a pixel corner. int32 halves the memory of the largest
// stage buffer; coordinates are at most the bitmap's size, which MaxPixels keeps
// far below 2³¹.
type lattice struct {
	X, Y int32
}

// A rawPath is a decomposed path: its points are pts[off : off+n] of the Tracer.
type rawPath struct {
	off, n int
	area   int  // pixels enclosed
	hole   bool // the start pixel is white in the (possibly inverted) input

	voff, m int // its adjusted polygon is verts[voff : voff+m]
}

// decompose finds every closed path of bm, in scan order, keeping those that
// enclose more than opts.TurdSize pixels. It fills t.pts and t.paths.
func (t *Tracer) decompose(bm *Bitmap, opts *Options) error {
	t.pts, t.paths = t.pts[:0], t.paths[:0]
	if err := t.begin(StageDecompose, bm.Height); err != nil {
		return err
	}
	bm.copyInto(&t.work)
	if opts.Invert {
		t.work.Invert()
	}
	w := &t.work
	// A path uses each unit edge of the lattice at most once.
	maxLen := 2*(w.Width+1)*(w.Height+1) + 4
	for y := 0; y < w.Height; y++ {
		row := w.Words[y*w.Stride : (y+1)*w.Stride]
		for i := 0; i < len(row); {
			if row[i] == 0 {
				i++
				continue
			}
			x := i*wordBits + bits.LeadingZeros64(row[i])
			// The original colour of the start pixel gives the sign: black in
			// the input (after Invert) is an outline, white is a hole.
			hole := bm.Black(x, y) == opts.Invert
			start := len(t.pts)
			area, err := t.walk(x, y, hole, opts.TurnPolicy, maxLen)
			if err != nil {
				return err
			}
			t.invertInterior(start, x)
			if area > opts.TurdSize {
				t.paths = append(t.paths, rawPath{off: start, n: len(t.pts) - start, area: area, hole: hole})
			} else {
				t.pts = t.pts[:start]
			}
			if err := t.spend(len(t.pts) - start + 1); err != nil {
				return err
			}
			// Pixels left of x in this row are still white (see TRACING.md §1.5),
			// so the scan resumes in the same word.
		}
		if err := t.advance(1); err != nil {
			return err
		}
	}
	t.end()
	return nil
}

// walk follows the boundary from the top-left corner of the black pixel (x0, y0)
// of the working bitmap, keeping black on the left, and appends the corners it
// visits to t.pts. It returns the number of pixels enclosed.
func (t *Tracer) walk(x0, y0 int, hole bool, policy TurnPolicy, maxLen int) (int, error) {
	w := &t.work
	x, y := x0, y0
	dx, dy := 0, 1 // down the start pixel's left edge
	var area int   // Σ x·Δy over vertical steps: minus the enclosed pixel count
	for n := 0; ; n++ {
		if n >= maxLen {
			return 0, fmt.Errorf("tracecore: path from (%d, %d) exceeds %d points", x0, y0, maxLen)
		}
		t.pts = append(t.pts, lattice{int32(x), int32(y)})
		x += dx
		y += dy
		area += x * dy
		if x == x0 && y == y0 {
			break
		}
		// left(d) = (dy, -dx). The pixel containing p + s/2, for s = ±1 per
		// component, is p + (s-1)/2: p when s = 1, p-1 when s = -1.
		lx, ly := dy, -dx
		al := w.Black(x+(dx+lx-1)>>1, y+(dy+ly-1)>>1)
		ar := w.Black(x+(dx-lx-1)>>1, y+(dy-ly-1)>>1)
		var right bool
		switch {
		case al && !ar:
			continue // straight on
		case !al && !ar:
			right = false
		case al && ar:
			right = true
		default:
			right = t.turnRight(policy, x, y, hole)
		}
		if right {
			dx, dy = -dy, dx
		} else {
			dx, dy = dy, -dx
		}
	}
	if area < 0 {
		area = -area
	}
	return area, nil
}

// turnRight decides an ambiguous corner at (x, y): turning right joins the two
// diagonally touching black pixels, turning left keeps them apart.
func (t *Tracer) turnRight(policy TurnPolicy, x, y int, hole bool) bool {
	switch policy {
	case TurnRight:
		return true
	case TurnBlack:
		return !hole
	case TurnWhite:
		return hole
	case TurnMajority:
		return t.work.majorityBlack(x, y)
	case TurnMinority:
		return !t.work.majorityBlack(x, y)
	case TurnRandom:
		return cornerHash(x, y)&1 != 0
	}
	return false // TurnLeft
}

// majorityBlack reports whether black is the more frequent colour around the
// corner (cx, cy): on the outermost ring of the 2r×2r block of pixels centred on
// the corner, for r = 2, 3, 4 in turn, the first ring that is not evenly split
// decides. Even splits at every r count as white.
func (b *Bitmap) majorityBlack(cx, cy int) bool {
	for r := 2; r <= 4; r++ {
		sum := 0
		count := func(x, y int) {
			if b.Black(x, y) {
				sum++
			} else {
				sum--
			}
		}
		for i := -r; i <= r-1; i++ {
			count(cx+i, cy-r)
			count(cx+i, cy+r-1)
		}
		for j := -r + 1; j <= r-2; j++ {
			count(cx-r, cy+j)
			count(cx+r-1, cy+j)
		}
		if sum != 0 {
			return sum > 0
		}
	}
	return false
}

// cornerHash mixes a corner's coordinates into pseudo-random bits (the
// finaliser of SplitMix64), so the random turn policy is reproducible.
func cornerHash(x, y int) uint64 {
	z := uint64(uint32(x))<<32 | uint64(uint32(y))
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// invertInterior flips every pixel inside the path just walked (its points are
// t.pts[start:]): for each vertical step at column x in row y it flips row y
// between x and the reference column xr. The flips cancel outside the path.
func (t *Tracer) invertInterior(start, xr int) {
	pts := t.pts[start:]
	n := len(pts)
	for k, p := range pts {
		q := pts[(k+1)%n]
		if p.X != q.X {
			continue
		}
		x, y := int(p.X), int(min(p.Y, q.Y))
		if x < xr {
			t.work.flipRow(y, x, xr)
		} else {
			t.work.flipRow(y, xr, x)
		}
	}
}
