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

// dominantColour returns, as #rrggbb, the dominant colour of img under the
// traced pixels of bm, a bitmap of img at bm's size (its black pixels, or its
// white ones if invert): each traced pixel of bm
// samples the image's pixel at its centre (every pixel, at full size), takes
// its straight colour composited onto the background if there is one
// (otherwise a sample less than half opaque is skipped), and counts in the
// bin of its top colourBits bits per channel. The most frequent bin wins,
// the lowest bin (in R, G, B order) on a tie, and its colour is the mean of
// the samples in it, rounded. With no samples it is black.
func (t *Tracer) dominantColour(img image.Image, bm *Bitmap, invert bool, bg color.NRGBA, hasBg bool) (string, error) {
	const bins = 1 << (3 * colourBits)
	counts := make([]uint32, bins)
	sums := make([][3]uint64, bins)
	r := img.Bounds()
	W, H := r.Dx(), r.Dy()
	// The centre of target column j is at source x = (2j+1)·W/(2w).
	var flip uint64 // traced pixels are the black ones, or the white ones under Invert
	if invert {
		flip = 1
	}
	xs := make([]int, bm.Width)
	for j := range xs {
		xs[j] = r.Min.X + int((int64(2*j+1)*int64(W))/int64(2*bm.Width))
	}
	for j := 0; j < bm.Height; j++ {
		sy := r.Min.Y + int((int64(2*j+1)*int64(H))/int64(2*bm.Height))
		row := bm.Words[j*bm.Stride : (j+1)*bm.Stride]
		for x, sx := range xs {
			if row[x/wordBits]>>(wordBits-1-uint(x%wordBits))&1 == flip {
				continue
			}
			c, ok := sampleColour(img, sx, sy, bg, hasBg)
			if !ok {
				continue
			}
			const drop = 8 - colourBits
			bin := int(c.R>>drop)<<(2*colourBits) | int(c.G>>drop)<<colourBits | int(c.B>>drop)
			counts[bin]++
			s := &sums[bin]
			s[0] += uint64(c.R)
			s[1] += uint64(c.G)
			s[2] += uint64(c.B)
		}
		if err := t.advance(bm.Width); err != nil {
			return "", err
		}
	}
	best := 0
	for i, n := range counts {
		if n > counts[best] {
			best = i
		}
	}
	n := uint64(counts[best])
	if n == 0 {
		return "#000000", nil
	}
	var c [3]uint8
	for i, s := range sums[best] {
		c[i] = uint8(div(s, n))
	}
	return hexColour(c), nil
}

// sampleColour is the colour of pixel (x, y) as the fill sees it:
// composited onto bg when hasBg, else only if at least half opaque (a
// transparent pixel is never traced, so it has no say in the fill).
func sampleColour(img image.Image, x, y int, bg color.NRGBA, hasBg bool) (color.NRGBA, bool) {
	c := colourAt(img, x, y)
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
