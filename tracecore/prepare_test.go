package tracecore

import (
	"context"
	"errors"
	"image"
	"image/color"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// logo draws a disc of radius r (in pixels, centred in a w×h image) in ink
// on transparency, its edge anti-aliased in alpha only, as logo exporters do:
// the straight colour is ink everywhere inside and around the disc. Pixels
// far outside are transparent with junk colour, which must not matter.
func logo(w, h, r int, ink color.NRGBA) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	cx, cy := w, h // doubled: pixel centres are at 2x+1
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			dx, dy := 2*x+1-cx, 2*y+1-cy
			d2 := dx*dx + dy*dy // 4× the squared distance
			in, out := 4*(r-1)*(r-1), 4*(r+1)*(r+1)
			c := ink
			switch {
			case d2 <= in:
				c.A = 255
			case d2 >= out:
				c = color.NRGBA{uint8(x * 37), uint8(y * 91), 200, 0}
			default: // a linear ramp over the two-pixel edge
				c.A = uint8(255 * (out - d2) / (out - in))
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

// alphaMask is the bitmap of the pixels of img at least half opaque.
func alphaMask(t testing.TB, img *image.NRGBA) *Bitmap {
	r := img.Bounds()
	bm, err := NewBitmap(r.Dx(), r.Dy(), 0)
	require.NoError(t, err)
	for y := 0; y < r.Dy(); y++ {
		for x := 0; x < r.Dx(); x++ {
			bm.Set(x, y, img.NRGBAAt(x, y).A >= 128)
		}
	}
	return bm
}

func prepared(t testing.TB, img image.Image, set func(*Options)) *Prepared {
	t.Helper()
	o := DefaultOptions()
	set(&o)
	p, err := Prepare(context.Background(), img, o)
	require.NoError(t, err)
	requirePaddingClear(t, p.Bitmap)
	return p
}

func TestPrepare(t *testing.T) {
	fixed := func(th Threshold) func(*Options) { return func(o *Options) { o.Threshold = th } }
	auto := fixed(ThresholdAuto)

	t.Run("Transparency", func(t *testing.T) {
		white := logo(40, 30, 12, color.NRGBA{255, 255, 255, 0})
		black := logo(40, 30, 12, color.NRGBA{0, 0, 0, 0})
		grey := logo(40, 30, 12, color.NRGBA{128, 128, 128, 0})
		red := logo(40, 30, 12, color.NRGBA{200, 30, 30, 0})
		mask := alphaMask(t, white)
		require.Greater(t, mask.Count(), 300)
		tests := []struct {
			name string
			img  image.Image
			set  func(*Options)
			mode Mode
			want *Bitmap
		}{
			// A logo on transparency traces to its shape whatever its
			// colour and the threshold: one tone, so the silhouette.
			{"WhiteOnTransparent", white, fixed(0.5), ModeSilhouette, mask},
			{"WhiteOnTransparentAuto", white, auto, ModeSilhouette, mask},
			{"BlackOnTransparent", black, fixed(0.5), ModeSilhouette, mask},
			{"BlackOnTransparentAuto", black, auto, ModeSilhouette, mask},
			{"GreyOnTransparent", grey, fixed(0.5), ModeSilhouette, mask},
			{"RedOnTransparentAuto", red, auto, ModeSilhouette, mask},
			{"WhiteThreshold0", white, fixed(0), ModeSilhouette, mask},
			{"BlackThreshold1", black, fixed(1), ModeSilhouette, mask},
			// Through the other image types too.
			{"RGBA", toRGBA(white), fixed(0.5), ModeSilhouette, mask},
			{"NRGBA64", toNRGBA64(black), auto, ModeSilhouette, mask},
			{"At", atOnly{white}, auto, ModeSilhouette, mask},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				p := prepared(t, tt.img, tt.set)
				require.Equal(t, tt.mode, p.Mode)
				require.Equal(t, bitmapRows(tt.want), bitmapRows(p.Bitmap))
			})
		}
	})

	t.Run("AlphaEdges", func(t *testing.T) {
		// Alpha 127 is transparent, 128 visible (2·128 ≥ 255), whatever
		// the colour; premultiplied and straight colour alike.
		img := image.NewNRGBA(image.Rect(0, 0, 6, 1))
		for x, a := range []uint8{0, 1, 127, 128, 200, 255} {
			img.SetNRGBA(x, 0, color.NRGBA{0, 0, 0, a})
		}
		require.Equal(t, []string{"...###"}, bitmapRows(prepared(t, img, fixed(0.5)).Bitmap))
		require.Equal(t, []string{"...###"}, bitmapRows(prepared(t, toRGBA(img), fixed(0.5)).Bitmap))
		require.Equal(t, []string{"...###"}, bitmapRows(prepared(t, toNRGBA64(img), fixed(0.5)).Bitmap))
		// 16-bit alpha: 0x7fff is under half, 0x8000 at it.
		img16 := image.NewNRGBA64(image.Rect(0, 0, 3, 1))
		for x, a := range []uint16{0, 0x7fff, 0x8000} {
			img16.SetNRGBA64(x, 0, color.NRGBA64{A: a})
		}
		require.Equal(t, []string{"..#"}, bitmapRows(prepared(t, img16, fixed(0.5)).Bitmap))
	})

	t.Run("StraightColour", func(t *testing.T) {
		// Luminance is of the straight colour: a half-transparent white is
		// white, not the grey it would be composited over black. Here a
		// white logo has a dark eye of 12 pixels (two tones, so the ink
		// rule), drawn with half-transparent white and dark pixels.
		img := image.NewRGBA(image.Rect(0, 0, 8, 8))
		for y := 1; y < 7; y++ {
			for x := 1; x < 7; x++ {
				img.SetRGBA(x, y, color.RGBA{160, 160, 160, 160}) // white at alpha 160, premultiplied
			}
		}
		for y := 2; y < 5; y++ {
			for x := 2; x < 6; x++ {
				img.SetRGBA(x, y, color.RGBA{20, 20, 20, 160}) // straight 31.9: dark
			}
		}
		p := prepared(t, img, fixed(0.5))
		require.Equal(t, ModeInk, p.Mode)
		require.Equal(t, []string{
			"........",
			"........",
			"..####..",
			"..####..",
			"..####..",
			"........",
			"........",
			"........",
		}, bitmapRows(p.Bitmap))
	})

	t.Run("TwoTones", func(t *testing.T) {
		// A black icon with white details covering 1/32 of it or more is
		// traced as if on white paper: the details are holes. Below 1/32
		// they are fringes and the silhouette is traced.
		icon := func(detail int) *image.NRGBA {
			// A 32×32 black square (1024 visible pixels) on transparency,
			// its first detail pixels (row by row) white.
			img := image.NewNRGBA(image.Rect(0, 0, 34, 34))
			for i := range 1024 {
				c := color.NRGBA{0, 0, 0, 255}
				if i < detail {
					c = color.NRGBA{255, 255, 255, 255}
				}
				img.SetNRGBA(1+i%32, 1+i/32, c)
			}
			return img
		}
		for _, tt := range []struct {
			detail int
			mode   Mode
		}{
			{0, ModeSilhouette},
			{31, ModeSilhouette}, // under 1/32: a fringe
			{32, ModeInk},        // exactly 1/32
			{256, ModeInk},
			{512, ModeInk},
			{1024 - 32, ModeInk},        // mostly white with 32 black: still two tones
			{1024 - 31, ModeSilhouette}, // now the black is the fringe
			{1024, ModeSilhouette},
		} {
			for _, th := range []Threshold{0.5, ThresholdAuto} {
				p := prepared(t, icon(tt.detail), fixed(th))
				require.Equal(t, tt.mode, p.Mode, "detail %d, threshold %v", tt.detail, th)
				holes := 1024 - p.Bitmap.Count()
				if tt.mode == ModeInk {
					require.Equal(t, tt.detail, holes, "the white details are holes")
				} else {
					require.Zero(t, holes, "the silhouette is whole")
				}
			}
		}
		// The light tone is paper only when near-white: a logo of several
		// colours (here four bands, like OpenCV's red, green and blue rings
		// and black lettering) is traced whole, at any threshold.
		bands := func(light color.NRGBA) *image.NRGBA {
			img := image.NewNRGBA(image.Rect(0, 0, 42, 12))
			for y := 1; y < 11; y++ {
				for x := 1; x < 41; x++ {
					c := []color.NRGBA{{255, 0, 0, 255}, light, {0, 0, 255, 255}, {0, 0, 0, 255}}[(x-1)/10]
					img.SetNRGBA(x, y, c)
				}
			}
			return img
		}
		for _, tt := range []struct {
			light color.NRGBA
			mode  Mode
		}{
			{color.NRGBA{0, 255, 0, 255}, ModeSilhouette},        // green, level 149
			{color.NRGBA{0xff, 0xeb, 0x3b, 255}, ModeSilhouette}, // yellow, 221
			{color.NRGBA{0xcc, 0xcc, 0xcc, 255}, ModeSilhouette}, // light grey, 204
			{color.NRGBA{0xe6, 0xe6, 0xe6, 255}, ModeInk},        // 230: paper
			{color.NRGBA{255, 255, 255, 255}, ModeInk},
		} {
			for _, th := range []Threshold{0.5, ThresholdAuto} {
				p := prepared(t, bands(tt.light), fixed(th))
				require.Equal(t, tt.mode, p.Mode, "%v at threshold %v", tt.light, th)
				if tt.mode == ModeSilhouette {
					require.Equal(t, 400, p.Bitmap.Count())
				} else {
					require.False(t, p.Bitmap.Black(15, 5), "the white band is paper")
				}
			}
		}

		// Light ink with a little dark: the silhouette again, both ways.
		img := logo(40, 40, 15, color.NRGBA{255, 255, 255, 0})
		img.SetNRGBA(20, 20, color.NRGBA{0, 0, 0, 255})
		p := prepared(t, img, auto)
		require.Equal(t, ModeSilhouette, p.Mode)
		require.True(t, p.Bitmap.Black(20, 20))
	})

	t.Run("Background", func(t *testing.T) {
		white := logo(40, 30, 12, color.NRGBA{255, 255, 255, 0})
		black := logo(40, 30, 12, color.NRGBA{0, 0, 0, 0})
		mask := alphaMask(t, white)
		inverse := mask.Clone()
		inverse.Invert()
		bg := func(c string, th Threshold) func(*Options) {
			return func(o *Options) { o.Background, o.Threshold = c, th }
		}
		for _, tt := range []struct {
			name string
			img  image.Image
			set  func(*Options)
			want *Bitmap
		}{
			// Composited, the image is opaque and thresholded as such.
			{"BlackOnWhite", black, bg("#fff", 0.5), mask},
			{"WhiteOnBlack", white, bg("#000", 0.5), inverse},
			{"WhiteOnWhite", white, bg("#FFF", 0.5), emptyLike(mask)},
			{"BlackOnBlack", black, bg("#000000", 0.5), fullLike(mask)},
			{"WhiteOnBlackInverted", white, func(o *Options) { bg("#000", 0.5)(o); o.Invert = true }, inverse}, // Trace inverts, not Prepare
		} {
			t.Run(tt.name, func(t *testing.T) {
				p := prepared(t, tt.img, tt.set)
				require.Equal(t, ModeLuminance, p.Mode)
				require.Equal(t, bitmapRows(tt.want), bitmapRows(p.Bitmap))
			})
		}
		// Exact compositing: black at alpha 128 over white is grey 127,
		// white at threshold 127/255 and black at 128/255.
		img := image.NewNRGBA(image.Rect(0, 0, 1, 1))
		img.SetNRGBA(0, 0, color.NRGBA{0, 0, 0, 128})
		require.False(t, prepared(t, img, bg("#fff", 127.0/255)).Bitmap.Black(0, 0))
		require.True(t, prepared(t, img, bg("#fff", 128.0/255)).Bitmap.Black(0, 0))
		// Transparent over red: red's luminance, 19595/65536 of full scale.
		img.SetNRGBA(0, 0, color.NRGBA{0, 0, 0, 0})
		require.False(t, prepared(t, img, bg("#f00", 19595.0/65536)).Bitmap.Black(0, 0))
		require.True(t, prepared(t, img, bg("#f00", 19596.0/65536)).Bitmap.Black(0, 0))
		// Automatic threshold on the composited image: the anti-aliased
		// edge may fall either way, the rest is the shape.
		p := prepared(t, black, bg("#fff", ThresholdAuto))
		require.Equal(t, ModeLuminance, p.Mode)
		require.InDelta(t, mask.Count(), p.Bitmap.Count(), 80)
		// Downscaled, composited before averaging.
		p = prepared(t, black, func(o *Options) { bg("#fff", 0.5)(o); o.MaxSide = 20 })
		require.Equal(t, [2]int{20, 15}, [2]int{p.Bitmap.Width, p.Bitmap.Height})
		require.Equal(t, ModeLuminance, p.Mode)
	})

	t.Run("NothingVisible", func(t *testing.T) {
		img := image.NewNRGBA(image.Rect(0, 0, 10, 10)) // all transparent black
		for _, th := range []Threshold{0, 0.5, 1, ThresholdAuto} {
			p := prepared(t, img, fixed(th))
			require.Zero(t, p.Bitmap.Count())
			require.Equal(t, ModeSilhouette, p.Mode)
		}
		p := prepared(t, img, func(o *Options) { o.Threshold, o.Color = ThresholdAuto, ColorAuto })
		require.Equal(t, Threshold(128.0/255), p.Threshold)
		require.Equal(t, "#000000", p.Color)
	})

	t.Run("AutoThreshold", func(t *testing.T) {
		// Grey 150 and grey 230 halves, both light: Otsu splits between
		// them, at the middle of the empty levels 151…230: 191/255.
		img := image.NewGray(image.Rect(0, 0, 20, 10))
		for i := range img.Pix {
			img.Pix[i] = 150
			if i%20 >= 12 {
				img.Pix[i] = 230
			}
		}
		p := prepared(t, img, auto)
		require.Equal(t, Threshold(191.0/255), p.Threshold)
		require.Equal(t, 12*10, p.Bitmap.Count())
		// The fixed 0.5 finds nothing dark.
		require.Zero(t, prepared(t, img, fixed(0.5)).Bitmap.Count())
		// Given back as a fixed threshold, the chosen one gives the same bitmap.
		q := prepared(t, img, fixed(p.Threshold))
		require.True(t, bitmapsEqual(p.Bitmap, q.Bitmap))
		// A uniform image has nothing to split: 128/255, dark is all black,
		// light all white.
		for _, v := range []uint8{0, 127, 128, 255} {
			u := image.NewGray(image.Rect(0, 0, 5, 5))
			for i := range u.Pix {
				u.Pix[i] = v
			}
			p := prepared(t, u, auto)
			require.Equal(t, Threshold(128.0/255), p.Threshold)
			require.Equal(t, map[bool]int{true: 25, false: 0}[v < 128], p.Bitmap.Count(), "grey %d", v)
		}
		// Only the visible pixels count: transparent black around a dark
		// and a white region (two tones) does not move the split.
		a := image.NewNRGBA(image.Rect(0, 0, 30, 10))
		for y := 0; y < 10; y++ {
			for x := 0; x < 30; x++ {
				c := color.NRGBA{0, 0, 0, 0}
				switch {
				case x < 5:
					c = color.NRGBA{20, 20, 20, 255}
				case x < 10:
					c = color.NRGBA{250, 250, 250, 255}
				}
				a.SetNRGBA(x, y, c)
			}
		}
		p = prepared(t, a, auto)
		require.Equal(t, ModeInk, p.Mode)
		require.Equal(t, Threshold(136.0/255), p.Threshold) // middle of 21…250
		require.Equal(t, 50, p.Bitmap.Count())
	})

	t.Run("Downscaled", func(t *testing.T) {
		// A 300×200 black-on-white disc traced at 120 pixels keeps its
		// aspect ratio and its area's fraction.
		img := image.NewGray(image.Rect(0, 0, 300, 200))
		n := 0
		for y := 0; y < 200; y++ {
			for x := 0; x < 300; x++ {
				dx, dy := x-150, y-100
				v := uint8(255)
				if dx*dx+dy*dy < 80*80 {
					v, n = 0, n+1
				}
				img.Pix[y*300+x] = v
			}
		}
		p := prepared(t, img, func(o *Options) { o.MaxSide = 120 })
		require.Equal(t, [4]int{120, 80, 300, 200}, [4]int{p.Bitmap.Width, p.Bitmap.Height, p.ImageWidth, p.ImageHeight})
		require.InDelta(t, float64(n)/(300*200), float64(p.Bitmap.Count())/(120*80), 0.01)
		// Every image type holding the same pixels gives the same bitmap.
		g := append([]uint8(nil), img.Pix...)
		for name, im := range greyImages(g, nil, 300, 200) {
			q := prepared(t, im, func(o *Options) { o.MaxSide = 120; o.Threshold = ThresholdAuto })
			r := prepared(t, img, func(o *Options) { o.MaxSide = 120; o.Threshold = ThresholdAuto })
			require.True(t, bitmapsEqual(r.Bitmap, q.Bitmap), name)
			require.Equal(t, r.Threshold, q.Threshold, name)
		}
		// Sub-images are read at their own bounds.
		sub := img.SubImage(image.Rect(100, 50, 250, 150)).(*image.Gray)
		p = prepared(t, sub, func(o *Options) { o.MaxSide = 30 })
		require.Equal(t, [4]int{30, 20, 150, 100}, [4]int{p.Bitmap.Width, p.Bitmap.Height, p.ImageWidth, p.ImageHeight})
	})

	t.Run("ImageTypesAgreeWithAlpha", func(t *testing.T) {
		img := logo(50, 37, 15, color.NRGBA{30, 60, 90, 0})
		g := make([]uint8, 50*37)
		as := make([]uint8, 50*37)
		for i := range g {
			c := img.NRGBAAt(i%50, i/50)
			g[i], as[i] = uint8(i*7), c.A // a grey ramp under the logo's alpha
		}
		for _, maxSide := range []int{0, 20, 7} {
			var ref *Prepared
			for name, im := range greyImages(g, as, 50, 37) {
				p := prepared(t, im, func(o *Options) { o.MaxSide = maxSide; o.Threshold = ThresholdAuto })
				if ref == nil {
					ref = p
					continue
				}
				require.True(t, bitmapsEqual(ref.Bitmap, p.Bitmap), "%s at max side %d", name, maxSide)
				require.Equal(t, ref.Threshold, p.Threshold, name)
				require.Equal(t, ref.Mode, p.Mode, name)
			}
		}
	})

	t.Run("Invalid", func(t *testing.T) {
		img := image.NewGray(image.Rect(0, 0, 2, 2))
		for _, set := range []func(*Options){
			func(o *Options) { o.Threshold = 2 },
			func(o *Options) { o.MaxSide = -1 },
			func(o *Options) { o.Background = "red" },
			func(o *Options) { o.Color = "AUTO" },
		} {
			o := DefaultOptions()
			set(&o)
			_, err := Prepare(context.Background(), img, o)
			require.ErrorIs(t, err, ErrInvalidOptions)
			_, err = TraceImage(context.Background(), img, o)
			require.ErrorIs(t, err, ErrInvalidOptions)
		}
		_, err := Prepare(context.Background(), nil, DefaultOptions())
		require.ErrorIs(t, err, ErrInvalidInput)
		var tr Tracer
		_, err = tr.TracePrepared(context.Background(), nil, DefaultOptions())
		require.ErrorIs(t, err, ErrInvalidInput)
	})

	t.Run("TooLargeBeforeAllocation", func(t *testing.T) {
		// Checked before a pixel is read or a row allocated, downscaled
		// or not.
		for _, maxSide := range []int{0, 400} {
			o := DefaultOptions()
			o.MaxSide = maxSide
			huge := hugeImage{image.Rect(-5, -5, 1<<30, 1<<30)}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := Prepare(context.Background(), huge, o)
			runtime.ReadMemStats(&after)
			require.ErrorIs(t, err, ErrTooLarge)
			require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20), "allocated before refusing")
			_, err = TraceImage(context.Background(), huge, o)
			require.ErrorIs(t, err, ErrTooLarge)
			// Over the caller's limit: refused; at it, read (and this image panics).
			o.MaxPixels = 99
			_, err = Prepare(context.Background(), hugeImage{image.Rect(0, 0, 10, 10)}, o)
			require.ErrorIs(t, err, ErrTooLarge)
			o.MaxPixels = 100
			require.PanicsWithValue(t, "hugeImage.At called", func() {
				_, _ = Prepare(context.Background(), hugeImage{image.Rect(0, 0, 10, 10)}, o)
			})
			_, err = Prepare(context.Background(), hugeImage{image.Rectangle{Min: image.Pt(5, 5), Max: image.Pt(0, 9)}}, o)
			require.ErrorIs(t, err, ErrInvalidInput)
		}
	})

	t.Run("Empty", func(t *testing.T) {
		for _, r := range []image.Rectangle{image.Rect(0, 0, 0, 0), image.Rect(3, 3, 3, 10), image.Rect(3, 3, 10, 3)} {
			p := prepared(t, image.NewNRGBA(r), func(o *Options) { o.MaxSide = 4; o.Color = ColorAuto; o.Threshold = ThresholdAuto })
			require.Zero(t, p.Bitmap.Count())
			require.Equal(t, "#000000", p.Color)
			res, err := TraceImage(context.Background(), image.NewNRGBA(r), DefaultOptions())
			require.NoError(t, err)
			require.Empty(t, res.Paths)
		}
	})

	t.Run("CancellationAndProgress", func(t *testing.T) {
		img := logo(300, 200, 90, color.NRGBA{0, 0, 0, 0})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := Prepare(ctx, img, DefaultOptions())
		require.ErrorIs(t, err, context.Canceled)

		// Cancelled from the progress callback, part way through.
		ctx, cancel = context.WithCancel(context.Background())
		defer cancel()
		tr := Tracer{OnProgress: func(s Stage, f float64) {
			if s == StagePrepare && f > 0.3 {
				cancel()
			}
		}}
		o := DefaultOptions()
		o.MaxSide, o.Threshold, o.Color = 100, ThresholdAuto, ColorAuto
		_, err = tr.TraceImage(ctx, img, o)
		require.ErrorIs(t, err, context.Canceled)
		require.True(t, strings.HasPrefix(err.Error(), "prepare: "), err.Error())

		// Progress: prepare from 0 to 1, never backwards, then the trace's stages.
		var stages []Stage
		var fractions []float64
		tr = Tracer{OnProgress: func(s Stage, f float64) {
			if s == StagePrepare {
				fractions = append(fractions, f)
			}
			if len(stages) == 0 || stages[len(stages)-1] != s {
				stages = append(stages, s)
			}
		}}
		big := logo(1000, 600, 250, color.NRGBA{0, 0, 0, 0})
		_, err = tr.TraceImage(context.Background(), big, o)
		require.NoError(t, err)
		require.Equal(t, []Stage{StagePrepare, StageDecompose, StagePolygon, StageSmooth, StageOptimize}, stages)
		require.Greater(t, len(fractions), 10)
		require.Zero(t, fractions[0])
		require.Equal(t, 1.0, fractions[len(fractions)-1])
		for i := 1; i < len(fractions); i++ {
			require.GreaterOrEqual(t, fractions[i], fractions[i-1])
		}
		// The Tracer is reusable afterwards.
		_, err = tr.TraceImage(context.Background(), img, o)
		require.NoError(t, err)
		require.False(t, errors.Is(err, context.Canceled))
	})
}

