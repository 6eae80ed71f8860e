// Package browser tests the browser side in a real headless Chromium
// (Debian's chromium, driven with chromedp): web/embed, the ES module other
// sites embed, served with the wasm (built once in TestMain, go run
// ./wasm/build -quick) by an httptest server on 127.0.0.1, an origin with no
// svgtrace backend; and the gallery app of a real `svgtrace serve` started
// with that wasm (--wasm-dir).
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
//   - TestEXIFOrientation: JPEGs stored turned (EXIF orientations 1, 3, 6,
//     8) trace at their displayed size and shape, as natively.
//   - TestGalleryClientTraces: a small photo is assigned to the browser,
//     traced in its Worker, shown, and stored as the client's trace.
//   - TestGalleryServerTraces: over the (lowered) client limits the backend
//     traces, and the placeholder reaches the page over the WebSocket.
//   - TestGalleryOffline: offline (network emulation; then the server
//     stopped), two files are traced in the Worker into the outbox; back
//     online they sync exactly once, stored as the Worker traced them.
//   - TestGallerySecondLoadOffline: the service worker serves the app and
//     the wasm offline; a file chosen then is traced into the outbox.
//   - TestGalleryOptionsPreview: the options panel previews its options on
//     the chosen file, traced locally, and follows their changes.
//   - TestGalleryKeyboardAndPhone: the drop zone opens the file chooser
//     from the keyboard, images keep alt text, and a phone-width viewport
//     has no horizontal scroll.
//
// Screenshots go to out/browser-artifacts/ of the module (or
// $SVGTRACE_ARTIFACTS), and every test logs where.
package browser
