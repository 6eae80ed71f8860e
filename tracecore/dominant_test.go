package tracecore

import (
	"context"
	"image"
	"image/color"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDominantColour(t *testing.T) {
	autoColour := func(set func(*Options)) func(*Options) {
		return func(o *Options) { o.Color = ColorAuto; set(o) }
	}
	none := func(*Options) {}

	// A 20×10 image: white on the right, dark red ink on the left with
	// some dark blue; the reds vary within one bin (0x90…0x9f, 0x10…0x1f).
	inks := func() *image.NRGBA {
		img := image.NewNRGBA(image.Rect(0, 0, 20, 10))
		for y := 0; y < 10; y++ {
			for x := 0; x < 20; x++ {
				c := color.NRGBA{255, 255, 255, 255}
				switch {
				case x < 3:
					c = color.NRGBA{20, 20, 150, 255}
				case x < 10:
					c = color.NRGBA{uint8(0x90 + x), uint8(0x10 + y), 0x14, 255}
				}
				img.SetNRGBA(x, y, c)
			}
		}
		return img
	}

	t.Run("MostFrequentBinMean", func(t *testing.T) {
		// 70 red samples against 30 blue: red wins, and its colour is the
		// mean of the reds: R 0x90+6 = 0x96, G 0x10+4.5 → 0x15 (rounded
		// half up), B 0x14.
		p := prepared(t, inks(), autoColour(none))
		require.Equal(t, "#961514", p.Color)
		// Deterministic: the same again, and through every image type
		// holding the same colours.
		for range 3 {
			require.Equal(t, "#961514", prepared(t, inks(), autoColour(none)).Color)
		}
		img := inks()
		pal := image.NewPaletted(img.Bounds(), nil)
		index := map[color.NRGBA]uint8{}
		for y := 0; y < 10; y++ {
			for x := 0; x < 20; x++ {
				c := img.NRGBAAt(x, y)
				if _, ok := index[c]; !ok {
					index[c] = uint8(len(pal.Palette))
					pal.Palette = append(pal.Palette, c)
				}
				pal.SetColorIndex(x, y, index[c])
			}
		}
		for name, im := range map[string]image.Image{"RGBA": toRGBA(img), "NRGBA64": toNRGBA64(img), "Paletted": pal, "At": atOnly{img}} {
			require.Equal(t, "#961514", prepared(t, im, autoColour(none)).Color, name)
		}
	})

	t.Run("Ties", func(t *testing.T) {
		// Equal counts: the lowest bin in R, G, B order wins, here blue
		// (bin 0x001) over red (bin 0x100).
		img := image.NewNRGBA(image.Rect(0, 0, 4, 1))
		img.SetNRGBA(0, 0, color.NRGBA{0x10, 0, 0, 255})
		img.SetNRGBA(1, 0, color.NRGBA{0, 0, 0x10, 255})
		img.SetNRGBA(2, 0, color.NRGBA{0x10, 0, 0, 255})
		img.SetNRGBA(3, 0, color.NRGBA{0, 0, 0x10, 255})
		require.Equal(t, "#000010", prepared(t, img, autoColour(none)).Color)
	})

	t.Run("Invert", func(t *testing.T) {
		// Inverted, the traced pixels are the white ones.
		p := prepared(t, inks(), autoColour(func(o *Options) { o.Invert = true }))
		require.Equal(t, "#ffffff", p.Color)
	})

	t.Run("Nothing", func(t *testing.T) {
		img := image.NewGray(image.Rect(0, 0, 3, 3))
		for i := range img.Pix {
			img.Pix[i] = 255
		}
		require.Equal(t, "#000000", prepared(t, img, autoColour(none)).Color)
	})

	t.Run("Transparency", func(t *testing.T) {
		// A white logo on transparency is white; its transparent pixels,
		// whatever they store, are never sampled.
		p := prepared(t, logo(40, 30, 12, color.NRGBA{255, 255, 255, 0}), autoColour(none))
		require.Equal(t, ModeSilhouette, p.Mode)
		require.Equal(t, "#ffffff", p.Color)
		// Composited onto a background, samples are of the composite:
		// red at alpha 128 over white.
		img := image.NewNRGBA(image.Rect(0, 0, 2, 2))
		for i := range 4 {
			img.SetNRGBA(i%2, i/2, color.NRGBA{255, 0, 0, 128})
		}
		p = prepared(t, img, autoColour(func(o *Options) { o.Background, o.Threshold = "#fff", 1 }))
		require.Equal(t, "#ff7f7f", p.Color) // (0·128 + 255·127)/255 = 127
	})

	t.Run("Downscaled", func(t *testing.T) {
		// Each traced pixel samples the source pixel at its centre.
		img := image.NewNRGBA(image.Rect(0, 0, 300, 200))
		for y := 0; y < 200; y++ {
			for x := 0; x < 300; x++ {
				c := color.NRGBA{0xee, 0xee, 0xee, 255}
				if x < 150 {
					c = color.NRGBA{0x20, 0x60, 0x30 + uint8(x%5), 255}
				}
				img.SetNRGBA(x, y, c)
			}
		}
		p := prepared(t, img, autoColour(func(o *Options) { o.MaxSide = 30; o.Threshold = ThresholdAuto }))
		require.Equal(t, 15*20, p.Bitmap.Count())
		// Target column j samples source column (2j+1)·300/60 = 10j+5,
		// whose blue is 0x30 + (10j+5)%5 = 0x30.
		require.Equal(t, "#206030", p.Color)
	})

	t.Run("InResult", func(t *testing.T) {
		o := DefaultOptions()
		o.Color = ColorAuto
		res, err := TraceImage(context.Background(), inks(), o)
		require.NoError(t, err)
		require.Equal(t, "#961514", res.Options.Color)
		require.Contains(t, string(res.SVG()), `<path fill="#961514" d="`)
		// A bitmap has no colours: auto traces black.
		bm := bitmapFromRows(t, "##", "##")
		res, err = Trace(context.Background(), bm, o)
		require.NoError(t, err)
		require.Contains(t, string(res.SVG()), `<path fill="#000000" d="`)
	})
}
