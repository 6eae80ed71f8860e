package jpegscaled

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDecodeFiles compares the corpus's photos with image/jpeg's full-size
// decode reduced to block means.
func TestDecodeFiles(t *testing.T) {
	for _, tc := range []struct {
		name        string
		progressive bool
		ratio       image.YCbCrSubsampleRatio
	}{
		{"picos.jpg", true, image.YCbCrSubsampleRatio420},
		{"brushes.jpg", true, image.YCbCrSubsampleRatio444},
		{"building.jpg", false, image.YCbCrSubsampleRatio420},
		{"fruits.jpg", false, image.YCbCrSubsampleRatio422},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := readImage(t, tc.name)
			d := &decoder{data: data}
			require.NoError(t, d.run(true))
			assert.Equal(t, tc.progressive, d.sof == 0xc2)
			worst := checkAgainstStdlib(t, data)
			t.Logf("largest difference to a block mean: %.3f", worst)
			m, err := Decode(data)
			require.NoError(t, err)
			assert.Equal(t, tc.ratio, m.(*image.YCbCr).SubsampleRatio)
		})
	}
}

// smooth is a test pattern for a w×h image. It is flat from the start of
// the last 32×32 tile on, across the right and bottom edges: a block
// crossing an edge is then the same whether the encoder pads it by
// repeating the edge samples of the full-size image or, for chroma, of
// the image before subsampling, so blockMean's padding is exact.
func smooth(x, y, w, h, k int) uint8 {
	x, y = min(x, (w-1)/32*32), min(y, (h-1)/32*32)
	v := 128 + 90*math.Sin(float64(x)*0.09+float64(k))*math.Cos(float64(y)*0.07-float64(k))
	return uint8(v)
}

// TestDecodeStdlibEncoded decodes JPEGs that image/jpeg's encoder writes,
// baseline 4:2:0 from every YCbCr subsample ratio and from RGBA, and
// 1-component from grey, in sizes that are not whole MCUs.
func TestDecodeStdlibEncoded(t *testing.T) {
	for _, size := range []image.Point{{17, 9}, {1, 1}, {8, 8}, {100, 75}, {16, 16}, {33, 47}, {250, 3}} {
		r := image.Rect(0, 0, size.X, size.Y)
		sources := smoothSources(size)
		for name, src := range sources {
			t.Run(name+"/"+r.Size().String(), func(t *testing.T) {
				var buf bytes.Buffer
				require.NoError(t, jpeg.Encode(&buf, src, &jpeg.Options{Quality: 90}))
				checkAgainstStdlib(t, buf.Bytes())
			})
		}
	}
}

// specs is a spread of the JPEG layouts encodeTest writes.
func specs() []spec {
	samplings := [][][2]int{
		{{1, 1}},
		{{2, 2}},
		{{1, 1}, {1, 1}, {1, 1}},
		{{2, 1}, {1, 1}, {1, 1}},
		{{2, 2}, {1, 1}, {1, 1}},
		{{1, 2}, {1, 1}, {1, 1}},
		{{4, 1}, {1, 1}, {1, 1}},
		{{4, 2}, {1, 1}, {1, 1}},
		{{2, 1}, {2, 1}, {2, 1}},
		{{2, 2}, {2, 1}, {2, 1}},
	}
	var out []spec
	seed := uint64(1)
	for _, size := range [][2]int{{17, 9}, {1, 1}, {40, 24}, {75, 61}} {
		for _, sampling := range samplings {
			for _, p := range [][2]bool{{false, false}, {true, false}, {true, true}} {
				progressive, successive := p[0], p[1]
				for _, v := range []struct {
					separate, fill, quant16 bool
					restart, acMax          int
				}{
					{},
					{separate: true, restart: 1, acMax: 3},
					{restart: 2, fill: true, acMax: 1023},
					{separate: true, restart: 3, fill: true, quant16: true, acMax: 2},
				} {
					seed++
					out = append(out, spec{
						w: size[0], h: size[1], sampling: sampling, progressive: progressive, successive: successive,
						separate: v.separate, restart: v.restart, fill: v.fill,
						quant16: v.quant16, acMax: v.acMax, seed: seed,
					})
				}
			}
		}
	}
	return out
}

