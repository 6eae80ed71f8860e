// Command browser is svgtrace's WebAssembly module for browsers,
// svgtrace.wasm: tracecore, run in a Web Worker on pixels the browser has
// decoded. Build it with GOOS=js GOARCH=wasm (go run ./wasm/build -o DIR,
// which also writes the precompressed copies and wasm_exec.js); natively
// it only says so.
//
// # API
//
// Loaded with the Go toolchain's wasm_exec.js (new Go(), then
// WebAssembly.instantiateStreaming and go.run), the module installs
// globalThis.svgtrace and keeps running for later calls:
//
//	svgtrace.version: string
//	svgtrace.trace(pixels, width, height, channels, options?, onProgress?, imageSize?): Promise<Result> & {cancel(): void}
//
//	pixels      Uint8Array | Uint8ClampedArray | ArrayBuffer: width×height
//	            pixels, row by row, channels bytes each: 4 for RGBA, not
//	            premultiplied (ImageData.data as is), 1 for grey. Copied
//	            before trace returns: the caller may reuse or transfer it.
//	width, height, channels  whole numbers; channels 1 or 4.
//	options     undefined, null or "" for the placeholder preset; an
//	            object of options by tracecore.Options' JSON names, or the
//	            same as JSON text. See "Options".
//	onProgress  (stage: string, fraction: number) => void, or undefined.
//	imageSize   {width, height} of the image the pixels were downscaled
//	            from, or undefined: the SVG keeps that size as its width
//	            and height and the traced size follows from it
//	            (tracecore.Reduced), as when the backend decodes a JPEG at
//	            reduced scale. It may not be smaller than the pixels.
//
//	Result = {svg: string, dataURI: string, width: number, height: number,
//	          stats: {width, height, traceWidth, traceHeight, paths, segments,
//	                  svgBytes, dataURIBytes, gzipBytes, threshold, color,
//	                  timings: {[stage]: ms}}}
//
// width and height are the image's (the SVG's width and height), stats is
// tracecore.Report by its JSON names without svg and dataURI; threshold is
// the level applied. The SVG is byte for byte what native tracecore makes of
// the same pixels and options (TestGolden, TestTrace/Golden).
//
// trace returns at once: the work starts in a microtask, after the caller
// has the handle, on its own goroutine, and resolves or rejects the Promise.
// Calls may overlap; each has its own tracecore.Tracer.
//
// # Options
//
// The base is tracecore.PlaceholderOptions, the placeholder preset, with
// the given fields over it, exactly as the server reads an upload's options
// (backend/server): the same options give the same trace in the browser and
// on the backend, and the hub's assigned options, which name every field,
// mean the same on both sides. A null field takes tracecore.DefaultOptions'
// value, as on the server. Unknown names are rejected. To trace with
// potrace's defaults instead, give every field (the JSON of
// tracecore.DefaultOptions()).
//
// # Progress, cancellation and errors
//
// onProgress gets tracecore's stage names (prepare, decompose, polygon,
// smooth, optimize; posterized images repeat them per layer) and a fraction
// from 0 to 1: every stage's start and end, and at most every 50 ms in
// between. If it throws, the trace stops and rejects with code "callback".
//
// js/wasm has one thread, so a trace runs until it blocks: every 100 ms of
// work it sleeps 1 ms, handing the thread to the event loop so that the
// Worker's message handler (and with it cancel) runs; a placeholder trace
// of a few milliseconds never does. cancel() cancels the trace's context:
// tracecore stops at its next check, and the Promise rejects with an Error
// named "AbortError", code "cancelled". cancel after the end does nothing.
//
// Every rejection is an Error whose message is the Go error's text
// (tracecore's own, naming the field or limit) with a code property:
// "invalid_options", "invalid_input" (arguments, buffer length), "too_large"
// (width×height over options.maxpixels, checked before anything is
// copied), "cancelled", "callback", or "internal" (a bug: a panic in Go is
// caught and rejected, so the module keeps serving later calls).
//
// # No decoders
//
// The browser decodes (createImageBitmap and OffscreenCanvas), applies EXIF
// orientation and may downscale; this module only traces. It imports
// tracecore, syscall/js and the standard library, and links none of
// image/jpeg, image/png, image/gif, golang.org/x/image, tracecore/imageio,
// nor the backend's database, queue or network packages (TestDeps). The
// larger wasm/full build adds decoding for environments without
// createImageBitmap.
//
// # Size
//
// Budget: 1 MB (10⁶ bytes) gzipped, checked by TestSize with
// compress/gzip at BestCompression, as wasm/build writes it. At the time of
// writing: 3.40 MB raw, 0.98 MB gzip, 0.73 MB brotli; a hello-world js/wasm
// program is 1.9 MB raw, 0.57 MB gzip, and tracecore with Report alone
// 0.94 MB gzip, so the API has about 40 KB gzipped and the budget is
// tight. To stay inside it the API avoids encoding/json (about 100 KB
// gzipped: options and stats cross as JavaScript values), reflection over
// struct tags, context.WithCancel, runtime/debug.ReadBuildInfo and generic
// sorts. When TestSize fails, compare the function sizes of an unstripped
// build (the wasm name section) with the previous one.
package main
