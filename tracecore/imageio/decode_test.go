package imageio_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/color/palette"
	"image/gif"
	"image/jpeg"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/image/bmp"

	"github.com/svgtrace/svgtrace/tracecore"
	"github.com/svgtrace/svgtrace/tracecore/imageio"
)

// premul returns img's pixels as 8-bit premultiplied RGBA, the top byte of
// the 16-bit values color.Color's RGBA gives: an 8-bit value v widens to
// v·257, so 8- and 16-bit images of the same picture compare equal.
func premul(img image.Image) [][4]uint8 {
	r := img.Bounds()
	px := make([][4]uint8, 0, r.Dx()*r.Dy())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, ca := img.At(x, y).RGBA()
			px = append(px, [4]uint8{uint8(cr >> 8), uint8(cg >> 8), uint8(cb >> 8), uint8(ca >> 8)})
		}
	}
	return px
}

func requireSamePixels(t testing.TB, want, got image.Image) {
	t.Helper()
	require.Equal(t, want.Bounds().Size(), got.Bounds().Size())
	w, g := premul(want), premul(got)
	for i := range w {
		if w[i] != g[i] {
			dx := want.Bounds().Dx()
			require.Failf(t, "pixels differ", "pixel (%d, %d) is %v, want %v (premultiplied RGBA)", i%dx, i/dx, g[i], w[i])
		}
	}
}

// grayMarks is the marks picture in grey: red and blue become the grey
// levels given (ImageMagick's -colorspace Gray makes them 54 and 18, the
// Rec. 709 luma of pure red and blue; thresholding at 50% makes both 0).
func grayMarks(red, blue uint8) *image.Gray {
	m := image.NewGray(image.Rect(0, 0, marksW, marksH))
	for y := 0; y < marksH; y++ {
		for x := 0; x < marksW; x++ {
			v := uint8(255)
			switch {
			case y < 16 && x < 16:
				v = red
			case y < 16 && x >= 32:
				v = blue
			}
			m.SetGray(x, y, color.Gray{v})
		}
	}
	return m
}

// alphaPicture is testdata/alpha.png: a white rectangle from (8, 8) to
// (40, 24) on a transparent 48×32 background.
func alphaPicture() *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, marksW, marksH))
	for y := 8; y < 24; y++ {
		for x := 8; x < 40; x++ {
			m.SetNRGBA(x, y, color.NRGBA{255, 255, 255, 255})
		}
	}
	return m
}

// opaque returns m with every alpha 255.
func opaque(m *image.NRGBA) *image.NRGBA {
	for i := 3; i < len(m.Pix); i += 4 {
		m.Pix[i] = 255
	}
	return m
}

func encodeBMP(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, bmp.Encode(&buf, img))
	return buf.Bytes()
}

