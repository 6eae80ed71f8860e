package tracecore

import (
	"context"
	"image"
	"image/color"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzPrepare prepares and traces small images of every common type from
// arbitrary bytes: data[0], data[1] the size (at most 24×24), data[2] the
// image type, data[3] the options (bit 0 auto threshold, bit 1 auto colour,
// bit 2 white background, bit 3 invert, bits 4–7 the max side, 0 for full
// size), data[4] a fixed threshold in 255ths; the rest are RGBA pixels,
// repeated as needed. Whatever the input: no panic, the bitmap has the
// target size with clear padding, transparent pixels are never black, and
// the SVG is well formed.
func FuzzPrepare(f *testing.F) {
	f.Add([]byte{8, 8, 0, 0, 128, 0, 0, 0, 255, 255, 255, 255, 0})
	f.Add([]byte{20, 10, 1, 0x33, 90, 255, 255, 255, 200, 0, 0, 0, 0, 10, 20, 30, 128})
	f.Add([]byte{24, 24, 2, 0x5f, 0, 1, 2, 3, 4, 5, 6, 7, 8})
	f.Add([]byte{3, 17, 3, 0x80, 255, 9, 200, 40, 127})
	f.Add([]byte{24, 1, 4, 0x27, 50})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 5 {
			return
		}
		w, h := int(data[0])%25, int(data[1])%25
		pix := data[5:]
		at := func(i int) color.NRGBA {
			if len(pix) < 4 {
				return color.NRGBA{uint8(i * 31), uint8(i * 17), uint8(i * 7), uint8(i * 53)}
			}
			j := 4 * (i % (len(pix) / 4))
			return color.NRGBA{pix[j], pix[j+1], pix[j+2], pix[j+3]}
		}
		src := image.NewNRGBA(image.Rect(0, 0, w, h))
		for i := 0; i < w*h; i++ {
			src.SetNRGBA(i%w, i/w, at(i))
		}
		var img image.Image = src
		switch data[2] % 6 {
		case 1:
			img = toRGBA(src)
		case 2:
			img = toNRGBA64(src)
		case 3:
			img = atOnly{src}
		case 4:
			g := image.NewGray(src.Rect)
			for i := range g.Pix {
				g.Pix[i] = src.Pix[4*i]
			}
			img = g
		case 5:
			if w > 2 && h > 2 {
				img = src.SubImage(image.Rect(1, 1, w-1, h-1))
			}
		}
		o := DefaultOptions()
		ob := data[3]
		o.Threshold = Threshold(float64(data[4]) / 255)
		if ob&1 != 0 {
			o.Threshold = ThresholdAuto
		}
		if ob&2 != 0 {
			o.Color = ColorAuto
		}
		if ob&4 != 0 {
			o.Background = "#fff"
		}
		o.Invert = ob&8 != 0
		o.MaxSide = int(ob >> 4)

		var tr Tracer
		p, err := tr.Prepare(context.Background(), img, o)
		require.NoError(t, err)
		r := img.Bounds()
		tw, th := targetSize(r.Dx(), r.Dy(), o.MaxSide)
		require.Equal(t, [2]int{tw, th}, [2]int{p.Bitmap.Width, p.Bitmap.Height})
		require.Equal(t, [2]int{r.Dx(), r.Dy()}, [2]int{p.ImageWidth, p.ImageHeight})
		requirePaddingClear(t, p.Bitmap)
		require.True(t, p.Threshold.valid() && p.Threshold != ThresholdAuto, "threshold %v", p.Threshold)
		_, ok := parseHexColor(p.Color)
		require.True(t, ok, p.Color)
		require.Contains(t, []Mode{ModeLuminance, ModeSilhouette, ModeInk}, p.Mode)
		if o.Background == "" && tw == r.Dx() && th == r.Dy() {
			for y := 0; y < th; y++ {
				for x := 0; x < tw; x++ {
					if p.Bitmap.Black(x, y) {
						_, _, _, a := img.At(r.Min.X+x, r.Min.Y+y).RGBA()
						require.GreaterOrEqual(t, a, uint32(alphaHalf), "transparent pixel (%d, %d) is black", x, y)
					}
				}
			}
		}
		res, err := tr.TracePrepared(context.Background(), p, o)
		require.NoError(t, err)
		requireWellFormedXML(t, res.SVG())
		// The resolved options reproduce the bitmap.
		q, err := tr.Prepare(context.Background(), img, res.Options)
		require.NoError(t, err)
		require.True(t, bitmapsEqual(p.Bitmap, q.Bitmap))
	})
}
