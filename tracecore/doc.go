// Package tracecore traces bitmaps into smooth vector outlines: svgtrace's
// engine, run natively by the backend workers and compiled to WebAssembly for
// browsers and the edge.
//
// It implements the algorithm of Peter Selinger, "Potrace: a polygon-based
// tracing algorithm" (2003), written from the paper and the project's own
// stage-by-stage description (TRACING.md); no potrace source was used. Each
// stage has its own file named after the paper's section:
//
//	bitmap.go     the bit-packed Bitmap
//	prepare.go    an image to a bitmap: alpha, scale.go (area averaging),
//	              threshold.go (fixed or Otsu), dominant.go (fill colour)
//	decompose.go  §2.1 path decomposition, turn policies, turd size
//	polygon.go    §2.2 straight subpaths and the optimal polygon
//	adjust.go     §2.3 vertex adjustment
//	smooth.go     §2.4 corners and curves (alphamax)
//	optimize.go   §2.5 curve optimisation (opticurve, opttolerance)
//	posterize.go  Options.Steps layers: multilevel Otsu, band tones
//	svg.go        canonical SVG output (docs/svg.md); datauri.go
//
// Decoders live apart, in tracecore/imageio, so the browser's WebAssembly
// module, which gets pixels from the browser (FromRGBA, FromGray), links none.
//
// # Guarantees
//
//   - Determinism: identical bitmaps and Options give byte-identical SVG on
//     every platform, natively and in js/wasm. Integer arithmetic is used
//     where the algorithm is integer; after that, every product that is added
//     to something is rounded explicitly so no compiler fuses a multiply-add,
//     only correctly rounded operations (+ − × ÷ and math.Sqrt) reach the
//     output, and no map order does. The golden tests run on both platforms
//     against the same files.
//   - Bounded input: every entry point checks width×height against
//     Options.MaxPixels (DefaultMaxPixels) before allocating, and errors wrap
//     the typed errors of errors.go with a message naming what was wrong.
//   - Cancellation: Trace checks its context between stages and every few
//     thousand units of work, and reports progress by stage name.
//   - Holes: outlines and holes are separate paths winding opposite ways, so
//     one nonzero-filled SVG path renders islands inside holes inside shapes.
//
// The package is pure Go, has no cgo and imports nothing from the rest of
// svgtrace; it builds for GOOS=js GOARCH=wasm.
package tracecore
