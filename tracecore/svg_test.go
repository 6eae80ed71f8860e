package tracecore

import (
	"bytes"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

const svgOpen = `<svg xmlns="http://www.w3.org/2000/svg" `

// newTestPathWriter returns a pathWriter as AppendPathData sets one up.
func newTestPathWriter(prec int) *pathWriter {
	return &pathWriter{PathData: NewPathData(nil, prec), scale: math.Pow10(prec)}
}

func TestSVG(t *testing.T) {
	polygon := func(o *Options) { o.AlphaMax, o.TurdSize = 0, 0 }

	t.Run("SinglePixel", func(t *testing.T) {
		// The unit square's vertices are its corners; the path starts at
		// the midpoint of the first edge, (0, .5), and runs down, right, up
		// and left through corners and edge midpoints; z draws the last line.
		res := traceWith(t, bitmapFromRows(t, "#"), polygon)
		require.Equal(t, svgOpen+`width="1" height="1" viewBox="0 0 1 1"><path fill="#000000" d="M0,.5v.5h1v-1h-1z"/></svg>`, string(res.SVG()))
	})

	t.Run("SinglePixelPrecision0", func(t *testing.T) {
		// On the whole-pixel grid the edge midpoints round (half away from
		// zero) onto corners, and the zero-length lines disappear.
		res := traceWith(t, bitmapFromRows(t, "#"), func(o *Options) { polygon(o); o.Precision = 0 })
		require.Equal(t, svgOpen+`width="1" height="1" viewBox="0 0 1 1"><path fill="#000000" d="M0,1h1v-1h-1z"/></svg>`, string(res.SVG()))
	})

	t.Run("Square", func(t *testing.T) {
		res := traceWith(t, bitmapFromRows(t, "##", "##"), polygon)
		require.Equal(t, svgOpen+`width="2" height="2" viewBox="0 0 2 2"><path fill="#000000" d="M0,1v1h2v-2h-2z"/></svg>`, string(res.SVG()))
	})

	t.Run("SquareWithHole", func(t *testing.T) {
		// A 4×4 ring: the outline as the 2×2 square above scaled, then the
		// hole. Its polygon (1, 1), (1, 3), (3, 3), (3, 1) is reversed after
		// the first vertex, so it starts at (2, 1), reached with m from the
		// outline's start (0, 2), and runs right, down, left and up: the
		// other way round from the outline's down, right, up, left.
		res := traceWith(t, bitmapFromRows(t,
			"####",
			"#..#",
			"#..#",
			"####",
		), polygon)
		require.Equal(t, svgOpen+`width="4" height="4" viewBox="0 0 4 4"><path fill="#000000" d="M0,2v2h4v-4h-4zm2-1h1v2h-2v-2z"/></svg>`, string(res.SVG()))
	})

	t.Run("Empty", func(t *testing.T) {
		bm, err := NewBitmap(3, 2, 0)
		require.NoError(t, err)
		res := traceWith(t, bm, func(*Options) {})
		require.Equal(t, svgOpen+`width="3" height="2" viewBox="0 0 3 2"></svg>`, string(res.SVG()))
		// Only specks, all dropped.
		res = traceWith(t, bitmapFromRows(t, "#.#", "..."), func(*Options) {})
		require.Empty(t, res.Paths)
		require.Equal(t, svgOpen+`width="3" height="2" viewBox="0 0 3 2"></svg>`, string(res.SVG()))
	})

	t.Run("Color", func(t *testing.T) {
		for _, tt := range []struct{ in, want string }{
			{"#ABCDEF", "#abcdef"},
			{"#F0a", "#f0a"},
			{"#000000", "#000000"},
		} {
			res := traceWith(t, bitmapFromRows(t, "##", "##"), func(o *Options) { o.Color = tt.in })
			require.Contains(t, string(res.SVG()), `<path fill="`+tt.want+`" d="`)
			require.Equal(t, tt.want, res.Options.Color)
		}
		// A Result whose colour was never validated falls back to black.
		res := traceWith(t, bitmapFromRows(t, "##", "##"), func(*Options) {})
		res.Options.Color = "red"
		require.Contains(t, string(res.SVG()), `<path fill="#000000" d="`)
	})

	t.Run("AppendSVG", func(t *testing.T) {
		res := traceWith(t, bitmapFromRows(t, "##", "##"), func(*Options) {})
		out := res.AppendSVG([]byte("prefix"))
		require.Equal(t, "prefix"+string(res.SVG()), string(out))
		// The path data is the d attribute.
		d := res.AppendPathData(nil)
		require.Contains(t, string(res.SVG()), ` d="`+string(d)+`"/>`)
	})

	t.Run("RoundTrip", func(t *testing.T) {
		files, err := filepath.Glob("testdata/pbm/*_400.pbm")
		require.NoError(t, err)
		require.NotEmpty(t, files)
		bm := readPBMTestFile(t, files[len(files)-1])
		for _, prec := range []int{0, 1, 2, 3, 6} {
			for _, alphamax := range []float64{0, 1} {
				t.Run(fmt.Sprintf("Precision%d/AlphaMax%v", prec, alphamax), func(t *testing.T) {
					res := traceWith(t, bm, func(o *Options) { o.Precision, o.AlphaMax = prec, alphamax })
					requirePathDataRoundTrips(t, res)
				})
			}
		}
		for _, name := range []string{"Disc", "Octagon"} {
			bm := disc(t, 20)
			if name == "Octagon" {
				bm = octagon(t, 25)
			}
			for prec := 0; prec <= 3; prec++ {
				requirePathDataRoundTrips(t, traceWith(t, bm, func(o *Options) { o.Precision = prec }))
			}
		}
	})
}

// requirePathDataRoundTrips parses res's path data back to absolute
// coordinates and checks that every start, corner vertex and segment end is
// where the Result says, to within half a grid unit, and every control point
// to within the grid step docs/svg.md allows on top of that: a curve
// written with s has its first control point within a unit each way of the
// reflection, and a curve written as a straight line has both control points
// within √2 units of the line.
func requirePathDataRoundTrips(t testing.TB, res *Result) {
	t.Helper()
	d := res.AppendPathData(nil)
	subs, err := parsePathData(string(d), res.Options.Precision)
	require.NoError(t, err, "path data %.200q", d)
	require.Len(t, subs, len(res.Paths))
	unit := 1 / math.Pow10(res.Options.Precision)
	tol := 0.5*unit + 1e-9
	nearTol := func(a, b Point, tol float64) bool { return math.Abs(a.X-b.X) <= tol && math.Abs(a.Y-b.Y) <= tol }
	scale := math.Pow10(res.Options.Precision)
	sameGridPoint := func(a, b Point) bool {
		return math.Round(a.X*scale) == math.Round(b.X*scale) && math.Round(a.Y*scale) == math.Round(b.Y*scale)
	}
	near := func(a, b Point) bool { return nearTol(a, b, tol) }
	for i, p := range res.Paths {
		sp := subs[i]
		require.True(t, near(sp.start, p.Start), "path %d starts at %v, want %v", i, sp.start, p.Start)
		cur, k := sp.start, 0
		// lineTo checks that a straight line of the path data reaches want:
		// collinear lines are written as one, and the last line back to the
		// start is left to z, so want may lie inside the next written line
		// (or the closing one).
		lineTo := func(si int, want Point) {
			end, written := sp.start, k < len(sp.ops) // or z's line
			if written {
				require.Equal(t, byte('L'), sp.ops[k].cmd, "path %d segment %d: want a line to %v", i, si, want)
				end = sp.ops[k].pts[0]
			}
			if near(end, want) {
				cur = end
				if written {
					k++
				}
				return
			}
			if near(cur, want) {
				return // reached already, or a line that rounds to zero length
			}
			require.True(t, onSegment(want, cur, end, tol), "path %d segment %d: %v is not on the line %v–%v", i, si, want, cur, end)
		}
		for si, s := range p.Segments {
			if s.Kind == Corner {
				lineTo(si, s.C2)
				lineTo(si, s.End)
				continue
			}
			// A curve written as a curve ends where it should; one that is
			// not was written as a straight line, or not at all when it
			// starts and ends on the same grid point.
			if k < len(sp.ops) && sp.ops[k].cmd == 'C' && near(sp.ops[k].pts[2], s.End) {
				op := sp.ops[k]
				k++
				require.True(t, nearTol(op.pts[0], s.C1, unit+tol), "path %d segment %d: first control point %v, want %v", i, si, op.pts[0], s.C1)
				for j, want := range []Point{s.C2, s.End} {
					require.True(t, near(op.pts[j+1], want), "path %d segment %d point %d: %v, want %v", i, si, j+1, op.pts[j+1], want)
				}
				cur = op.pts[2]
				continue
			}
			// A curve written as a straight line, or as nothing when it
			// starts and ends on the same grid point.
			from := cur
			if !sameGridPoint(cur, s.End) {
				lineTo(si, s.End)
			}
			// Within √2 units of the rounded chord, rounded itself: with
			// the rounding of the control point and of both ends, within
			// 2√2 units of the exact line (onSegment's tolerance is per
			// axis).
			for _, c := range []Point{s.C1, s.C2} {
				require.True(t, onSegment(c, from, s.End, 2*unit+tol), "path %d segment %d: control point %v is not within 2√2 grid units of the line %v–%v", i, si, c, from, s.End)
			}
		}
		require.Equal(t, len(sp.ops), k, "path %d: extra commands", i)
		require.True(t, near(p.Segments[len(p.Segments)-1].End, sp.start))
	}
}

// onSegment reports whether p is within tol (per axis, so √2·tol in all) of
// the segment a–b.
func onSegment(p, a, b Point, tol float64) bool {
	d := sub(b, a)
	l2 := dot(d, d)
	if l2 == 0 {
		return norm(sub(p, a)) <= math.Sqrt2*tol
	}
	t := min(max(dot(sub(p, a), d)/l2, 0), 1)
	return norm(sub(p, lerp(a, b, t))) <= math.Sqrt2*tol
}

// A pathOp is one drawing command in absolute coordinates: 'L' with its end
// point, or 'C' with two control points and its end point.
type pathOp struct {
	cmd byte
	pts []Point
}

// A subpath starts with a moveto and ends with z.
type subpath struct {
	start Point
	ops   []pathOp
}

// parsePathData reads the path data svgtrace writes (M m L l H h V v C c S s Z z,
// implicit repetition) into absolute subpaths. It also enforces the canonical
// number form of docs/svg.md: no exponent, no '+', at most prec decimals, no
// trailing zero in a fraction, no leading zero before the point, and a
// separator only where two numbers would otherwise run together.
func parsePathData(d string, prec int) ([]subpath, error) {
	var subs []subpath
	var cur, start Point
	var cmd byte        // the command in force
	var last byte       // the last command letter written
	open := false       // inside a subpath not yet closed
	afterCurve := false // the last command drew a curve, which s may follow
	i := 0
	prevNum, prevDot := false, false

	number := func() (float64, error) {
		if i < len(d) && d[i] == numberSeparator {
			if !prevNum {
				return 0, fmt.Errorf("offset %d: separator after a command letter", i)
			}
			i++
			if i < len(d) && (d[i] == '-' || (d[i] == '.' && prevDot)) {
				return 0, fmt.Errorf("offset %d: unneeded separator", i)
			}
		} else if prevNum && i < len(d) && d[i] >= '0' && d[i] <= '9' {
			return 0, fmt.Errorf("offset %d: numbers run together", i)
		}
		j := i
		if j < len(d) && d[j] == '-' {
			j++
		}
		intStart := j
		for j < len(d) && d[j] >= '0' && d[j] <= '9' {
			j++
		}
		intDigits := d[intStart:j]
		frac := ""
		if j < len(d) && d[j] == '.' {
			j++
			fs := j
			for j < len(d) && d[j] >= '0' && d[j] <= '9' {
				j++
			}
			frac = d[fs:j]
			if frac == "" || len(frac) > prec || frac[len(frac)-1] == '0' {
				return 0, fmt.Errorf("offset %d: bad fraction %q", i, d[i:j])
			}
		}
		if intDigits == "" && frac == "" {
			return 0, fmt.Errorf("offset %d: no number", i)
		}
		if len(intDigits) > 1 && intDigits[0] == '0' || intDigits == "0" && frac != "" {
			return 0, fmt.Errorf("offset %d: leading zero in %q", i, d[i:j])
		}
		if d[i:j] == "-0" {
			return 0, fmt.Errorf("offset %d: negative zero", i)
		}
		v, err := strconv.ParseFloat(d[i:j], 64)
		if err != nil {
			return 0, err
		}
		prevNum, prevDot = true, frac != ""
		i = j
		return v, nil
	}
	atNumber := func() bool {
		k := i
		if k < len(d) && d[k] == numberSeparator {
			k++
		}
		return k < len(d) && (d[k] == '-' || d[k] == '.' || (d[k] >= '0' && d[k] <= '9'))
	}

	for i < len(d) {
		if c := d[i]; c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' {
			if c == last && c != 'm' && c != 'M' && c != 'z' && c != 'Z' {
				return nil, fmt.Errorf("offset %d: repeated command letter %c", i, c)
			}
			cmd, last = c, c
			i++
			prevNum, prevDot = false, false
		} else if cmd == 0 || cmd == 'z' || cmd == 'Z' {
			return nil, fmt.Errorf("offset %d: numbers without a command", i)
		}
		rel := cmd >= 'a'
		base := Point{}
		if rel {
			base = cur
		}
		switch cmd | 0x20 {
		case 'z':
			if !open {
				return nil, fmt.Errorf("offset %d: z outside a subpath", i)
			}
			cur, open, afterCurve = start, false, false
			continue
		case 'm':
			x, err := number()
			if err != nil {
				return nil, err
			}
			y, err := number()
			if err != nil {
				return nil, err
			}
			if open {
				return nil, fmt.Errorf("offset %d: moveto inside an open subpath", i)
			}
			cur = Point{base.X + x, base.Y + y}
			start, open = cur, true
			subs = append(subs, subpath{start: cur})
			// Further pairs are implicit linetos.
			if cmd == 'm' {
				cmd = 'l'
			} else {
				cmd = 'L'
			}
			continue
		}
		if !open {
			return nil, fmt.Errorf("offset %d: drawing outside a subpath", i)
		}
		sp := &subs[len(subs)-1]
		switch cmd | 0x20 {
		case 'l', 'h', 'v':
			x, y := cur.X, cur.Y
			var err error
			switch cmd | 0x20 {
			case 'l':
				var dx, dy float64
				if dx, err = number(); err == nil {
					dy, err = number()
				}
				x, y = base.X+dx, base.Y+dy
			case 'h':
				var dx float64
				dx, err = number()
				x = base.X + dx
				if !rel {
					x = dx
				}
			case 'v':
				var dy float64
				dy, err = number()
				y = base.Y + dy
				if !rel {
					y = dy
				}
			}
			if err != nil {
				return nil, err
			}
			cur = Point{x, y}
			sp.ops = append(sp.ops, pathOp{'L', []Point{cur}})
			afterCurve = false
		case 'c', 's':
			var v [6]float64
			first := 0
			if cmd|0x20 == 's' {
				// The first control point is the reflection of the
				// previous curve's second about the current point.
				first = 2
				if n := len(sp.ops); n > 0 && sp.ops[n-1].cmd == 'C' && afterCurve {
					c2 := sp.ops[n-1].pts[1]
					v[0], v[1] = 2*cur.X-c2.X-base.X, 2*cur.Y-c2.Y-base.Y
				} else {
					v[0], v[1] = cur.X-base.X, cur.Y-base.Y
				}
			}
			for k := first; k < len(v); k++ {
				var err error
				if v[k], err = number(); err != nil {
					return nil, err
				}
			}
			op := pathOp{'C', []Point{{base.X + v[0], base.Y + v[1]}, {base.X + v[2], base.Y + v[3]}, {base.X + v[4], base.Y + v[5]}}}
			cur = op.pts[2]
			sp.ops = append(sp.ops, op)
			afterCurve = true
		default:
			return nil, fmt.Errorf("offset %d: unexpected command %c", i, cmd)
		}
		if !atNumber() && i < len(d) && !(d[i] >= 'A' && d[i] <= 'Z' || d[i] >= 'a' && d[i] <= 'z') {
			return nil, fmt.Errorf("offset %d: unexpected %q", i, d[i])
		}
	}
	if open {
		return nil, fmt.Errorf("the last subpath is not closed")
	}
	return subs, nil
}

