// Package fidelity measures how faithfully an SVG trace reproduces its bitmap,
// by the one definition every svgtrace test and benchmark uses: rasterise the
// SVG at the bitmap's size with rsvg-convert (an independent renderer, applied
// alike to svgtrace's output and potrace's), composite on white, threshold at
// 50 % luminance, and count the pixels that differ from the bitmap. Mismatch
// is that count as a percentage of width×height.
//
// It runs external programs (rsvg-convert, potrace) and is meant for tests and
// benchmarks, not for the tracing path.
package fidelity

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"testing"

	"github.com/svgtrace/svgtrace/tracecore"
)

// Mismatch returns the percentage of pixels where svg, rendered at bm's size,
// differs from bm.
func Mismatch(bm *tracecore.Bitmap, svg []byte) (float64, error) {
	img, err := Render(svg, bm.Width, bm.Height)
	if err != nil {
		return 0, err
	}
	return 100 * float64(DifferingPixels(bm, img)) / float64(bm.Width*bm.Height), nil
}

// Render rasterises svg at width×height pixels with rsvg-convert.
func Render(svg []byte, width, height int) (image.Image, error) {
	cmd := exec.Command("rsvg-convert", "-w", fmt.Sprint(width), "-h", fmt.Sprint(height), "-f", "png")
	cmd.Stdin = bytes.NewReader(svg)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("rsvg-convert: %w: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	img, err := png.Decode(bytes.NewReader(out))
	if err != nil {
		return nil, fmt.Errorf("decode rsvg-convert output: %w", err)
	}
	return img, nil
}

// DifferingPixels counts the pixels whose colour in img, composited on white
// and thresholded at 50 % (Rec. 601 luminance), disagrees with bm.
func DifferingPixels(bm *tracecore.Bitmap, img image.Image) int {
	b := img.Bounds()
	diff := 0
	for y := 0; y < bm.Height; y++ {
		for x := 0; x < bm.Width; x++ {
			r, g, bl, a := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			// premultiplied colour over white: c + (1 - a)
			lum := (299*(r+0xffff-a) + 587*(g+0xffff-a) + 114*(bl+0xffff-a)) / 1000
			if black := lum < 0x8000; black != bm.Black(x, y) {
				diff++
			}
		}
	}
	return diff
}

// PotraceSVG runs potrace -s on a PBM file with extra arguments and returns
// the SVG it writes.
func PotraceSVG(pbmPath string, args ...string) ([]byte, error) {
	cmd := exec.Command("potrace", append(append([]string{"-s", "-o", "-"}, args...), pbmPath)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("potrace: %w: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	return out, nil
}

// RequireTools skips the test when an external program it needs is
// missing, unless SVGTRACE_REQUIRE_TOOLS is set: make test sets it after
// installing them, so there a missing tool fails instead of passing
// silently.
func RequireTools(t testing.TB, names ...string) {
	t.Helper()
	for _, name := range names {
		if _, err := exec.LookPath(name); err != nil {
			if os.Getenv("SVGTRACE_REQUIRE_TOOLS") != "" {
				t.Fatalf("%s is not installed (make test installs it)", name)
			}
			t.Skipf("%s is not installed; make test installs it", name)
		}
	}
}
