package tracecore

import (
	"image"
	"image/color"
)

// The fill colour for Options.Color "auto": the dominant colour of the pixels
// that became black.

// colourBits is how many bits of each 8-bit channel decide a colour's bin:
// 4 bits make 4096 bins, coarse enough that the noise, gradients and JPEG
// artefacts of one flat colour fall into one or two bins, fine enough that
// distinct inks (a red and an orange) stay apart.
const colourBits = 4

// maxColourSamples bounds about how many traced pixels the dominant colour
// is taken from. With more traced pixels than this, the pixels sampled are
// every k-th in raster order (k = ⌈traced/maxColourSamples⌉), a lattice
// that covers every row and, over k rows, every column. 16 384 samples
// still give a bin holding 1 % of the colour ~160 samples, so the winner and
// its mean are those of every traced pixel to within a level or so, while
// the cost stays about fixed (0.2 ms in js/wasm for a 400×300 photo) instead
// of one step per traced pixel (a 400×300 photo has ~100 000; a full-size
// trace, millions).
const maxColourSamples = 1 << 14

// dominantColour returns, as #rrggbb, the dominant colour of img under the
// traced pixels of bm, a bitmap of img at bm's size (its black pixels, or its
// white ones if invert). It samples the traced pixels, all of them or those
// of the lattice of maxColourSamples. A traced pixel samples the image's
// pixel at its centre (every pixel, at full size), takes its straight colour
// composited onto the background if there is one (otherwise a sample less
// than half opaque is skipped), and counts in the bin of its top colourBits
// bits per channel. The most frequent bin wins, the lowest bin (in R, G, B
// order) on a tie, and its colour is the mean of the samples in it,
// rounded. With no samples it is black.
func (t *Tracer) dominantColour(img image.Image, bm *Bitmap, invert bool, bg color.NRGBA, hasBg bool) (string, error) {
	const bins = 1 << (3 * colourBits)
	t.colourBins = reuse(t.colourBins, bins)
	clear(t.colourBins)
	r := img.Bounds()
	H := r.Dy()
	xs := t.sampleColumns(r, bm.Width)
	// Traced pixels are the black ones (set bits), or the white ones under
	// Invert.
	var flip uint64
	if invert {
		flip = 1
	}
	traced := bm.Count()
	if invert {
		traced = bm.Width*bm.Height - traced
	}
	every := max(1, (traced+maxColourSamples-1)/maxColourSamples)
	for y := 0; y < bm.Height; y++ {
		sy := r.Min.Y + int((int64(2*y+1)*int64(H))/int64(2*bm.Height))
		row := bm.Words[y*bm.Stride : (y+1)*bm.Stride]
		// The first x with (y·width + x) a multiple of every.
		x0 := (every - (y*bm.Width)%every) % every
		for x := x0; x < bm.Width; x += every {
			if row[x/wordBits]>>(wordBits-1-uint(x%wordBits))&1 == flip {
				continue
			}
			c, ok := fillSample(colourAt(img, xs[x], sy), bg, hasBg)
			if !ok {
				continue
			}
			const drop = 8 - colourBits
			b := &t.colourBins[int(c.R>>drop)<<(2*colourBits)|int(c.G>>drop)<<colourBits|int(c.B>>drop)]
			b.n++
			b.sum[0] += uint64(c.R)
			b.sum[1] += uint64(c.G)
			b.sum[2] += uint64(c.B)
		}
		if err := t.advance(bm.Width); err != nil {
			return "", err
		}
	}
	best := 0
	for i := range t.colourBins {
		if t.colourBins[i].n > t.colourBins[best].n {
			best = i
		}
	}
	b := t.colourBins[best]
	if b.n == 0 {
		return "#000000", nil
	}
	var c [3]uint8
	for i, s := range b.sum {
		c[i] = uint8(div(s, b.n))
	}
	return hexColour(c), nil
}

// A colourBin counts the samples of one colour bin and sums their channels.
type colourBin struct {
	n   uint64
	sum [3]uint64
}

// sampleColumns returns, in t's scratch memory, the source column of each
// of w target columns over the image bounds r: the column under the target
// pixel's centre, x = (2j+1)·W/(2w).
func (t *Tracer) sampleColumns(r image.Rectangle, w int) []int {
	t.colourXs = reuse(t.colourXs, w)
	W := r.Dx()
	for j := range t.colourXs {
		t.colourXs[j] = r.Min.X + int((int64(2*j+1)*int64(W))/int64(2*w))
	}
	return t.colourXs
}

