package tracecore

import (
	"compress/gzip"
	"io"
	"sync"
	"time"
)

// A Report describes a finished trace for people and programs: the JSON
// output of svgtrace trace --format json and of the API. Every field but
// Timings is the same on every platform for the same input and options.
type Report struct {
	Width        int       `json:"width"`       // the image's size: the SVG's width and height
	Height       int       `json:"height"`      //
	TraceWidth   int       `json:"traceWidth"`  // the traced bitmap's size: the SVG's viewBox
	TraceHeight  int       `json:"traceHeight"` //
	Paths        int       `json:"paths"`
	Segments     int       `json:"segments"`
	SVGBytes     int       `json:"svgBytes"`
	DataURIBytes int       `json:"dataURIBytes"`
	GzipBytes    int       `json:"gzipBytes"` // the SVG gzipped at the default level
	Threshold    Threshold `json:"threshold"` // the threshold applied
	Color        string    `json:"color"`     // the fill applied
	// Timings are milliseconds per stage, encode (SVG, data URI and gzip
	// sizes) included.
	Timings map[Stage]float64 `json:"timings"`
	SVG     string            `json:"svg"`
	DataURI string            `json:"dataURI"`
}

// Report encodes the trace and describes it.
func (r *Result) Report() Report {
	start := time.Now()
	svg := r.SVG()
	uri := appendDataURI(nil, svg)
	gzipBytes := gzipSize(svg)
	encode := time.Since(start)

	rep := Report{
		TraceWidth: r.Width, TraceHeight: r.Height,
		Paths:        r.pathCount(),
		Segments:     r.segmentCount(),
		SVGBytes:     len(svg),
		DataURIBytes: len(uri),
		GzipBytes:    gzipBytes,
		Threshold:    r.Options.Threshold,
		Color:        r.Options.Color,
		Timings:      map[Stage]float64{StageEncode: ms(encode)},
		SVG:          string(svg),
		DataURI:      string(uri),
	}
	rep.Width, rep.Height = r.imageSize()
	for _, st := range r.Timings {
		rep.Timings[st.Stage] += ms(st.Duration)
	}
	return rep
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// gzipWriters keeps gzip writers between Reports: a new one allocates its
// compressor's ~800 KB of tables, 300 times the placeholder it measures,
// and in js/wasm growing and collecting that memory costs more than
// compressing.
var gzipWriters = sync.Pool{New: func() any { return gzip.NewWriter(io.Discard) }}

// gzipSize returns the length of b gzipped at the default level.
func gzipSize(b []byte) int {
	var n byteCounter
	zw := gzipWriters.Get().(*gzip.Writer)
	zw.Reset(&n)
	zw.Write(b) // writes to a byteCounter do not fail
	zw.Close()
	zw.Reset(io.Discard) // hold no reference to n
	gzipWriters.Put(zw)
	return int(n)
}

// A byteCounter counts the bytes written to it.
type byteCounter int

func (c *byteCounter) Write(p []byte) (int, error) {
	*c += byteCounter(len(p))
	return len(p), nil
}
