package tracecore

import (
	"math"
	"strconv"
)

// SVG output in svgtrace's canonical form (docs/svg.md): one svg element with
// xmlns, width and height (the image's size) and viewBox="0 0 W H" (the
// traced bitmap's size, smaller when the image was downscaled), holding one
// path whose d draws every outline and hole (two with Options.Opaque, one per
// layer when posterized). Coordinates are rounded to
// Options.Precision decimal places once, in absolute terms, and written as
// differences of the rounded values, so relative commands accumulate no error.

const svgNS = "http://www.w3.org/2000/svg"

// SVG returns the trace as a canonical SVG document.
func (r *Result) SVG() []byte {
	return r.AppendSVG(make([]byte, 0, 256+64*r.segmentCount()))
}

func (r *Result) segmentCount() int {
	n := 0
	for _, p := range r.Paths {
		n += len(p.Segments)
	}
	for _, l := range r.Layers {
		for _, p := range l.Paths {
			n += len(p.Segments)
		}
	}
	return n
}

func (r *Result) pathCount() int {
	n := len(r.Paths)
	for _, l := range r.Layers {
		n += len(l.Paths)
	}
	return n
}

// imageSize is the size of the image the trace stands for: ImageWidth and
// ImageHeight, or the bitmap's size for a trace of a bitmap.
func (r *Result) imageSize() (int, int) {
	if r.ImageWidth > 0 && r.ImageHeight > 0 {
		return r.ImageWidth, r.ImageHeight
	}
	return r.Width, r.Height
}

// AppendSVG appends the trace as a canonical SVG document to dst.
func (r *Result) AppendSVG(dst []byte) []byte {
	// width and height are the image's size, the viewBox the traced
	// bitmap's: a trace of a downscaled copy is drawn at the image's size.
	w, h := r.imageSize()
	dst = append(dst, `<svg xmlns="`+svgNS+`" width="`...)
	dst = strconv.AppendInt(dst, int64(w), 10)
	dst = append(dst, `" height="`...)
	dst = strconv.AppendInt(dst, int64(h), 10)
	dst = append(dst, `" viewBox="0 0 `...)
	dst = strconv.AppendInt(dst, int64(r.Width), 10)
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, int64(r.Height), 10)
	dst = append(dst, `">`...)
	if len(r.Paths) > 0 {
		color, ok := parseHexColor(r.Options.Color)
		if !ok {
			color = "#000000"
		}
		if r.Options.Opaque {
			fill, ok := parseHexColor(r.Options.FillColor)
			if !ok {
				fill = opaqueFill
			}
			dst = r.appendOpaque(dst, color, fill)
		} else {
			dst = append(dst, `<path fill="`...)
			dst = append(dst, color...)
			dst = append(dst, `" d="`...)
			dst = r.AppendPathData(dst)
			dst = append(dst, `"/>`...)
		}
	}
	// Posterized: one path per layer, lightest first, darker ones on top.
	for i := range r.Layers {
		l := &r.Layers[i]
		if len(l.Paths) == 0 {
			continue
		}
		color, ok := parseHexColor(l.Color)
		if !ok {
			color = "#000000"
		}
		dst = append(dst, `<path fill="`...)
		dst = append(dst, color...)
		dst = append(dst, `" d="`...)
		dst = r.appendPaths(dst, l.Paths)
		dst = append(dst, `"/>`...)
	}
	return append(dst, `</svg>`...)
}

// AppendPathData appends the SVG path data (the d attribute) of every path of
// the trace to dst, in compact relative form with Options.Precision decimals.
// A posterized trace's layers each have their own path data (AppendSVG).
func (r *Result) AppendPathData(dst []byte) []byte {
	return r.appendPaths(dst, r.Paths)
}

func (r *Result) appendPaths(dst []byte, paths []Path) []byte {
	return r.appendPathsWhere(dst, paths, nil)
}

// appendPathsWhere appends the path data of the paths whose keep entry is
// true, or of every path when keep is nil; the first one written starts with
// M.
func (r *Result) appendPathsWhere(dst []byte, paths []Path, keep []bool) []byte {
	w := pathWriter{PathData: NewPathData(dst, r.Options.Precision)}
	w.scale = math.Pow10(w.prec)
	first := true
	for i := range paths {
		if keep != nil && !keep[i] {
			continue
		}
		w.path(&paths[i], first)
		first = false
	}
	return w.Buf
}

