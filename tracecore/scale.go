package tracecore

import (
	"encoding/binary"
	"math/bits"
)

// Downscaling by area averaging: an exact box filter. Each pixel of the
// smaller image is the mean of the source area it covers, source pixels
// weighted by the fraction of them it covers, in integer arithmetic with one
// rounding at the end, so the result is the same on every platform.
//
// A source of W×H pixels becomes w×h. Measured in units of 1/(w·W) of the
// source's width, source column i spans [i·w, (i+1)·w) and target column j
// spans [j·W, (j+1)·W): every overlap is a whole number of units, at most w,
// and a target column's overlaps add up to W. Rows likewise, with h and H.
// A target pixel is Σ wx·wy·v / (W·H) over the source pixels v it overlaps,
// rounded to nearest. Since w ≤ W, a target column is some whole source
// columns and at most two partial ones (colSpan), and a source row overlaps
// at most two target rows: each source row's column sums are added, weighted,
// to two row accumulators.
//
// Transparency is averaged as colour is composited: alpha is averaged, and
// the straight luminance is the sum of luminance premultiplied by alpha
// (y·a/0xffff, rounded down) over the sum of alpha, so transparent pixels,
// whatever colour they store, do not tint their visible neighbours.

// targetSize is the size an image of w×h pixels is traced at under
// Options.MaxSide: unchanged when maxSide is 0 or the longer side fits;
// otherwise the longer side becomes maxSide and the shorter one keeps the
// aspect ratio, rounded to nearest (half up) and at least 1 (unless it is 0).
func targetSize(w, h, maxSide int) (int, int) {
	if maxSide <= 0 || max(w, h) <= maxSide {
		return w, h
	}
	// The products stay below w·h, which CheckSize has bounded.
	short := func(s, long int) int {
		n := int((int64(s)*int64(maxSide) + int64(long)/2) / int64(long))
		if s > 0 {
			n = max(n, 1)
		}
		return n
	}
	if w >= h {
		return maxSide, short(h, w)
	}
	return short(w, h), maxSide
}

// planes are luminance and alpha at the traced size, row after row.
type planes struct {
	w, h int
	y    []uint32 // straight luminance, 0 … lumFull16
	a    []uint16 // alpha, 0 … 0xffff; nil when every pixel is opaque
}

// newPlanes returns w×h planes, with alpha if alpha, in t's scratch
// memory: they live until t's next call, and every sample is written before
// it is read.
func (t *Tracer) newPlanes(w, h int, alpha bool) *planes {
	t.planeY = reuse(t.planeY, w*h)
	p := &planes{w: w, h: h, y: t.planeY}
	if alpha {
		t.planeA = reuse(t.planeA, w*h)
		p.a = t.planeA
	}
	return p
}

// reuse returns buf resliced to n elements if it has room, else a new
// slice; the elements keep whatever they held.
func reuse[T any](buf []T, n int) []T {
	if cap(buf) >= n {
		return buf[:n]
	}
	return make([]T, n)
}

func (p *planes) row(y int) ([]uint32, []uint16) {
	ys := p.y[y*p.w : (y+1)*p.w]
	if p.a == nil {
		return ys, nil
	}
	return ys, p.a[y*p.w : (y+1)*p.w]
}

// A colSpan says which source columns make up a target column: f … e−1 lie
// wholly inside it (weight w each), and it covers wl units of column f−1
// and wr units of column e (0 when it starts or ends on a column boundary).
// Summing the whole columns first and weighting them once keeps the
// per-pixel work of the horizontal pass to one addition.
type colSpan struct {
	f, e   int32
	wl, wr uint32
}

// colSpans lays out the w target columns over W source columns, w ≤ W.
func colSpans(W, w int) []colSpan {
	spans := make([]colSpan, w)
	for j := range spans {
		start := int64(j) * int64(W)
		end := start + int64(W)
		f := (start + int64(w) - 1) / int64(w)
		e := end / int64(w)
		spans[j] = colSpan{f: int32(f), e: int32(e), wl: uint32(f*int64(w) - start), wr: uint32(end - e*int64(w))}
	}
	return spans
}

// downscale reads every row of rd once and returns the w×h area average. The
// sums are exact in uint64 as long as W·H·2^32 fits; for larger images (over
// 4 gigapixels, which only a raised MaxPixels admits) the luminance values are
// shifted right first, the same way on every platform.
func (t *Tracer) downscale(rd *lumaReader, srcH, w, h int) (*planes, error) {
	n := bits.Len64(uint64(rd.w) * uint64(srcH))
	// Luminance is 32 bits, alpha 16: shift each just enough.
	return t.downscaleShifted(rd, srcH, w, h, uint(max(0, n-32)), uint(max(0, n-48)))
}

