package tracecore_test

import (
	"bytes"
	"image"
	"os"
	"testing"

	"github.com/svgtrace/svgtrace/tracecore"
	"github.com/svgtrace/svgtrace/tracecore/imageio"
)

// BenchmarkPosterize posterizes testdata/images/picos.jpg into 4 grey
// layers at 400 pixels, decoding excluded, one Tracer reused: 400px starts
// from the 408×306 image DecodeReduced gives (the upload path), full from
// the 3264×2448 full-size decode, which adds downscaling 8 megapixels.
func BenchmarkPosterize(b *testing.B) {
	data, err := os.ReadFile("testdata/images/picos.jpg")
	if err != nil {
		b.Fatal(err)
	}
	reduced, _, err := imageio.DecodeReduced(bytes.NewReader(data), 0, 400)
	if err != nil {
		b.Fatal(err)
	}
	full, _, err := imageio.Decode(bytes.NewReader(data), 0)
	if err != nil {
		b.Fatal(err)
	}
	o := tracecore.DefaultOptions()
	o.Steps, o.MaxSide = 4, 400
	for _, c := range []struct {
		name string
		img  image.Image
	}{{"400px", reduced}, {"full", full}} {
		b.Run(c.name, func(b *testing.B) {
			var t tracecore.Tracer
			b.ReportAllocs()
			for b.Loop() {
				if _, err := t.TraceImage(b.Context(), c.img, o); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