// opaqueFill is the colour Options.Opaque gives the enclosed white regions
// when Options.FillColor names none, potrace's --opaque default.
const opaqueFill = "#ffffff"

// appendOpaque writes a single-layer trace the way potrace --opaque renders
// (docs/svg.md, "Opaque"), in two paths rather than potrace's one per
// outline and hole:
//
//   - the first, in the trace's colour, holds only the outermost outlines,
//     so it fills every black region and every white region enclosed by
//     one: the trace's silhouette;
//   - the second, in fill (white by default) and drawn over it, holds every hole and every
//     outline inside a hole. Holes wind opposite to outlines, so under the
//     nonzero rule a point inside a hole and k of its nested outlines and
//     holes has winding −1 when k is even (a white region: filled) and 0
//     when k is odd (an island: the black underneath shows).
//
// Every path is written once, as in the plain form. The white path is drawn
// over an opaque silhouette rather than beside a path with holes cut out,
// so an edge pixel between black and white is a blend of the two with no
// see-through seam, as in potrace's rendering. A trace with no hole writes
// the plain form's bytes.
func (r *Result) appendOpaque(dst []byte, color, fill string) []byte {
	inner := nestedPaths(r.Paths)
	outer := make([]bool, len(inner))
	anyOuter, anyInner := false, false
	for i, n := range inner {
		outer[i] = !n
		anyOuter = anyOuter || !n
		anyInner = anyInner || n
	}
	if anyOuter {
		dst = append(dst, `<path fill="`...)
		dst = append(dst, color...)
		dst = append(dst, `" d="`...)
		dst = r.appendPathsWhere(dst, r.Paths, outer)
		dst = append(dst, `"/>`...)
	}
	if anyInner {
		dst = append(dst, `<path fill="`...)
		dst = append(dst, fill...)
		dst = append(dst, `" d="`...)
		dst = r.appendPathsWhere(dst, r.Paths, inner)
		dst = append(dst, `"/>`...)
	}
	return dst
}

// nestedPaths reports, for each path, whether it lies inside a hole: true
// for every hole (inside the outline around it) and for every outline of an
// island in a hole; false for the outermost outlines.
//
// Traced paths do not cross: decomposition separates them by pixel
// boundaries, and smoothing keeps each curve within about half a pixel of
// its own boundary. So an outline is inside a hole when points of it are.
// Three points of the outline (segment ends, which lie on the curve) are
// tested against each hole's outline flattened into a polygon, and the
// majority decides, so one point that smoothing brought within the
// flattening error of the hole cannot misplace the island. Holes are indexed by horizontal bands of
// their bounding boxes, so each outline is tested against the holes around
// it only, not against every hole of the trace.
func nestedPaths(paths []Path) []bool {
	nested := make([]bool, len(paths))
	var holes []holeRing
	maxY := 0.0
	for i := range paths {
		if paths[i].Hole {
			nested[i] = true
			h := holeRing{path: &paths[i], box: controlBox(&paths[i])}
			holes = append(holes, h)
			maxY = max(maxY, h.box.maxY)
		}
	}
	if len(holes) == 0 {
		return nested
	}
	bands := make([][]int32, int(maxY/nestBand)+1)
	for j := range holes {
		b := &holes[j].box
		for k := max(int(b.minY/nestBand), 0); k <= int(b.maxY/nestBand); k++ {
			bands[k] = append(bands[k], int32(j))
		}
	}
	for i := range paths {
		p := &paths[i]
		if p.Hole {
			continue
		}
		pts := samplePoints(p)
		k := int(pts[0].Y / nestBand)
		if k < 0 || k >= len(bands) {
			continue
		}
		for _, j := range bands[k] {
			h := &holes[j]
			votes := 0
			for _, pt := range pts {
				if h.box.contains(pt) && h.contains(pt) {
					votes++
				}
			}
			if votes >= 2 {
				nested[i] = true
				break
			}
		}
	}
	return nested
}

// nestBand is the height, in pixels, of the bands nestedPaths indexes holes
// by.
const nestBand = 16

// A box is an axis-aligned bounding box.
type box struct{ minX, minY, maxX, maxY float64 }

