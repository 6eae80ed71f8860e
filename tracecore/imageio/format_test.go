package imageio_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/svgtrace/svgtrace/tracecore"
	"github.com/svgtrace/svgtrace/tracecore/imageio"
)

func TestSniff(t *testing.T) {
	for _, c := range []struct {
		name string
		head string
		want imageio.Format
		err  error  // the kind, when Sniff fails
		msg  string // the whole message, when Sniff fails
	}{
		{"JPEG", "\xff\xd8\xff\xe0\x00\x10JFIF\x00", imageio.JPEG, nil, ""},
		{"JPEGShortest", "\xff\xd8\xff", imageio.JPEG, nil, ""},
		{"PNG", "\x89PNG\r\n\x1a\n\x00\x00\x00\x0d", imageio.PNG, nil, ""},
		{"GIF87a", "GIF87a\x30\x00", imageio.GIF, nil, ""},
		{"GIF89a", "GIF89a\x30\x00", imageio.GIF, nil, ""},
		{"WebP", "RIFF\x24\x00\x00\x00WEBPVP8 ", imageio.WebP, nil, ""},
		{"BMP", "BM\x36\x12\x00\x00", imageio.BMP, nil, ""},
		{"PlainPBM", "P1\n4 4\n", imageio.PBM, nil, ""},
		{"RawPBM", "P4 4 4\n", imageio.PBM, nil, ""},
		{"PlainPGM", "P2\t4 4 255\n", imageio.PGM, nil, ""},
		{"RawPGM", "P5\r\n4 4", imageio.PGM, nil, ""},
		{"PlainPPM", "P3\n# comment", imageio.PPM, nil, ""},
		{"RawPPM", "P6 1 1 255\n", imageio.PPM, nil, ""},

		{"Empty", "", "", tracecore.ErrCorrupt, "imageio: empty input"},
		{"Text", "hello, world\n", "", tracecore.ErrUnsupported, `imageio: unsupported format: bytes start "hello, w"`},
		{"HTML", "<!DOCTYPE html>", "", tracecore.ErrUnsupported, `imageio: unsupported format: bytes start "<!DOCTYP"`},
		{"RIFFNotWebP", "RIFF\x24\x00\x00\x00WAVEfmt ", "", tracecore.ErrUnsupported, `imageio: unsupported format: bytes start "RIFF$\x00\x00\x00"`},
		{"GIF88", "GIF88a\x30\x00", "", tracecore.ErrUnsupported, `imageio: unsupported format: bytes start "GIF88a0\x00"`},
		{"NetpbmNoSpace", "P5x4 4 255", "", tracecore.ErrUnsupported, `imageio: unsupported format: bytes start "P5x4 4 2"`},
		{"PAM", "P7\nWIDTH 4\n", "", tracecore.ErrUnsupported, `imageio: unsupported format: pam (bytes start "P7\nWIDTH")`},
		{"TIFF", "II*\x00\x08\x00\x00\x00", "", tracecore.ErrUnsupported, `imageio: unsupported format: tiff (bytes start "II*\x00\b\x00\x00\x00")`},
		{"HEIC", "\x00\x00\x00\x18ftypheic\x00\x00", "", tracecore.ErrUnsupported, `imageio: unsupported format: heif (bytes start "\x00\x00\x00\x18ftyp")`},
		{"AVIF", "\x00\x00\x00\x1cftypavif\x00\x00", "", tracecore.ErrUnsupported, `imageio: unsupported format: avif (bytes start "\x00\x00\x00\x1cftyp")`},
		{"SVG", "<svg xmlns=", "", tracecore.ErrUnsupported, `imageio: unsupported format: svg (bytes start "<svg xml")`},

		// A whole input shorter than the signature it starts is truncated.
		{"TruncatedPNG", "\x89PNG\r", "", tracecore.ErrCorrupt, `imageio: truncated: the input is "\x89PNG\r", the start of a png signature`},
		{"TruncatedJPEG", "\xff\xd8", "", tracecore.ErrCorrupt, `imageio: truncated: the input is "\xff\xd8", the start of a jpeg signature`},
		{"TruncatedWebP", "RIFF\x24\x00", "", tracecore.ErrCorrupt, `imageio: truncated: the input is "RIFF$\x00", the start of a webp signature`},
		{"TruncatedNetpbm", "P5", imageio.PGM, tracecore.ErrCorrupt, `imageio: pgm: truncated: the input is "P5"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := imageio.Sniff([]byte(c.head))
			assert.Equal(t, c.want, got)
			if c.err == nil {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Truef(t, errors.Is(err, c.err), "%v does not wrap %v", err, c.err)
			assert.Equal(t, c.msg, err.Error())
		})
	}
}
