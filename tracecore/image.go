package tracecore

import (
	"context"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"math"
)

// Reading a decoded image as planes of luminance and alpha, a row at a time,
// straight from the pixel buffers of the standard image types. Everything
// after this (downscaling, thresholds, the alpha rule) works on these two
// planes only; docs/pixels.md states the rules.

// Rec. 601 luma weights (0.299, 0.587, 0.114) scaled by 65536 and rounded so
// that they sum to exactly 65536, the weights image/color's GrayModel uses.
// With them the luminance of 16-bit channels, 19595·R + 38470·G + 7471·B, is
// an exact integer in [0, 65535·65536], and a grey (R = G = B = v) has
// luminance v·65536 exactly.
const (
	lumR = 19595
	lumG = 38470
	lumB = 7471
)

// Scales of luminance and alpha. Luminance is held as the exact weighted sum
// of 16-bit channels, 0 … lumFull16 = 65535·65536, which fits a uint32. An
// 8-bit channel c widens to 16 bits as c·257 (0xff → 0xffff), so the 8-bit
// sum, 0 … lumFull8, times 257 is the 16-bit one, and grey level v of an
// 8-bit image has luminance v·lumLevel exactly. Alpha is 16-bit, 0 … 0xffff.
const (
	lumFull8  = 255 << 16
	lumFull16 = 65535 << 16
	lumLevel  = 257 << 16 // one 8-bit grey level: lumFull16 / 255
	alphaFull = 0xffff
	// alphaHalf is the least visible alpha: a pixel is visible when it is at
	// least half opaque, 2a ≥ 0xffff, which is a ≥ 128 for 8-bit alpha
	// (128/255 ≥ 50 % > 127/255).
	alphaHalf = 0x8000
)

// lum8 is the luminance of 8-bit straight or premultiplied channels on the
// 16-bit scale.
func lum8(r, g, b uint8) uint32 {
	return (lumR*uint32(r) + lumG*uint32(g) + lumB*uint32(b)) * 257
}

// lum16 is the luminance of 16-bit channels.
func lum16(r, g, b uint32) uint32 {
	return lumR*r + lumG*g + lumB*b
}

// unpremul returns the straight luminance of the premultiplied luminance yp
// with alpha a: ⌊yp·0xffff/a⌋, at most lumFull16 (premultiplied data whose
// colour exceeds its alpha is clamped), and white for a fully transparent
// pixel, whose colour is undefined.
func unpremul(yp uint32, a uint32) uint32 {
	switch a {
	case alphaFull:
		return yp
	case 0:
		return lumFull16
	}
	return uint32(min(uint64(yp)*alphaFull/uint64(a), lumFull16))
}

// lumAlpha returns the straight luminance and the alpha of a colour: the
// stored channels of the straight-alpha types color.NRGBA and color.NRGBA64,
// and the channels of the RGBA method (premultiplied) divided by alpha for
// every other colour. The pixel-buffer paths of lumaReader compute exactly
// this for each image type's colours.
func lumAlpha(c color.Color) (uint32, uint16) {
	switch c := c.(type) {
	case color.NRGBA:
		return lum8(c.R, c.G, c.B), uint16(c.A) * 0x101
	case color.NRGBA64:
		return lum16(uint32(c.R), uint32(c.G), uint32(c.B)), c.A
	case nil:
		return lumFull16, alphaFull // a nil palette entry is white
	}
	r, g, b, a := c.RGBA()
	return unpremul(lum16(r, g, b), a), uint16(a)
}

// A lumaReader converts the rows of an image into straight luminance and
// alpha. The type switch is per row; the loops below it read the pixel
// buffers directly. Rows are numbered from 0 at the image's Bounds().Min.
type lumaReader struct {
	img    image.Image
	x0, y0 int // img.Bounds().Min
	w      int
	ys     []uint32 // a row of luminance
	as     []uint16 // a row of alpha; nil when every pixel is opaque
	pal    *[256]paletteLuma
	// bg is the luminance of Options.Background; hasBg says there is one.
	// Rows are then composited onto it and come out opaque.
	bg    uint32
	hasBg bool
}

