package tracecore

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"github.com/svgtrace/svgtrace/tracecore/internal/netpbm"
)

// PBM reading: netpbm's bitmap format, plain (P1) and raw (P4), in which 1 is
// black. It is the input format of potrace, so the same file can be traced by
// both and the results compared.

// ReadPBM reads one PBM image. The header is checked against maxPixels
// (DefaultMaxPixels if ≤ 0) before the raster is allocated. Errors wrap
// ErrCorrupt for malformed or truncated data, ErrUnsupported for other netpbm
// kinds and ErrTooLarge for oversized headers.
func ReadPBM(r io.Reader, maxPixels int64) (*Bitmap, error) {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReader(r)
	}
	var magic [2]byte
	if _, err := io.ReadFull(br, magic[:]); err != nil {
		return nil, fmt.Errorf("%w: pbm: reading magic number: %v", ErrCorrupt, noEOF(err))
	}
	if magic[0] != 'P' || (magic[1] != '1' && magic[1] != '4') {
		if magic[0] == 'P' && magic[1] >= '2' && magic[1] <= '7' {
			return nil, fmt.Errorf("%w: pbm: netpbm kind P%c is not a bitmap", ErrUnsupported, magic[1])
		}
		return nil, fmt.Errorf("%w: pbm: bad magic number %q", ErrCorrupt, magic[:])
	}
	width, err := pbmHeaderInt(br, "width")
	if err != nil {
		return nil, err
	}
	height, err := pbmHeaderInt(br, "height")
	if err != nil {
		return nil, err
	}
	bm, err := NewBitmap(width, height, maxPixels)
	if err != nil {
		return nil, fmt.Errorf("pbm: %w", err)
	}
	if magic[1] == '4' {
		// Exactly one whitespace byte separates the header from the raster.
		if c, err := br.ReadByte(); err != nil || !netpbm.IsSpace(c) {
			return nil, fmt.Errorf("%w: pbm: no whitespace after header", ErrCorrupt)
		}
		err = readP4(br, bm)
	} else {
		err = readP1(br, bm)
	}
	if err != nil {
		return nil, err
	}
	return bm, nil
}

func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

func pbmHeaderInt(br *bufio.Reader, what string) (int, error) {
	v, c, err := netpbm.Number(br)
	switch {
	case errors.Is(err, netpbm.ErrTooManyDigits):
		return 0, fmt.Errorf("%w: pbm: %s has more than %d digits", ErrTooLarge, what, netpbm.MaxDigits)
	case errors.Is(err, netpbm.ErrNotNumber):
		return 0, fmt.Errorf("%w: pbm: %s is %q, not a number", ErrCorrupt, what, c)
	case err != nil:
		return 0, fmt.Errorf("%w: pbm: reading %s: %v", ErrCorrupt, what, noEOF(err))
	}
	return v, nil
}

// readP4 reads the raw raster: rows of ceil(width/8) bytes, most significant
// bit first, the same order as the Bitmap's words.
func readP4(br *bufio.Reader, bm *Bitmap) error {
	rowBytes := (bm.Width + 7) / 8
	buf := make([]byte, bm.Stride*8)
	last := bm.lastWordMask()
	for y := 0; y < bm.Height; y++ {
		clear(buf[rowBytes:])
		if _, err := io.ReadFull(br, buf[:rowBytes]); err != nil {
			return fmt.Errorf("%w: pbm: raster ends in row %d of %d: %v", ErrCorrupt, y, bm.Height, noEOF(err))
		}
		row := bm.Words[y*bm.Stride : (y+1)*bm.Stride]
		for i := range row {
			b := buf[i*8 : i*8+8]
			row[i] = uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 |
				uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7])
		}
		if len(row) > 0 {
			row[len(row)-1] &= last // padding bits of the last byte are not pixels
		}
	}
	return nil
}

// readP1 reads the plain raster: one character '0' or '1' per pixel, with
// whitespace and comments anywhere between them.
func readP1(br *bufio.Reader, bm *Bitmap) error {
	for y := 0; y < bm.Height; y++ {
		for x := 0; x < bm.Width; x++ {
			c, err := netpbm.SkipSpace(br)
			if err != nil {
				return fmt.Errorf("%w: pbm: raster ends at pixel (%d, %d): %v", ErrCorrupt, x, y, noEOF(err))
			}
			switch c {
			case '1':
				bm.Set(x, y, true)
			case '0':
			default:
				return fmt.Errorf("%w: pbm: pixel (%d, %d) is %q, not 0 or 1", ErrCorrupt, x, y, c)
			}
		}
	}
	return nil
}