func TestDecode(t *testing.T) {
	fixture := func(name string) func(testing.TB) []byte {
		return func(t testing.TB) []byte { return readFixture(t, name) }
	}
	exactly := func(want image.Image) func(testing.TB, image.Image) {
		return func(t testing.TB, got image.Image) { requireSamePixels(t, want, got) }
	}
	nearly := func(tol float64) func(testing.TB, image.Image) {
		return func(t testing.TB, got image.Image) { requireMarks(t, got, tol) }
	}
	for _, c := range []struct {
		name   string
		data   func(testing.TB) []byte
		format imageio.Format
		typ    string
		check  func(testing.TB, image.Image)
	}{
		{"PNG", fixture("marks.png"), imageio.PNG, "*image.RGBA", exactly(marks())},
		{"PNG16", fixture("marks16.png"), imageio.PNG, "*image.RGBA64", exactly(marks())},
		{"PNGGray", fixture("gray.png"), imageio.PNG, "*image.Gray", exactly(grayMarks(54, 18))},
		{"PNGPalette", fixture("palette.png"), imageio.PNG, "*image.Paletted", exactly(marks())},
		{"PNGAlpha", fixture("alpha.png"), imageio.PNG, "*image.NRGBA", exactly(alphaPicture())},
		{"GIFFirstFrame", fixture("anim.gif"), imageio.GIF, "*image.Paletted", exactly(marks())},
		{"WebPLossy", fixture("marks.webp"), imageio.WebP, "*image.YCbCr", nearly(8)},
		{"WebPLossless", fixture("alpha_lossless.webp"), imageio.WebP, "*image.NRGBA", exactly(alphaPicture())},
		{"WebPLossyAlpha", fixture("alpha_lossy.webp"), imageio.WebP, "*image.NYCbCrA", exactly(alphaPicture())},
		{"BMP24", fixture("marks.bmp"), imageio.BMP, "*image.RGBA", exactly(marks())},
		{"BMPGray", func(t testing.TB) []byte { return encodeBMP(t, grayMarks(54, 18)) }, imageio.BMP, "*image.Paletted", exactly(grayMarks(54, 18))},
		// x/image/bmp writes 32-bit pixels with a BITMAPINFOHEADER, whose
		// fourth byte browsers and x/image/bmp ignore: the picture comes back
		// opaque, white on black.
		{"BMP32", func(t testing.TB) []byte { return encodeBMP(t, alphaPicture()) }, imageio.BMP, "*image.NRGBA", exactly(opaque(alphaPicture()))},
		{"JPEG", func(t testing.TB) []byte { return encodeJPEG(t, marks()) }, imageio.JPEG, "*image.YCbCr", nearly(24)},
		{"JPEGGray", func(t testing.TB) []byte { return encodeJPEG(t, grayMarks(0, 0)) }, imageio.JPEG, "*image.Gray", nil},
		{"JPEGCMYK", fixture("cmyk.jpg"), imageio.JPEG, "*image.CMYK", nearly(24)},
		{"PPMPlain", fixture("marks_plain.ppm"), imageio.PPM, "*image.RGBA", exactly(marks())},
		{"PPMRaw", fixture("marks.ppm"), imageio.PPM, "*image.RGBA", exactly(marks())},
		{"PPMPlain16", fixture("marks16_plain.ppm"), imageio.PPM, "*image.RGBA64", exactly(marks())},
		{"PPMRaw16", fixture("marks16.ppm"), imageio.PPM, "*image.RGBA64", exactly(marks())},
		{"PGMPlain", fixture("gray_plain.pgm"), imageio.PGM, "*image.Gray", exactly(grayMarks(54, 18))},
		{"PGMRaw", fixture("gray.pgm"), imageio.PGM, "*image.Gray", exactly(grayMarks(54, 18))},
		{"PGMPlain16", fixture("gray16_plain.pgm"), imageio.PGM, "*image.Gray16", exactly(grayMarks(54, 18))},
		{"PGMRaw16", fixture("gray16.pgm"), imageio.PGM, "*image.Gray16", exactly(grayMarks(54, 18))},
		{"PBMPlain", fixture("marks_plain.pbm"), imageio.PBM, "*image.Gray", exactly(grayMarks(0, 0))},
		{"PBMRaw", fixture("marks.pbm"), imageio.PBM, "*image.Gray", exactly(grayMarks(0, 0))},
	} {
		t.Run(c.name, func(t *testing.T) {
			data := c.data(t)
			want := imageio.Config{Format: c.format, Width: marksW, Height: marksH, Orientation: 1}

			cfg, err := imageio.DecodeConfig(bytes.NewReader(data))
			require.NoError(t, err)
			assert.Equal(t, want, cfg)

			img, cfg, err := imageio.Decode(bytes.NewReader(data), 0)
			require.NoError(t, err)
			assert.Equal(t, want, cfg)
			assert.Equal(t, c.typ, fmt.Sprintf("%T", img))
			require.Equal(t, image.Rect(0, 0, marksW, marksH), img.Bounds())
			if c.check != nil {
				c.check(t, img)
			}
		})
	}
}

// Decode stops at the end of the image: bytes after it stay in the reader,
// but for what a decoder's buffer reads ahead.
func TestDecodeLeavesTrailingBytes(t *testing.T) {
	const trailing = 64 << 10
	const readAhead = 4096 // bufio's and image/jpeg's buffers
	for _, name := range []string{"marks.png", "anim.gif", "marks.webp", "alpha_lossy.webp", "marks.bmp",
		"cmyk.jpg", "marks.ppm", "marks_plain.ppm", "gray16.pgm", "marks.pbm", "marks_plain.pbm"} {
		t.Run(name, func(t *testing.T) {
			data := readFixture(t, name)
			r := bytes.NewReader(append(append([]byte{}, data...), bytes.Repeat([]byte{0xaa}, trailing)...))
			_, _, err := imageio.Decode(r, 0)
			require.NoError(t, err)
			read := len(data) + trailing - r.Len()
			assert.LessOrEqualf(t, read, len(data)+readAhead, "read %d bytes of a %d-byte image", read, len(data))
		})
	}
}