// TestDecodeGenerated decodes the JPEGs of encodeTest, comparing with the
// DC values it encoded and, where image/jpeg reads the file and the ACs
// are small enough not to clip samples, with image/jpeg's block means.
func TestDecodeGenerated(t *testing.T) {
	for _, s := range specs() {
		t.Run(name(s), func(t *testing.T) {
			j := encodeTest(s)
			got, err := Decode(j.data)
			require.NoError(t, err)
			require.Equal(t, j.want, got)
			require.True(t, Supported(j.data))
			full, err := jpeg.Decode(bytes.NewReader(j.data))
			if err != nil {
				// image/jpeg (Go 1.26) fails on restart markers in the
				// non-interleaved scans of a colour frame whose MCU has
				// more than one block of a component, which libjpeg-turbo
				// reads: T.81 A.2 makes a non-interleaved scan's MCU one
				// block, and its restart interval counts blocks.
				bigMCU := len(s.sampling) == 3 && s.sampling[0] != [2]int{1, 1}
				require.True(t, s.restart > 0 && (s.progressive || s.separate) && bigMCU, "image/jpeg: %v", err)
				return
			}
			if s.acMax <= 4 {
				// Random ACs make the padding of edge blocks unlike
				// their visible part: compare whole blocks only.
				assert.LessOrEqual(t, compareMeans(t, got, full, true), 2.0)
			}
		})
	}
}

// handmade returns a JPEG assembled byte by byte: 16×8 grey, two blocks,
// a restart interval of one MCU, so the second block's DC prediction
// starts again from 0. It decodes to samples 148 and 115.
func handmade() []byte {
	dqt := append([]byte{0xff, 0xdb, 0x00, 0x43, 0x00, 8}, bytes.Repeat([]byte{1}, 63)...)
	data := []byte{0xff, 0xd8}
	data = append(data, dqt...)
	return append(data,
		0xff, 0xc0, 0x00, 0x0b, 8, 0x00, 0x08, 0x00, 0x10, 1, 1, 0x11, 0, // SOF0 16×8, 1 component
		// DC table 0: three 2-bit codes, 00 → category 0, 01 → 4, 10 → 5.
		0xff, 0xc4, 0x00, 0x16, 0x00, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 5,
		// AC table 0: one 1-bit code, 0 → EOB.
		0xff, 0xc4, 0x00, 0x14, 0x10, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00,
		0xff, 0xdd, 0x00, 0x04, 0x00, 0x01, // DRI: 1 MCU
		0xff, 0xda, 0x00, 0x08, 1, 1, 0x00, 0, 63, 0, // SOS
		// Block 0: DC 10 (category 5) 10100 (+20), EOB 0.
		0b1010_1000,
		0xff, 0xff, 0xd0, // fill byte, RST0
		// Block 1: DC 01 (category 4) 0010 (-13), EOB 0, pad 1.
		0b0100_1001,
		0xff, 0xd9)
}

// TestRestartHandmade decodes handmade's JPEG, and without its restart
// interval.
func TestRestartHandmade(t *testing.T) {
	data := handmade()
	got, err := Decode(data)
	require.NoError(t, err)
	// 20×8/8 + 128 and -13×8/8 + 128.
	assert.Equal(t, &image.Gray{Pix: []byte{148, 115}, Stride: 2, Rect: image.Rect(0, 0, 2, 1)}, got)
	full, err := jpeg.Decode(bytes.NewReader(data))
	require.NoError(t, err)
	assert.Equal(t, 0.0, compareMeans(t, got, full, false))

	// Without the restart marker the second block's DC is predicted from
	// the first (20 - 13 = 7): the marker resets it.
	noDRI := bytes.Replace(data, []byte{0xff, 0xdd, 0x00, 0x04, 0x00, 0x01}, nil, 1)
	noDRI = bytes.Replace(noDRI, []byte{0xff, 0xff, 0xd0}, nil, 1)
	got, err = Decode(noDRI)
	require.NoError(t, err)
	assert.Equal(t, []byte{148, 135}, got.(*image.Gray).Pix)
}

