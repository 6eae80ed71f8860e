package imageio_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/svgtrace/svgtrace/tracecore"
	"github.com/svgtrace/svgtrace/tracecore/imageio"
)

// fuzzMaxPixels caps the work per input: 256×256 decodes in well under a
// millisecond in every format, and anything larger fails the size check.
const fuzzMaxPixels = 1 << 16

// FuzzDecode feeds Decode arbitrary bytes, seeded with every fixture in
// testdata/, JPEGs in all eight orientations and the hostile inputs of
// TestHostile. Decode must not panic (nor let a decoder's panic through
// its recover: that would be a decoder bug to report), must fail with one
// of the three kinds, and on success return an image whose bounds are the
// Config's displayed size, within fuzzMaxPixels, as DecodeConfig says.
func FuzzDecode(f *testing.F) {
	addTestdataSeeds(f)
	small := image.NewNRGBA(image.Rect(0, 0, 24, 16))
	for o := 1; o <= 8; o++ {
		order := binary.ByteOrder(binary.BigEndian)
		if o%2 == 0 {
			order = binary.LittleEndian
		}
		f.Add(spliceAfterSOI(encodeJPEG(f, small), exifSegment(order, uint16(o))))
	}
	f.Add(png50000)
	f.Add(mustHex("ffd8ffc0000b08ffffffff01011100ffda0008010100003f00"))
	f.Add([]byte("P2 3 1 15 0 7 15"))
	f.Add([]byte("P6 1 2 255\n\x01\x02\x03\x04\x05\x06"))
	f.Add([]byte("P5 2 1 1000\n\x01\xf4\x03\xe8"))
	f.Add([]byte("P1 3 2 1 0 1 0 1 0"))
	f.Add([]byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"))
	f.Add([]byte{})

	f.Fuzz(func(t *testing.T, data []byte) {
		img, cfg, err := imageio.Decode(bytes.NewReader(data), fuzzMaxPixels)
		if err != nil {
			requireDecodeError(t, img, err)
			return
		}
		require.Equal(t, image.Rect(0, 0, cfg.Width, cfg.Height), img.Bounds())
		require.LessOrEqual(t, int64(cfg.Width)*int64(cfg.Height), int64(fuzzMaxPixels))
		require.True(t, cfg.Orientation >= 1 && cfg.Orientation <= 8, "orientation %d", cfg.Orientation)
		c2, err := imageio.DecodeConfig(bytes.NewReader(data))
		require.NoError(t, err)
		require.Equal(t, cfg, c2)
	})
}

// FuzzDecodeTrace takes bytes the way an upload goes: DecodeReduced for a
// small trace (maxSide 8, so a JPEG of 64 pixels or more on its longer side
// is read at 1/8 scale, of 32–63 at 1/4 and of 16–31 at 1/2), then
// TraceImage with the placeholder preset at that size. Errors are typed,
// the image and the SVG have the header's size, EstimateDecode foresees
// the scale, and nothing panics. Seeded with every file of testdata and
// small JPEGs in every orientation.
func FuzzDecodeTrace(f *testing.F) {
	addTestdataSeeds(f)
	big := image.NewNRGBA(image.Rect(0, 0, 80, 72))
	for i := range big.Pix {
		big.Pix[i] = uint8(i * 7 % 251)
	}
	f.Add(encodeJPEG(f, big))
	f.Add(encodeJPEG(f, grayMarks(0, 0)))
	for o := 1; o <= 8; o++ {
		f.Add(spliceAfterSOI(encodeJPEG(f, big), exifSegment(binary.LittleEndian, uint16(o))))
	}
	f.Add(mustHex("ffd8ffc0000b08ffffffff01011100ffda0008010100003f00"))
	opts := tracecore.PlaceholderOptions()
	opts.MaxSide = 8
	f.Fuzz(func(t *testing.T, data []byte) {
		img, cfg, err := imageio.DecodeReduced(bytes.NewReader(data), fuzzMaxPixels, opts.MaxSide)
		if err != nil {
			requireDecodeError(t, img, err)
			return
		}
		require.LessOrEqual(t, int64(cfg.Width)*int64(cfg.Height), int64(fuzzMaxPixels))
		// EstimateDecode foresees the scale, and reckons a cost in range.
		est := imageio.EstimateDecode(data, cfg, opts.MaxSide)
		require.Greater(t, est.BytesPerPixel, 0.0)
		require.LessOrEqual(t, est.BytesPerPixel, 24.0)
		red, reduced := img.(*tracecore.Reduced)
		require.Equal(t, reduced, est.Scale < 8, "estimated scale %d", est.Scale)
		if reduced {
			require.Equal(t, [2]int{cfg.Width, cfg.Height}, [2]int{red.Width, red.Height})
			// The smallest scale n/8 whose longer side covers MaxSide
			// (TestDecodeReducedScale pins the rule).
			n := 1
			for max(cfg.Width, cfg.Height)*n < 8*opts.MaxSide {
				n *= 2
			}
			require.LessOrEqual(t, n, 4)
			require.Equal(t, n, est.Scale)
			require.Equal(t, image.Rect(0, 0, (cfg.Width*n+7)/8, (cfg.Height*n+7)/8), red.Image.Bounds())
		} else {
			require.Equal(t, image.Rect(0, 0, cfg.Width, cfg.Height), img.Bounds())
		}
		res, err := tracecore.TraceImage(t.Context(), img, opts)
		require.NoError(t, err)
		require.Equal(t, [2]int{cfg.Width, cfg.Height}, [2]int{res.ImageWidth, res.ImageHeight})
		require.LessOrEqual(t, max(res.Width, res.Height), opts.MaxSide)
	})
}

// addTestdataSeeds adds every image file of testdata to f's corpus.
func addTestdataSeeds(f *testing.F) {
	files, err := filepath.Glob("testdata/*")
	require.NoError(f, err)
	for _, name := range files {
		if fi, err := os.Stat(name); err != nil || fi.IsDir() || strings.HasSuffix(name, ".md") || strings.HasSuffix(name, ".sh") {
			continue // testdata/fuzz holds the fuzzer's own corpus
		}
		data, err := os.ReadFile(name)
		require.NoError(f, err)
		f.Add(data)
	}
}

// requireDecodeError checks a decoding error: no image, no panic behind
// it, and one of the three kinds.
func requireDecodeError(t *testing.T, img image.Image, err error) {
	t.Helper()
	require.Nil(t, img)
	require.NotContains(t, err.Error(), "decoder panicked")
	if !errors.Is(err, tracecore.ErrCorrupt) && !errors.Is(err, tracecore.ErrUnsupported) && !errors.Is(err, tracecore.ErrTooLarge) {
		t.Fatalf("error of no kind: %v", err)
	}
}