func TestPathWriterNum(t *testing.T) {
	tests := []struct {
		prec int
		vals []int64 // grid units, written one after another after a command
		want string
	}{
		{0, []int64{0}, "0"},
		{1, []int64{0}, "0"},
		{0, []int64{42}, "42"},
		{0, []int64{-42}, "-42"},
		{1, []int64{5}, ".5"},
		{1, []int64{-5}, "-.5"},
		{1, []int64{123}, "12.3"},
		{1, []int64{120}, "12"},    // no trailing zero, no point
		{2, []int64{1230}, "12.3"}, // trailing zero dropped
		{2, []int64{1200}, "12"},   // both dropped
		{3, []int64{1000}, "1"},    // whole number
		{3, []int64{1050}, "1.05"}, // inner zero kept
		{2, []int64{-1}, "-.01"},   // leading zeros of the fraction kept
		{6, []int64{1}, ".000001"}, // the finest grid
		{6, []int64{-1234567}, "-1.234567"},
		{1, []int64{-100}, "-10"},
		{0, []int64{0, 0}, "0,0"},
		{0, []int64{12, 3}, "12,3"},
		{0, []int64{12, -3}, "12-3"}, // '-' separates
		{1, []int64{15, 5}, "1.5.5"}, // a second point starts a number
		{1, []int64{10, 5}, "1,.5"},  // "1.5" would be one number
		{1, []int64{0, 5}, "0,.5"},   // so would "0.5"
		{1, []int64{5, 5}, ".5.5"},
		{1, []int64{5, 10}, ".5,1"},
		{1, []int64{10, -5}, "1-.5"},
		{1, []int64{-5, -5}, "-.5-.5"},
		{1, []int64{15, 100}, "1.5,10"},
		{2, []int64{150, 5}, "1.5.05"},
		{2, []int64{105, 50, -50, 0}, "1.05.5-.5,0"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("Prec%d/%v", tt.prec, tt.vals), func(t *testing.T) {
			w := newTestPathWriter(tt.prec)
			for _, v := range tt.vals {
				w.Num(v)
			}
			require.Equal(t, tt.want, string(w.Buf))
			// Parsed back, the numbers are the grid values.
			j := 0
			for k, v := range tt.vals {
				n := j
				if n < len(w.Buf) && w.Buf[n] == numberSeparator {
					n++
				}
				e := n + 1
				for e < len(w.Buf) && w.Buf[e] != numberSeparator && w.Buf[e] != '-' && !(w.Buf[e] == '.' && bytes.IndexByte(w.Buf[n:e], '.') >= 0) {
					e++
				}
				got, err := strconv.ParseFloat(string(w.Buf[n:e]), 64)
				require.NoError(t, err, "number %d", k)
				require.InDelta(t, float64(v)/math.Pow10(tt.prec), got, 1e-12, "number %d", k)
				j = e
			}
			require.Equal(t, len(w.Buf), j)
		})
	}

	t.Run("CommandResetsSeparator", func(t *testing.T) {
		w := newTestPathWriter(1)
		w.Command('M')
		w.Num(10)
		w.Num(5)
		w.Command('c')
		w.Num(5)
		w.Command('c') // repeated: left implicit
		w.Num(5)
		w.Command('z')
		w.Command('m')
		w.Num(-10)
		w.Num(20)
		w.Command('l')
		w.Num(3)
		w.Command('l')
		w.Num(4)
		require.Equal(t, "M1,.5c.5.5zm-1,2l.3.4", string(w.Buf))
	})
}

