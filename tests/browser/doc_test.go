// Package browser tests web/embed, the ES module other sites embed, in a
// real headless Chromium (Debian's chromium, driven with chromedp): the wasm
// is built once in TestMain (go run ./wasm/build) and served with web/embed
// by an httptest server on 127.0.0.1, an origin with no svgtrace backend.
// Without chromium the tests skip, unless SVGTRACE_REQUIRE_TOOLS=1 (make
// test), when they fail. What they pin:
//
//   - TestEmbedDemo: the demo page traces a JPEG alone: the placeholder img
//     shows an SVG with the image's width and height, then the image loads.
//   - TestByteIdentity: the module's trace of ImageData gives the SVG that
//     native tracecore makes of the same RGBA pixels and options, byte for
//     byte (placeholder preset, explicit options, downscaled, posterized).
//   - TestErrors: rejections are Errors with the wasm's and the module's codes
//     (invalid_options, invalid_input, decode, too_large, cancelled).
//   - TestCancel: aborting an AbortSignal during a large trace rejects the
//     call with an AbortError, the Worker's trace stops (the wasm reports
//     code "cancelled", never a result), and the tracer keeps working.
//
// Screenshots go to out/browser-artifacts/ of the module (or
// $SVGTRACE_ARTIFACTS), and every test logs where.
package browser