// colourRow sets out[j] to the straight 8-bit colour of img's pixel
// (xs[j], y), as colourAt does, with the type switch once per row and the
// loops reading the pixel buffers of the common types.
func colourRow(img image.Image, xs []int, y int, out []color.NRGBA) {
	out = out[:len(xs)]
	switch m := img.(type) {
	case *image.Gray:
		row := m.Pix[m.PixOffset(m.Rect.Min.X, y):][:m.Rect.Dx()]
		for j, x := range xs {
			v := row[x-m.Rect.Min.X]
			out[j] = color.NRGBA{v, v, v, 0xff}
		}
	case *image.NRGBA:
		row := m.Pix[m.PixOffset(m.Rect.Min.X, y):][:4*m.Rect.Dx()]
		for j, x := range xs {
			p := row[4*(x-m.Rect.Min.X):][:4:4]
			out[j] = color.NRGBA{p[0], p[1], p[2], p[3]}
		}
	default:
		for j, x := range xs {
			out[j] = colourAt(img, x, y)
		}
	}
}

// fillSample is a sampled colour c as the fill sees it: composited onto bg
// when hasBg, else only if at least half opaque (a transparent pixel is
// never traced, so it has no say in the fill).
func fillSample(c, bg color.NRGBA, hasBg bool) (color.NRGBA, bool) {
	if hasBg {
		return compositeColour(c, bg), true
	}
	return c, c.A >= 0x80
}

// compositeColour composites c onto an opaque background, rounded.
func compositeColour(c, bg color.NRGBA) color.NRGBA {
	a := uint32(c.A)
	mix := func(v, b uint8) uint8 { return uint8((uint32(v)*a + uint32(b)*(255-a) + 127) / 255) }
	return color.NRGBA{mix(c.R, bg.R), mix(c.G, bg.G), mix(c.B, bg.B), 255}
}

// colourAt returns the straight 8-bit colour of img's pixel (x, y): what
// color.NRGBAModel makes of At(x, y), read from the pixel buffer for the
// common types. It runs once per sampled pixel, at most once per traced
// pixel, and allocates nothing (but through an image's own At).
func colourAt(img image.Image, x, y int) color.NRGBA {
	switch m := img.(type) {
	case *image.Gray:
		v := m.Pix[m.PixOffset(x, y)]
		return color.NRGBA{v, v, v, 0xff}
	case *image.NRGBA:
		p := m.Pix[m.PixOffset(x, y):]
		return color.NRGBA{p[0], p[1], p[2], p[3]}
	case *image.YCbCr:
		return straight8(m.YCbCrAt(x, y).RGBA())
	case *image.NYCbCrA:
		return straight8(m.NYCbCrAAt(x, y).RGBA())
	case *image.RGBA:
		return straight8(m.RGBAAt(x, y).RGBA())
	case *image.Paletted:
		i := int(m.Pix[m.PixOffset(x, y)])
		if i >= len(m.Palette) || m.Palette[i] == nil {
			return color.NRGBA{0xff, 0xff, 0xff, 0xff}
		}
		return toNRGBA(m.Palette[i])
	}
	return toNRGBA(img.At(x, y))
}

// toNRGBA is color.NRGBAModel.Convert without boxing its result.
func toNRGBA(c color.Color) color.NRGBA {
	if n, ok := c.(color.NRGBA); ok {
		return n
	}
	return straight8(c.RGBA())
}

// straight8 un-premultiplies 16-bit channels as color.NRGBAModel does and
// keeps their top 8 bits.
func straight8(r, g, b, a uint32) color.NRGBA {
	switch a {
	case 0xffff:
		return color.NRGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 0xff}
	case 0:
		return color.NRGBA{}
	}
	return color.NRGBA{uint8(r * 0xffff / a >> 8), uint8(g * 0xffff / a >> 8), uint8(b * 0xffff / a >> 8), uint8(a >> 8)}
}

// hexColour writes a colour as #rrggbb.
func hexColour(c [3]uint8) string {
	const hexDigits = "0123456789abcdef"
	out := []byte("#000000")
	for i, v := range c {
		out[1+2*i], out[2+2*i] = hexDigits[v>>4], hexDigits[v&15]
	}
	return string(out)
}