// A GIF's first frame smaller than its logical screen is placed on a
// transparent screen of the Config's size.
func TestDecodeGIFSmallFrame(t *testing.T) {
	frame := image.Rect(8, 4, 24, 20)
	for _, c := range []struct {
		name    string
		palette color.Palette
		typ     string
	}{
		// With a transparent entry, the rest of the screen is that entry.
		{"TransparentEntry", color.Palette{color.RGBA{}, color.RGBA{255, 0, 0, 255}}, "*image.Paletted"},
		// Without one, one is added to a palette with room.
		{"PaletteWithRoom", color.Palette{color.RGBA{0, 0, 0, 255}, color.RGBA{255, 0, 0, 255}}, "*image.Paletted"},
		// A full palette of opaque colours gives an NRGBA.
		{"FullPalette", palette.Plan9, "*image.NRGBA"},
	} {
		t.Run(c.name, func(t *testing.T) {
			red := uint8(c.palette.Index(color.RGBA{255, 0, 0, 255}))
			m := image.NewPaletted(frame, c.palette)
			for i := range m.Pix {
				m.Pix[i] = red
			}
			var buf bytes.Buffer
			require.NoError(t, gif.EncodeAll(&buf, &gif.GIF{
				Image:  []*image.Paletted{m},
				Delay:  []int{0},
				Config: image.Config{ColorModel: c.palette, Width: marksW, Height: marksH},
			}))

			img, cfg, err := imageio.Decode(&buf, 0)
			require.NoError(t, err)
			assert.Equal(t, imageio.Config{Format: imageio.GIF, Width: marksW, Height: marksH, Orientation: 1}, cfg)
			assert.Equal(t, c.typ, fmt.Sprintf("%T", img))
			require.Equal(t, image.Rect(0, 0, marksW, marksH), img.Bounds())
			for y := 0; y < marksH; y++ {
				for x := 0; x < marksW; x++ {
					want := color.NRGBA{}
					if image.Pt(x, y).In(frame) {
						want = color.NRGBA{255, 0, 0, 255}
					}
					require.Equalf(t, want, color.NRGBAModel.Convert(img.At(x, y)), "pixel (%d, %d)", x, y)
				}
			}
		})
	}
}

