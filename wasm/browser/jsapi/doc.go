// Package jsapi is the JavaScript face of svgtrace's WebAssembly builds: it
// installs the global svgtrace object (Register) whose trace function runs
// tracecore on pixels handed over from JavaScript, with tracecore's options,
// progress callbacks and cancellation, and resolves a Promise with the SVG,
// its data URI and the trace's statistics. The browser build
// (wasm/browser) is Register alone; the full build (wasm/full) adds
// traceEncoded with Start, Bytes and the option helpers exported here.
//
// The API, the options base and the errors are documented in
// wasm/browser's package doc. Everything but ParseOptions builds only for
// GOOS=js GOARCH=wasm; ParseOptions is plain Go, tested natively.
//
// It imports tracecore, syscall/js and the standard library only: no image
// decoder, so the browser build links none.
package jsapi
