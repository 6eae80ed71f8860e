package imageio

import (
	"image"
	"io"
	"math"

	"golang.org/x/image/webp"

	"github.com/svgtrace/svgtrace/tracecore"
)

// checkWebP rejects the WebP variant the decoder does not read, before it
// fails on it as "invalid format": an animation, whose extended header
// (VP8X) has the animation flag set.
func checkWebP(head []byte) error {
	const animationFlag = 1 << 1
	if len(head) > 20 && string(head[12:16]) == "VP8X" && head[20]&animationFlag != 0 {
		return &decodeError{kind: tracecore.ErrUnsupported, format: WebP, msg: "animated WebP is not supported"}
	}
	return nil
}

// decodeWebP decodes a WebP and, for a lossy one, corrects the range of its
// samples.
//
// Lossy WebP (VP8) stores limited-range ("studio swing") BT.601 YCbCr: Y
// from 16 for black to 235 for white, Cb and Cr 16…240 around 128. The
// decoder returns those samples as they are in an *image.YCbCr (or
// *image.NYCbCrA with alpha), whose colour model is full-range JFIF YCbCr,
// so black comes out as grey 16 and white as 235 (golang/go#40173, open).
// Browsers decode with the limited range; so that the backend traces what a
// browser shows, the samples are stretched to full range here: BT.601 and
// JFIF share the conversion matrix, so afterwards image/color's conversion
// gives the browser's colours up to rounding, and tracecore, which
// thresholds the Y plane of a YCbCr directly, sees the right luminance.
func decodeWebP(r io.Reader) (image.Image, error) {
	img, err := webp.Decode(r)
	if err != nil {
		return nil, err
	}
	switch m := img.(type) {
	case *image.YCbCr:
		fullRange(m)
	case *image.NYCbCrA:
		fullRange(&m.YCbCr)
	}
	return img, nil
}

// lumaFull and chromaFull map limited-range 8-bit samples to full range,
// rounding to nearest and clamping the values outside the nominal range.
var lumaFull, chromaFull = rangeTables()

func rangeTables() (luma, chroma [256]uint8) {
	clamp := func(v float64) uint8 { return uint8(max(0, min(255, math.Round(v)))) }
	for i := range 256 {
		luma[i] = clamp(float64(i-16) * 255 / 219)
		chroma[i] = clamp(float64(i-128)*255/224 + 128)
	}
	return luma, chroma
}

// fullRange rewrites m's planes, which the decoder made for this image
// alone, from limited to full range in place.
func fullRange(m *image.YCbCr) {
	for i, v := range m.Y {
		m.Y[i] = lumaFull[v]
	}
	for i, v := range m.Cb {
		m.Cb[i] = chromaFull[v]
	}
	for i, v := range m.Cr {
		m.Cr[i] = chromaFull[v]
	}
}