// TestDecodeReduced: a JPEG at least twice the traced size is decoded at
// 1/8, 1/4 or 1/2 of its size, upright, standing for the full image;
// everything else is decoded as Decode does.
func TestDecodeReduced(t *testing.T) {
	jpg := encodeJPEG(t, marks()) // 48×32
	t.Run("JPEG", func(t *testing.T) {
		img, cfg, err := imageio.DecodeReduced(bytes.NewReader(jpg), 0, 6) // 48 = 8·6
		require.NoError(t, err)
		assert.Equal(t, imageio.Config{Format: imageio.JPEG, Width: marksW, Height: marksH, Orientation: 1}, cfg)
		red, ok := img.(*tracecore.Reduced)
		require.True(t, ok, "%T", img)
		assert.Equal(t, [2]int{marksW, marksH}, [2]int{red.Width, red.Height})
		require.Equal(t, image.Rect(0, 0, 6, 4), red.Image.Bounds())
		requireReducedMarks(t, red.Image)
	})
	t.Run("Progressive", func(t *testing.T) {
		data, err := os.ReadFile("../testdata/images/picos.jpg")
		require.NoError(t, err)
		img, _, err := imageio.DecodeReduced(bytes.NewReader(data), 0, 400)
		require.NoError(t, err)
		red, ok := img.(*tracecore.Reduced)
		require.True(t, ok, "%T", img)
		assert.Equal(t, [2]int{3264, 2448}, [2]int{red.Width, red.Height})
		assert.Equal(t, image.Rect(0, 0, 408, 306), red.Image.Bounds())
	})
	for o := 1; o <= 8; o++ {
		t.Run(fmt.Sprintf("Orientation%d", o), func(t *testing.T) {
			order := binary.ByteOrder(binary.BigEndian)
			data := spliceAfterSOI(encodeJPEG(t, stored(marks(), o)), exifSegment(order, uint16(o)))
			img, cfg, err := imageio.DecodeReduced(bytes.NewReader(data), 0, 6)
			require.NoError(t, err)
			assert.Equal(t, [3]int{marksW, marksH, o}, [3]int{cfg.Width, cfg.Height, cfg.Orientation})
			red, ok := img.(*tracecore.Reduced)
			require.True(t, ok, "%T", img)
			assert.Equal(t, [2]int{marksW, marksH}, [2]int{red.Width, red.Height})
			requireReducedMarks(t, red.Image)
		})
	}
	for _, c := range []struct {
		name    string
		maxSide int
		size    image.Point
	}{
		{"Quarter", 7, image.Pt(12, 8)}, // 48 < 8·7, 48·2 ≥ 8·7
		{"Half", 13, image.Pt(24, 16)},  // 48·2 < 8·13, 48·4 ≥ 8·13
	} {
		t.Run(c.name, func(t *testing.T) {
			img, _, err := imageio.DecodeReduced(bytes.NewReader(jpg), 0, c.maxSide)
			require.NoError(t, err)
			red, ok := img.(*tracecore.Reduced)
			require.True(t, ok, "%T", img)
			assert.Equal(t, [2]int{marksW, marksH}, [2]int{red.Width, red.Height})
			require.Equal(t, image.Rectangle{Max: c.size}, red.Image.Bounds())
			requireReducedMarks(t, red.Image)
		})
	}
	for _, c := range []struct {
		name    string
		data    []byte
		maxSide int
		typ     string
	}{
		{"TooSmall", jpg, 25, "*image.YCbCr"}, // 48·4 < 8·25: full size
		{"FullSize", jpg, 0, "*image.YCbCr"},
		{"CMYK", readFixture(t, "cmyk.jpg"), 6, "*image.CMYK"}, // 1/8 reads YCbCr and grey only
		{"PNG", readFixture(t, "marks.png"), 6, "*image.RGBA"},
	} {
		t.Run(c.name, func(t *testing.T) {
			img, cfg, err := imageio.DecodeReduced(bytes.NewReader(c.data), 0, c.maxSide)
			require.NoError(t, err)
			assert.Equal(t, c.typ, fmt.Sprintf("%T", img))
			assert.Equal(t, image.Rect(0, 0, cfg.Width, cfg.Height), img.Bounds())
		})
	}
	t.Run("TooLarge", func(t *testing.T) {
		_, _, err := imageio.DecodeReduced(bytes.NewReader(jpg), 1000, 6)
		requireKind(t, err, tracecore.ErrTooLarge)
	})
}

// requireReducedMarks checks a 6×4, 12×8 or 24×16 reduction of the marks
// picture (1/8, 1/4 or 1/2 scale) block by block: the red square covers
// the top-left 2×2 blocks, the blue one the top-right 2×2, and the rest is
// white. Each block is one colour, so its mean is that colour, within
// JPEG's error.
func requireReducedMarks(t testing.TB, img image.Image) {
	t.Helper()
	n := img.Bounds().Dx() / 6 // pixels a block
	require.Equal(t, image.Rect(0, 0, 6*n, 4*n), img.Bounds())
	for y := range 4 {
		for x := range 6 {
			want := [4]float64{255, 255, 255, 255}
			switch {
			case y < 2 && x < 2:
				want = [4]float64{255, 0, 0, 255}
			case y < 2 && x >= 4:
				want = [4]float64{0, 0, 255, 255}
			}
			got := mean(img, image.Rect(x*n, y*n, x*n+n, y*n+n))
			for i := range got {
				require.InDeltaf(t, want[i], got[i], 24, "block (%d, %d): %v, want %v", x, y, got, want)
			}
		}
	}
}