func emptyLike(b *Bitmap) *Bitmap {
	e, _ := NewBitmap(b.Width, b.Height, 0)
	return e
}

func fullLike(b *Bitmap) *Bitmap {
	e := emptyLike(b)
	e.Invert()
	return e
}

func toRGBA(m *image.NRGBA) *image.RGBA {
	r := image.NewRGBA(m.Bounds())
	for y := m.Rect.Min.Y; y < m.Rect.Max.Y; y++ {
		for x := m.Rect.Min.X; x < m.Rect.Max.X; x++ {
			r.Set(x, y, m.At(x, y))
		}
	}
	return r
}

func toNRGBA64(m *image.NRGBA) *image.NRGBA64 {
	r := image.NewNRGBA64(m.Bounds())
	for y := m.Rect.Min.Y; y < m.Rect.Max.Y; y++ {
		for x := m.Rect.Min.X; x < m.Rect.Max.X; x++ {
			c := m.NRGBAAt(x, y)
			r.SetNRGBA64(x, y, color.NRGBA64{uint16(c.R) * 257, uint16(c.G) * 257, uint16(c.B) * 257, uint16(c.A) * 257})
		}
	}
	return r
}

// TestReduced traces a copy of an image at half its size as the image
// itself: the result has the full image's size and is traced at the size
// MaxSide gives the full image, from the copy's pixels.
func TestReduced(t *testing.T) {
	// 240×160 of 2×2 blocks, and its exact half-size copy.
	full := image.NewGray(image.Rect(0, 0, 240, 160))
	half := image.NewGray(image.Rect(0, 0, 120, 80))
	for y := range 80 {
		for x := range 120 {
			v := uint8((x*x + 3*y*y) / 40 % 256)
			half.Pix[y*half.Stride+x] = v
			for _, d := range [4][2]int{{0, 0}, {1, 0}, {0, 1}, {1, 1}} {
				full.Pix[(2*y+d[1])*full.Stride+2*x+d[0]] = v
			}
		}
	}
	for _, tt := range []struct {
		name         string
		maxSide      int
		traceW, trcH int
	}{
		{"Downscaled", 60, 60, 40},     // 240 → 60: the copy is downscaled further
		{"CopySize", 120, 120, 80},     // exactly the copy
		{"LargerThanCopy", 0, 120, 80}, // full size asked: the copy is all there is
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := DefaultOptions()
			o.MaxSide, o.Threshold, o.Steps = tt.maxSide, 0.5, 0
			red, err := TraceImage(t.Context(), &Reduced{Image: half, Width: 240, Height: 160}, o)
			require.NoError(t, err)
			require.Equal(t, [4]int{240, 160, tt.traceW, tt.trcH}, [4]int{red.ImageWidth, red.ImageHeight, red.Width, red.Height})
			require.Contains(t, string(red.SVG()), `width="240" height="160" viewBox="0 0 `+strconv.Itoa(tt.traceW)+" "+strconv.Itoa(tt.trcH)+`"`)
			if tt.maxSide == 0 {
				return
			}
			whole, err := TraceImage(t.Context(), full, o)
			require.NoError(t, err)
			require.Equal(t, string(whole.SVG()), string(red.SVG()), "the copy traces as the image")

			o.Steps = 3 // posterized likewise
			red, err = TraceImage(t.Context(), &Reduced{Image: half, Width: 240, Height: 160}, o)
			require.NoError(t, err)
			whole, err = TraceImage(t.Context(), full, o)
			require.NoError(t, err)
			require.Equal(t, string(whole.SVG()), string(red.SVG()))
		})
	}
}
