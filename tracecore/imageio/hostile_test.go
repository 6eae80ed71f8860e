package imageio_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/svgtrace/svgtrace/tracecore"
	"github.com/svgtrace/svgtrace/tracecore/imageio"
)

// png50000 is a 68-byte greyscale PNG whose header declares 50000×50000
// pixels (2.5 GB decoded), with an IDAT of three zero bytes and an IEND.
var png50000 = mustHex("89504e470d0a1a0a0000000d494844520000c3500000c35008000000006ec462" +
	"160000000b4944415478da6360600000000300012b094d840000000049454e44ae426082")

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// requireKind checks that err is one of the kinds given and not a
// recovered panic: a decoder that panics is a bug to know about even
// though Decode survives it.
func requireKind(t testing.TB, err error, kinds ...error) {
	t.Helper()
	require.Error(t, err)
	require.NotContains(t, err.Error(), "decoder panicked")
	for _, k := range kinds {
		if errors.Is(err, k) {
			return
		}
	}
	require.Failf(t, "wrong kind of error", "%v wraps none of %v", err, kinds)
}

// The header-only cases of TestHostile must fail having allocated no more
// than this: nothing of the size the header declares.
const headerOnlyAlloc = 1 << 20

func TestHostile(t *testing.T) {
	watchdog(t, 60*time.Second)
	var zeros bytes.Buffer // a 1001×1000 black PNG: 1 001 000 pixels in 1.4 KB
	require.NoError(t, png.Encode(&zeros, image.NewGray(image.Rect(0, 0, 1001, 1000))))

	for _, c := range []struct {
		name      string
		in        []byte
		maxPixels int64
		kind      error
		msg       string
	}{
		{"PNG50000x50000", png50000, 0, tracecore.ErrTooLarge,
			"imageio: png: tracecore: image too large: 50000×50000 pixels is over the limit of 50000000"},
		{"CompressionBomb", zeros.Bytes(), 1_000_000, tracecore.ErrTooLarge,
			"imageio: png: tracecore: image too large: 1001×1000 pixels is over the limit of 1000000"},
		{"Empty", nil, 0, tracecore.ErrCorrupt, "imageio: empty input"},
		{"TextNamedJPG", []byte("This is not a picture, whatever its name says.\n"), 0, tracecore.ErrUnsupported,
			`imageio: unsupported format: bytes start "This is "`},
		// The garbage reads as a chunk "age!" of 0x67617262 bytes: the
		// decoder skips it as an unknown ancillary chunk, without
		// allocating it, and runs out of input.
		{"PNGSignatureThenGarbage", append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte("garbage!"), 100)...), 0,
			tracecore.ErrCorrupt, "imageio: png: unexpected EOF"},
		{"PNGSignatureOnly", []byte("\x89PNG\r\n\x1a\n"), 0, tracecore.ErrCorrupt, "imageio: png: unexpected EOF"},
		// SOI, a baseline frame header (SOF0) declaring 65535×65535 with one
		// component, and the start of a scan (SOS), where image/jpeg's
		// DecodeConfig stops.
		{"JPEG65535x65535", mustHex("ffd8ffc0000b08ffffffff01011100ffda0008010100003f00"), 0, tracecore.ErrTooLarge,
			"imageio: jpeg: tracecore: image too large: 65535×65535 pixels is over the limit of 50000000"},
		// The logical screen of a GIF declaring 65535×65535.
		{"GIF65535x65535", []byte("GIF89a\xff\xff\xff\xff\x00\x00\x00"), 0, tracecore.ErrTooLarge,
			"imageio: gif: tracecore: image too large: 65535×65535 pixels is over the limit of 50000000"},
		// An extended WebP header (VP8X) declaring a 16384×16384 canvas.
		{"WebP16384x16384", []byte("RIFF\x1a\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x00\x00\x00\x00\xff\x3f\x00\xff\x3f\x00"), 0,
			tracecore.ErrTooLarge, "imageio: webp: tracecore: image too large: 16384×16384 pixels is over the limit of 50000000"},
		{"PGM60000x60000", []byte("P5 60000 60000 255\n"), 0, tracecore.ErrTooLarge,
			"imageio: pgm: tracecore: image too large: 60000×60000 pixels is over the limit of 50000000"},
		{"AnimatedWebP", readFixture(t, "anim.webp"), 0, tracecore.ErrUnsupported,
			"imageio: webp: animated WebP is not supported"},
		// A 12-bit JPEG's frame header (SOF1, precision 12).
		{"JPEG12Bit", mustHex("ffd8ffc1000b0c0010001001011100"), 0, tracecore.ErrUnsupported,
			"imageio: jpeg: unsupported JPEG feature: precision"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var (
				img image.Image
				err error
			)
			alloc := totalAlloc(func() { img, _, err = imageio.Decode(bytes.NewReader(c.in), c.maxPixels) })
			assert.Nil(t, img)
			requireKind(t, err, c.kind)
			assert.Equal(t, c.msg, err.Error())
			assert.Less(t, alloc, uint64(headerOnlyAlloc), "allocated %d bytes", alloc)
			t.Logf("%s: allocated %d bytes", c.name, alloc)
		})
	}

	t.Run("CompressionBombWithinLimit", func(t *testing.T) {
		img, _, err := imageio.Decode(bytes.NewReader(zeros.Bytes()), 1_001_000)
		require.NoError(t, err)
		assert.Equal(t, image.Rect(0, 0, 1001, 1000), img.Bounds())
	})

	// A stream of nothing but metadata: SOI, then 64 KiB comment segments
	// without end. DecodeConfig gives up after maxHeaderBytes (16 MiB),
	// which is also about all it keeps.
	t.Run("EndlessMetadata", func(t *testing.T) {
		var err error
		alloc := totalAlloc(func() { _, err = imageio.DecodeConfig(&endlessJPEG{}) })
		requireKind(t, err, tracecore.ErrUnsupported)
		assert.Equal(t, "imageio: jpeg: more than 16 MiB before the image data", err.Error())
		assert.Less(t, alloc, uint64(40<<20)) // the recording doubles up to 16 MiB: 32 MiB in all
		t.Logf("EndlessMetadata: allocated %d bytes", alloc)
	})

	// The reader's own error is returned as it is, with no kind: a failed
	// upload is not a corrupt image.
	t.Run("ReaderError", func(t *testing.T) {
		errBroken := errors.New("connection reset")
		data := readFixture(t, "marks.png")
		for _, n := range []int{0, 4, 40, len(data) - 10} {
			_, _, err := imageio.Decode(io.MultiReader(bytes.NewReader(data[:n]), &failingReader{errBroken}), 0)
			require.ErrorIs(t, err, errBroken)
			assert.NotErrorIs(t, err, tracecore.ErrCorrupt)
			assert.NotErrorIs(t, err, tracecore.ErrUnsupported)
			assert.Contains(t, err.Error(), "imageio: ")
		}
	})
}

