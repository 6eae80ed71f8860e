package tracecore

import (
	"context"
	"image"
	"image/color"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTraceImage(t *testing.T) {
	t.Run("SVGHeader", func(t *testing.T) {
		// width and height are the image's size, the viewBox the traced
		// bitmap's; a Result of a bitmap (ImageWidth 0) has them equal.
		bm := bitmapFromRows(t, "##", "##")
		res := traceWith(t, bm, func(o *Options) { o.AlphaMax, o.TurdSize = 0, 0 })
		const d = `<path fill="#000000" d="M0,1v1h2v-2h-2z"/></svg>`
		require.Equal(t, svgOpen+`width="2" height="2" viewBox="0 0 2 2">`+d, string(res.SVG()))
		res.ImageWidth, res.ImageHeight = 2, 2
		require.Equal(t, svgOpen+`width="2" height="2" viewBox="0 0 2 2">`+d, string(res.SVG()))
		res.ImageWidth, res.ImageHeight = 300, 200
		require.Equal(t, svgOpen+`width="300" height="200" viewBox="0 0 2 2">`+d, string(res.SVG()))
		// Only both sizes together replace the bitmap's.
		res.ImageHeight = 0
		require.Equal(t, svgOpen+`width="2" height="2" viewBox="0 0 2 2">`+d, string(res.SVG()))
	})

	t.Run("Downscaled", func(t *testing.T) {
		img := logo(300, 200, 90, color.NRGBA{20, 40, 60, 0})
		o := DefaultOptions()
		o.MaxSide, o.Threshold, o.Color = 120, ThresholdAuto, ColorAuto
		res, err := TraceImage(context.Background(), img, o)
		require.NoError(t, err)
		require.Equal(t, [4]int{120, 80, 300, 200}, [4]int{res.Width, res.Height, res.ImageWidth, res.ImageHeight})
		svg := string(res.SVG())
		require.Regexp(t, `^<svg xmlns="http://www.w3.org/2000/svg" width="300" height="200" viewBox="0 0 120 80"><path fill="#14283c" d="M`, svg)
		// The options in the Result are resolved: given back, they give
		// the same SVG.
		require.NotEqual(t, ThresholdAuto, res.Options.Threshold)
		require.Equal(t, "#14283c", res.Options.Color)
		again, err := TraceImage(context.Background(), img, res.Options)
		require.NoError(t, err)
		require.Equal(t, svg, string(again.SVG()))
		// One path, a circle of radius 90·0.4 = 36 traced pixels.
		require.Len(t, res.Paths, 1)
		require.InDelta(t, 3.14159*36*36, math.Abs(pathArea(res.Paths[0])), 3.14159*36*36*0.03)
	})

	t.Run("FullSizeMatchesBitmap", func(t *testing.T) {
		// At full size an opaque image traces like its bitmap, the SVG
		// byte for byte the same.
		want := disc(t, 20)
		img := image.NewGray(image.Rect(0, 0, want.Width, want.Height))
		for y := 0; y < want.Height; y++ {
			for x := 0; x < want.Width; x++ {
				if !want.Black(x, y) {
					img.SetGray(x, y, color.Gray{230})
				}
			}
		}
		res, err := TraceImage(context.Background(), img, DefaultOptions())
		require.NoError(t, err)
		ref := traceWith(t, want, func(*Options) {})
		require.Equal(t, string(ref.SVG()), string(res.SVG()))
	})

	t.Run("Invert", func(t *testing.T) {
		// Invert swaps after thresholding: the transparent surroundings of
		// a logo become the shape, the logo a hole.
		img := logo(40, 30, 12, color.NRGBA{255, 255, 255, 0})
		o := DefaultOptions()
		o.Invert = true
		res, err := TraceImage(context.Background(), img, o)
		require.NoError(t, err)
		require.Len(t, res.Paths, 2)
		require.False(t, res.Paths[0].Hole)
		require.True(t, res.Paths[1].Hole)
		require.Equal(t, 40*30, res.Paths[0].Area)
	})

	t.Run("Placeholder", func(t *testing.T) {
		img := logo(1600, 1000, 400, color.NRGBA{200, 40, 40, 0})
		res, err := TraceImage(context.Background(), img, PlaceholderOptions())
		require.NoError(t, err)
		require.Equal(t, [4]int{400, 250, 1600, 1000}, [4]int{res.Width, res.Height, res.ImageWidth, res.ImageHeight})
		require.Equal(t, "#c82828", res.Options.Color)
		require.Regexp(t, `^<svg xmlns="http://www.w3.org/2000/svg" width="1600" height="1000" viewBox="0 0 400 250"><path fill="#c82828" d="M\d+,\d+[^.]*"/></svg>$`, string(res.SVG()))
	})
}

func TestRawPixels(t *testing.T) {
	t.Run("RGBA", func(t *testing.T) {
		pix := []byte{
			0, 0, 0, 255, 255, 255, 255, 255, 9, 9, 9, 0,
			1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
		}
		m, err := FromRGBA(pix, 3, 2, 0)
		require.NoError(t, err)
		require.Equal(t, image.Rect(0, 0, 3, 2), m.Bounds())
		require.Equal(t, color.NRGBA{5, 6, 7, 8}, m.NRGBAAt(1, 1))
		pix[0] = 77 // shared, not copied
		require.Equal(t, uint8(77), m.NRGBAAt(0, 0).R)
		// Straight alpha: transparent pixels are not black, whatever
		// colour they hold.
		bm, err := FromImage(m, 0.5, 0)
		require.NoError(t, err)
		require.Equal(t, []string{"#..", "..."}, bitmapRows(bm))
	})

	t.Run("Gray", func(t *testing.T) {
		img, err := FromGray([]byte{0, 255, 100, 200}, 2, 2, 0)
		require.NoError(t, err)
		o := DefaultOptions()
		o.TurdSize = 0
		res, err := TraceImage(context.Background(), img, o)
		require.NoError(t, err)
		require.Equal(t, 2, res.Paths[0].Area)
	})

	t.Run("Invalid", func(t *testing.T) {
		for _, tt := range []struct {
			pix     []byte
			w, h    int
			max     int64
			wantErr error
		}{
			{nil, -1, 1, 0, ErrInvalidInput},
			{make([]byte, 15), 2, 2, 0, ErrInvalidInput},
			{make([]byte, 17), 2, 2, 0, ErrInvalidInput},
			{make([]byte, 1), 0, 5, 0, ErrInvalidInput},
			{make([]byte, 16), 1 << 40, 1 << 40, 0, ErrTooLarge}, // the product would overflow
			{make([]byte, 16), 2, 2, 3, ErrTooLarge},
		} {
			m, err := FromRGBA(tt.pix, tt.w, tt.h, tt.max)
			require.ErrorIs(t, err, tt.wantErr, "%d×%d, %d bytes", tt.w, tt.h, len(tt.pix))
			require.Nil(t, m)
			require.True(t, strings.HasPrefix(err.Error(), "rgba: "), err.Error())
		}
		g, err := FromGray(make([]byte, 5), 2, 2, 0)
		require.ErrorIs(t, err, ErrInvalidInput)
		require.Nil(t, g)
		g, err = FromGray(nil, 0, 5, 0)
		require.NoError(t, err)
		require.Equal(t, 0, g.Bounds().Dx())
	})
}