// TestPathWriterSimplify pins the two simplifications of docs/svg.md,
// "Within a grid step", on whole-pixel grids: curves whose control points
// lie within √2 units of their chord become lines, and control points
// within a step (a unit each way) of the mirror image become s.
func TestPathWriterSimplify(t *testing.T) {
	type curve [6]int64 // x1, y1, x2, y2, x3, y3, absolute grid units
	tests := []struct {
		name   string
		curves []curve
		want   string
	}{
		{"Curve", []curve{{0, 2, 4, 2, 4, 0}}, "c0,2,4,2,4,0"},
		{"ControlsOnChord", []curve{{1, 0, 3, 0, 4, 0}}, "h4"},
		{"ControlsOneUnitOff", []curve{{1, 1, 3, -1, 4, 0}}, "h4"},
		{"ControlsOneUnitOffOneSide", []curve{{1, 1, 3, 1, 4, 0}}, "h4"}, // a bulge of ¾ unit
		{"ControlTwoOff", []curve{{1, 2, 3, 0, 4, 0}}, "c1,2,3,0,4,0"},   // two units: kept
		{"ControlPastTheEnd", []curve{{1, 0, 6, 0, 4, 0}}, "c1,0,6,0,4,0"},
		{"ControlJustPastTheEnd", []curve{{1, 0, 5, 0, 4, 0}}, "h4"},
		{"ControlDiagonallyPastTheEnd", []curve{{1, 0, 5, 1, 4, 0}}, "h4"}, // √2 from the end
		{"ControlBeforeTheStart", []curve{{-1, -1, 3, 3, 4, 4}}, "l4,4"},
		{"DiagonalWithinRootTwo", []curve{{0, 2, 2, 4, 4, 4}}, "l4,4"},  // √2 exactly: kept within
		{"DiagonalBeyond", []curve{{0, 3, 2, 4, 4, 4}}, "c0,3,2,4,4,4"}, // 3/√2 ≈ 2.1
		{"ClosedLoop", []curve{{1, 1, 0, 1, 0, 0}}, ""},                 // within a step of its start: nothing to draw
		{"LinesMerge", []curve{{1, 0, 3, 0, 4, 0}, {5, 1, 7, 0, 8, 0}}, "h8"},
		{"Smooth", []curve{{0, 4, 4, 8, 8, 8}, {12, 8, 16, 4, 16, 0}}, "c0,4,4,8,8,8s8-4,8-8"},
		{"SmoothWithinAStep", []curve{{0, 4, 4, 8, 8, 8}, {13, 9, 16, 4, 16, 0}}, "c0,4,4,8,8,8s8-4,8-8"},
		{"NotSmooth", []curve{{0, 4, 4, 8, 8, 8}, {14, 8, 16, 4, 16, 0}}, "c0,4,4,8,8,8,6,0,8-4,8-8"},
		{"SmoothRepeats", []curve{{0, 4, 4, 8, 8, 8}, {12, 8, 16, 4, 16, 0}, {16, -4, 12, -8, 8, -8}}, "c0,4,4,8,8,8s8-4,8-8-4-8-8-8"},
		{"NoSmoothAfterLine", []curve{{1, 0, 3, 0, 4, 0}, {4, 4, 8, 8, 12, 8}}, "h4c0,4,4,8,8,8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newTestPathWriter(0)
			for _, c := range tt.curves {
				w.curveTo(c[0], c[1], c[2], c[3], c[4], c[5])
			}
			w.flushLine()
			require.Equal(t, tt.want, string(w.Buf))
		})
	}
}

