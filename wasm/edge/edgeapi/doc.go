// Package edgeapi is the HTTP face of svgtrace's edge worker (wasm/edge): a
// stateless http.Handler that traces the image a request carries and
// answers with its SVG, data URI or JSON report. It is plain Go and builds
// for every GOOS: wasm/edge serves it with syumai/workers on Cloudflare
// Workers (GOOS=js GOARCH=wasm) and with net/http natively, and its tests
// run it natively through httptest.
//
//	GET  /                  short usage text (text/plain)
//	POST /trace?OPTIONS     body: the image's bytes (JPEG, PNG, GIF, WebP,
//	                        BMP, netpbm: recognised by the bytes, not by
//	                        Content-Type); answer: the trace
//	OPTIONS *               CORS preflight
//
// Options are query parameters named as tracecore.Options' JSON fields
// (?threshold=0.4&turdsize=10&color=auto), set over the placeholder preset
// (tracecore.PlaceholderOptions) as the server and the WebAssembly modules
// read them (jsapi.ParseOptions does the setting): numbers and booleans as
// text, thresholds as comma-separated numbers, "null" for tracecore's
// default. The answer's form is the format parameter (svg, datauri, json)
// or else the Accept header (image/svg+xml, text/plain, application/json;
// */* and no header give SVG).
//
// # Guarantees
//
//   - Bounded memory before decoding: the body is read through
//     http.MaxBytesReader (MaxBytes, and a Content-Length above it is
//     refused unread), and the image's header is read before any pixel is
//     allocated. A JPEG that imageio decodes at reduced scale (the longer
//     side at least 2×maxside, YCbCr or grey) may have up to
//     MaxPixelsReduced pixels; every other image up to MaxPixels. Either
//     way an image whose decoder holds more than 8 bytes a pixel
//     (imageio.EstimateDecode) gets proportionally fewer, so no decode
//     holds more than MaxPixels × 8 bytes. The defaults keep one request
//     under about 90 MB at worst, inside a Worker's 128 MB (docs/edge.md,
//     "Limits").
//   - Bounded work: maxside must be 1 to MaxSide, so no trace runs on more
//     than MaxSide² pixels, and a request's context cancels the trace when
//     the caller goes away.
//   - Errors are JSON {"error", "code"} with the backend API's codes and
//     statuses: 400 invalid_options or bad_request, 404 not_found, 405
//     method_not_allowed (with Allow), 406 not_acceptable, 413 too_large
//     (bytes), 415 not_an_image, 422 too_many_pixels or corrupt_image, 500
//     internal. Only the code is stable; messages may change.
//   - CORS: every answer carries Access-Control-Allow-Origin: *, and a
//     preflight is answered 204 for any origin. No credentials are ever
//     allowed: the endpoint keeps no state and reads no cookies.
//   - The same SVG as native tracecore: the handler calls
//     tracecore/imageio.Trace with the parsed options, and tracecore's
//     output is byte-identical on every platform, so the Worker's answer
//     equals svgtrace trace's for the same bytes and options (wasm/edge's
//     TestWorkerd checks it under workerd).
//
// It imports tracecore, tracecore/imageio, wasm/browser/jsapi's plain-Go
// option parser and the standard library; nothing of backend/.
package edgeapi