// TestDecodeReducedScale: DecodeReduced picks the smallest scale n/8, n =
// 1, 2 or 4, at which the longer side L still covers maxSide (L·n ≥
// 8·maxSide), and decodes at full size when even 1/2 does not.
func TestDecodeReducedScale(t *testing.T) {
	jpegOfSize := func(w, h int) []byte {
		g := image.NewGray(image.Rect(0, 0, w, h))
		for i := range g.Pix {
			g.Pix[i] = uint8(i * 5)
		}
		return encodeJPEG(t, g)
	}
	photo := func(name string) []byte {
		data, err := os.ReadFile("../testdata/images/" + name)
		require.NoError(t, err)
		return data
	}
	for _, c := range []struct {
		name    string
		data    []byte
		maxSide int
		want    image.Point // the reduced image's size; 0×0 for full size
	}{
		{"80x40/10", jpegOfSize(80, 40), 10, image.Pt(10, 5)},  // 1/8: 80 = 8·10
		{"79x40/10", jpegOfSize(79, 40), 10, image.Pt(20, 10)}, // 1/4
		{"40x79/10", jpegOfSize(40, 79), 10, image.Pt(10, 20)}, // portrait: the longer side counts
		{"40x20/10", jpegOfSize(40, 20), 10, image.Pt(10, 5)},  // 1/4: 40·2 = 8·10
		{"39x20/10", jpegOfSize(39, 20), 10, image.Pt(20, 10)}, // 1/2
		{"20x10/10", jpegOfSize(20, 10), 10, image.Pt(10, 5)},  // 1/2: 20·4 = 8·10
		{"19x10/10", jpegOfSize(19, 10), 10, image.Point{}},    // full size
		{"20x10/0", jpegOfSize(20, 10), 0, image.Point{}},      // maxSide 0: full size
		{"Orientation6", spliceAfterSOI(jpegOfSize(79, 40), exifSegment(binary.BigEndian, 6)), 10, image.Pt(10, 20)},
		{"picos.jpg", photo("picos.jpg"), 400, image.Pt(408, 306)},       // 3264×2448: 1/8
		{"brushes.jpg", photo("brushes.jpg"), 400, image.Pt(683, 537)},   // 1365×1074: 1/2
		{"building.jpg", photo("building.jpg"), 400, image.Pt(434, 300)}, // 868×600: 1/2
		{"building.jpg/200", photo("building.jpg"), 200, image.Pt(217, 150)},
		{"building.jpg/100", photo("building.jpg"), 100, image.Pt(109, 75)},
		{"fruits.jpg", photo("fruits.jpg"), 400, image.Point{}}, // 512×480: full size
	} {
		t.Run(c.name, func(t *testing.T) {
			img, cfg, err := imageio.DecodeReduced(bytes.NewReader(c.data), 0, c.maxSide)
			require.NoError(t, err)
			red, ok := img.(*tracecore.Reduced)
			if c.want == (image.Point{}) {
				require.False(t, ok, "decoded at reduced scale: %v", img.Bounds())
				assert.Equal(t, image.Rect(0, 0, cfg.Width, cfg.Height), img.Bounds())
				return
			}
			require.True(t, ok, "%T", img)
			assert.Equal(t, [2]int{cfg.Width, cfg.Height}, [2]int{red.Width, red.Height})
			assert.Equal(t, image.Rectangle{Max: c.want}, red.Image.Bounds())
		})
	}
}

// understated is a reader that says it holds half what it does.
type understated struct{ *bytes.Reader }

func (u understated) Len() int { return u.Reader.Len() / 2 }

// TestDecodeReducedDataBound: a JPEG decoded at reduced scale is read
// whole, but no more than 8 bytes a pixel beyond a 16 MiB header, whether
// the input says its length (a *bytes.Reader or a file, read into one
// buffer of that size), says too little, or says nothing; a JPEG that
// fits is read the same every way.
func TestDecodeReducedDataBound(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, 64, 64)), nil))
	small := buf.Bytes()
	over := append(append([]byte{}, small...), make([]byte, 64*64*8+16<<20)...)
	for _, c := range []struct {
		name string
		in   func([]byte) io.Reader
	}{
		{"LenKnown", func(b []byte) io.Reader { return bytes.NewReader(b) }},
		{"LenUnknown", func(b []byte) io.Reader { return struct{ io.Reader }{bytes.NewReader(b)} }},
		{"LenUnderstated", func(b []byte) io.Reader { return understated{bytes.NewReader(b)} }},
		{"File", func(b []byte) io.Reader {
			name := filepath.Join(t.TempDir(), "in.jpg")
			require.NoError(t, os.WriteFile(name, b, 0o644))
			f, err := os.Open(name)
			require.NoError(t, err)
			t.Cleanup(func() { f.Close() })
			return f
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			img, _, err := imageio.DecodeReduced(c.in(small), 0, 8) // 64 ≥ 8×8: 1/8 scale
			require.NoError(t, err)
			require.Equal(t, image.Rect(0, 0, 8, 8), img.(*tracecore.Reduced).Image.Bounds())
			_, _, err = imageio.DecodeReduced(c.in(over), 0, 8)
			require.ErrorIs(t, err, tracecore.ErrTooLarge)
			require.ErrorContains(t, err, "more than 16809984 bytes of data for 64×64 pixels")
		})
	}
}