// TestQuantTableLatch redefines a DC quantiser between the scans of a
// non-interleaved sequential JPEG: each component uses the table in force
// at its own scan.
func TestQuantTableLatch(t *testing.T) {
	j := encodeTest(spec{w: 40, h: 24, sampling: [][2]int{{1, 1}, {1, 1}, {1, 1}}, separate: true, seed: 3})
	want := j.want.(*image.YCbCr)
	// Table 1, for Cb and Cr, has DC quantiser 16: make it 32 for Cr's
	// scan, the third.
	sos := []byte{0xff, 0xda}
	third := 0
	for range 3 {
		i := bytes.Index(j.data[third+1:], sos)
		require.GreaterOrEqual(t, i, 0)
		third += 1 + i
	}
	dqt := append([]byte{0xff, 0xdb, 0x00, 0x43, 0x01, 32}, bytes.Repeat([]byte{1}, 63)...)
	got, err := Decode(spliced(j.data, third, dqt...))
	require.NoError(t, err)
	m := got.(*image.YCbCr)
	assert.Equal(t, want.Y, m.Y)
	assert.Equal(t, want.Cb, m.Cb)
	// A sample is 128 + 16×DC/8 with the old table, 128 + 32×DC/8 now.
	cr := make([]byte, len(want.Cr))
	for i, v := range want.Cr {
		cr[i] = byte(min(max(128+2*(int(v)-128), 0), 255))
	}
	assert.Equal(t, cr, m.Cr)
}

// TestExternalTools decodes files made by libjpeg's cjpeg and jpegtran,
// when installed: restart markers every MCU, 4:1:1 sampling, a
// progressive rewrite.
func TestExternalTools(t *testing.T) {
	src := readImage(t, "building.jpg")
	dir := t.TempDir()
	in := filepath.Join(dir, "in.jpg")
	require.NoError(t, os.WriteFile(in, src, 0o644))
	m, err := jpeg.Decode(bytes.NewReader(src))
	require.NoError(t, err)
	ppm := filepath.Join(dir, "in.ppm")
	require.NoError(t, os.WriteFile(ppm, toPPM(m), 0o644))
	for _, tc := range []struct {
		name string
		tool string
		args []string
	}{
		{"cjpeg-restart", "cjpeg", []string{"-restart", "1", ppm}},
		{"cjpeg-411", "cjpeg", []string{"-sample", "4x1,1x1,1x1", ppm}},
		{"cjpeg-progressive-gray", "cjpeg", []string{"-progressive", "-grayscale", ppm}},
		{"jpegtran-progressive", "jpegtran", []string{"-progressive", in}},
		{"jpegtran-restart", "jpegtran", []string{"-restart", "3", in}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path, err := exec.LookPath(tc.tool)
			if err != nil {
				t.Skipf("%s is not installed", tc.tool)
			}
			out, err := exec.Command(path, tc.args...).Output()
			require.NoError(t, err)
			t.Logf("largest difference to a block mean: %.3f", checkAgainstStdlib(t, out))
		})
	}
}

func toPPM(m image.Image) []byte {
	r := m.Bounds()
	out := fmt.Appendf(nil, "P6\n%d %d\n255\n", r.Dx(), r.Dy())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := color.RGBAModel.Convert(m.At(x, y)).(color.RGBA)
			out = append(out, c.R, c.G, c.B)
		}
	}
	return out
}