type paletteLuma struct {
	y uint32
	a uint16
}

// newLumaReader prepares to read img, whose size has been checked. It
// allocates a row of luminance, and of alpha unless the image type has no
// alpha or reports itself opaque.
func newLumaReader(img image.Image, bg uint32, hasBg bool) *lumaReader {
	r := img.Bounds()
	rd := &lumaReader{img: img, x0: r.Min.X, y0: r.Min.Y, w: r.Dx(), bg: bg, hasBg: hasBg}
	rd.ys = make([]uint32, rd.w)
	alpha := true
	switch m := img.(type) {
	case *image.Gray, *image.Gray16, *image.YCbCr, *image.CMYK:
		alpha = false
	case *image.NRGBA:
		alpha = !opaque8(m.Pix, m.Stride, m.Rect)
	case *image.RGBA:
		alpha = !opaque8(m.Pix, m.Stride, m.Rect)
	case *image.NRGBA64:
		alpha = !m.Opaque()
	case *image.RGBA64:
		alpha = !m.Opaque()
	case *image.NYCbCrA:
		alpha = !m.Opaque()
	case *image.Paletted:
		rd.pal = new([256]paletteLuma)
		alpha = false
		for i := range rd.pal {
			if i >= len(m.Palette) { // indices past the palette's end are white
				rd.pal[i] = paletteLuma{lumFull16, alphaFull}
				continue
			}
			y, a := lumAlpha(m.Palette[i])
			rd.pal[i] = paletteLuma{y, a}
			alpha = alpha || a != alphaFull
		}
	}
	if alpha {
		rd.as = make([]uint16, rd.w)
	}
	return rd
}

// opaque8 reports whether every pixel in r of a 4-byte-per-pixel buffer
// with alpha last (*image.NRGBA, *image.RGBA) is opaque: the Opaque method,
// two pixels per 64-bit load instead of one byte at a time, which is most of
// the cost of preparing an image of browser pixels in js/wasm.
func opaque8(pix []byte, stride int, r image.Rectangle) bool {
	const alphas = 0xff000000ff000000 // the alpha bytes of two little-endian pixels
	w := r.Dx()
	for y := 0; y < r.Dy(); y++ {
		row := pix[y*stride:][:4*w]
		x := 0
		for ; x+8 <= len(row); x += 8 {
			if binary.LittleEndian.Uint64(row[x:])&alphas != alphas {
				return false
			}
		}
		if x < len(row) && row[x+3] != 0xff {
			return false
		}
	}
	return true
}

// opaque reports whether every row comes out with nil alpha.
func (rd *lumaReader) opaque() bool { return rd.as == nil || rd.hasBg }

