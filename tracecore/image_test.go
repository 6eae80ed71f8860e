package tracecore

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// atOnly hides an image's concrete type, so FromImage takes its At fallback.
type atOnly struct{ image.Image }

// yPlane shows a YCbCr image through At as the grey levels of its Y plane: the
// values FromImage's YCbCr path thresholds.
type yPlane struct{ *image.YCbCr }

func (p yPlane) At(x, y int) color.Color { return color.Gray{Y: p.Y[p.YOffset(x, y)]} }

// hugeImage claims any bounds and panics if a pixel is read.
type hugeImage struct{ r image.Rectangle }

func (h hugeImage) ColorModel() color.Model { return color.GrayModel }
func (h hugeImage) Bounds() image.Rectangle { return h.r }
func (h hugeImage) At(x, y int) color.Color { panic("hugeImage.At called") }

func fromImage(t testing.TB, img image.Image, threshold float64) *Bitmap {
	t.Helper()
	bm, err := FromImage(img, threshold, 0)
	require.NoError(t, err)
	requirePaddingClear(t, bm)
	r := img.Bounds()
	require.Equal(t, r.Dx(), bm.Width)
	require.Equal(t, r.Dy(), bm.Height)
	return bm
}

// randomImages returns images of every type with a fast path, of size w×h at
// origin (ox, oy), filled from rng. Grey levels and colour channels favour the
// extremes and the middle so that thresholds are crossed often.
func randomImages(rng *rand.Rand, w, h, ox, oy int) map[string]image.Image {
	r := image.Rect(ox, oy, ox+w, oy+h)
	byteVal := func() uint8 {
		switch rng.IntN(5) {
		case 0:
			return 0
		case 1:
			return 255
		case 2:
			return uint8(126 + rng.IntN(4))
		}
		return uint8(rng.IntN(256))
	}
	fill := func(pix []uint8) {
		for i := range pix {
			pix[i] = byteVal()
		}
	}
	imgs := map[string]image.Image{}

	g := image.NewGray(r)
	fill(g.Pix)
	imgs["Gray"] = g

	rgba := image.NewRGBA(r)
	fill(rgba.Pix)
	imgs["RGBA"] = rgba

	nrgba := image.NewNRGBA(r)
	fill(nrgba.Pix)
	imgs["NRGBA"] = nrgba

	for _, ratio := range []image.YCbCrSubsampleRatio{
		image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420,
		image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410,
	} {
		y := image.NewYCbCr(r, ratio)
		fill(y.Y)
		fill(y.Cb)
		fill(y.Cr)
		imgs["YCbCr"+ratio.String()] = y
	}

	pal := make(color.Palette, 1+rng.IntN(256))
	for i := range pal {
		switch rng.IntN(4) {
		case 0:
			pal[i] = color.Gray{Y: byteVal()}
		case 1:
			pal[i] = color.NRGBA{R: byteVal(), G: byteVal(), B: byteVal(), A: byteVal()}
		case 2:
			pal[i] = color.Gray16{Y: uint16(rng.IntN(65536))}
		default:
			a := byteVal()
			pal[i] = color.RGBA{R: uint8(rng.IntN(int(a) + 1)), G: uint8(rng.IntN(int(a) + 1)), B: uint8(rng.IntN(int(a) + 1)), A: a}
		}
	}
	p := image.NewPaletted(r, pal)
	for i := range p.Pix {
		p.Pix[i] = uint8(rng.IntN(len(pal)))
	}
	imgs["Paletted"] = p
	return imgs
}

// subImager is what the standard image types implement.
type subImager interface {
	SubImage(r image.Rectangle) image.Image
}

