// Package jpegscaled decodes a JPEG at 1/8, 1/4 or 1/2 scale, for
// placeholders and previews that need a small image fast: an 8-megapixel
// progressive photo reduces to 408×306 in a few milliseconds, where
// decoding it at full size takes far longer.
//
// At 1/8 (Decode) each 8×8 block gives one sample from its DC coefficient
// alone. The DC coefficient is 8 times the mean of the block's samples
// (after the level shift of 128), so the DC-only image is the 8×8 area
// average of the full-size decode, up to rounding and to the clamping of
// samples to 0–255 that a full decode applies before averaging. At 1/4 and
// 1/2 (DecodeScaled) each block gives 2×2 or 4×4 samples: the inverse DCT
// of its top-left 2×2 or 4×4 coefficients evaluated at the centres of the
// 4×4 or 2×2 samples each stands for (idct.go derives it from T.81 A.3.3).
// Against image/jpeg's full decode averaged over the same boxes, the test
// photos differ by 0.2–1.8 levels on average per plane (TestDecodeScaledFiles).
// The package follows ITU-T T.81 (ISO/IEC 10918-1) for markers, Huffman
// decoding, DC prediction, restart intervals and progressive scans (Annex
// G: spectral selection, successive approximation, EOB runs); it reads
// JFIF's and Adobe's APP segments only to tell YCbCr from RGB.
//
// # What it decodes
//
// Huffman-coded 8-bit frames: baseline and extended sequential (SOF0,
// SOF1) and progressive (SOF2), with 1 component (grey, returned as
// *image.Gray) or 3 components in YCbCr (returned as *image.YCbCr) whose
// sampling factors give one of image.YCbCr's subsample ratios: 4:4:4,
// 4:2:2, 4:2:0, 4:4:0, 4:1:1 and 4:1:0. Everything else is ErrUnsupported:
// arithmetic coding, 12-bit samples, lossless and hierarchical frames, CMYK
// and YCCK (4 components), RGB JPEGs (an Adobe APP14 transform other than
// 1, or component ids 'R', 'G', 'B' without JFIF), other component counts
// and other sampling factors, and a frame height of 0 that a DNL marker
// defines later. Supported tells from the header alone whether Decode
// reads a file, so a caller can fall back to image/jpeg beforehand.
//
// Every scan that matters at the scale is Huffman-decoded in full, to stay
// in step, but only the coefficients the scale uses are kept: at 1/8 a
// sequential scan's AC coefficients are discarded and progressive AC scans
// are not decoded at all (their entropy-coded data is skipped by looking
// for the next marker); at 1/4 and 1/2 every AC coefficient is decoded and
// those outside the top-left 2×2 or 4×4 are discarded, except that a
// progressive frame remembers which of a block's 64 are nonzero, since an
// AC refinement scan codes a correction bit for exactly those.
//
// # Guarantees
//
//   - The 1/8 rule: the image has bounds image.Rect(0, 0, ⌈W/8⌉, ⌈H/8⌉)
//     for a W×H frame, and each sample is clamp(round(DC×Q/8) + 128,
//     0, 255) where DC is the block's DC coefficient and Q the DC entry of
//     its quantisation table: the mean of the 8×8 block of the full-size
//     image it covers, edge blocks including the encoder's padding. Each
//     plane of an *image.YCbCr is reduced in its own resolution, so chroma
//     planes have image.NewYCbCr's sizes for the reduced rectangle.
//   - The n/8 rule, n = 2 or 4: the image has bounds image.Rect(0, 0,
//     ⌈W·n/8⌉, ⌈H·n/8⌉), each block giving n×n samples (cropped at the
//     right and bottom edges), each clamp(round(s) + 128, 0, 255) for s the
//     reduced inverse DCT of idct.go, computed in integers so that every
//     platform gives the same bytes. A block with no nonzero kept AC
//     coefficient gives n×n samples of its 1/8 value. Planes are reduced in
//     their own resolution as at 1/8.
//   - Quantisation tables: a component's quantisers are those in force at
//     the first scan that codes its DC coefficient (for a progressive
//     frame, the first DC scan: later scans only refine the coefficients),
//     so a table redefined between scans affects only later components.
//   - Typed errors: every error wraps ErrCorrupt (malformed marker
//     segments, scan data that ends early, meets a marker too soon or
//     holds an invalid Huffman code, input that ends before EOI) or
//     ErrUnsupported (a valid JPEG this package does not read) and names
//     what was wrong: "jpegscaled: corrupt: DHT: table 5 out of range".
//     A truncated file is an error, as it is for image/jpeg, so a file
//     gets the same verdict whichever decoder reads it. (At 1/8 a
//     progressive file's skipped AC scans are checked only for reaching a
//     marker, so damage inside them is an error at 1/4 and 1/2 only.)
//   - No panics: Decode returns an error or an image for any input bytes;
//     FuzzDecode exercises it.
//   - Bounded allocation: Decode and DecodeScaled allocate the reduced
//     image and 2 bytes per reduced sample for the kept coefficients, and
//     for a progressive frame at 1/4 or 1/2 8 bytes per block for its
//     nonzero mask, once, at the first scan; the Huffman and quantisation
//     tables take a fixed 29 KiB. Nothing in the input enlarges that beyond
//     what the frame size it declares implies. The frame's width and height must be 1–65535; the caller
//     checks the pixel count before calling, as with any decoder.
package jpegscaled
