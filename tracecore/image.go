package tracecore

import (
	"fmt"
	"image"
	"math"
)

// Turning a decoded image into a Bitmap: every pixel darker than a threshold
// becomes black.

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

// Full scale of the luminance sums: 8-bit channels give 0 … 255·65536, 16-bit
// channels 0 … 65535·65536. An 8-bit channel c widens to 16 bits as c·257
// (0xff → 0xffff), so the 16-bit sum is exactly 257 times the 8-bit one and
// the two scales describe the same fractions.
const (
	lumFull8  = 255 << 16
	lumFull16 = 65535 << 16
)

// FromImage returns the bitmap of img in which a pixel is black when its
// luminance is below threshold (in [0, 1]) of full scale.
//
// Luminance uses the Rec. 601 weights 0.299, 0.587 and 0.114 in integer
// arithmetic, Y = 19595·R + 38470·G + 7471·B exactly: on the 8-bit channels
// of *image.Gray, *image.YCbCr and *image.RGBA, and on the 16-bit values of
// color.Color's RGBA method for everything else (an 8-bit value c widens to
// c·257, so both describe the same fraction of full scale). A pixel is black
// when float64(Y)/full scale < threshold, full scale being 255·65536 or
// 65535·65536. That division is correctly rounded, so a threshold written as
// v/255 (or v/65535) puts grey level v itself on the white side and v−1 on
// the black side; threshold 0 makes nothing black and threshold 1 everything
// but pure white. The threshold becomes an integer cut once per image: the
// per-pixel work is integer. An *image.YCbCr is thresholded on its Y plane
// directly, which is this same weighted sum of the colour it encodes, up to
// the rounding of the colour conversion.
//
// Alpha is ignored for now: the red, green and blue values are the ones the
// RGBA method reports (premultiplied by alpha, as if composited over black)
// and the alpha value itself plays no part. Compositing over a background
// colour arrives with alpha handling. Palette indices past the palette's
// end, on which image.Paletted.At would panic, count as white.
//
// The bitmap covers img.Bounds(): its pixel (0, 0) is img's pixel
// Bounds().Min. Its size is checked with CheckSize against maxPixels
// (DefaultMaxPixels if ≤ 0) before anything is allocated or read, and the
// error wraps ErrTooLarge (ErrInvalidInput for bounds with Min past Max). A
// threshold outside [0, 1] gives an error wrapping ErrInvalidOptions.
//
// *image.Gray, *image.YCbCr, *image.RGBA, *image.NRGBA and *image.Paletted are
// read row by row from their pixel buffers, 64 pixels to a bitmap word; other
// types go through At, one interface call per pixel.
func FromImage(img image.Image, threshold float64, maxPixels int64) (*Bitmap, error) {
	if math.IsNaN(threshold) || threshold < 0 || threshold > 1 {
		return nil, fmt.Errorf("%w: threshold %v is outside [0, 1]", ErrInvalidOptions, threshold)
	}
	r := img.Bounds()
	bm, err := NewBitmap(r.Dx(), r.Dy(), maxPixels)
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	if bm.Width == 0 || bm.Height == 0 {
		return bm, nil
	}
	switch m := img.(type) {
	case *image.Gray:
		fromGray(bm, m.Pix, m.Stride, grayTable(threshold))
	case *image.YCbCr:
		fromGray(bm, m.Y, m.YStride, grayTable(threshold))
	case *image.RGBA:
		fromRGBA(bm, m, lumCut(threshold, lumFull8))
	case *image.NRGBA:
		fromNRGBA(bm, m, lumCut(threshold, lumFull16))
	case *image.Paletted:
		fromPaletted(bm, m, threshold)
	default:
		fromAt(bm, img, lumCut(threshold, lumFull16))
	}
	return bm, nil
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

// grayTable maps an 8-bit grey level (or Y value) to 1 for black, 0 for white.
func grayTable(threshold float64) *[256]uint8 {
	cut := lumCut(threshold, lumFull8)
	var t [256]uint8
	for v := range t {
		t[v] = uint8(isBlack(int64(v)<<16, cut))
	}
	return &t
}

// flushRow stores the last, partial word of a row of width pixels. Every
// loop below packs a row the same way: for each pixel x, word = word<<1 | bit,
// so the first pixel ends up as the most significant bit, and the word is
// stored when x%64 == 63. A final partial word holds width%64 bits at the
// bottom and is shifted up here, which leaves the padding bits zero.
func flushRow(row []uint64, width int, word uint64) {
	if r := width % wordBits; r != 0 {
		row[width/wordBits] = word << uint(wordBits-r)
	}
}

// fromGray thresholds a plane of 8-bit grey levels: *image.Gray's Pix or
// *image.YCbCr's Y, each row starting at a multiple of stride.
func fromGray(bm *Bitmap, pix []uint8, stride int, black *[256]uint8) {
	w := bm.Width
	for y := 0; y < bm.Height; y++ {
		row := bm.Words[y*bm.Stride : (y+1)*bm.Stride]
		src := pix[y*stride : y*stride+w]
		var word uint64
		for x, v := range src {
			word = word<<1 | uint64(black[v])
			if x%wordBits == wordBits-1 {
				row[x/wordBits] = word
			}
		}
		flushRow(row, w, word)
	}
}

// fromRGBA thresholds alpha-premultiplied 8-bit RGBA pixels.
func fromRGBA(bm *Bitmap, m *image.RGBA, cut int64) {
	w := bm.Width
	for y := 0; y < bm.Height; y++ {
		row := bm.Words[y*bm.Stride : (y+1)*bm.Stride]
		src := m.Pix[y*m.Stride : y*m.Stride+4*w]
		var word uint64
		for x := 0; x < w; x++ {
			p := src[4*x : 4*x+3 : 4*x+3]
			lum := lumR*int64(p[0]) + lumG*int64(p[1]) + lumB*int64(p[2])
			word = word<<1 | isBlack(lum, cut)
			if x%wordBits == wordBits-1 {
				row[x/wordBits] = word
			}
		}
		flushRow(row, w, word)
	}
}

// fromNRGBA thresholds non-premultiplied 8-bit RGBA pixels after
// premultiplying them to 16 bits exactly as color.NRGBA.RGBA does.
func fromNRGBA(bm *Bitmap, m *image.NRGBA, cut int64) {
	w := bm.Width
	for y := 0; y < bm.Height; y++ {
		row := bm.Words[y*bm.Stride : (y+1)*bm.Stride]
		src := m.Pix[y*m.Stride : y*m.Stride+4*w]
		var word uint64
		for x := 0; x < w; x++ {
			p := src[4*x : 4*x+4 : 4*x+4]
			r, g, b := int64(p[0])*0x101, int64(p[1])*0x101, int64(p[2])*0x101
			if a := int64(p[3]); a != 0xff {
				r, g, b = r*a/0xff, g*a/0xff, b*a/0xff
			}
			word = word<<1 | isBlack(lumR*r+lumG*g+lumB*b, cut)
			if x%wordBits == wordBits-1 {
				row[x/wordBits] = word
			}
		}
		flushRow(row, w, word)
	}
}

// fromPaletted decides black or white once per palette entry.
func fromPaletted(bm *Bitmap, m *image.Paletted, threshold float64) {
	cut := lumCut(threshold, lumFull16)
	var black [256]uint8 // indices past the palette stay white
	for i, c := range m.Palette {
		if i == len(black) {
			break
		}
		if c == nil {
			continue
		}
		r, g, b, _ := c.RGBA()
		black[i] = uint8(isBlack(lumR*int64(r)+lumG*int64(g)+lumB*int64(b), cut))
	}
	fromGray(bm, m.Pix, m.Stride, &black)
}

// fromAt is the fallback for image types without a fast path.
func fromAt(bm *Bitmap, img image.Image, cut int64) {
	r := img.Bounds()
	w := bm.Width
	for y := 0; y < bm.Height; y++ {
		row := bm.Words[y*bm.Stride : (y+1)*bm.Stride]
		var word uint64
		for x := 0; x < w; x++ {
			cr, cg, cb, _ := img.At(r.Min.X+x, r.Min.Y+y).RGBA()
			word = word<<1 | isBlack(lumR*int64(cr)+lumG*int64(cg)+lumB*int64(cb), cut)
			if x%wordBits == wordBits-1 {
				row[x/wordBits] = word
			}
		}
		flushRow(row, w, word)
	}
}
