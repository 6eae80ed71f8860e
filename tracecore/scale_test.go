package tracecore

import (
	"context"
	"image"
	"image/color"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// downscaled returns the area average of img at w×h.
func downscaled(t testing.TB, img image.Image, w, h int) *planes {
	t.Helper()
	var tr Tracer
	tr.ctx = context.Background()
	pl, err := tr.downscale(newLumaReader(img, 0, false), img.Bounds().Dy(), w, h)
	require.NoError(t, err)
	require.Equal(t, w, pl.w)
	require.Equal(t, h, pl.h)
	require.Len(t, pl.y, w*h)
	return pl
}

// refDownscale is the box filter written out from its definition, one target
// pixel at a time: every source pixel weighted by the area of it the target
// pixel covers (in units of 1/(w·h) of a source pixel), premultiplied by
// alpha as the package does it; the mean alpha, and the straight luminance
// as the premultiplied sum over the alpha sum, rounded to nearest.
func refDownscale(ys []uint32, as []uint16, W, H, w, h int) (outY []uint32, outA []uint16) {
	overlap := func(i, n, N, j int) uint64 { // source cell i of N, target cell j of n
		lo, hi := max(i*n, j*N), min((i+1)*n, (j+1)*N)
		return uint64(max(0, hi-lo))
	}
	wh := uint64(W * H)
	for ty := 0; ty < h; ty++ {
		for tx := 0; tx < w; tx++ {
			var sy, sa uint64
			for y := 0; y < H; y++ {
				for x := 0; x < W; x++ {
					wt := overlap(x, w, W, tx) * overlap(y, h, H, ty)
					a := uint64(alphaFull)
					if as != nil {
						a = uint64(as[y*W+x])
					}
					sy += wt * (uint64(ys[y*W+x]) * a / alphaFull)
					sa += wt * a
				}
			}
			y := uint64(lumFull16) // white where nothing is visible
			if sa > 0 {
				y = (sy*alphaFull + sa/2) / sa // small images: no overflow
			}
			outY = append(outY, uint32(y))
			outA = append(outA, uint16((sa+wh/2)/wh))
		}
	}
	if as == nil {
		outA = nil
	}
	return outY, outA
}

// greyImages returns the same grey levels (and alphas, if as is not nil) as
// every image type that can hold them exactly.
func greyImages(g []uint8, as []uint8, w, h int) map[string]image.Image {
	r := image.Rect(0, 0, w, h)
	imgs := map[string]image.Image{}
	alpha := func(i int) uint8 {
		if as == nil {
			return 0xff
		}
		return as[i]
	}
	nrgba := image.NewNRGBA(r)
	nrgba64 := image.NewNRGBA64(r)
	nycc := image.NewNYCbCrA(r, image.YCbCrSubsampleRatio420)
	for i := range nycc.Cb {
		nycc.Cb[i], nycc.Cr[i] = 128, 128
	}
	var pal color.Palette
	index := map[color.NRGBA]uint8{}
	p := image.NewPaletted(r, nil)
	for i, v := range g {
		x, y := i%w, i/w
		c := color.NRGBA{v, v, v, alpha(i)}
		nrgba.SetNRGBA(x, y, c)
		nrgba64.SetNRGBA64(x, y, color.NRGBA64{uint16(v) * 257, uint16(v) * 257, uint16(v) * 257, uint16(c.A) * 257})
		nycc.Y[nycc.YOffset(x, y)], nycc.A[nycc.AOffset(x, y)] = v, c.A
		k, ok := index[c]
		if !ok {
			k, index[c] = uint8(len(pal)), uint8(len(pal))
			pal = append(pal, c)
		}
		p.Pix[p.PixOffset(x, y)] = k
	}
	p.Palette = pal
	imgs["NRGBA"], imgs["NRGBA64"], imgs["NYCbCrA"], imgs["At"] = nrgba, nrgba64, nycc, atOnly{nrgba}
	if len(pal) <= 256 { // otherwise the indices wrapped
		imgs["Paletted"] = p
	}
	if as != nil {
		return imgs
	}
	gray := image.NewGray(r)
	copy(gray.Pix, g)
	gray16 := image.NewGray16(r)
	rgba := image.NewRGBA(r)
	rgba64 := image.NewRGBA64(r)
	cmyk := image.NewCMYK(r)
	for i, v := range g {
		x, y := i%w, i/w
		gray16.SetGray16(x, y, color.Gray16{uint16(v) * 257})
		rgba.SetRGBA(x, y, color.RGBA{v, v, v, 0xff})
		rgba64.SetRGBA64(x, y, color.RGBA64{uint16(v) * 257, uint16(v) * 257, uint16(v) * 257, 0xffff})
		cmyk.SetCMYK(x, y, color.CMYK{K: 255 - v})
	}
	imgs["Gray"], imgs["Gray16"], imgs["RGBA"], imgs["RGBA64"], imgs["CMYK"] = gray, gray16, rgba, rgba64, cmyk
	for _, ratio := range []image.YCbCrSubsampleRatio{image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio420} {
		ycc := image.NewYCbCr(r, ratio)
		copy(ycc.Y, g) // YStride is w
		imgs["YCbCr"+ratio.String()] = ycc
	}
	return imgs
}

func TestDownscale(t *testing.T) {
	t.Run("TargetSize", func(t *testing.T) {
		for _, tt := range []struct{ w, h, max, wantW, wantH int }{
			{3264, 2448, 400, 400, 300},
			{2448, 3264, 400, 300, 400},
			{400, 300, 400, 400, 300}, // fits: unchanged
			{300, 200, 0, 300, 200},   // 0: full size
			{300, 200, 120, 120, 80},
			{1000, 1, 400, 400, 1},
			{1, 1000, 400, 1, 400},
			{5000, 3, 400, 400, 1}, // 0.24 rounds to 0, at least 1
			{333, 1000, 400, 133, 400},
			{1000, 1000, 400, 400, 400},
			{1001, 999, 2, 2, 2},
			{999, 1001, 400, 399, 400}, // 399.2
			{997, 1001, 400, 398, 400}, // 398.4
			{1000, 501, 400, 400, 200}, // 200.4
			{1000, 503, 400, 400, 201}, // 201.2
			{5, 3, 2, 2, 1},            // 1.2
			{0, 10, 4, 0, 4},
		} {
			w, h := targetSize(tt.w, tt.h, tt.max)
			require.Equal(t, [2]int{tt.wantW, tt.wantH}, [2]int{w, h}, "%d×%d to %d", tt.w, tt.h, tt.max)
		}
	})

	t.Run("HalfSize", func(t *testing.T) {
		// 4×4 to 2×2: each target pixel is the mean of a 2×2 block.
		g := []uint8{
			0, 255, 10, 20,
			255, 0, 30, 40,
			100, 100, 7, 7,
			100, 101, 7, 8,
		}
		pl := downscaled(t, greyImages(g, nil, 4, 4)["Gray"], 2, 2)
		// Halves of a level are exact: lumLevel is even.
		want := []uint32{lumLevel * 255 / 2, lumLevel * 25, lumLevel * 401 / 4, lumLevel * 29 / 4}
		require.Equal(t, want, pl.y)
		require.Nil(t, pl.a)
	})

	t.Run("FractionalCoverage", func(t *testing.T) {
		// 5×3 to 2×1: target pixel 0 covers columns 0 and 1 and half of
		// column 2, pixel 1 the other half and columns 3 and 4; each covers
		// all three rows. With columns 0, 255, 0, 255, 51 (the same in
		// every row) they are (255 + 0/2)/2.5 = 102 and (0/2 + 255 + 51)/2.5
		// = 122.4 grey levels.
		row := []uint8{0, 255, 0, 255, 51}
		g := append(append(append([]uint8{}, row...), row...), row...)
		pl := downscaled(t, greyImages(g, nil, 5, 3)["Gray"], 2, 1)
		require.Equal(t, []uint32{102 * lumLevel, 2061552845}, pl.y) // 122.4·lumLevel = 2061552844.8
		// The same transposed, 3×5 to 1×2, with rows for columns.
		var gt []uint8
		for _, v := range row {
			gt = append(gt, v, v, v)
		}
		pl = downscaled(t, greyImages(gt, nil, 3, 5)["Gray"], 1, 2)
		require.Equal(t, []uint32{102 * lumLevel, 2061552845}, pl.y)
		// Rows and columns at once: 3×3 to 2×2, each target pixel
		// covering 1.5×1.5 source pixels: the centre pixel counts a quarter
		// in each, the edge pixels a half, its own corner fully:
		// (9·1 + v_edge·0.5·2 + centre·0.25)/2.25.
		g = []uint8{
			255, 0, 0,
			0, 90, 0,
			0, 0, 0,
		}
		pl = downscaled(t, greyImages(g, nil, 3, 3)["Gray"], 2, 2)
		// Top-left: (255 + 90/4)/2.25 = 123.333… levels; the others 10.
		require.Equal(t, []uint32{2077272747, 10 * lumLevel, 10 * lumLevel, 10 * lumLevel}, pl.y) // 123.333…·lumLevel = 2077272746.67
	})

	t.Run("MatchesDefinition", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(81, 82))
		for _, sz := range [][4]int{
			{4, 4, 2, 2}, {5, 3, 2, 1}, {7, 5, 3, 2}, {13, 11, 5, 4}, {64, 3, 17, 1}, {3, 64, 1, 17},
			{65, 66, 64, 65}, {100, 7, 99, 7}, {9, 9, 1, 1}, {11, 13, 10, 12}, {130, 70, 61, 33}, {408, 9, 400, 8},
		} {
			W, H, w, h := sz[0], sz[1], sz[2], sz[3]
			g := make([]uint8, W*H)
			as := make([]uint8, W*H)
			for i := range g {
				g[i] = uint8(rng.IntN(256))
				as[i] = []uint8{0, 255, uint8(rng.IntN(256))}[rng.IntN(3)]
			}
			ys := make([]uint32, W*H)
			a16 := make([]uint16, W*H)
			for i, v := range g {
				ys[i], a16[i] = uint32(v)*lumLevel, uint16(as[i])*0x101
			}
			wantY, _ := refDownscale(ys, nil, W, H, w, h)
			for name, img := range greyImages(g, nil, W, H) {
				pl := downscaled(t, img, w, h)
				require.Equal(t, wantY, pl.y, "%s %d×%d to %d×%d", name, W, H, w, h)
				for _, a := range pl.a { // only At cannot tell it is opaque
					require.Equal(t, uint16(alphaFull), a, name)
				}
			}
			wantY, wantA := refDownscale(ys, a16, W, H, w, h)
			for name, img := range greyImages(g, as, W, H) {
				pl := downscaled(t, img, w, h)
				require.Equal(t, wantA, pl.a, "%s %d×%d to %d×%d with alpha", name, W, H, w, h)
				require.Equal(t, wantY, pl.y, "%s %d×%d to %d×%d with alpha", name, W, H, w, h)
			}
		}
	})

	t.Run("TransparentColourIgnored", func(t *testing.T) {
		// A fully transparent pixel's colour does not tint the average: a
		// white pixel beside a transparent black one stays white, at half
		// alpha.
		img := image.NewNRGBA(image.Rect(0, 0, 2, 1))
		img.SetNRGBA(0, 0, color.NRGBA{255, 255, 255, 255})
		img.SetNRGBA(1, 0, color.NRGBA{0, 0, 0, 0})
		pl := downscaled(t, img, 1, 1)
		require.Equal(t, []uint32{lumFull16}, pl.y)
		require.Equal(t, []uint16{0x8000}, pl.a) // 0xffff/2 rounded up: visible
		// Half-transparent grey beside opaque white: luminance weighted
		// by alpha, (255·1 + 0·0.5)/1.5 = 170.
		img.SetNRGBA(1, 0, color.NRGBA{0, 0, 0, 0})
		img.SetNRGBA(0, 0, color.NRGBA{255, 255, 255, 255})
		img2 := image.NewNRGBA(image.Rect(0, 0, 2, 1))
		img2.SetNRGBA(0, 0, color.NRGBA{255, 255, 255, 255})
		img2.SetNRGBA(1, 0, color.NRGBA{0, 0, 0, 0x80})
		pl = downscaled(t, img2, 1, 1)
		require.InDelta(t, 255.0*255/(255+128), float64(pl.y[0])/lumLevel, 1e-6)
	})

	t.Run("Shifted", func(t *testing.T) {
		// Images over 4 gigapixels sum values shifted right; the result
		// stays within the shifted-off bits of the exact one. Forced here
		// on a small image, with and without alpha.
		rng := rand.New(rand.NewPCG(83, 84))
		g := make([]uint8, 37*23)
		as := make([]uint8, 37*23)
		for i := range g {
			g[i], as[i] = uint8(rng.IntN(256)), uint8(rng.IntN(256))
		}
		for _, alpha := range [][]uint8{nil, as} {
			img := greyImages(g, alpha, 37, 23)["NRGBA"]
			exact := downscaled(t, img, 10, 6)
			tr := Tracer{ctx: context.Background()}
			got, err := tr.downscaleShifted(newLumaReader(img, 0, false), 23, 10, 6, 12, 0)
			require.NoError(t, err)
			for i := range exact.y {
				require.InDelta(t, float64(exact.y[i]), float64(got.y[i]), 1<<14, "pixel %d", i)
				if alpha != nil {
					require.Equal(t, exact.a[i], got.a[i])
				}
			}
		}
	})

	t.Run("Progress", func(t *testing.T) {
		// Every source row is read once; cancelling stops the pass.
		img := image.NewGray(image.Rect(0, 0, 1000, 100))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		tr := Tracer{ctx: ctx}
		_, err := tr.downscale(newLumaReader(img, 0, false), 100, 10, 1)
		require.ErrorIs(t, err, context.Canceled)
	})
}