func (b *box) add(p Point) {
	b.minX, b.maxX = min(b.minX, p.X), max(b.maxX, p.X)
	b.minY, b.maxY = min(b.minY, p.Y), max(b.maxY, p.Y)
}

func (b *box) contains(p Point) bool {
	return p.X >= b.minX && p.X <= b.maxX && p.Y >= b.minY && p.Y <= b.maxY
}

// controlBox bounds a path's start and control points, and so the path (a
// Bézier curve lies within the hull of its control points).
func controlBox(p *Path) box {
	b := box{p.Start.X, p.Start.Y, p.Start.X, p.Start.Y}
	for _, s := range p.Segments {
		b.add(s.C1)
		b.add(s.C2)
		b.add(s.End)
	}
	return b
}

// samplePoints returns three points on the path, segment ends spread along
// it (repeated when it has fewer than three segments).
func samplePoints(p *Path) [3]Point {
	n := len(p.Segments)
	if n == 0 {
		return [3]Point{p.Start, p.Start, p.Start}
	}
	return [3]Point{p.Segments[0].End, p.Segments[n/3].End, p.Segments[2*n/3].End}
}

// A holeRing is a hole with its bounding box and, once a point has needed
// it, its outline flattened into a polygon.
type holeRing struct {
	path *Path
	box  box
	poly []Point
}

// contains reports whether pt lies inside the hole's flattened outline, by
// the parity of the polygon edges a ray from pt to the left crosses.
func (h *holeRing) contains(pt Point) bool {
	if h.poly == nil {
		h.poly = flatten(h.path)
	}
	inside := false
	poly := h.poly
	for i, j := 0, len(poly)-1; i < len(poly); j, i = i, i+1 {
		a, b := poly[i], poly[j]
		if (a.Y > pt.Y) != (b.Y > pt.Y) && pt.X < a.X+(b.X-a.X)*(pt.Y-a.Y)/(b.Y-a.Y) {
			inside = !inside
		}
	}
	return inside
}

// flatten returns the path as a closed polygon: corners as their two lines,
// each curve as straight pieces about a pixel long (4 to 64 of them), which
// stay within an eighth of a pixel of any curve a traced outline draws.
func flatten(p *Path) []Point {
	poly := make([]Point, 0, 1+4*len(p.Segments))
	poly = append(poly, p.Start)
	cur := p.Start
	for _, s := range p.Segments {
		if s.Kind == Corner {
			poly = append(poly, s.C2, s.End)
			cur = s.End
			continue
		}
		length := math.Hypot(s.C1.X-cur.X, s.C1.Y-cur.Y) + math.Hypot(s.C2.X-s.C1.X, s.C2.Y-s.C1.Y) + math.Hypot(s.End.X-s.C2.X, s.End.Y-s.C2.Y)
		n := min(max(int(math.Ceil(length)), 4), 64)
		for k := 1; k <= n; k++ {
			t := float64(k) / float64(n)
			u := 1 - t
			a, b, c, d := u*u*u, 3*u*u*t, 3*u*t*t, t*t*t
			// Each product rounded on its own (float64), so that no
			// platform fuses it into a multiply-add and the nesting
			// found is the same everywhere, as the output must be.
			poly = append(poly, Point{
				float64(a*cur.X) + float64(b*s.C1.X) + float64(c*s.C2.X) + float64(d*s.End.X),
				float64(a*cur.Y) + float64(b*s.C1.Y) + float64(c*s.C2.Y) + float64(d*s.End.Y),
			})
		}
		cur = s.End
	}
	return poly
}

// numberSeparator goes between two numbers of path data where the second would
// otherwise run into the first. A comma rather than a space: the SVG then
// goes into a data: URI, a srcset or an HTML attribute with no escaping of
// its path data (a space would have to be written %20).
const numberSeparator = ','

// PathData appends SVG path data in the canonical form of docs/svg.md: a
// command letter only where it changes (never repeated except m, M and z),
// numbers on a grid of 10^-Prec pixels with no trailing zeros and no zero
// before the decimal point, and a comma only where a number would otherwise
// run into the one before. tracecore writes every path with it, and
// backend/clientsvg rewrites browsers' paths with it, so the two agree byte
// for byte. The zero value writes whole numbers; use NewPathData for more.
type PathData struct {
	Buf    []byte
	prec   int
	unit   uint64 // 10^prec
	last   byte   // the last command letter written
	number bool   // the last thing written was a number
	dot    bool   // … and it contained a decimal point
}