type failingReader struct{ err error }

func (r *failingReader) Read([]byte) (int, error) { return 0, r.err }

// endlessJPEG reads as SOI followed by 64 KiB COM segments forever.
type endlessJPEG struct{ n int }

func (r *endlessJPEG) Read(p []byte) (int, error) {
	const seg = 4 + 65533 // marker, length, payload
	for i := range p {
		switch k := r.n; {
		case k == 0:
			p[i] = 0xff
		case k == 1:
			p[i] = 0xd8
		default:
			switch (k - 2) % seg {
			case 0, 2:
				p[i] = 0xff
			case 1:
				p[i] = 0xfe
			case 3:
				p[i] = 0xff // length 0xffff
			default:
				p[i] = 'x'
			}
		}
		r.n++
	}
	return len(p), nil
}

// Every truncation of a real JPEG and PNG near the header fails with a
// typed error, never a panic; so does every truncation of the fixtures
// that cannot end early. Some can: a GIF's first frame may be complete
// before the file ends, a plain netpbm sample may lose digits and still be
// a number, and the last byte of alpha_lossless.webp pads an odd-length
// chunk, which the decoder does not need.
func TestTruncated(t *testing.T) {
	watchdog(t, 60*time.Second)
	files := []string{"../testdata/images/fruits.jpg", "../testdata/images/opencv-logo.png"}
	for _, name := range []string{"marks.png", "marks16.png", "palette.png", "alpha.png", "cmyk.jpg",
		"marks.webp", "alpha_lossy.webp", "marks.bmp",
		"marks.ppm", "marks16.ppm", "gray.pgm", "gray16.pgm", "marks.pbm"} {
		files = append(files, filepath.Join("testdata", name))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			for n := 0; n < min(len(data), 2000); n++ {
				img, _, err := imageio.Decode(bytes.NewReader(data[:n]), 0)
				require.Truef(t, img == nil, "%d of %d bytes decoded", n, len(data))
				requireKind(t, err, tracecore.ErrCorrupt, tracecore.ErrUnsupported)
				if filepath.Ext(f) != ".jpg" {
					continue
				}
				// The same verdict when a JPEG is read at reduced scale:
				// fruits.jpg (512×480) at 1/8 for 8 pixels, 1/4 for 100
				// and 1/2 for 200.
				for _, maxSide := range []int{8, 100, 200} {
					img, _, err = imageio.DecodeReduced(bytes.NewReader(data[:n]), 0, maxSide)
					require.Truef(t, img == nil, "%d of %d bytes decoded for %d pixels", n, len(data), maxSide)
					requireKind(t, err, tracecore.ErrCorrupt, tracecore.ErrUnsupported)
				}
			}
		})
	}
	for _, name := range []string{"anim.gif", "marks_plain.ppm", "gray_plain.pgm", "marks_plain.pbm", "alpha_lossless.webp"} {
		t.Run(name, func(t *testing.T) {
			data := readFixture(t, name)
			for n := 0; n < min(len(data), 2000); n++ {
				if _, _, err := imageio.Decode(bytes.NewReader(data[:n]), 0); err != nil {
					requireKind(t, err, tracecore.ErrCorrupt, tracecore.ErrUnsupported)
				}
			}
		})
	}
}

// A truncated PNG says so, naming the format, and the decoder's error
// stays reachable with errors.Is.
func TestTruncatedMessage(t *testing.T) {
	data := readFixture(t, "marks.png")
	for _, c := range []struct {
		name string
		n    int
		msg  string
	}{
		{"InHeader", 20, "imageio: png: unexpected EOF"},
		{"InPixels", len(data) - 20, "imageio: png: invalid format: unexpected EOF"}, // image/png's words
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := imageio.Decode(bytes.NewReader(data[:c.n]), 0)
			requireKind(t, err, tracecore.ErrCorrupt)
			assert.Equal(t, c.msg, err.Error())
		})
	}
	_, _, err := imageio.Decode(bytes.NewReader(data[:20]), 0)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	var fe png.FormatError
	_, _, err = imageio.Decode(bytes.NewReader(data[:len(data)-20]), 0)
	assert.ErrorAs(t, err, &fe)
}
