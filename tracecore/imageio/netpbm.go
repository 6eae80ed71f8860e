package imageio

import (
	"bufio"
	"errors"
	"fmt"
	"image"
	"io"

	"github.com/svgtrace/svgtrace/tracecore"
	"github.com/svgtrace/svgtrace/tracecore/internal/netpbm"
)

// Netpbm (netpbm's pbm, pgm and ppm manual pages): a magic number P1–P6,
// then the decimal width, height and, except for PBM, maxval, separated by
// whitespace and # comments that run to the end of a line; then the raster.
// The plain kinds (P1–P3) write each sample in decimal, separated by
// whitespace; the raw ones (P4–P6) start the raster after exactly one
// whitespace byte and write each sample as one byte when maxval < 256 and
// as two, most significant first, otherwise. PBM goes through
// tracecore.ReadPBM; PGM and PPM are read here.

type pnmHeader struct {
	format        Format
	raw           bool
	width, height int
	maxval        int // 1 for PBM
}

func pnmError(kind error, f Format, format string, args ...any) error {
	return &decodeError{kind: kind, format: f, msg: fmt.Sprintf(format, args...)}
}

func eofText(err error) string {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return "unexpected EOF"
	}
	return err.Error()
}

// readPNMHeader reads a netpbm header, up to and including the one
// whitespace byte that ends it for the raw kinds.
func readPNMHeader(br *bufio.Reader) (pnmHeader, error) {
	var magic [2]byte
	if _, err := io.ReadFull(br, magic[:]); err != nil {
		return pnmHeader{}, pnmError(tracecore.ErrCorrupt, "", "netpbm: reading magic number: %s", eofText(err))
	}
	h := pnmHeader{maxval: 1, raw: magic[1] >= '4'}
	switch string(magic[:]) {
	case "P1", "P4":
		h.format = PBM
	case "P2", "P5":
		h.format = PGM
	case "P3", "P6":
		h.format = PPM
	default:
		return h, pnmError(tracecore.ErrCorrupt, "", "netpbm: bad magic number %q", magic[:])
	}
	var err error
	if h.width, err = pnmNumber(br, h.format, "width"); err != nil {
		return h, err
	}
	if h.height, err = pnmNumber(br, h.format, "height"); err != nil {
		return h, err
	}
	if h.format != PBM {
		if h.maxval, err = pnmNumber(br, h.format, "maxval"); err != nil {
			return h, err
		}
		if h.maxval < 1 || h.maxval > 65535 {
			return h, pnmError(tracecore.ErrCorrupt, h.format, "maxval %d is outside 1…65535", h.maxval)
		}
	}
	if h.raw {
		if c, err := br.ReadByte(); err != nil || !netpbm.IsSpace(c) {
			return h, pnmError(tracecore.ErrCorrupt, h.format, "no whitespace after the header")
		}
	}
	return h, nil
}

// pnmNumber reads a header number, leaving the byte after it unread.
func pnmNumber(br *bufio.Reader, f Format, what string) (int, error) {
	v, c, err := netpbm.Number(br)
	switch {
	case errors.Is(err, netpbm.ErrTooManyDigits):
		kind := tracecore.ErrTooLarge
		if what == "maxval" {
			kind = tracecore.ErrCorrupt
		}
		return 0, pnmError(kind, f, "%s has more than %d digits", what, netpbm.MaxDigits)
	case errors.Is(err, netpbm.ErrNotNumber):
		return 0, pnmError(tracecore.ErrCorrupt, f, "%s is %q, not a number", what, c)
	case err != nil:
		return 0, pnmError(tracecore.ErrCorrupt, f, "reading %s: %s", what, eofText(err))
	}
	return v, nil
}

// plainSample reads the next decimal sample of a plain raster. Values past
// 65535 saturate at 65536: any of them is over maxval.
func plainSample(br *bufio.Reader) (int, error) {
	c, err := netpbm.SkipSpace(br)
	if err != nil {
		return 0, err
	}
	if c < '0' || c > '9' {
		return 0, fmt.Errorf("%q is not a number", c)
	}
	v := 0
	for {
		v = min(v*10+int(c-'0'), 1<<16)
		if c, err = br.ReadByte(); err != nil {
			if err == io.EOF {
				return v, nil // the last sample may end the file
			}
			return v, err
		}
		if c < '0' || c > '9' {
			_ = br.UnreadByte()
			return v, nil
		}
	}
}