// NewPathData returns a PathData appending to dst numbers with prec decimal
// places (0 to 6; clamped).
func NewPathData(dst []byte, prec int) PathData {
	prec = min(max(prec, 0), maxPrecision)
	return PathData{Buf: dst, prec: prec, unit: uint64(math.Pow10(prec))}
}

// pathWriter writes path data on a grid of 10^-prec pixels.
type pathWriter struct {
	PathData
	line   [2]int64 // a straight line drawn but not yet written, to merge collinear ones
	inLine bool
	scale  float64 // 10^prec, exact for prec ≤ 6
	cx, cy int64   // current point, in grid units
	// c2x, c2y is the second control point of the curve just written, when
	// smoothFrom says the last thing written was a curve (which s may follow).
	c2x, c2y   int64
	smoothFrom bool
}

func (w *pathWriter) grid(v float64) int64 { return int64(math.Round(v * w.scale)) }

func (w *pathWriter) path(p *Path, first bool) {
	x, y := w.grid(p.Start.X), w.grid(p.Start.Y)
	w.flushLine()
	if first {
		w.Command('M')
		w.Num(x)
		w.Num(y)
	} else {
		w.Command('m')
		w.Num(x - w.cx)
		w.Num(y - w.cy)
	}
	w.cx, w.cy = x, y
	sx, sy := x, y
	for _, s := range p.Segments {
		switch s.Kind {
		case Corner:
			w.lineTo(w.grid(s.C2.X), w.grid(s.C2.Y))
			w.lineTo(w.grid(s.End.X), w.grid(s.End.Y))
		default:
			w.curveTo(w.grid(s.C1.X), w.grid(s.C1.Y), w.grid(s.C2.X), w.grid(s.C2.Y), w.grid(s.End.X), w.grid(s.End.Y))
		}
	}
	if w.cx == sx && w.cy == sy {
		w.inLine = false // z draws the line back to the start
	}
	w.flushLine()
	w.Command('z')
	w.cx, w.cy = sx, sy
	w.smoothFrom = false
}

// curveTo draws a curve with control points (x1, y1) and (x2, y2) to
// (x3, y3), all in grid units. Two simplifications move a control point by
// at most a grid step, √2 units, the diagonal of the cell rounding already
// moves it within (docs/svg.md, "Within a grid step"):
//   - a curve whose control points both lie within √2 units of its chord
//     is drawn as the straight line of the chord;
//   - a curve whose first control point lies within a step (one unit in
//     each direction) of the reflection of the previous curve's second
//     control point is written with s, which leaves that control point
//     implicit.
//
// The step was measured: at whole pixels it makes the placeholders of the
// test photos 6–7 % smaller than one unit does, for 0.05–0.14 points of
// mismatch (docs/options.md).
func (w *pathWriter) curveTo(x1, y1, x2, y2, x3, y3 int64) {
	dx, dy := x3-w.cx, y3-w.cy
	if nearChord(x1-w.cx, y1-w.cy, dx, dy) && nearChord(x2-w.cx, y2-w.cy, dx, dy) {
		w.lineTo(x3, y3)
		return
	}
	w.flushLine()
	if w.smoothFrom && withinStep(x1-(2*w.cx-w.c2x), y1-(2*w.cy-w.c2y)) {
		w.Command('s')
	} else {
		w.Command('c')
		w.Num(x1 - w.cx)
		w.Num(y1 - w.cy)
	}
	w.Num(x2 - w.cx)
	w.Num(y2 - w.cy)
	w.Num(dx)
	w.Num(dy)
	w.cx, w.cy = x3, y3
	w.c2x, w.c2y, w.smoothFrom = x2, y2, true
}

// withinStep reports whether the vector (x, y) is at most one grid step:
// one unit in each direction, √2 units at most.
func withinStep(x, y int64) bool {
	return -1 <= x && x <= 1 && -1 <= y && y <= 1
}

// maxChordUnits bounds the coordinates nearChord works with, so that every
// product below fits in an int64 (2·(2^30)² < 2^63). A curve longer than
// 2^30 grid units (over a thousand pixels at precision 6) is never
// simplified, which costs bytes only.
const maxChordUnits = 1 << 30

