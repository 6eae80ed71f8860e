package jpegscaled

import (
	"bytes"
	"image"
	"image/jpeg"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// boxStats are the differences of a reduced plane's samples to the means
// of the boxes of the full-size plane they stand for.
type boxStats struct {
	mean, worst float64
}

// boxMean is the mean of the m×m box at box column bx and row by of p,
// completed past the right and bottom edges as blockMean is.
func boxMean(p plane, bx, by, m int) float64 {
	sum := 0
	for y := by * m; y < by*m+m; y++ {
		for x := bx * m; x < bx*m+m; x++ {
			sum += int(p.pix[min(y, p.h-1)*p.stride+min(x, p.w-1)])
		}
	}
	return float64(sum) / float64(m*m)
}

// compareBoxes checks that got, decoded at scale n/8, has the layout of
// the full-size decode full reduced by 8/n and returns, for each plane
// (Y, Cb, Cr or grey), the mean and the largest absolute difference of its
// samples to the means of the (8/n)×(8/n) boxes they stand for.
func compareBoxes(t testing.TB, got, full image.Image, n int) []boxStats {
	t.Helper()
	fr := full.Bounds()
	require.Equal(t, image.Rect(0, 0, (fr.Dx()*n+7)/8, (fr.Dy()*n+7)/8), got.Bounds())
	require.IsType(t, full, got)
	if f, ok := full.(*image.YCbCr); ok {
		require.Equal(t, f.SubsampleRatio, got.(*image.YCbCr).SubsampleRatio)
	}
	m := 8 / n
	gp, fp := planes(t, got), planes(t, full)
	var out []boxStats
	for i := range gp {
		g, f := gp[i], fp[i]
		require.LessOrEqual(t, g.w, (f.w+m-1)/m, "plane %d width", i)
		require.LessOrEqual(t, g.h, (f.h+m-1)/m, "plane %d height", i)
		var s boxStats
		for by := range g.h {
			for bx := range g.w {
				d := math.Abs(float64(g.pix[by*g.stride+bx]) - boxMean(f, bx, by, m))
				s.mean += d
				s.worst = max(s.worst, d)
			}
		}
		s.mean /= float64(g.w * g.h)
		out = append(out, s)
	}
	return out
}

// Bounds on the differences to image/jpeg's full decode box-averaged, per
// plane: the mean over an image and the largest single sample. The reduced
// IDCT drops the coefficients above the top-left n×n and samples the rest
// at the box centres, so a sample differs from its box mean where the box
// holds detail (an edge inside a 2×2 box at 1/4 scale) or a steep ramp
// (whose higher odd terms do not vanish at the centres).
//
// The test photos measure means of 0.17–1.79 and single samples up to 35
// (at an edge, 1/2 scale); TestDecodeScaledFiles logs them. The synthetic
// pattern of TestDecodeScaledStdlibEncoded has ramps of up to 16 levels a
// sample in chroma and measures means up to 2.49 (1/4 scale) and samples
// up to about 6.
var (
	photoBounds     = boxStats{mean: 2.0, worst: 40}
	syntheticBounds = boxStats{mean: 3, worst: 8}
)

// checkScaledAgainstStdlib decodes data at 1/4 and 1/2 scale and with
// image/jpeg and asserts the bounds, returning the statistics by scale.
func checkScaledAgainstStdlib(t testing.TB, data []byte, bounds boxStats) map[int][]boxStats {
	t.Helper()
	full, err := jpeg.Decode(bytes.NewReader(data))
	require.NoError(t, err, "image/jpeg")
	out := map[int][]boxStats{}
	for _, n := range []int{2, 4} {
		got, err := DecodeScaled(data, n)
		require.NoError(t, err, "scale %d/8", n)
		stats := compareBoxes(t, got, full, n)
		for i, s := range stats {
			assert.LessOrEqual(t, s.mean, bounds.mean, "scale %d/8, plane %d: mean difference", n, i)
			assert.LessOrEqual(t, s.worst, bounds.worst, "scale %d/8, plane %d: largest difference", n, i)
		}
		out[n] = stats
	}
	return out
}

// TestDecodeScaledFiles decodes the corpus's photos at 1/4 and 1/2 scale
// and compares them with image/jpeg's full-size decode averaged over the
// 4×4 and 2×2 boxes each sample stands for. picos.jpg and brushes.jpg are
// progressive with spectral selection and successive approximation (AC
// first scans with EOB runs, AC and DC refinement scans).
func TestDecodeScaledFiles(t *testing.T) {
	for _, name := range []string{"picos.jpg", "brushes.jpg", "building.jpg", "fruits.jpg"} {
		t.Run(name, func(t *testing.T) {
			if testing.Short() && name == "picos.jpg" {
				t.Skip("picos.jpg's full decode takes a while")
			}
			stats := checkScaledAgainstStdlib(t, readImage(t, name), photoBounds)
			for _, n := range []int{2, 4} {
				for i, s := range stats[n] {
					t.Logf("scale %d/8, plane %d: mean difference %.3f, largest %.1f", n, i, s.mean, s.worst)
				}
			}
		})
	}
}

// TestDecodeScaledStdlibEncoded decodes, at 1/4 and 1/2 scale, the JPEGs
// image/jpeg's encoder writes from every YCbCr subsample ratio, RGBA and
// grey, in sizes that are not whole MCUs.
func TestDecodeScaledStdlibEncoded(t *testing.T) {
	var worst boxStats // of every plane at both scales
	defer func() { t.Logf("largest mean difference %.3f, largest difference %.1f", worst.mean, worst.worst) }()
	for _, size := range []image.Point{{17, 9}, {1, 1}, {8, 8}, {100, 75}, {33, 47}, {250, 3}} {
		r := image.Rect(0, 0, size.X, size.Y)
		sources := smoothSources(size)
		for name, src := range sources {
			t.Run(name+"/"+r.Size().String(), func(t *testing.T) {
				var buf bytes.Buffer
				require.NoError(t, jpeg.Encode(&buf, src, &jpeg.Options{Quality: 90}))
				stats := checkScaledAgainstStdlib(t, buf.Bytes(), syntheticBounds)
				for _, n := range []int{2, 4} {
					for _, s := range stats[n] {
						worst = worst.max(s)
					}
				}
			})
		}
	}
}

func (a boxStats) max(b boxStats) boxStats {
	return boxStats{mean: math.Max(a.mean, b.mean), worst: math.Max(a.worst, b.worst)}
}

// refIDCT is the inverse DCT of T.81 A.3.3 in float64, evaluated at the
// centres of the n×n parts of each block (n = 8: every sample, the full
// decode) from the top-left n×n coefficients, with the level shift and
// clamping: the plane of component ci of j, bw·n samples wide.
func refIDCT(j testJPEG, ci, n int) plane {
	coefs, bw := j.coefs[ci], j.bw[ci]
	bh := len(coefs) / bw
	p := plane{pix: make([]byte, bw*n*bh*n), stride: bw * n, w: bw * n, h: bh * n}
	c := func(u int) float64 {
		if u == 0 {
			return 1 / math.Sqrt2
		}
		return 1
	}
	for b, blk := range coefs {
		var f [8][8]float64 // S(v,u), dequantised
		for k, nat := range zigzag {
			q := j.quant[ci][1]
			if k == 0 {
				q = j.quant[ci][0]
			}
			f[nat/8][nat%8] = float64(blk[k] * q)
		}
		for y := range n {
			for x := range n {
				sum := 0.0
				for v := range n {
					for u := range n {
						sum += c(u) * c(v) * f[v][u] *
							math.Cos(float64((2*x+1)*u)*math.Pi/float64(2*n)) *
							math.Cos(float64((2*y+1)*v)*math.Pi/float64(2*n))
					}
				}
				px, py := b%bw*n+x, b/bw*n+y
				p.pix[py*p.stride+px] = uint8(min(max(math.Round(sum/4)+128, 0), 255))
			}
		}
	}
	return p
}

// comparePlanes returns the largest difference between the samples of got
// and the top-left of want.
func comparePlanes(t testing.TB, got, want plane) int {
	t.Helper()
	require.LessOrEqual(t, got.w, want.w)
	require.LessOrEqual(t, got.h, want.h)
	worst := 0
	for y := range got.h {
		for x := range got.w {
			d := int(got.pix[y*got.stride+x]) - int(want.pix[y*want.stride+x])
			worst = max(worst, d, -d)
		}
	}
	return worst
}

// TestDecodeScaledGenerated decodes encodeTest's JPEGs at 1/4 and 1/2
// scale and compares them with refIDCT of the coefficients encoded: every
// layout, restart intervals, and progressive files with AC first scans,
// EOB runs across blocks and AC refinement scans. A sample may differ by
// 1, the fixed-point IDCT's rounding. Where image/jpeg reads the file, its
// full decode is compared with refIDCT at full size too, a check of the
// test encoder independent of this package.
func TestDecodeScaledGenerated(t *testing.T) {
	worstStdlib := 0
	for _, s := range specs() {
		t.Run(name(s), func(t *testing.T) {
			j := encodeTest(s)
			for _, n := range []int{2, 4} {
				got, err := DecodeScaled(j.data, n)
				require.NoError(t, err)
				require.Equal(t, image.Rect(0, 0, (s.w*n+7)/8, (s.h*n+7)/8), got.Bounds())
				for ci, p := range planes(t, got) {
					require.LessOrEqual(t, comparePlanes(t, p, refIDCT(j, ci, n)), 1, "scale %d/8, plane %d", n, ci)
				}
			}
			if full, err := jpeg.Decode(bytes.NewReader(j.data)); err == nil {
				for ci, p := range planes(t, full) {
					d := comparePlanes(t, p, refIDCT(j, ci, 8))
					worstStdlib = max(worstStdlib, d)
					require.LessOrEqual(t, d, 2, "image/jpeg, plane %d", ci)
				}
			}
		})
	}
	t.Logf("image/jpeg's full decode: samples within %d of refIDCT", worstStdlib)
}

// TestZigzag pins the zigzag order of T.81 Figure A.6.
func TestZigzag(t *testing.T) {
	want := [64]uint8{
		0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
		12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
		35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
		58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
	}
	assert.Equal(t, want, zigzag)
	d := &decoder{}
	d.setScale(4)
	assert.Equal(t, 24, d.kmax) // (3,3), the last of the top-left 4×4
	d.setScale(2)
	assert.Equal(t, 4, d.kmax) // (1,1)
	assert.Equal(t, []int8{0, 1, 2, -1, 3}, d.keep[:5])
}

// TestIDCTConstants recomputes idctK2 and idctK4: a(u)·cos((2i+1)uπ/(2n))
// in units of 2^-13, a(0) = 1 and a(u) = √2.
func TestIDCTConstants(t *testing.T) {
	for _, n := range []int{2, 4} {
		for i := range n {
			for u := range n {
				a := 1.0
				if u > 0 {
					a = math.Sqrt2
				}
				want := int64(math.Round(a * math.Cos(float64((2*i+1)*u)*math.Pi/float64(2*n)) * (1 << idctBits)))
				got := idctK4[i][u]
				if n == 2 {
					got = idctK2[i][u]
				}
				assert.Equal(t, want, got, "n=%d, i=%d, u=%d", n, i, u)
			}
		}
	}
}
