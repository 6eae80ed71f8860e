//go:build !js

package tracecore_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/svgtrace/svgtrace/tracecore"
	"github.com/svgtrace/svgtrace/tracecore/fidelity"
	"github.com/svgtrace/svgtrace/tracecore/imageio"
)

// imageTraceLoader is what image-trace-loader (npm, v1.4, node-potrace with
// its defaults: turd size 100, automatic threshold, SVGO at precision 0)
// makes of each test photo downscaled to 400 pixels: its data URI's bytes and
// the mismatch of its SVG against the bitmap node-potrace traced. The
// benchmarks reproduce it (make bench); picos' and brushes' bytes are the
// figures the placeholder preset was specified against.
var imageTraceLoader = []struct {
	file     string
	uriBytes int
	mismatch float64 // percent
}{
	{"picos.jpg", 2972, 1.588},
	{"brushes.jpg", 5281, 3.626},
	{"building.jpg", 5525, 3.586},
	{"fruits.jpg", 3580, 2.163},
}

// TestPlaceholderAgainstImageTraceLoader holds the placeholder preset to
// its promise: a data URI no larger than image-trace-loader's for the same
// photo, at a mismatch (against the placeholder's own bitmap) no worse.
func TestPlaceholderAgainstImageTraceLoader(t *testing.T) {
	requireTools(t, "rsvg-convert")
	for _, itl := range imageTraceLoader {
		t.Run(itl.file, func(t *testing.T) {
			data, err := os.ReadFile("testdata/images/" + itl.file)
			require.NoError(t, err)
			opts := tracecore.PlaceholderOptions()
			img, _, err := imageio.DecodeReduced(bytes.NewReader(data), 0, opts.MaxSide)
			require.NoError(t, err)
			p, err := tracecore.Prepare(t.Context(), img, opts)
			require.NoError(t, err)
			res, err := new(tracecore.Tracer).TracePrepared(t.Context(), p, opts)
			require.NoError(t, err)

			uri := res.DataURI()
			require.LessOrEqual(t, len(uri), itl.uriBytes, "data URI bytes")
			// Mismatch measures the shape: a light dominant colour would
			// render as white.
			mismatch, err := fidelity.Mismatch(p.Bitmap, fillAttr.ReplaceAll(res.SVG(), []byte(`fill="#000000"`)))
			require.NoError(t, err)
			require.LessOrEqual(t, mismatch, itl.mismatch, "mismatch %%")
			t.Logf("%s: %d bytes (image-trace-loader %d), mismatch %.3f %% (%.3f %%)", itl.file, len(uri), itl.uriBytes, mismatch, itl.mismatch)
		})
	}
}