func TestFromImage(t *testing.T) {
	t.Run("FastPathsMatchAt", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(71, 72))
		thresholds := []float64{0, 0.25, 0.5, 0.5 + 1.0/512, 126.0 / 255, 127.0 / 255, 128.0 / 255, 0.731, 1}
		for _, size := range [][2]int{{1, 1}, {63, 3}, {64, 2}, {65, 3}, {130, 2}, {200, 5}, {7, 9}} {
			for _, origin := range [][2]int{{0, 0}, {3, 5}, {-70, -1}} {
				for name, img := range randomImages(rng, size[0], size[1], origin[0], origin[1]) {
					views := map[string]image.Image{"": img}
					// A sub-image one pixel in from each side, where there is room.
					if b := img.Bounds(); b.Dx() > 2 && b.Dy() > 2 {
						views["/Sub"] = img.(subImager).SubImage(b.Inset(1))
					}
					for view, im := range views {
						var ref image.Image = atOnly{im}
						if y, ok := im.(*image.YCbCr); ok {
							ref = yPlane{y}
						}
						for _, th := range append(thresholds, rng.Float64()) {
							got := fromImage(t, im, th)
							want := fromImage(t, ref, th)
							if !bitmapsEqual(got, want) {
								t.Fatalf("%s%s %v at %v, threshold %v:\nfast %q\nAt   %q", name, view, size, origin, th, bitmapRows(got), bitmapRows(want))
							}
						}
					}
				}
			}
		}
	})

	t.Run("GreyBoundaries", func(t *testing.T) {
		// A threshold of v/255 puts grey level v on the white side and v-1
		// on the black side, through the fast path and through At alike.
		img := image.NewGray(image.Rect(0, 0, 256, 1))
		for v := range 256 {
			img.Pix[v] = uint8(v)
		}
		for _, v := range []int{1, 2, 64, 127, 128, 129, 200, 254, 255} {
			for _, im := range []image.Image{img, atOnly{img}} {
				bm := fromImage(t, im, float64(v)/255)
				require.Equal(t, v, bm.Count(), "threshold %d/255", v)
				require.True(t, bm.Black(v-1, 0))
				require.False(t, bm.Black(v, 0))
			}
		}
		// Threshold 0: nothing is black, not even black.
		require.Zero(t, fromImage(t, img, 0).Count())
		// Threshold 1: everything but pure white.
		require.Equal(t, 255, fromImage(t, img, 1).Count())
		require.False(t, fromImage(t, img, 1).Black(255, 0))
		// Between two levels.
		require.Equal(t, 128, fromImage(t, img, 0.5).Count()) // 127.5/255: 0 … 127 are black
	})

	t.Run("SixteenBitBoundaries", func(t *testing.T) {
		// Gray16 goes through At with 16-bit channels: full scale 65535.
		img := image.NewGray16(image.Rect(0, 0, 4, 1))
		for i, v := range []uint16{0, 32767, 65534, 65535} {
			img.SetGray16(i, 0, color.Gray16{Y: v})
		}
		require.Equal(t, []string{"###."}, bitmapRows(fromImage(t, img, 1)))
		require.Equal(t, []string{"##.."}, bitmapRows(fromImage(t, img, 65534.0/65535)))
		require.Equal(t, []string{"#..."}, bitmapRows(fromImage(t, img, 32767.0/65535)))
		require.Equal(t, []string{"##.."}, bitmapRows(fromImage(t, img, 32768.0/65535)))
		require.Equal(t, []string{"...."}, bitmapRows(fromImage(t, img, 0)))
	})

	t.Run("Colours", func(t *testing.T) {
		// Rec. 601: red weighs 0.299, green 0.587, blue 0.114.
		tests := []struct {
			c         color.RGBA
			lum       float64
			threshold float64
		}{
			{color.RGBA{255, 0, 0, 255}, 0.299, 0},
			{color.RGBA{0, 255, 0, 255}, 0.587, 0},
			{color.RGBA{0, 0, 255, 255}, 0.114, 0},
			{color.RGBA{255, 255, 0, 255}, 0.886, 0},
			{color.RGBA{0, 255, 255, 255}, 0.701, 0},
		}
		for _, tt := range tests {
			for _, d := range []float64{-0.002, 0.002} {
				th := tt.lum + d
				wantBlack := d > 0
				rgba := image.NewRGBA(image.Rect(0, 0, 1, 1))
				rgba.SetRGBA(0, 0, tt.c)
				nrgba := image.NewNRGBA(image.Rect(0, 0, 1, 1))
				nrgba.SetNRGBA(0, 0, color.NRGBA(tt.c))
				pal := image.NewPaletted(image.Rect(0, 0, 1, 1), color.Palette{tt.c})
				for _, im := range []image.Image{rgba, nrgba, pal, atOnly{rgba}} {
					require.Equal(t, wantBlack, fromImage(t, im, th).Black(0, 0), "%v (luminance %v) at threshold %v, %T", tt.c, tt.lum, th, im)
				}
			}
		}
		// The weights are exactly 19595, 38470 and 7471 out of 65536: a
		// pure primary sits exactly on the threshold of its weight (and is
		// white there) and is black one unit above.
		for _, tt := range []struct {
			c      color.RGBA
			weight float64
		}{
			{color.RGBA{255, 0, 0, 255}, 19595},
			{color.RGBA{0, 255, 0, 255}, 38470},
			{color.RGBA{0, 0, 255, 255}, 7471},
		} {
			img := image.NewRGBA(image.Rect(0, 0, 1, 1))
			img.SetRGBA(0, 0, tt.c)
			for _, im := range []image.Image{img, atOnly{img}} {
				require.False(t, fromImage(t, im, tt.weight/65536).Black(0, 0), "%v at its weight", tt.c)
				require.True(t, fromImage(t, im, (tt.weight+1)/65536).Black(0, 0), "%v above its weight", tt.c)
			}
		}
		// Threshold 1: the faintest tint is black, pure white is not.
		img := image.NewRGBA(image.Rect(0, 0, 2, 1))
		img.SetRGBA(0, 0, color.RGBA{255, 255, 254, 255})
		img.SetRGBA(1, 0, color.RGBA{255, 255, 255, 255})
		require.Equal(t, []string{"#."}, bitmapRows(fromImage(t, img, 1)))
	})

	t.Run("YCbCrAgreesWithRGB", func(t *testing.T) {
		// The Y of a JPEG is the same weighted sum, rounded: converted from
		// RGB it decides every pixel as the RGB would, except within a
		// grey level or two of the threshold.
		rng := rand.New(rand.NewPCG(73, 74))
		rgba := image.NewRGBA(image.Rect(0, 0, 100, 20))
		ycc := image.NewYCbCr(rgba.Rect, image.YCbCrSubsampleRatio444)
		for i := 0; i < 100*20; i++ {
			r, g, b := uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256))
			copy(rgba.Pix[4*i:], []uint8{r, g, b, 255})
			ycc.Y[i], ycc.Cb[i], ycc.Cr[i] = color.RGBToYCbCr(r, g, b)
		}
		for _, th := range []float64{0.2, 0.5, 0.8} {
			a, b := fromImage(t, rgba, th), fromImage(t, ycc, th)
			for i := 0; i < 100*20; i++ {
				x, y := i%100, i/100
				if a.Black(x, y) != b.Black(x, y) {
					require.InDelta(t, th*255, float64(ycc.Y[i]), 2, "pixel %d far from the threshold", i)
				}
			}
		}
	})

	t.Run("TransparentNeverBlack", func(t *testing.T) {
		// Colours are read straight (un-premultiplied) and transparency is
		// the shape's edge (docs/pixels.md): transparent white is white,
		// and the visible white pixels, of one tone, are the silhouette.
		nrgba := image.NewNRGBA(image.Rect(0, 0, 3, 1))
		nrgba.SetNRGBA(0, 0, color.NRGBA{255, 255, 255, 0})
		nrgba.SetNRGBA(1, 0, color.NRGBA{255, 255, 255, 128})
		nrgba.SetNRGBA(2, 0, color.NRGBA{255, 255, 255, 255})
		require.Equal(t, []string{".##"}, bitmapRows(fromImage(t, nrgba, 0.5)))
		require.Equal(t, []string{".##"}, bitmapRows(fromImage(t, nrgba, 0.51)))
		// Transparent black is not black either.
		rgba := image.NewRGBA(image.Rect(0, 0, 2, 1))
		rgba.SetRGBA(1, 0, color.RGBA{200, 200, 200, 200})
		require.Equal(t, []string{".#"}, bitmapRows(fromImage(t, rgba, 0.5)))
	})

	t.Run("PaletteEdges", func(t *testing.T) {
		// Indices past the palette's end and nil entries are white.
		p := image.NewPaletted(image.Rect(0, 0, 4, 1), color.Palette{color.Black, nil, color.White})
		p.Pix = []uint8{0, 1, 2, 200}
		require.Equal(t, []string{"#..."}, bitmapRows(fromImage(t, p, 0.5)))
		empty := image.NewPaletted(image.Rect(0, 0, 2, 1), nil)
		require.Zero(t, fromImage(t, empty, 1).Count())
	})

	t.Run("InvalidThreshold", func(t *testing.T) {
		img := image.NewGray(image.Rect(0, 0, 1, 1))
		for _, th := range []float64{-0.001, 1.001, math.NaN(), math.Inf(1)} {
			bm, err := FromImage(img, th, 0)
			require.ErrorIs(t, err, ErrInvalidOptions, "threshold %v", th)
			require.Contains(t, err.Error(), "threshold")
			require.Nil(t, bm)
		}
	})

	t.Run("TooLarge", func(t *testing.T) {
		huge := hugeImage{image.Rect(-5, -5, 1<<30, 1<<30)}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		bm, err := FromImage(huge, 0.5, 0)
		runtime.ReadMemStats(&after)
		require.ErrorIs(t, err, ErrTooLarge)
		require.Nil(t, bm)
		require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20), "allocated before refusing")
		// Over a limit of the caller's: refused before a pixel is read.
		_, err = FromImage(hugeImage{image.Rect(0, 0, 10, 10)}, 0.5, 99)
		require.ErrorIs(t, err, ErrTooLarge)
		// At the limit the pixels are read (and this image panics).
		require.PanicsWithValue(t, "hugeImage.At called", func() {
			_, _ = FromImage(hugeImage{image.Rect(0, 0, 10, 10)}, 0.5, 100)
		})
		// Bounds with Min past Max are a negative size.
		_, err = FromImage(hugeImage{image.Rectangle{Min: image.Pt(5, 5), Max: image.Pt(0, 9)}}, 0.5, 0)
		require.ErrorIs(t, err, ErrInvalidInput)
	})

	t.Run("Empty", func(t *testing.T) {
		for _, r := range []image.Rectangle{image.Rect(0, 0, 0, 0), image.Rect(3, 3, 3, 10), image.Rect(3, 3, 10, 3)} {
			bm := fromImage(t, image.NewRGBA(r), 0.5)
			require.Zero(t, bm.Count())
		}
	})

	t.Run("NoPerPixelAllocations", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(75, 76))
		for name, img := range randomImages(rng, 256, 64, 1, 1) {
			allocs := testing.AllocsPerRun(5, func() {
				if _, err := FromImage(img, 0.5, 0); err != nil {
					panic(err)
				}
			})
			// The bitmap and its words, the Prepared, the row reader with
			// its rows of luminance and alpha, a palette's table, the stage
			// timings, the planes a small image is read into: a fixed
			// number, whatever the number of pixels.
			require.LessOrEqual(t, allocs, 12.0, "%s: %v allocations for 16384 pixels", name, allocs)
		}
	})

	t.Run("Traceable", func(t *testing.T) {
		// A disc drawn in colour traces like the bitmap of its pixels.
		img := image.NewNRGBA(image.Rect(0, 0, 44, 44))
		want := disc(t, 20)
		for y := 0; y < 44; y++ {
			for x := 0; x < 44; x++ {
				c := color.NRGBA{250, 240, 230, 255}
				if want.Black(x, y) {
					c = color.NRGBA{120, 10, 60, 255}
				}
				img.SetNRGBA(x, y, c)
			}
		}
		bm := fromImage(t, img, 0.5)
		require.True(t, bitmapsEqual(want, bm))
		a := traceWith(t, bm, func(*Options) {})
		b := traceWith(t, want, func(*Options) {})
		require.Equal(t, string(b.SVG()), string(a.SVG()))
	})
}

