package tracecore

import (
	"context"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"os"
	"path/filepath"
	"testing"

	xdraw "golang.org/x/image/draw"
)

// benchImage decodes a test image (testdata/images, see SOURCES.md).
func benchImage(b *testing.B, name string) image.Image {
	f, err := os.Open(filepath.Join("testdata", "images", name))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		b.Fatal(err)
	}
	return img
}

// BenchmarkPrepare times Prepare alone: reading the pixels, downscaling,
// thresholding and, for the placeholder settings, the dominant colour.
// SetBytes counts the source's pixels, so MB/s is megapixels per second.
func BenchmarkPrepare(b *testing.B) {
	// picos.jpg is an 8-megapixel phone photo, 3264×2448, decoded as a
	// 4:2:0 *image.YCbCr; opencv-logo.png a 600×794 *image.NRGBA logo on
	// transparency.
	photo, logo := benchImage(b, "picos.jpg"), benchImage(b, "opencv-logo.png")
	placeholder := PlaceholderOptions()
	fixed400 := DefaultOptions()
	fixed400.MaxSide = 400
	for _, bc := range []struct {
		name string
		img  image.Image
		opts Options
	}{
		{"picos/placeholder", photo, placeholder},
		{"picos/fixed400", photo, fixed400},
		{"picos/full", photo, DefaultOptions()},
		{"opencv-logo/placeholder", logo, placeholder},
		{"opencv-logo/full", logo, DefaultOptions()},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var t Tracer
			ctx := context.Background()
			r := bc.img.Bounds()
			b.SetBytes(int64(r.Dx() * r.Dy()))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := t.Prepare(ctx, bc.img, bc.opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkBrowserPixels times what the browser's Worker asks of the wasm
// (svgtrace.trace): picos.jpg as a canvas gives it, 400×300 straight RGBA
// (here downscaled with x/image/draw, close to a browser's smoothing),
// traced with the placeholder preset and reported (SVG, data URI, sizes).
// Run under js/wasm it is the engine's part of the browser benchmark's
// "trace from pixels".
func BenchmarkBrowserPixels(b *testing.B) {
	photo := benchImage(b, "picos.jpg")
	r := photo.Bounds()
	px := image.NewNRGBA(image.Rect(0, 0, 400, 400*r.Dy()/r.Dx()))
	xdraw.ApproxBiLinear.Scale(px, px.Bounds(), photo, r, xdraw.Src, nil)
	opts := PlaceholderOptions()
	var t Tracer
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		res, err := t.TraceImage(ctx, px, opts)
		if err != nil {
			b.Fatal(err)
		}
		_ = res.Report()
	}
}