// decodePBM reads a PBM with tracecore.ReadPBM and returns it as an
// *image.Gray: black 0, white 255.
func decodePBM(r io.Reader, maxPixels int64) (image.Image, error) {
	bm, err := tracecore.ReadPBM(r, maxPixels)
	if err != nil {
		return nil, err
	}
	m := image.NewGray(image.Rect(0, 0, bm.Width, bm.Height))
	for y := 0; y < bm.Height; y++ {
		words := bm.Words[y*bm.Stride : (y+1)*bm.Stride]
		row := m.Pix[y*m.Stride : y*m.Stride+bm.Width]
		for x := range row {
			// Bitmap packs pixel x at bit 63-x%64 of word x/64, 1 for black.
			row[x] = uint8(words[x/64]>>(63-x%64)&1) - 1 // 1 → 0, 0 → 255
		}
	}
	return m, nil
}

// decodePNM reads a PGM or PPM: *image.Gray or *image.RGBA (opaque) when
// maxval < 256, *image.Gray16 or *image.RGBA64 otherwise, every sample
// scaled from 0…maxval to the full range, rounding to nearest. A sample
// over maxval is an error wrapping tracecore.ErrCorrupt.
func decodePNM(r io.Reader, maxPixels int64) (image.Image, error) {
	br := bufio.NewReader(r)
	h, err := readPNMHeader(br)
	if err != nil {
		return nil, err
	}
	if err := tracecore.CheckSize(h.width, h.height, maxPixels); err != nil {
		return nil, err
	}
	w, maxval := h.width, uint32(h.maxval)
	channels, sampleBytes := 1, 1
	if h.format == PPM {
		channels = 3
	}
	if maxval > 255 {
		sampleBytes = 2
	}
	rect := image.Rect(0, 0, w, h.height)
	var img image.Image
	switch {
	case channels == 1 && sampleBytes == 1:
		img = image.NewGray(rect)
	case channels == 1:
		img = image.NewGray16(rect)
	case sampleBytes == 1:
		img = image.NewRGBA(rect)
	default:
		img = image.NewRGBA64(rect)
	}
	samples := make([]uint32, w*channels)
	var raw []byte
	if h.raw {
		raw = make([]byte, len(samples)*sampleBytes)
	}
	for y := 0; y < h.height; y++ {
		if h.raw {
			if _, err := io.ReadFull(br, raw); err != nil {
				return nil, pnmError(tracecore.ErrCorrupt, h.format, "raster ends in row %d of %d: %s", y, h.height, eofText(err))
			}
			if sampleBytes == 1 {
				for i, b := range raw {
					samples[i] = uint32(b)
				}
			} else {
				for i := range samples {
					samples[i] = uint32(raw[2*i])<<8 | uint32(raw[2*i+1])
				}
			}
		} else {
			for i := range samples {
				v, err := plainSample(br)
				if err != nil {
					return nil, pnmError(tracecore.ErrCorrupt, h.format, "raster ends in row %d of %d: %s", y, h.height, eofText(err))
				}
				samples[i] = uint32(v)
			}
		}
		for i, v := range samples {
			if v > maxval {
				return nil, pnmError(tracecore.ErrCorrupt, h.format, "sample %d of row %d is %d, over maxval %d", i, y, v, maxval)
			}
		}
		switch m := img.(type) {
		case *image.Gray:
			row := m.Pix[y*m.Stride : y*m.Stride+w]
			for x := range row {
				row[x] = uint8((samples[x]*255 + maxval/2) / maxval)
			}
		case *image.Gray16:
			row := m.Pix[y*m.Stride : y*m.Stride+2*w]
			for x := 0; x < w; x++ {
				v := (samples[x]*65535 + maxval/2) / maxval
				row[2*x], row[2*x+1] = uint8(v>>8), uint8(v)
			}
		case *image.RGBA:
			row := m.Pix[y*m.Stride : y*m.Stride+4*w]
			for x := 0; x < w; x++ {
				s := samples[3*x : 3*x+3 : 3*x+3]
				p := row[4*x : 4*x+4 : 4*x+4]
				p[0] = uint8((s[0]*255 + maxval/2) / maxval)
				p[1] = uint8((s[1]*255 + maxval/2) / maxval)
				p[2] = uint8((s[2]*255 + maxval/2) / maxval)
				p[3] = 0xff
			}
		case *image.RGBA64:
			row := m.Pix[y*m.Stride : y*m.Stride+8*w]
			for x := 0; x < w; x++ {
				s := samples[3*x : 3*x+3 : 3*x+3]
				p := row[8*x : 8*x+8 : 8*x+8]
				for c := 0; c < 3; c++ {
					v := (s[c]*65535 + maxval/2) / maxval
					p[2*c], p[2*c+1] = uint8(v>>8), uint8(v)
				}
				p[6], p[7] = 0xff, 0xff
			}
		}
	}
	return img, nil
}
