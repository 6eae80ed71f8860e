package imageio

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/svgtrace/svgtrace/tracecore"
)

// displayRef applies orientation o to m the slow way, from the geometric
// definitions and At, independently of the affine maps: mirrors and a
// transpose, composed (6 is a transpose then a left–right mirror, 8 a
// transpose then a top–bottom mirror).
func displayRef(m image.Image, o int) *image.RGBA64 {
	r := m.Bounds()
	w, h := r.Dx(), r.Dy()
	transposed := o >= 5
	mirrorX := o == 2 || o == 3 || o == 6 || o == 7 // after the transpose
	mirrorY := o == 3 || o == 4 || o == 7 || o == 8
	uw, uh := w, h
	if transposed {
		uw, uh = h, w
	}
	d := image.NewRGBA64(image.Rect(0, 0, uw, uh))
	for y := 0; y < uh; y++ {
		for x := 0; x < uw; x++ {
			tx, ty := x, y
			if mirrorX {
				tx = uw - 1 - x
			}
			if mirrorY {
				ty = uh - 1 - y
			}
			if transposed {
				tx, ty = ty, tx
			}
			d.Set(x, y, m.At(r.Min.X+tx, r.Min.Y+ty))
		}
	}
	return d
}

func requireSame(t *testing.T, want, got image.Image) {
	t.Helper()
	require.Equal(t, want.Bounds(), got.Bounds())
	b := want.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			w := color.RGBA64Model.Convert(want.At(x, y))
			g := color.RGBA64Model.Convert(got.At(x, y))
			if w != g {
				require.Failf(t, "pixels differ", "pixel (%d, %d) is %v, want %v", x, y, g, w)
			}
		}
	}
}

func randomBytes(rng *rand.Rand, b []byte) {
	for i := range b {
		b[i] = uint8(rng.Uint32())
	}
}

// TestOrient turns every planar image type by every orientation, at sizes
// odd and even, from a sub-image whose bounds do not start at (0, 0), and
// compares with displayRef pixel by pixel.
func TestOrient(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	full := image.Rect(0, 0, 140, 90)
	sizes := []image.Rectangle{
		image.Rect(4, 8, 4+131, 8+67), // odd sides, larger than a tile
		image.Rect(8, 4, 8+64, 4+24),  // multiples of every chroma block
		image.Rect(0, 0, 1, 1),
		image.Rect(3, 3, 3, 10), // empty
	}
	makers := []struct {
		name string
		make func(r image.Rectangle) image.Image
	}{
		{"Gray", func(r image.Rectangle) image.Image {
			m := image.NewGray(full)
			randomBytes(rng, m.Pix)
			return m.SubImage(r)
		}},
		{"Gray16", func(r image.Rectangle) image.Image {
			m := image.NewGray16(full)
			randomBytes(rng, m.Pix)
			return m.SubImage(r)
		}},
		{"CMYK", func(r image.Rectangle) image.Image {
			m := image.NewCMYK(full)
			randomBytes(rng, m.Pix)
			return m.SubImage(r)
		}},
		{"RGBA", func(r image.Rectangle) image.Image {
			m := image.NewRGBA(full)
			randomBytes(rng, m.Pix)
			return m.SubImage(r)
		}},
		{"NRGBA", func(r image.Rectangle) image.Image {
			m := image.NewNRGBA(full)
			randomBytes(rng, m.Pix)
			return m.SubImage(r)
		}},
		{"RGBA64", func(r image.Rectangle) image.Image {
			m := image.NewRGBA64(full)
			randomBytes(rng, m.Pix)
			return m.SubImage(r)
		}},
		{"NRGBA64", func(r image.Rectangle) image.Image {
			m := image.NewNRGBA64(full)
			randomBytes(rng, m.Pix)
			return m.SubImage(r)
		}},
		{"Alpha", func(r image.Rectangle) image.Image {
			m := image.NewAlpha(full)
			randomBytes(rng, m.Pix)
			return m.SubImage(r)
		}},
		{"Paletted", func(r image.Rectangle) image.Image {
			m := image.NewPaletted(full, color.Palette{color.Black, color.White, color.RGBA{255, 0, 0, 255}})
			for i := range m.Pix {
				m.Pix[i] = uint8(rng.IntN(3))
			}
			return m.SubImage(r)
		}},
		{"Alpha16Fallback", func(r image.Rectangle) image.Image {
			m := image.NewAlpha16(full)
			randomBytes(rng, m.Pix)
			return m.SubImage(r)
		}},
	}
	for _, ratio := range []image.YCbCrSubsampleRatio{
		image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420,
		image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410,
	} {
		makers = append(makers, struct {
			name string
			make func(r image.Rectangle) image.Image
		}{"YCbCr" + ratio.String()[len("YCbCrSubsampleRatio"):], func(r image.Rectangle) image.Image {
			m := image.NewYCbCr(full, ratio)
			randomBytes(rng, m.Y)
			randomBytes(rng, m.Cb)
			randomBytes(rng, m.Cr)
			return m.SubImage(r)
		}})
	}
	makers = append(makers, struct {
		name string
		make func(r image.Rectangle) image.Image
	}{"NYCbCrA420", func(r image.Rectangle) image.Image {
		m := image.NewNYCbCrA(full, image.YCbCrSubsampleRatio420)
		randomBytes(rng, m.Y)
		randomBytes(rng, m.Cb)
		randomBytes(rng, m.Cr)
		randomBytes(rng, m.A)
		return m.SubImage(r)
	}})

	for _, mk := range makers {
		for _, r := range sizes {
			for o := 1; o <= 8; o++ {
				t.Run(fmt.Sprintf("%s/%dx%d/%d", mk.name, r.Dx(), r.Dy(), o), func(t *testing.T) {
					src := mk.make(r)
					got := orient(src, o)
					if o == 1 {
						assert.Same(t, src, got)
						return
					}
					assert.Equal(t, image.Point{}, got.Bounds().Min)
					want := displayRef(src, o)
					switch got.(type) {
					case *image.YCbCr, *image.NYCbCrA:
						// Luma is exact; chroma too when the sides are
						// multiples of the chroma block (see orientYCbCr).
						if r.Dx()%4 == 0 && r.Dy()%4 == 0 {
							requireSame(t, want, got)
						} else {
							requireSame(t, displayRef(lumaOf(src), o), lumaOf(got))
						}
					default:
						if mk.name == "Alpha16Fallback" {
							assert.IsType(t, &image.RGBA64{}, got)
						} else {
							assert.Equal(t, fmt.Sprintf("%T", src), fmt.Sprintf("%T", got), "orient keeps the type")
						}
						requireSame(t, want, got)
					}
				})
			}
		}
	}
}

