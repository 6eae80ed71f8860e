// Package wasm holds svgtrace's entry points compiled to WebAssembly. Each
// is thin: it calls tracecore and nothing else of the repository.
//
//	wasm/browser         svgtrace.wasm: tracecore on pixels from a Web Worker
//	                     (globalThis.svgtrace.trace); no image decoders
//	wasm/browser/jsapi   the JavaScript API both modules share
//	wasm/full            svgtrace-full.wasm: the same, plus traceEncoded,
//	                     which decodes JPEG, PNG, GIF, WebP, BMP and netpbm
//	wasm/build           go run ./wasm/build [-o DIR]: builds both with
//	                     GOOS=js GOARCH=wasm -trimpath -ldflags="-s -w",
//	                     writes .wasm, .wasm.gz, .wasm.br and wasm_exec.js
//	                     (default web/dist, which svgtrace serve embeds)
//
// # Guarantees
//
//   - One API, documented in wasm/browser: trace(pixels, width, height,
//     channels, options, onProgress) resolves {svg, dataURI, width, height,
//     stats}, has cancel(), reports progress by tracecore's stage names, and
//     never blocks its caller; traceEncoded in the full build takes file
//     bytes instead of pixels.
//   - Options by tracecore's JSON names over the placeholder preset, as the
//     server reads them, so both sides trace the same options alike.
//   - Byte-identical SVG: the same pixels and options give the same bytes as
//     native tracecore (the golden files of wasm/browser/testdata, checked
//     natively and in js/wasm under Node).
//   - The browser module links no image decoder, database, queue or network
//     package (wasm/browser's TestDeps), and is at most 1 MB gzipped
//     (TestSize): about 0.98 MB gzip, 0.73 MB brotli. The full module is
//     about 1.21 MB gzip, 0.91 MB brotli.
//   - Every package builds natively too (the commands then only print how to
//     build them), so go build ./... and go vet ./... need no GOOS.
package wasm
