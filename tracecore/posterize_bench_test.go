package tracecore_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/svgtrace/svgtrace/tracecore"
	"github.com/svgtrace/svgtrace/tracecore/imageio"
)

// BenchmarkPosterize posterizes testdata/images/picos.jpg into 4 grey
// layers at 400 pixels (decoding excluded), one Tracer reused.
func BenchmarkPosterize(b *testing.B) {
	data, err := os.ReadFile("testdata/images/picos.jpg")
	if err != nil {
		b.Fatal(err)
	}
	img, _, err := imageio.Decode(bytes.NewReader(data), 0)
	if err != nil {
		b.Fatal(err)
	}
	o := tracecore.DefaultOptions()
	o.Steps, o.MaxSide = 4, 400
	var t tracecore.Tracer
	b.ReportAllocs()
	for b.Loop() {
		if _, err := t.TraceImage(b.Context(), img, o); err != nil {
			b.Fatal(err)
		}
	}
}
