package imageio_test

import (
	"errors"
	"fmt"
	"image"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/svgtrace/svgtrace/tracecore"
	"github.com/svgtrace/svgtrace/tracecore/imageio"
)

// Netpbm samples are scaled from 0…maxval to the full 8- or 16-bit range,
// rounding to nearest; maxval 255 and 65535 keep them as they are.
func TestNetpbm(t *testing.T) {
	for _, c := range []struct {
		name string
		in   string
		want image.Image
	}{
		{"PGMPlainMaxval15", "P2\n3 1\n15\n0 7 15\n",
			&image.Gray{Pix: []byte{0, 119, 255}, Stride: 3, Rect: image.Rect(0, 0, 3, 1)}},
		{"PGMRawMaxval1", "P5 2 1 1\n\x00\x01",
			&image.Gray{Pix: []byte{0, 255}, Stride: 2, Rect: image.Rect(0, 0, 2, 1)}},
		{"PGMRawMaxval255", "P5 3 1 255\n\x00\x80\xff",
			&image.Gray{Pix: []byte{0, 128, 255}, Stride: 3, Rect: image.Rect(0, 0, 3, 1)}},
		// maxval 256 needs two bytes a sample: 128/256 of 65535 is 32767.5, rounded up.
		{"PGMRaw16Maxval256", "P5 2 1 256\n\x00\x80\x01\x00",
			&image.Gray16{Pix: []byte{0x80, 0x00, 0xff, 0xff}, Stride: 4, Rect: image.Rect(0, 0, 2, 1)}},
		{"PGMPlain16Maxval1000", "P2 2 1 1000 500 1000",
			&image.Gray16{Pix: []byte{0x80, 0x00, 0xff, 0xff}, Stride: 4, Rect: image.Rect(0, 0, 2, 1)}},
		{"PGMRaw16Maxval65535", "P5 1 1 65535\n\x12\x34",
			&image.Gray16{Pix: []byte{0x12, 0x34}, Stride: 2, Rect: image.Rect(0, 0, 1, 1)}},
		{"PPMPlainMaxval3", "P3 2 1 3\n3 0 0  1 2 3",
			&image.RGBA{Pix: []byte{255, 0, 0, 255, 85, 170, 255, 255}, Stride: 8, Rect: image.Rect(0, 0, 2, 1)}},
		{"PPMRaw", "P6 1 2 255\n\x01\x02\x03\x04\x05\x06",
			&image.RGBA{Pix: []byte{1, 2, 3, 255, 4, 5, 6, 255}, Stride: 4, Rect: image.Rect(0, 0, 1, 2)}},
		{"PPMRaw16", "P6 1 1 65535\n\x01\x02\x03\x04\x05\x06",
			&image.RGBA64{Pix: []byte{1, 2, 3, 4, 5, 6, 0xff, 0xff}, Stride: 8, Rect: image.Rect(0, 0, 1, 1)}},
		// Comments may sit anywhere in the header, and in a plain raster.
		{"Comments", "P2 # a grey map\n# width\n2\n#height\n 1 # maxval next\n255\n1 # first\n 2 # second",
			&image.Gray{Pix: []byte{1, 2}, Stride: 2, Rect: image.Rect(0, 0, 2, 1)}},
		{"CRLF", "P2\r\n2 1\r\n255\r\n1\r\n2\r\n",
			&image.Gray{Pix: []byte{1, 2}, Stride: 2, Rect: image.Rect(0, 0, 2, 1)}},
		// A raw raster starts after exactly one whitespace byte, even if
		// that byte's successors look like whitespace.
		{"RawSampleIsSpace", "P5 2 1 255\n\n ",
			&image.Gray{Pix: []byte{'\n', ' '}, Stride: 2, Rect: image.Rect(0, 0, 2, 1)}},
		{"PBMPlain", "P1 3 2\n1 0 1\n0 1 0\n",
			&image.Gray{Pix: []byte{0, 255, 0, 255, 0, 255}, Stride: 3, Rect: image.Rect(0, 0, 3, 2)}},
		{"PBMRaw", "P4 3 2\n\xa0\x40",
			&image.Gray{Pix: []byte{0, 255, 0, 255, 0, 255}, Stride: 3, Rect: image.Rect(0, 0, 3, 2)}},
		{"Empty", "P5 0 0 255\n", &image.Gray{Pix: []byte{}, Rect: image.Rect(0, 0, 0, 0)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			img, cfg, err := imageio.Decode(strings.NewReader(c.in), 0)
			require.NoError(t, err)
			assert.Equal(t, c.want.Bounds().Dx(), cfg.Width)
			assert.Equal(t, c.want.Bounds().Dy(), cfg.Height)
			assert.Equal(t, c.want, img)
		})
	}
}

func TestNetpbmErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		in   string
		kind error
		msg  string
	}{
		{"SampleOverMaxval", "P5 2 1 100\n\x10\x65", tracecore.ErrCorrupt,
			"imageio: pgm: sample 1 of row 0 is 101, over maxval 100"},
		{"PlainSampleOverMaxval", "P3 1 1 255 0 256 0", tracecore.ErrCorrupt,
			"imageio: ppm: sample 1 of row 0 is 256, over maxval 255"},
		{"PlainSampleHuge", "P2 1 1 65535 99999999999999999999", tracecore.ErrCorrupt,
			"imageio: pgm: sample 0 of row 0 is 65536, over maxval 65535"},
		{"RawTruncated", "P6 2 2 255\n\x01\x02\x03\x04\x05\x06\x07", tracecore.ErrCorrupt,
			"imageio: ppm: raster ends in row 1 of 2: unexpected EOF"},
		{"Raw16Truncated", "P5 2 1 65535\n\x01\x02\x03", tracecore.ErrCorrupt,
			"imageio: pgm: raster ends in row 0 of 1: unexpected EOF"},
		{"PlainTruncated", "P2 2 2 255 1 2 3", tracecore.ErrCorrupt,
			"imageio: pgm: raster ends in row 1 of 2: unexpected EOF"},
		{"PlainNotANumber", "P2 2 1 255 1 x", tracecore.ErrCorrupt,
			`imageio: pgm: raster ends in row 0 of 1: 'x' is not a number`},
		{"MaxvalZero", "P5 1 1 0\n\x00", tracecore.ErrCorrupt, "imageio: pgm: maxval 0 is outside 1…65535"},
		{"MaxvalTooLarge", "P5 1 1 65536\n\x00", tracecore.ErrCorrupt, "imageio: pgm: maxval 65536 is outside 1…65535"},
		{"MaxvalTooLong", "P5 1 1 0000000001\n\x00", tracecore.ErrCorrupt, "imageio: pgm: maxval has more than 9 digits"},
		{"WidthTooLong", "P5 1234567890 1 255\n", tracecore.ErrTooLarge, "imageio: pgm: width has more than 9 digits"},
		{"WidthNotANumber", "P6 w 1 255\n", tracecore.ErrCorrupt, `imageio: ppm: width is 'w', not a number`},
		{"HeightMissing", "P6 1", tracecore.ErrCorrupt, "imageio: ppm: reading height: unexpected EOF"},
		{"NoSpaceAfterHeader", "P5 1 1 255", tracecore.ErrCorrupt, "imageio: pgm: no whitespace after the header"},
		{"PBMNoSpaceAfterHeader", "P4 8 1", tracecore.ErrCorrupt, "imageio: pbm: no whitespace after the header"},
		{"PBMTruncated", "P4 8 2\n\xff", tracecore.ErrCorrupt, "imageio: pbm: raster ends in row 1 of 2: unexpected EOF"},
		{"PBMBadPixel", "P1 2 1\n1 2", tracecore.ErrCorrupt, "imageio: pbm: pixel (1, 0) is '2', not 0 or 1"},
		{"TooLarge", "P5 60000 60000 255\n", tracecore.ErrTooLarge,
			"imageio: pgm: tracecore: image too large: 60000×60000 pixels is over the limit of 50000000"},
	} {
		t.Run(c.name, func(t *testing.T) {
			img, _, err := imageio.Decode(strings.NewReader(c.in), 0)
			require.Error(t, err)
			assert.Nil(t, img)
			assert.Truef(t, errors.Is(err, c.kind), "%v does not wrap %v", err, c.kind)
			assert.Equal(t, c.msg, err.Error())
		})
	}
}

// Every netpbm fixture decodes to the same picture as the PNG it was made
// from, plain and raw alike: checked in TestDecode; here, that plain and
// raw files of one kind agree with each other exactly.
func TestNetpbmPlainMatchesRaw(t *testing.T) {
	for _, pair := range [][2]string{
		{"marks_plain.ppm", "marks.ppm"}, {"marks16_plain.ppm", "marks16.ppm"},
		{"gray_plain.pgm", "gray.pgm"}, {"gray16_plain.pgm", "gray16.pgm"},
		{"marks_plain.pbm", "marks.pbm"},
	} {
		t.Run(fmt.Sprint(pair[1]), func(t *testing.T) {
			plain, _, err := imageio.Decode(strings.NewReader(string(readFixture(t, pair[0]))), 0)
			require.NoError(t, err)
			raw, _, err := imageio.Decode(strings.NewReader(string(readFixture(t, pair[1]))), 0)
			require.NoError(t, err)
			assert.Equal(t, raw, plain)
		})
	}
}
