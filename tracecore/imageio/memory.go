package imageio

import (
	"fmt"

	"github.com/svgtrace/svgtrace/tracecore/imageio/internal/jpegscaled"
)

// A DecodeCost is what DecodeReduced will hold in memory to decode an
// image, beside its encoded bytes, as EstimateDecode reckons it.
type DecodeCost struct {
	// Scale is n where a JPEG is decoded at n/8 of its size (1, 2 or 4),
	// and 8 where the image is decoded at full size.
	Scale int
	// BytesPerPixel is the decoder's memory per pixel of the image, at
	// most: its raster and, for a progressive JPEG, the coefficients it
	// keeps for every block until the last scan.
	BytesPerPixel float64
}

// Bytes per pixel of the decoders, for EstimateDecode.
const (
	// anyBytesPerPixel bounds the formats other than JPEG: a 16-bit RGBA
	// PNG's raster (image.NRGBA64) is the largest any of them decodes to.
	anyBytesPerPixel = 8
	// progressiveBytesPerSample is what image/jpeg keeps of a progressive
	// JPEG beyond the sample itself: each block's 64 coefficients as
	// int32s, 4 bytes a sample, for the whole frame until the last scan.
	progressiveBytesPerSample = 4
	// convertedBytesPerPixel is the RGBA or CMYK image image/jpeg makes of
	// a JPEG that is not grey or YCbCr, beside the planes it decoded.
	convertedBytesPerPixel = 4
)

// WorstBytesPerPixel is the most any decode here holds a pixel, that of a
// progressive CMYK JPEG at full size: 4 samples × (1 + 4) + 4. A JPEG
// whose frame header cannot be found is reckoned at it.
const WorstBytesPerPixel = 4*(1+progressiveBytesPerSample) + convertedBytesPerPixel

// PixelsWithin returns the most pixels whose decode holds no more than
// budget bytes at the cost's rate.
func (c DecodeCost) PixelsWithin(budget int64) int64 {
	return int64(float64(budget) / c.BytesPerPixel)
}

// ScaleName says at what scale the image is decoded, for messages: "at
// full size", "at 1/8 scale", "at 1/4 scale" or "at 1/2 scale".
func (c DecodeCost) ScaleName() string {
	if c.Scale >= 8 || c.Scale <= 0 {
		return "at full size"
	}
	return fmt.Sprintf("at 1/%d scale", 8/c.Scale)
}

// EstimateDecode reckons what DecodeReduced will hold to decode data, an
// image whose header is cfg (from DecodeConfig), for a trace of maxSide
// pixels: the scale it decodes at, and its memory per pixel beside data.
// A service with a memory budget admits PixelsWithin(budget) pixels
// (wasm/edge and the server do): a pixel limit alone admits a progressive
// 4:4:4 JPEG needing twice what a 4:2:0 one of the same size needs.
//
// The figures count the decoder's own allocations for the frame (planes
// rounded up to whole blocks are not counted; they add a few percent at
// most) and not the trace's, which work at the traced size. For a JPEG
// they come from its frame header: the samples per pixel its components'
// sampling factors give (1 for grey, 1.5 for 4:2:0, 3 for 4:4:4) times,
// at full size, 1 byte for the sample and 4 more in a progressive file,
// plus 4 for a CMYK or RGB one's converted image; at scale n/8, the kept
// n×n coefficients (2 bytes each) and samples of each 64-pixel block, and
// a progressive file's 8-byte mask. Other formats are reckoned at 8 bytes
// a pixel, the most any of their decoders holds.
func EstimateDecode(data []byte, cfg Config, maxSide int) DecodeCost {
	if cfg.Format != JPEG {
		return DecodeCost{Scale: 8, BytesPerPixel: anyBytesPerPixel}
	}
	f, ok := jpegFrame(data)
	if !ok {
		return DecodeCost{Scale: 8, BytesPerPixel: WorstBytesPerPixel}
	}
	supported := jpegscaled.Supported(data)
	if n := jpegScale(max(cfg.Width, cfg.Height), maxSide); n > 0 && supported {
		perBlock := 3 * n * n // n×n coefficients of 2 bytes, n×n samples
		if f.progressive && n > 1 {
			perBlock += 8 // the nonzero mask of an AC refinement scan
		}
		return DecodeCost{Scale: n, BytesPerPixel: f.samples * float64(perBlock) / 64}
	}
	bpp := f.samples
	if f.progressive {
		bpp *= 1 + progressiveBytesPerSample
	}
	if f.components > 1 && !supported {
		// Not YCbCr as the reduced decoder reads it: image/jpeg converts
		// CMYK and RGB to an image of their own. (A YCbCr one it does not
		// read, such as arithmetic-coded, image/jpeg refuses too.)
		bpp += convertedBytesPerPixel
	}
	return DecodeCost{Scale: 8, BytesPerPixel: bpp}
}

// A frameHeader is what EstimateDecode needs of a JPEG's frame header
// (T.81 B.2.2).
type frameHeader struct {
	components  int
	samples     float64 // samples per pixel: Σ Hi·Vi / (Hmax·Vmax)
	progressive bool
}

// jpegFrame finds the frame header of the JPEG in data, walking the
// marker segments from SOI, and reports false if there is none before the
// first scan or it is malformed.
func jpegFrame(data []byte) (frameHeader, bool) {
	if len(data) < 4 || data[0] != 0xff || data[1] != 0xd8 {
		return frameHeader{}, false
	}
	for i := 2; i+4 <= len(data); {
		if data[i] != 0xff {
			return frameHeader{}, false
		}
		m := data[i+1]
		switch {
		case m == 0xff: // fill byte before a marker
			i++
			continue
		case m == 0x01 || (m >= 0xd0 && m <= 0xd7): // no segment
			i += 2
			continue
		case m == 0xd9 || m == 0xda: // EOI or SOS before any frame
			return frameHeader{}, false
		}
		n := int(data[i+2])<<8 | int(data[i+3])
		if n < 2 || i+2+n > len(data) {
			return frameHeader{}, false
		}
		seg := data[i+4 : i+2+n]
		// SOF0–SOF15 but DHT (C4), JPG (C8) and DAC (CC).
		if m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc {
			return parseFrame(seg, m)
		}
		i += 2 + n
	}
	return frameHeader{}, false
}

// parseFrame reads a frame header segment (after its length) of marker m.
func parseFrame(seg []byte, m byte) (frameHeader, bool) {
	if len(seg) < 6 {
		return frameHeader{}, false
	}
	nc := int(seg[5])
	if nc == 0 || len(seg) < 6+3*nc {
		return frameHeader{}, false
	}
	hmax, vmax, sum := 1, 1, 0
	for c := range nc {
		h, v := int(seg[7+3*c]>>4), int(seg[7+3*c]&15)
		if h < 1 || v < 1 {
			return frameHeader{}, false
		}
		hmax, vmax, sum = max(hmax, h), max(vmax, v), sum+h*v
	}
	// SOF2, SOF6, SOF10 and SOF14 are the progressive processes.
	progressive := m == 0xc2 || m == 0xc6 || m == 0xca || m == 0xce
	return frameHeader{components: nc, samples: float64(sum) / float64(hmax*vmax), progressive: progressive}, true
}
