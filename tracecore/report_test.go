package tracecore

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReport(t *testing.T) {
	// A 300×200 dark disc on white, traced at 100 px: the report gives the
	// image's size and the traced bitmap's, and sizes that match the outputs.
	img := image.NewGray(image.Rect(0, 0, 300, 200))
	for y := range 200 {
		for x := range 300 {
			v := uint8(255)
			if dx, dy := x-150, y-100; dx*dx+dy*dy < 80*80 {
				v = 20
			}
			img.SetGray(x, y, color.Gray{Y: v})
		}
	}
	o := DefaultOptions()
	o.MaxSide = 100
	res, err := TraceImage(context.Background(), img, o)
	require.NoError(t, err)
	rep := res.Report()

	assert.Equal(t, []int{300, 200, 100, 67}, []int{rep.Width, rep.Height, rep.TraceWidth, rep.TraceHeight})
	assert.Equal(t, 1, rep.Paths)
	assert.Equal(t, res.segmentCount(), rep.Segments)
	assert.Equal(t, string(res.SVG()), rep.SVG)
	assert.Equal(t, len(rep.SVG), rep.SVGBytes)
	assert.Equal(t, res.DataURI(), rep.DataURI)
	assert.Equal(t, len(rep.DataURI), rep.DataURIBytes)
	for _, s := range []Stage{StagePrepare, StageDecompose, StagePolygon, StageSmooth, StageOptimize, StageEncode} {
		assert.Contains(t, rep.Timings, s)
	}

	// The gzip size is of the SVG itself.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte(rep.SVG))
	require.NoError(t, zw.Close())
	assert.Equal(t, gz.Len(), rep.GzipBytes)
	zr, err := gzip.NewReader(&gz)
	require.NoError(t, err)
	back, err := io.ReadAll(zr)
	require.NoError(t, err)
	assert.Equal(t, rep.SVG, string(back))

	// JSON names as documented.
	data, err := json.Marshal(rep)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(data, &m))
	for _, k := range []string{"width", "height", "traceWidth", "traceHeight", "paths", "segments", "svgBytes", "dataURIBytes", "gzipBytes", "threshold", "color", "timings", "svg", "dataURI"} {
		assert.Contains(t, m, k)
	}
}