// row returns row y's luminance and alpha (nil when opaque). The slices are
// the reader's and are overwritten by the next call.
func (rd *lumaReader) row(y int) ([]uint32, []uint16) {
	ys, as, w := rd.ys, rd.as, rd.w
	x0, sy := rd.x0, rd.y0+y
	switch m := rd.img.(type) {
	case *image.Gray:
		gray8Row(ys, m.Pix[m.PixOffset(x0, sy):][:w])
	case *image.YCbCr:
		gray8Row(ys, m.Y[m.YOffset(x0, sy):][:w])
	case *image.Gray16:
		src := m.Pix[m.PixOffset(x0, sy):][:2*w]
		for x := range ys {
			p := src[2*x : 2*x+2 : 2*x+2]
			ys[x] = (uint32(p[0])<<8 | uint32(p[1])) << 16 // a grey's luminance is v·65536
		}
	case *image.NYCbCrA:
		gray8Row(ys, m.Y[m.YOffset(x0, sy):][:w])
		src := m.A[m.AOffset(x0, sy):][:w]
		for x := range as { // nil when opaque
			as[x] = uint16(src[x]) * 0x101
		}
	case *image.NRGBA:
		src := m.Pix[m.PixOffset(x0, sy):][:4*w]
		for x := range ys {
			p := src[4*x : 4*x+4 : 4*x+4]
			ys[x] = lum8(p[0], p[1], p[2])
		}
		for x := range as {
			as[x] = uint16(src[4*x+3]) * 0x101
		}
	case *image.NRGBA64:
		src := m.Pix[m.PixOffset(x0, sy):][:8*w]
		for x := range ys {
			p := src[8*x : 8*x+8 : 8*x+8]
			ys[x] = lum16(uint32(p[0])<<8|uint32(p[1]), uint32(p[2])<<8|uint32(p[3]), uint32(p[4])<<8|uint32(p[5]))
		}
		for x := range as {
			as[x] = uint16(src[8*x+6])<<8 | uint16(src[8*x+7])
		}
	case *image.RGBA:
		src := m.Pix[m.PixOffset(x0, sy):][:4*w]
		for x := range ys {
			p := src[4*x : 4*x+4 : 4*x+4]
			ys[x] = lum8(p[0], p[1], p[2])
			if a := p[3]; a != 0xff && as != nil {
				ys[x] = unpremul(ys[x], uint32(a)*0x101)
			}
		}
		for x := range as {
			as[x] = uint16(src[4*x+3]) * 0x101
		}
	case *image.RGBA64:
		src := m.Pix[m.PixOffset(x0, sy):][:8*w]
		for x := range ys {
			p := src[8*x : 8*x+8 : 8*x+8]
			ys[x] = lum16(uint32(p[0])<<8|uint32(p[1]), uint32(p[2])<<8|uint32(p[3]), uint32(p[4])<<8|uint32(p[5]))
			if as != nil {
				a := uint16(p[6])<<8 | uint16(p[7])
				ys[x], as[x] = unpremul(ys[x], uint32(a)), a
			}
		}
	case *image.CMYK:
		// color.CMYK's RGBA method, exactly.
		src := m.Pix[m.PixOffset(x0, sy):][:4*w]
		for x := range ys {
			p := src[4*x : 4*x+4 : 4*x+4]
			k := 0xffff - uint32(p[3])*0x101
			r := (0xffff - uint32(p[0])*0x101) * k / 0xffff
			g := (0xffff - uint32(p[1])*0x101) * k / 0xffff
			b := (0xffff - uint32(p[2])*0x101) * k / 0xffff
			ys[x] = lum16(r, g, b)
		}
	case *image.Paletted:
		pal, src := rd.pal, m.Pix[m.PixOffset(x0, sy):][:w]
		for x, i := range src {
			ys[x] = pal[i].y
		}
		for x := range as {
			as[x] = pal[src[x]].a
		}
	default:
		for x := range ys {
			y, a := lumAlpha(rd.img.At(x0+x, sy))
			ys[x] = y
			if as != nil {
				as[x] = a
			}
		}
	}
	if rd.hasBg && as != nil {
		compositeRow(ys, as, rd.bg)
		return ys, nil
	}
	return ys, as
}

// gray8Row widens 8-bit grey levels (or Y values) to luminance.
func gray8Row(ys []uint32, src []uint8) {
	for x, v := range src[:len(ys)] {
		ys[x] = uint32(v) * lumLevel
	}
}

// gray8 returns row y of an image whose luminance is a plane of 8-bit levels
// (*image.Gray, *image.YCbCr), for the downscaler's fast path; ok is false for
// other images.
func (rd *lumaReader) gray8(y int) (row []uint8, ok bool) {
	switch m := rd.img.(type) {
	case *image.Gray:
		return m.Pix[m.PixOffset(rd.x0, rd.y0+y):][:rd.w], true
	case *image.YCbCr:
		return m.Y[m.YOffset(rd.x0, rd.y0+y):][:rd.w], true
	}
	return nil, false
}

// composite returns the luminance of straight luminance y with alpha a over a
// background of luminance bg, rounded: (y·a + bg·(0xffff−a))/0xffff.
// Luminance is linear in the channels, so this is the luminance of the
// composited colour.
func composite(y uint32, a uint16, bg uint32) uint32 {
	return uint32((uint64(y)*uint64(a) + uint64(bg)*uint64(alphaFull-a) + alphaFull/2) / alphaFull)
}

