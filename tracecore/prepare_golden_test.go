package tracecore_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/svgtrace/svgtrace/tracecore"
)

// Prepared goldens pin the whole path from pixels to SVG: reading, area
// averaging, alpha, Otsu's threshold and the dominant colour, then the trace.
// The images are generated here in integer arithmetic, so they are the same
// everywhere; like TestGolden, this runs natively and as js/wasm against the
// same sums, so passing on both shows the output is byte-identical.
//
// Refresh after an intended change with: go test ./tracecore -run Golden -update

const preparedDir = "testdata/prepared"

// gradientDisc is a 300×200 ring (outer radius 85, inner 30) with a colour
// gradient, anti-aliased in alpha over two pixels, on transparency whose
// stored colour is junk.
func gradientDisc() *image.NRGBA {
	const w, h = 300, 200
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	// Doubled coordinates: pixel centres at 2x+1, the centre at (w, h).
	ramp := func(d2, r int) int { // alpha 0 … 255 of being inside radius r
		in, out := 4*(r-1)*(r-1), 4*(r+1)*(r+1)
		return min(255, max(0, 255*(out-d2)/(out-in)))
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			dx, dy := 2*x+1-w, 2*y+1-h
			d2 := dx*dx + dy*dy
			a := ramp(d2, 85) * (255 - ramp(d2, 30)) / 255
			c := color.NRGBA{uint8(x * 255 / (w - 1)), uint8(40 + y*150/(h-1)), uint8(220 - x*2/3), uint8(a)}
			if a == 0 {
				c = color.NRGBA{uint8(x), uint8(y), uint8(x ^ y), 0}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

// stripedIcon is a 240×160 dark rounded tile with near-white stripes on
// transparency: two tones, one of them paper, so the stripes are traced as
// holes (ModeInk). The tile's colour is a gradient of dark blues.
func stripedIcon() *image.NRGBA {
	const w, h = 240, 160
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			// Inside a rectangle with corners of radius 24, 10 pixels in.
			cx, cy := min(max(x, 34), w-35), min(max(y, 34), h-35)
			dx, dy := x-cx, y-cy
			if dx*dx+dy*dy > 24*24 {
				continue // transparent black
			}
			c := color.NRGBA{uint8(10 + x/8), uint8(20 + y/8), uint8(90 + x/4), 255}
			if y%24 >= 18 && x > 30 && x < w-30 {
				c = color.NRGBA{245, 245, 240, 255}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

// ycbcrPhoto is a 320×240 4:2:0 image of concentric bands and a shaded
// bar, standing in for a JPEG photo.
func ycbcrPhoto() *image.YCbCr {
	const w, h = 320, 240
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			dx, dy := x-120, y-110
			v := 40 + ((dx*dx+dy*dy)/300)%5*45
			if x > 230 && y > 40 && y < 200 {
				v = 30 + (y-40)/2
			}
			img.Y[img.YOffset(x, y)] = uint8(v)
		}
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = uint8(100+i%50), uint8(150-i%30)
	}
	return img
}

func TestPreparedGolden(t *testing.T) {
	disc, icon, photo := gradientDisc(), stripedIcon(), ycbcrPhoto()
	opts := func(set func(*tracecore.Options)) tracecore.Options {
		o := tracecore.DefaultOptions()
		set(&o)
		return o
	}
	cases := []struct {
		name string
		img  image.Image
		opts tracecore.Options
	}{
		{"disc-max120-auto", disc, opts(func(o *tracecore.Options) {
			o.MaxSide, o.Threshold, o.Color = 120, tracecore.ThresholdAuto, tracecore.ColorAuto
		})},
		{"disc-max120-silhouette", disc, opts(func(o *tracecore.Options) { o.MaxSide, o.Threshold = 120, 0 })},
		{"disc-max120-background", disc, opts(func(o *tracecore.Options) {
			o.MaxSide, o.Threshold, o.Background, o.Color = 120, tracecore.ThresholdAuto, "#fff", tracecore.ColorAuto
		})},
		{"disc-full-0.5", disc, opts(func(o *tracecore.Options) { o.Color = tracecore.ColorAuto })},
		{"disc-placeholder", disc, func() tracecore.Options {
			o := tracecore.PlaceholderOptions()
			o.MaxSide = 120
			return o
		}()},
		{"icon-max90-auto", icon, opts(func(o *tracecore.Options) {
			o.MaxSide, o.Threshold, o.Color = 90, tracecore.ThresholdAuto, tracecore.ColorAuto
		})},
		{"icon-full-0.5", icon, opts(func(o *tracecore.Options) { o.Color = tracecore.ColorAuto })},
		{"photo-max120-auto", photo, opts(func(o *tracecore.Options) {
			o.MaxSide, o.Threshold, o.Color = 120, tracecore.ThresholdAuto, tracecore.ColorAuto
		})},
		{"photo-max97-invert", photo, opts(func(o *tracecore.Options) {
			o.MaxSide, o.Threshold, o.Invert, o.Color = 97, tracecore.ThresholdAuto, true, tracecore.ColorAuto
		})},
	}

	sumsPath := filepath.Join(preparedDir, "SHA256SUMS")
	want := readSums(t, sumsPath)
	var got []string
	var tracer tracecore.Tracer
	for _, c := range cases {
		res, err := tracer.TraceImage(context.Background(), c.img, c.opts)
		require.NoError(t, err, c.name)
		svg := res.SVG()
		sum := sha256.Sum256(svg)
		hexSum := hex.EncodeToString(sum[:])
		got = append(got, hexSum+"  "+c.name, geometrySum(res)+"  "+c.name+".geometry")
		readable := filepath.Join(preparedDir, c.name+".svg")
		if *update {
			require.NoError(t, os.WriteFile(readable, svg, 0o644))
			continue
		}
		wantSVG, err := os.ReadFile(readable)
		require.NoError(t, err)
		if !bytes.Equal(svg, wantSVG) {
			t.Errorf("%s (%s/%s): SVG differs from %s at byte %d", c.name, runtime.GOOS, runtime.GOARCH, readable, firstDiff(svg, wantSVG))
		}
		if want[c.name] != hexSum {
			t.Errorf("%s (%s/%s): SVG SHA-256 %s, golden %s", c.name, runtime.GOOS, runtime.GOARCH, hexSum, want[c.name])
		}
		if g := geometrySum(res); want[c.name+".geometry"] != g {
			t.Errorf("%s (%s/%s): geometry SHA-256 %s, golden %s", c.name, runtime.GOOS, runtime.GOARCH, g, want[c.name+".geometry"])
		}
	}
	finishSums(t, sumsPath, got, want)
}
