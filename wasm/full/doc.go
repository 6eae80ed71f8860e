// Command full is svgtrace's larger WebAssembly module,
// svgtrace-full.wasm, for environments without createImageBitmap: the
// browser module's API (wasm/browser's doc) plus one function that decodes
// encoded images itself:
//
//	svgtrace.traceEncoded(bytes, options?, onProgress?): Promise<Result> & {cancel(): void}
//
// bytes is a Uint8Array, Uint8ClampedArray or ArrayBuffer holding one JPEG
// (EXIF orientation applied), PNG, GIF (first frame), WebP, BMP or netpbm
// file, recognised by its bytes and traced by tracecore/imageio.Trace: a
// large JPEG is decoded at reduced scale when options.maxside allows, and
// width×height is checked against options.maxpixels before pixels are
// allocated. options, onProgress, cancel, the Result and the errors are
// trace's; onProgress first gets the stage "decode" (0, then 1 when the
// image is decoded), and a file that is not an image rejects with code
// "unsupported" or "corrupt".
//
// The decoders make it larger (about 4.3 MB raw, 1.21 MB gzip, 0.91 MB
// brotli), so a page loads it only when it must. It links no database,
// queue or network package (TestDeps). Build it with go run ./wasm/build.
package main