func compositeRow(ys []uint32, as []uint16, bg uint32) {
	for x, a := range as[:len(ys)] {
		ys[x] = composite(ys[x], a, bg)
	}
}

// lumCut returns the least luminance sum y in [0, full] with
// float64(y)/full ≥ threshold, so that y < cut exactly when a pixel of
// luminance y is black. Correctly rounded division is monotone in y, so a
// bisection finds it, in 32 steps, once per image.
func lumCut(threshold float64, full int64) int64 {
	lo, hi := int64(0), full // float64(full)/full = 1 ≥ threshold
	for lo < hi {
		m := lo + (hi-lo)/2
		if float64(m)/float64(full) >= threshold {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}

// isBlack is 1 when y < cut, without a branch: both are far inside int64, so
// y - cut is negative exactly then.
func isBlack(y, cut int64) uint64 { return uint64(y-cut) >> 63 }

// flushRow stores the last, partial word of a row of width pixels. Every
// loop that packs a row does it the same way: for each pixel x,
// word = word<<1 | bit, so the first pixel ends up as the most significant
// bit, and the word is stored when x%64 == 63. A final partial word holds
// width%64 bits at the bottom and is shifted up here, which leaves the
// padding bits zero.
func flushRow(row []uint64, width int, word uint64) {
	if r := width % wordBits; r != 0 {
		row[width/wordBits] = word << uint(wordBits-r)
	}
}

// FromImage returns the bitmap of img at full size with a fixed threshold (in
// [0, 1]): the pixels darker than threshold of full scale are black, under
// the transparency rule of docs/pixels.md. It is Prepare with Options whose
// Threshold is threshold and whose MaxPixels is maxPixels (DefaultMaxPixels
// if ≤ 0), everything else at its default: no background, no downscaling.
//
// Luminance uses the Rec. 601 weights 0.299, 0.587 and 0.114 in integer
// arithmetic, Y = 19595·R + 38470·G + 7471·B exactly on 16-bit channels (an
// 8-bit value c widens to c·257, so both describe the same fraction of full
// scale), of the straight (not premultiplied) colour. A pixel is black when
// float64(Y)/(65535·65536) < threshold. That division is correctly rounded,
// so a threshold written as v/255 (or v/65535) puts grey level v itself on
// the white side and v−1 on the black side; threshold 0 makes nothing black
// and threshold 1 everything but pure white. An *image.YCbCr is thresholded
// on its Y plane directly, which is this same weighted sum of the colour it
// encodes, up to the rounding of the colour conversion.
//
// Transparent pixels are never black: an image with pixels under 50 % alpha
// is traced by its alpha (docs/pixels.md). Palette indices past the
// palette's end, on which image.Paletted.At would panic, count as white.
//
// The bitmap covers img.Bounds(): its pixel (0, 0) is img's pixel
// Bounds().Min. Its size is checked with CheckSize against maxPixels before
// anything is allocated or read, and the error wraps ErrTooLarge
// (ErrInvalidInput for bounds with Min past Max). A threshold outside
// [0, 1] gives an error wrapping ErrInvalidOptions.
//
// The image types of package image are read row by row from their pixel
// buffers; other types go through At, one interface call per pixel.
func FromImage(img image.Image, threshold float64, maxPixels int64) (*Bitmap, error) {
	if math.IsNaN(threshold) || threshold < 0 || threshold > 1 {
		return nil, fmt.Errorf("%w: threshold %v is outside [0, 1]", ErrInvalidOptions, threshold)
	}
	o := DefaultOptions()
	o.Threshold = Threshold(threshold)
	o.MaxPixels = max(maxPixels, 0)
	var t Tracer
	p, err := t.Prepare(context.Background(), img, o)
	if err != nil {
		return nil, err
	}
	return p.Bitmap, nil
}
