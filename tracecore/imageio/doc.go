// Package imageio turns encoded image bytes into an upright image.Image for
// tracecore: the backend and the command line trace any upload through it.
//
// It reads JPEG, PNG, GIF, WebP, BMP and netpbm (PBM, PGM and PPM, plain and
// raw, P1–P6), recognising the format from the first bytes only (Sniff),
// never from a file name. It links every decoder, so the browser's
// WebAssembly module, which gets its pixels from the browser, does not
// import it; tracecore.FromRGBA and tracecore.FromGray wrap such pixel
// buffers without a decoder.
//
// # Guarantees
//
//   - Size before pixels: Decode reads the header first (DecodeConfig) and
//     checks width×height with tracecore.CheckSize against maxPixels before
//     any decoder allocates the raster. A 68-byte PNG declaring 50000×50000,
//     or a small file that decompresses to more pixels than allowed, fails
//     with an error wrapping tracecore.ErrTooLarge having allocated a few
//     kilobytes.
//   - Bounded reading: the header is read at most once into a replay buffer,
//     which never grows past maxHeaderBytes (16 MiB); decoding then streams
//     the rest. Every decoder stops at the end of its image (JPEG EOI, PNG
//     IEND, the first GIF frame, the WebP chunks, the BMP and netpbm raster)
//     and may read ahead by at most a buffer (4 KiB); Decode never drains
//     the reader. Callers reading from a network still bound the stream
//     itself (http.MaxBytesReader), since a PNG may carry any number of
//     ancillary chunks.
//   - Typed errors: every error wraps tracecore.ErrCorrupt (malformed or
//     truncated data), tracecore.ErrUnsupported (an unknown format or a
//     variant no decoder reads: 12-bit JPEG, animated WebP, HEIF…) or
//     tracecore.ErrTooLarge (the tracecore.CheckSize error), and names the
//     format and what failed: "imageio: png: unexpected EOF". The decoder's
//     own error stays reachable with errors.Is and errors.As. A read error
//     of the underlying reader is returned wrapped as it is, with none of
//     those kinds, so a caller can tell a failed upload from a bad image.
//   - No panics: each decoder runs under a recover that turns a panic into
//     an error wrapping tracecore.ErrCorrupt, as defence in depth behind
//     the decoders' own checks (FuzzDecode exercises them). A recover cannot
//     catch a fatal runtime error such as running out of memory, which is
//     why the size check comes first.
//   - Upright output: a JPEG's EXIF orientation (1–8) is applied, so the
//     image is the one a browser displays; Config.Width and Height are the
//     displayed size, and the decoded image's bounds are always
//     image.Rect(0, 0, Width, Height). EXIF is looked for only in the APPn
//     segments before the first scan, in the first 128 KiB; malformed EXIF
//     is ignored (orientation 1), never an error. Other formats' EXIF
//     (PNG eXIf, WebP EXIF chunks) is not read.
//
// # Reduced scale
//
// DecodeReduced decodes for a trace of a given size (tracecore.Options'
// MaxSide): a JPEG at least twice that size on its longer side is decoded
// at the smallest of 1/8, 1/4 and 1/2 scale that still covers it, by the
// package's own decoder (internal/jpegscaled, written from ITU-T T.81), and
// returned as a *tracecore.Reduced standing for the full image. At 1/8 each
// pixel is the mean of its 8×8 block, from the block's DC coefficient
// alone; at 1/4 and 1/2 a reduced inverse DCT of the block's low
// frequencies gives 2×2 or 4×4 pixels, each within a level or two of the
// mean of the pixels it stands for. Tracing it gives what downscaling the
// full decode gives, but for specks and a threshold a level apart. It reads
// baseline and progressive Huffman JPEGs, grey or YCbCr; at 1/8 only a
// progressive file's DC scans are decoded. picos.jpg (3264×2448,
// progressive, 1.8 MB) decodes at 1/8 in about 7 ms where image/jpeg takes
// about 170 ms. Other JPEGs (CMYK, RGB, arithmetic-coded), JPEGs under
// twice the size and other formats are decoded as by Decode. The
// guarantees above hold alike; a truncated or damaged JPEG is an error
// whichever decoder reads it.
//
// EstimateDecode reckons, from the header, the scale DecodeReduced will use
// and the memory per pixel its decoder holds (a progressive 4:4:4 JPEG at
// full size keeps 15 bytes a pixel, a 4:2:0 one at 1/8 scale 0.07), so a
// service with a memory budget can admit pixels by it; it is within 15 %
// of what the decoders allocate.
//
// # Images returned
//
// Decoded images keep the decoder's compact types, which tracecore.FromImage
// reads row by row: *image.YCbCr (lossy JPEG and WebP), *image.Gray (grey
// JPEG, PNG, PBM with 0 and 255, PGM with maxval ≤ 255), *image.Gray16 (PGM
// with a larger maxval), *image.CMYK (CMYK and YCCK JPEG), *image.RGBA (RGB
// JPEG, PPM with maxval ≤ 255), *image.RGBA64 (PPM with a larger maxval),
// *image.Paletted (palette PNG, GIF, BMP) and the PNG, WebP and BMP
// decoders' other types (*image.NRGBA, *image.NRGBA64, *image.NYCbCrA…).
// Netpbm samples are scaled to the full 8- or 16-bit range. A GIF gives its
// first frame on its logical screen, transparent outside the frame. A lossy
// WebP's limited-range samples are stretched to full range, correcting
// x/image/webp's washed-out colours (golang/go#40173), so the backend sees
// what a browser shows. An orientation other than 1 makes a new image of
// the same type (a JPEG's YCbCr keeps its chroma subsampling, 4:2:2 and
// 4:4:0 trading places under a quarter turn).
//
// # Memory
//
// Decoding needs the image itself (1.5 bytes a pixel for a 4:2:0 JPEG, 4
// for RGBA, 8 for 16-bit RGBA) and whatever the decoder keeps besides: a
// progressive JPEG holds every DCT coefficient until its last scan, 4 bytes
// each, which is another 6 bytes a pixel at 4:2:0 (picos.jpg, 8 MP: 60 MB
// in all). At tracecore.DefaultMaxPixels (50 MP) that is about 375 MB;
// choose maxPixels with it in mind. A rotated JPEG needs a second image
// while the first is turned.
package imageio