// downscaleShifted is downscale with luminance shifted right by shift bits
// and alpha by shiftA ≤ shift before they are summed.
func (t *Tracer) downscaleShifted(rd *lumaReader, srcH, w, h int, shift, shiftA uint) (*planes, error) {
	srcW := rd.w
	wh := uint64(srcW) * uint64(srcH)

	cols := colSpans(srcW, w)
	alpha := !rd.opaque()
	hy, cy, ny := make([]uint64, w), make([]uint64, w), make([]uint64, w)
	var ha, ca, na []uint64
	if alpha {
		ha, ca, na = make([]uint64, w), make([]uint64, w), make([]uint64, w)
	}
	out := t.newPlanes(w, h, alpha)
	// Bytes summed on the fast path scale by lumLevel at the end; with
	// shift 0 the result is the same as summing their luminance.
	_, gray := rd.gray8(0)
	gray = gray && shift == 0 && !alpha

	ww, hh := uint64(w), int64(h)
	for sy := 0; sy < srcH; sy++ {
		if gray {
			row, _ := rd.gray8(sy)
			sumRowBytes(hy, row, cols, ww)
		} else {
			ys, as := rd.row(sy)
			if alpha {
				sumRowAlpha(hy, ha, ys, as, cols, ww, shift, shiftA)
			} else {
				sumRow(hy, ys, cols, ww, shift)
			}
		}
		top := int64(sy) * hh
		i := top / int64(srcH)
		end := (i + 1) * int64(srcH)
		v0 := uint64(min(top+hh, end) - top)
		v1 := uint64(hh) - v0
		addRows(cy, ny, hy, v0, v1)
		if alpha {
			addRows(ca, na, ha, v0, v1)
		}
		if top+hh >= end { // target row i is complete
			o := int(i) * w
			if gray {
				finishGray(out.y[o:o+w], cy, wh)
			} else if alpha {
				finishAlpha(out.y[o:o+w], out.a[o:o+w], cy, ca, wh, shift, shiftA)
			} else {
				finish(out.y[o:o+w], cy, wh, shift)
			}
			cy, ny = ny, cy
			clear(ny)
			if alpha {
				ca, na = na, ca
				clear(na)
			}
		}
		if err := t.advance(srcW); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// sumRow sets the column sums of a source row's values, shifted right.
func sumRow[T uint8 | uint32](hs []uint64, src []T, cols []colSpan, w uint64, shift uint) {
	hs = hs[:len(cols)]
	for j, c := range cols {
		var s uint64
		for _, v := range src[c.f:c.e] {
			s += uint64(v) >> shift
		}
		s *= w
		if c.wl != 0 {
			s += uint64(c.wl) * (uint64(src[c.f-1]) >> shift)
		}
		if c.wr != 0 {
			s += uint64(c.wr) * (uint64(src[c.e]) >> shift)
		}
		hs[j] = s
	}
}

// sumRowBytes is sumRow for bytes unshifted, the grey and JPEG luma fast
// path, which reads 8 at a time: a photo downscaled to 400 pixels sums runs
// of 8 or more bytes, and adding them as a word's lanes halves the time of
// the whole downscale against a byte at a time (BenchmarkPrepare).
func sumRowBytes(hs []uint64, src []uint8, cols []colSpan, w uint64) {
	hs = hs[:len(cols)]
	for j, c := range cols {
		if c.e-c.f <= 1 {
			// Reducing by less than 2 (a 408-pixel JPEG decoded at 1/8 to
			// 400), a column holds at most one whole byte and two parts.
			var s uint64
			if c.e > c.f {
				s = w * uint64(src[c.f])
			}
			if c.wl != 0 {
				s += uint64(c.wl) * uint64(src[c.f-1])
			}
			if c.wr != 0 {
				s += uint64(c.wr) * uint64(src[c.e])
			}
			hs[j] = s
			continue
		}
		run := src[c.f:c.e]
		var s uint64
		for len(run) >= 8 {
			x := binary.LittleEndian.Uint64(run)
			// Add byte pairs into four 16-bit lanes (each ≤ 510), then
			// the lanes into the top 16 bits (≤ 2040) by multiplying.
			x = x&0x00ff00ff00ff00ff + x>>8&0x00ff00ff00ff00ff
			s += x * 0x0001000100010001 >> 48
			run = run[8:]
		}
		if n := len(run); n > 0 {
			if tail := int(c.e) - n; tail+8 <= len(src) {
				// The last 1–7 bytes: one load, the bytes past them masked.
				x := binary.LittleEndian.Uint64(src[tail:]) & (1<<(8*n) - 1)
				x = x&0x00ff00ff00ff00ff + x>>8&0x00ff00ff00ff00ff
				s += x * 0x0001000100010001 >> 48
			} else {
				for _, v := range run {
					s += uint64(v)
				}
			}
		}
		s *= w
		if c.wl != 0 {
			s += uint64(c.wl) * uint64(src[c.f-1])
		}
		if c.wr != 0 {
			s += uint64(c.wr) * uint64(src[c.e])
		}
		hs[j] = s
	}
}

// sumRowAlpha sets the column sums of a row's alpha and of its luminance
// premultiplied by alpha.
func sumRowAlpha(hy, ha []uint64, ys []uint32, as []uint16, cols []colSpan, w uint64, shift, shiftA uint) {
	as = as[:len(ys)]
	hy, ha = hy[:len(cols)], ha[:len(cols)]
	for j, c := range cols {
		var sy, sa uint64
		run := ys[c.f:c.e]
		for i, a := range as[c.f:c.e][:len(run)] {
			sy += premul(run[i], uint64(a)) >> shift
			sa += uint64(a) >> shiftA
		}
		sy, sa = sy*w, sa*w
		if c.wl != 0 {
			a := uint64(as[c.f-1])
			sy += uint64(c.wl) * (premul(ys[c.f-1], a) >> shift)
			sa += uint64(c.wl) * (a >> shiftA)
		}
		if c.wr != 0 {
			a := uint64(as[c.e])
			sy += uint64(c.wr) * (premul(ys[c.e], a) >> shift)
			sa += uint64(c.wr) * (a >> shiftA)
		}
		hy[j], ha[j] = sy, sa
	}
}

// premul is y·a/0xffff rounded down; opaque and transparent pixels, most of
// a logo, skip the arithmetic.
func premul(y uint32, a uint64) uint64 {
	switch a {
	case alphaFull:
		return uint64(y)
	case 0:
		return 0
	}
	return uint64(y) * a / alphaFull
}

// addRows adds v0 times the column sums to one row accumulator and v1 times
// them to the next.
func addRows(cur, next, hs []uint64, v0, v1 uint64) {
	hs = hs[:len(cur)]
	next = next[:len(cur)]
	for j, s := range hs {
		cur[j] += v0 * s
		next[j] += v1 * s
	}
}

// div rounds s/d to nearest, halves up.
func div(s, d uint64) uint64 { return (s + d/2) / d }

func finish(dst []uint32, acc []uint64, wh uint64, shift uint) {
	for j := range dst {
		dst[j] = uint32(div(acc[j], wh) << shift)
	}
}

func finishGray(dst []uint32, acc []uint64, wh uint64) {
	for j := range dst {
		dst[j] = uint32(div(acc[j]*lumLevel, wh))
	}
}

// finishAlpha sets the mean alpha and the straight luminance, the
// premultiplied sum over the alpha sum, Σ(y·a/0xffff)·0xffff/Σa, both
// rounded to nearest. The luminance comes from the exact sums (in 128 bits),
// not the rounded mean alpha: an opaque white beside a transparent pixel
// stays exactly white, and an opaque image read with alpha gives the same
// result as without.
func finishAlpha(dy []uint32, da []uint16, accY, accA []uint64, wh uint64, shift, shiftA uint) {
	m := uint64(alphaFull) << (shift - shiftA) // shift ≤ 31: no overflow
	for j := range dy {
		da[j] = uint16(min(div(accA[j], wh)<<shiftA, alphaFull))
		if accA[j] == 0 {
			dy[j] = lumFull16 // nothing visible: white, like any transparent pixel
			continue
		}
		// Σy·a/0xffff ≤ lumFull16·Σa/0xffff, so the quotient is at most
		// lumFull16 + 1. Only values shifted right (over 4 gigapixels) can
		// break that bound; the quotient would not fit, and is clamped.
		hi, lo := bits.Mul64(accY[j], m)
		lo, carry := bits.Add64(lo, accA[j]/2, 0)
		q := uint64(lumFull16)
		if hi+carry < accA[j] {
			q, _ = bits.Div64(hi+carry, lo, accA[j])
		}
		dy[j] = uint32(min(q, lumFull16))
	}
}
