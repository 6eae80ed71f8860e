package jpegscaled

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// A plane is one sample plane of an image: w×h samples, stride apart.
type plane struct {
	pix          []byte
	stride, w, h int
}

// planes returns the planes of an *image.Gray or *image.YCbCr whose
// bounds start at (0, 0), each at its own resolution: image.YCbCr's
// chroma planes have the sizes image.NewYCbCr gives them.
func planes(t testing.TB, m image.Image) []plane {
	t.Helper()
	r := m.Bounds()
	require.Equal(t, image.Point{}, r.Min)
	switch m := m.(type) {
	case *image.Gray:
		return []plane{{m.Pix, m.Stride, r.Dx(), r.Dy()}}
	case *image.YCbCr:
		layout := image.NewYCbCr(r, m.SubsampleRatio)
		cw, ch := layout.CStride, len(layout.Cb)/max(layout.CStride, 1)
		return []plane{
			{m.Y, m.YStride, r.Dx(), r.Dy()},
			{m.Cb, m.CStride, cw, ch},
			{m.Cr, m.CStride, cw, ch},
		}
	}
	t.Fatalf("image type %T", m)
	return nil
}

// blockMean is the mean of the 8×8 block at block column bx and row by of
// p. A block that crosses the plane's right or bottom edge is completed
// by repeating the last column and row, as encoders (libjpeg,
// image/jpeg) pad the image to whole blocks: the decoded padding, which
// image/jpeg crops, is close to that.
func blockMean(p plane, bx, by int) float64 {
	sum := 0
	for y := by * 8; y < by*8+8; y++ {
		for x := bx * 8; x < bx*8+8; x++ {
			sum += int(p.pix[min(y, p.h-1)*p.stride+min(x, p.w-1)])
		}
	}
	return float64(sum) / 64
}

// compareMeans checks that the 1/8-scale image got has the layout of the
// full-size decode full reduced by 8 and returns the largest difference of
// one of its samples to the mean of the block it stands for, skipping the
// blocks that cross the right or bottom edge if wholeOnly is set.
func compareMeans(t testing.TB, got, full image.Image, wholeOnly bool) float64 {
	t.Helper()
	fr := full.Bounds()
	require.Equal(t, image.Rect(0, 0, (fr.Dx()+7)/8, (fr.Dy()+7)/8), got.Bounds())
	require.IsType(t, full, got)
	if f, ok := full.(*image.YCbCr); ok {
		require.Equal(t, f.SubsampleRatio, got.(*image.YCbCr).SubsampleRatio)
	}
	gp, fp := planes(t, got), planes(t, full)
	worst := 0.0
	for i := range gp {
		g, f := gp[i], fp[i]
		require.Equal(t, (f.w+7)/8, g.w, "plane %d width", i)
		require.Equal(t, (f.h+7)/8, g.h, "plane %d height", i)
		for by := range g.h {
			for bx := range g.w {
				if wholeOnly && ((bx+1)*8 > f.w || (by+1)*8 > f.h) {
					continue
				}
				d := math.Abs(float64(g.pix[by*g.stride+bx]) - blockMean(f, bx, by))
				worst = max(worst, d)
			}
		}
	}
	return worst
}

// checkAgainstStdlib decodes data with Decode and with image/jpeg and
// asserts every reduced sample is within 2 of its block's mean, returning
// the largest difference.
func checkAgainstStdlib(t testing.TB, data []byte) float64 {
	t.Helper()
	full, err := jpeg.Decode(bytes.NewReader(data))
	require.NoError(t, err, "image/jpeg")
	got, err := Decode(data)
	require.NoError(t, err)
	require.True(t, Supported(data))
	worst := compareMeans(t, got, full, false)
	require.LessOrEqual(t, worst, 2.0, "largest difference to a block mean")
	return worst
}

func readImage(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile("../../../testdata/images/" + name)
	require.NoError(t, err)
	return data
}

// segmentAt returns the offset of the first marker with the given code in
// the marker segments of a JPEG written by encodeTest or image/jpeg, which
// put no 0xFF fill bytes between segments.
func segmentAt(t testing.TB, data []byte, code byte) int {
	t.Helper()
	for i := 2; i+4 <= len(data); {
		require.Equal(t, byte(0xff), data[i], "marker at %d", i)
		if data[i+1] == code {
			return i
		}
		require.NotEqual(t, byte(0xda), data[i+1], "no marker 0x%02X before the first scan", code)
		i += 2 + (int(data[i+2])<<8 | int(data[i+3]))
	}
	t.Fatalf("no marker 0x%02X", code)
	return 0
}

// patched returns a copy of data with the bytes at off replaced by b.
func patched(data []byte, off int, b ...byte) []byte {
	out := bytes.Clone(data)
	copy(out[off:], b)
	return out
}

// spliced returns a copy of data with b inserted at off.
func spliced(data []byte, off int, b ...byte) []byte {
	out := append(bytes.Clone(data[:off]), b...)
	return append(out, data[off:]...)
}

func name(s spec) string {
	return fmt.Sprintf("%dx%d/%v/prog=%v/succ=%v/sep=%v/ri=%d/fill=%v/q16=%v/ac=%d",
		s.w, s.h, s.sampling, s.progressive, s.successive, s.separate, s.restart, s.fill, s.quant16, s.acMax)
}

// smoothSources returns smooth pictures of the given size for image/jpeg's
// encoder to write in each of its layouts: grey, RGBA, and YCbCr in every
// subsample ratio (by name, "gray", "rgba", "ycbcr444", …).
func smoothSources(size image.Point) map[string]image.Image {
	r := image.Rect(0, 0, size.X, size.Y)
	g := image.NewGray(r)
	rgba := image.NewRGBA(r)
	for y := range size.Y {
		for x := range size.X {
			g.SetGray(x, y, color.Gray{smooth(x, y, size.X, size.Y, 0)})
			rgba.Set(x, y, color.RGBA{smooth(x, y, size.X, size.Y, 0), smooth(x, y, size.X, size.Y, 1), smooth(x, y, size.X, size.Y, 2), 255})
		}
	}
	sources := map[string]image.Image{"gray": g, "rgba": rgba}
	for name, ratio := range map[string]image.YCbCrSubsampleRatio{
		"444": image.YCbCrSubsampleRatio444, "422": image.YCbCrSubsampleRatio422,
		"420": image.YCbCrSubsampleRatio420, "440": image.YCbCrSubsampleRatio440,
		"411": image.YCbCrSubsampleRatio411, "410": image.YCbCrSubsampleRatio410,
	} {
		m := image.NewYCbCr(r, ratio)
		for y := range size.Y {
			for x := range size.X {
				m.Y[m.YOffset(x, y)] = smooth(x, y, size.X, size.Y, 0)
				m.Cb[m.COffset(x, y)] = smooth(x, y, size.X, size.Y, 1)
				m.Cr[m.COffset(x, y)] = smooth(x, y, size.X, size.Y, 2)
			}
		}
		sources["ycbcr"+name] = m
	}
	return sources
}