func TestSVGOpaque(t *testing.T) {
	polygon := func(o *Options) { o.AlphaMax, o.TurdSize, o.Opaque = 0, 0, true }

	t.Run("RingIslandAndItsHole", func(t *testing.T) {
		// An outline, its hole, an island in the hole and the island's own
		// hole: the silhouette (the outer outline alone) in the fill colour,
		// then one white path with the three nested paths, which under
		// nonzero fills the hole and the island's hole and leaves the
		// island to the black underneath.
		bm := bitmapFromRows(t,
			"#########",
			"#.......#",
			"#.#####.#",
			"#.#...#.#",
			"#.#...#.#",
			"#.#...#.#",
			"#.#####.#",
			"#.......#",
			"#########",
		)
		res := traceWith(t, bm, polygon)
		require.Len(t, res.Paths, 4)
		require.Equal(t, []bool{false, true, true, true}, nestedPaths(res.Paths))
		plain := traceWith(t, bm, func(o *Options) { polygon(o); o.Opaque = false })
		require.Equal(t, svgOpen+`width="9" height="9" viewBox="0 0 9 9"><path fill="#000000" d="M0,4.5v4.5h9v-9h-9z"/>`+
			`<path fill="#ffffff" d="M4.5,1h3.5v7h-7v-7zm-2.5,3.5v2.5h5v-5h-5zm2.5-1.5h1.5v3h-3v-3z"/></svg>`, string(res.SVG()))
		require.Equal(t, svgOpen+`width="9" height="9" viewBox="0 0 9 9"><path fill="#000000" d="M0,4.5v4.5h9v-9h-9zm4.5-3.5h3.5v7h-7v-7zm-2.5,3.5v2.5h5v-5h-5zm2.5-1.5h1.5v3h-3v-3z"/></svg>`, string(plain.SVG()),
			"without Opaque the same paths are one path")
	})

	t.Run("ColourKept", func(t *testing.T) {
		res := traceWith(t, bitmapFromRows(t, "###", "#.#", "###"), func(o *Options) { polygon(o); o.Color = "#ABC" })
		require.Contains(t, string(res.SVG()), `><path fill="#abc" d="M`)
		require.Contains(t, string(res.SVG()), `"/><path fill="#ffffff" d="M`)
	})

	t.Run("FillColor", func(t *testing.T) {
		// The enclosed white is painted in FillColor (lowercased), the
		// silhouette keeps the trace's colour; no hole, no second path.
		res := traceWith(t, bitmapFromRows(t, "###", "#.#", "###"), func(o *Options) { polygon(o); o.FillColor = "#FF8000" })
		require.Contains(t, string(res.SVG()), `><path fill="#000000" d="M`)
		require.Contains(t, string(res.SVG()), `"/><path fill="#ff8000" d="M`)
		solid := traceWith(t, bitmapFromRows(t, "##", "##"), func(o *Options) { polygon(o); o.FillColor = "#f80" })
		require.NotContains(t, string(solid.SVG()), "#f80")
	})

	t.Run("NoHoleIsThePlainForm", func(t *testing.T) {
		for _, bm := range []*Bitmap{bitmapFromRows(t, "##.#", "##.."), disc(t, 12)} {
			plain := traceWith(t, bm, func(*Options) {})
			opaque := traceWith(t, bm, func(o *Options) { o.Opaque = true })
			require.Equal(t, string(plain.SVG()), string(opaque.SVG()))
		}
		empty, err := NewBitmap(3, 2, 0)
		require.NoError(t, err)
		res := traceWith(t, empty, func(o *Options) { o.Opaque = true })
		require.Equal(t, svgOpen+`width="3" height="2" viewBox="0 0 3 2"></svg>`, string(res.SVG()))
	})

	t.Run("DeepNesting", func(t *testing.T) {
		// Square rings a pixel wide with a pixel of white between them,
		// round a centre pixel, curved (default alphamax) so that the
		// outlines of neighbouring rings come close: only the outermost is
		// outer.
		const rings = 6
		n := 4*rings + 1
		bm, err := NewBitmap(n, n, 0)
		require.NoError(t, err)
		for y := range n {
			for x := range n {
				bm.Set(x, y, max(abs(x-n/2), abs(y-n/2))%2 == 0)
			}
		}
		res := traceWith(t, bm, func(o *Options) { o.TurdSize, o.Opaque = 0, true })
		// The boundary between two rings is a hole of the outer one (its
		// inner edge) and the outline of the inner one.
		require.Len(t, res.Paths, 2*rings+1)
		nested := nestedPaths(res.Paths)
		outer := 0
		for i, p := range res.Paths {
			if !nested[i] {
				outer++
				require.False(t, p.Hole)
			}
		}
		require.Equal(t, 1, outer, "only the outermost ring is outer")
		requireOpaquePaintsLikePlain(t, res)
	})

	t.Run("Fixtures", func(t *testing.T) {
		files, err := filepath.Glob("testdata/pbm/*_400.pbm")
		require.NoError(t, err)
		require.NotEmpty(t, files)
		for _, file := range files {
			bm := readPBMTestFile(t, file)
			for _, turd := range []int{0, 2} {
				t.Run(fmt.Sprintf("%s/Turd%d", filepath.Base(file), turd), func(t *testing.T) {
					res := traceWith(t, bm, func(o *Options) { o.TurdSize, o.Opaque = turd, true })
					requireOpaquePaintsLikePlain(t, res)
				})
			}
		}
	})

	t.Run("RejectedWithPosterize", func(t *testing.T) {
		o := DefaultOptions()
		o.Opaque, o.Steps = true, 3
		require.ErrorIs(t, o.Validate(), ErrInvalidOptions)
		require.ErrorContains(t, o.Validate(), "opaque cannot be combined with steps 3")
	})
}