// lumaOf returns the Y plane of a YCbCr or NYCbCrA as a Gray.
func lumaOf(m image.Image) *image.Gray {
	var y *image.YCbCr
	switch v := m.(type) {
	case *image.YCbCr:
		y = v
	case *image.NYCbCrA:
		y = &v.YCbCr
	}
	return &image.Gray{Pix: y.Y[y.YOffset(y.Rect.Min.X, y.Rect.Min.Y):], Stride: y.YStride, Rect: image.Rect(0, 0, y.Rect.Dx(), y.Rect.Dy())}
}

// Chroma subsampling survives orientation: a quarter turn swaps the
// horizontal and vertical factors, and 4:1:1 and 4:1:0, which have no
// turned counterparts in package image, become 4:4:0 and 4:2:0.
func TestOrientYCbCrRatio(t *testing.T) {
	for _, c := range []struct {
		src, mirrored, turned image.YCbCrSubsampleRatio
	}{
		{image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio444},
		{image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio440},
		{image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio420},
		{image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio422},
		{image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio440},
		{image.YCbCrSubsampleRatio410, image.YCbCrSubsampleRatio410, image.YCbCrSubsampleRatio420},
	} {
		t.Run(c.src.String(), func(t *testing.T) {
			m := image.NewYCbCr(image.Rect(0, 0, 16, 8), c.src)
			assert.Equal(t, c.mirrored, orient(m, 2).(*image.YCbCr).SubsampleRatio)
			assert.Equal(t, c.mirrored, orient(m, 3).(*image.YCbCr).SubsampleRatio)
			assert.Equal(t, c.turned, orient(m, 6).(*image.YCbCr).SubsampleRatio)
			assert.Equal(t, c.turned, orient(m, 8).(*image.YCbCr).SubsampleRatio)
		})
	}
}

// safely turns a decoder's panic into an error wrapping ErrCorrupt.
func TestSafely(t *testing.T) {
	for _, c := range []struct {
		name string
		f    func() error
		msg  string
	}{
		{"Index", func() error {
			var s []int
			i := 3
			return fmt.Errorf("%d", s[i])
		}, "imageio: webp: decoder panicked: runtime error: index out of range [3] with length 0"},
		{"Value", func() error { panic("unreachable") }, "imageio: webp: decoder panicked: unreachable"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := safely(WebP, c.f)
			require.Error(t, err)
			assert.True(t, errors.Is(err, tracecore.ErrCorrupt))
			assert.True(t, errors.Is(err, errPanic))
			assert.Equal(t, c.msg, err.Error())
		})
	}
	assert.NoError(t, safely(WebP, func() error { return nil }))
}

// The limited-to-full range tables of lossy WebP: luma 16 (black) → 0 and
// 235 (white) → 255, chroma 128 (neutral) stays and 16…240 → 0.5…255.5,
// rounded half away from zero and clamped.
func TestRangeTables(t *testing.T) {
	for _, c := range []struct{ in, luma, chroma uint8 }{
		{0, 0, 0}, {16, 0, 1}, {17, 1, 2}, {126, 128, 126}, {128, 130, 128},
		{235, 255, 250}, {240, 255, 255}, {255, 255, 255},
	} {
		assert.Equalf(t, c.luma, lumaFull[c.in], "luma %d", c.in)
		assert.Equalf(t, c.chroma, chromaFull[c.in], "chroma %d", c.in)
	}
}

// BenchmarkOrient turns an 8-megapixel 4:2:0 YCbCr, picos.jpg's size, a
// half turn (rows stay rows) and a quarter turn (tiled transpose).
func BenchmarkOrient(b *testing.B) {
	m := image.NewYCbCr(image.Rect(0, 0, 3264, 2448), image.YCbCrSubsampleRatio420)
	for _, o := range []int{3, 6} {
		b.Run(fmt.Sprint(o), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				orient(m, o)
			}
		})
	}
}