func bitmapsEqual(a, b *Bitmap) bool {
	return a.Width == b.Width && a.Height == b.Height && a.Stride == b.Stride && slices.Equal(a.Words, b.Words)
}

// TestOpaque8 checks the two-pixels-a-load opacity test against the image
// types' own Opaque, one transparent pixel at each place of images of odd
// and even widths, whole and as sub-images.
func TestOpaque8(t *testing.T) {
	for _, size := range [][2]int{{1, 1}, {2, 1}, {3, 2}, {7, 3}, {8, 2}} {
		w, h := size[0], size[1]
		for at := -1; at < w*h; at++ { // -1: every pixel opaque
			m := image.NewNRGBA(image.Rect(0, 0, w+2, h+1))
			for i := range m.Pix {
				m.Pix[i] = 0xff
			}
			if at >= 0 {
				m.Pix[m.PixOffset(1+at%w, 1+at/w)+3] = 0xfe
			}
			m.Pix[m.PixOffset(0, 0)+3] = 0 // outside the sub-image
			sub := m.SubImage(image.Rect(1, 1, 1+w, 1+h)).(*image.NRGBA)
			require.Equal(t, sub.Opaque(), opaque8(sub.Pix, sub.Stride, sub.Rect), "%d×%d, transparent pixel %d", w, h, at)
			require.Equal(t, at < 0, opaque8(sub.Pix, sub.Stride, sub.Rect))
			rgba := &image.RGBA{Pix: sub.Pix, Stride: sub.Stride, Rect: sub.Rect}
			require.Equal(t, rgba.Opaque(), opaque8(rgba.Pix, rgba.Stride, rgba.Rect))
		}
	}
}