func abs(v int) int { return max(v, -v) }

// requireOpaquePaintsLikePlain checks, at every pixel centre of the trace,
// that the opaque form paints what the plain form means: the fill colour
// where the plain path's nonzero winding is not 0, white where it is 0 but
// the point is inside the silhouette, nothing outside it. It works on the
// windings of the flattened paths, counted by scanline, independently of
// how nestedPaths decided.
func requireOpaquePaintsLikePlain(t *testing.T, res *Result) {
	t.Helper()
	nested := nestedPaths(res.Paths)
	type crossing struct {
		x     float64
		dir   int
		inner bool
	}
	rows := make([][]crossing, res.Height)
	for i := range res.Paths {
		poly := flatten(&res.Paths[i])
		for k := 1; k < len(poly); k++ {
			a, b := poly[k-1], poly[k]
			dir := 1
			if a.Y > b.Y {
				a, b, dir = b, a, -1
			}
			// Rows whose centre line y = j + .5 the edge crosses, half-open.
			for j := max(int(math.Ceil(a.Y-0.5)), 0); j < res.Height && float64(j)+0.5 < b.Y; j++ {
				y := float64(j) + 0.5
				x := a.X + (b.X-a.X)*(y-a.Y)/(b.Y-a.Y)
				rows[j] = append(rows[j], crossing{x, dir, nested[i]})
			}
		}
	}
	for j, row := range rows {
		for x := range res.Width {
			cx := float64(x) + 0.5
			var outerW, innerW int
			for _, c := range row {
				if c.x > cx {
					if c.inner {
						innerW += c.dir
					} else {
						outerW += c.dir
					}
				}
			}
			// The plain form is black where its nonzero winding is; the
			// opaque form paints its colour where the silhouette's winding
			// is nonzero and the white path's is 0, white where both are
			// nonzero, and nothing where the silhouette's is 0.
			black := outerW+innerW != 0
			ok := black == (outerW != 0 && innerW == 0) && // colour exactly on black
				(outerW != 0 || innerW == 0) // no white outside the silhouette
			if !ok {
				t.Fatalf("pixel (%d, %d): plain winding %d, silhouette %d, white path %d", x, j, outerW+innerW, outerW, innerW)
			}
		}
	}
}