// nearChord reports whether the point (px, py) lies within √2 grid units of
// the segment from (0, 0) to (dx, dy), in exact integer arithmetic.
func nearChord(px, py, dx, dy int64) bool {
	for _, v := range [4]int64{px, py, dx, dy} {
		if v <= -maxChordUnits || v >= maxChordUnits {
			return false
		}
	}
	dot, length2 := px*dx+py*dy, dx*dx+dy*dy
	switch {
	case dot <= 0: // nearest to the start (or the chord is a point)
		return px*px+py*py <= 2
	case dot >= length2: // nearest to the end
		return (px-dx)*(px-dx)+(py-dy)*(py-dy) <= 2
	}
	// The distance to the chord's line is |cross| / |d|.
	cross := px*dy - py*dx
	return cross > -maxChordUnits && cross < maxChordUnits && cross*cross <= 2*length2
}

// lineTo draws a straight line to (x, y). It is held back while the next line
// might continue it in the same direction (the two halves of a polygon edge
// between corners), so collinear lines are written as one.
func (w *pathWriter) lineTo(x, y int64) {
	dx, dy := x-w.cx, y-w.cy
	if dx == 0 && dy == 0 {
		return
	}
	w.smoothFrom = false
	w.cx, w.cy = x, y
	if l := &w.line; w.inLine && l[0]*dy == l[1]*dx && l[0]*dx+l[1]*dy > 0 {
		l[0], l[1] = l[0]+dx, l[1]+dy
		return
	}
	w.flushLine()
	w.line, w.inLine = [2]int64{dx, dy}, true
}

// flushLine writes the held-back line, as h or v when it is axis-parallel.
func (w *pathWriter) flushLine() {
	if !w.inLine {
		return
	}
	w.inLine = false
	dx, dy := w.line[0], w.line[1]
	switch {
	case dy == 0:
		w.Command('h')
		w.Num(dx)
	case dx == 0:
		w.Command('v')
		w.Num(dy)
	default:
		w.Command('l')
		w.Num(dx)
		w.Num(dy)
	}
}

// Command writes a command letter unless it repeats the previous command,
// which path data lets us leave implicit (except after a moveto, whose
// repetitions would mean lineto, and after z, which takes no numbers).
func (w *PathData) Command(c byte) {
	if c == w.last && c != 'm' && c != 'M' && c != 'z' {
		return
	}
	w.Buf = append(w.Buf, c)
	w.last, w.number, w.dot = c, false, false
}

// Num writes v·10^-Prec with no trailing zeros, no leading zero before the
// decimal point, and a separator only where the number would otherwise run
// into the previous one.
func (w *PathData) Num(v int64) {
	neg := v < 0
	u := uint64(v)
	if neg {
		u = uint64(-v)
	}
	// Whole and fractional parts. Precisions 0 and 1, the placeholder's and
	// the default, divide by constants, which compile to multiplications:
	// a division by a variable is the dearest step here, and more so in
	// WebAssembly.
	var ip, fp uint64
	switch w.prec {
	case 0:
		ip = u
	case 1:
		ip, fp = u/10, u%10
	default:
		ip, fp = u/w.unit, u%w.unit
	}
	// frac digits without trailing zeros
	digits := w.prec
	for digits > 0 && fp%10 == 0 {
		fp /= 10
		digits--
	}
	startsWithDot := ip == 0 && digits > 0
	if w.number && !neg && !(startsWithDot && w.dot) {
		w.Buf = append(w.Buf, numberSeparator)
	}
	if neg {
		w.Buf = append(w.Buf, '-')
	}
	if !startsWithDot {
		switch {
		case ip < 10: // most relative coordinates: written byte by byte
			w.Buf = append(w.Buf, byte('0'+ip))
		case ip < 100:
			w.Buf = append(w.Buf, byte('0'+ip/10), byte('0'+ip%10))
		default:
			w.Buf = strconv.AppendUint(w.Buf, ip, 10)
		}
	}
	if digits > 0 {
		w.Buf = append(w.Buf, '.')
		if digits == 1 {
			w.Buf = append(w.Buf, byte('0'+fp))
		} else {
			var tmp [maxPrecision]byte
			for i := digits - 1; i >= 0; i-- {
				tmp[i] = byte('0' + fp%10)
				fp /= 10
			}
			w.Buf = append(w.Buf, tmp[:digits]...)
		}
	}
	w.number, w.dot = true, digits > 0
}
