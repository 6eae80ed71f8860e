package imageio_test

import (
	"bytes"
	"image"
	"image/jpeg"
	"os"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/svgtrace/svgtrace/tracecore/imageio"
)

// memoryCases are images with what EstimateDecode must reckon for them:
// the test photos (brushes.jpg is progressive 4:4:4, picos.jpg progressive
// 4:2:0, building.jpg baseline 4:2:0) at full size and at reduced scale, a
// grey JPEG, a CMYK one and a PNG.
func memoryCases(t *testing.T) []struct {
	name    string
	data    []byte
	maxSide int
	want    imageio.DecodeCost
} {
	photo := func(name string) []byte {
		b, err := os.ReadFile("../testdata/images/" + name)
		require.NoError(t, err)
		return b
	}
	var grey bytes.Buffer
	require.NoError(t, jpeg.Encode(&grey, image.NewGray(image.Rect(0, 0, 2000, 1500)), nil))
	brushes, picos, building := photo("brushes.jpg"), photo("picos.jpg"), photo("building.jpg")
	return []struct {
		name    string
		data    []byte
		maxSide int
		want    imageio.DecodeCost
	}{
		// 3 samples a pixel × (1 + 4 for the coefficients).
		{"Progressive444Full", brushes, 0, imageio.DecodeCost{Scale: 8, BytesPerPixel: 15}},
		// 1365 px for 400 is 1/2: 3 × (16 coefficients × 2 + 16 samples + 8 mask) / 64.
		{"Progressive444Half", brushes, 400, imageio.DecodeCost{Scale: 4, BytesPerPixel: 3 * 56.0 / 64}},
		{"Progressive420Full", picos, 2048, imageio.DecodeCost{Scale: 8, BytesPerPixel: 7.5}},
		// 3264 px for 400 is 1/8: 1.5 × (2 + 1) / 64.
		{"Progressive420Eighth", picos, 400, imageio.DecodeCost{Scale: 1, BytesPerPixel: 1.5 * 3 / 64}},
		{"Baseline420Full", building, 0, imageio.DecodeCost{Scale: 8, BytesPerPixel: 1.5}},
		// 868 px for 400 is 1/2, no mask in a baseline file.
		{"Baseline420Half", building, 400, imageio.DecodeCost{Scale: 4, BytesPerPixel: 1.5 * 48 / 64}},
		// 2000 px for 400 is 1/4: 4 coefficients × 2 + 4 samples.
		{"GreyQuarter", grey.Bytes(), 400, imageio.DecodeCost{Scale: 2, BytesPerPixel: 12.0 / 64}},
		// Read by image/jpeg at any scale: 4 samples and the CMYK image.
		{"CMYK", readFixture(t, "cmyk.jpg"), 1, imageio.DecodeCost{Scale: 8, BytesPerPixel: 8}},
		{"PNG", readFixture(t, "marks16.png"), 0, imageio.DecodeCost{Scale: 8, BytesPerPixel: 8}},
		// No frame header before the data ends: the worst case.
		{"NoFrame", []byte{0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00, 0xff, 0xd9}, 0, imageio.DecodeCost{Scale: 8, BytesPerPixel: 24}},
	}
}

func TestEstimateDecode(t *testing.T) {
	for _, c := range memoryCases(t) {
		t.Run(c.name, func(t *testing.T) {
			cfg := imageio.Config{Format: imageio.JPEG, Width: 1, Height: 1}
			if c.name != "NoFrame" {
				var err error
				cfg, err = imageio.DecodeConfig(bytes.NewReader(c.data))
				require.NoError(t, err)
			}
			got := imageio.EstimateDecode(c.data, cfg, c.maxSide)
			assert.Equal(t, c.want.Scale, got.Scale)
			assert.InDelta(t, c.want.BytesPerPixel, got.BytesPerPixel, 1e-9)
		})
	}
}

// TestEstimateDecodeMeasured holds the estimate to what DecodeReduced
// allocates beside the encoded bytes (the reduced decoder reads them whole
// into one buffer of their size, taken off here): at most 15 % and 256 KB
// above it (tables, buffers, planes rounded to whole blocks) and not under
// half of it.
func TestEstimateDecodeMeasured(t *testing.T) {
	for _, c := range memoryCases(t) {
		if c.name == "NoFrame" {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			cfg, err := imageio.DecodeConfig(bytes.NewReader(c.data))
			require.NoError(t, err)
			est := imageio.EstimateDecode(c.data, cfg, c.maxSide)
			want := est.BytesPerPixel * float64(cfg.Width*cfg.Height)
			allocated := func(f func()) float64 {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				f()
				runtime.ReadMemStats(&after)
				return float64(after.TotalAlloc - before.TotalAlloc)
			}
			var img image.Image
			got := allocated(func() { img, _, err = imageio.DecodeReduced(bytes.NewReader(c.data), 0, c.maxSide) })
			require.NoError(t, err)
			require.NotNil(t, img)
			if est.Scale < 8 {
				got -= float64(len(c.data)) // read into one buffer of its size
			}
			t.Logf("%s: estimated %.0f bytes, allocated %.0f beside the file", c.name, want, got)
			if c.name == "PNG" { // 8 bytes a pixel is the bound, not this file's figure
				assert.LessOrEqual(t, got, 1.15*want+256<<10)
				return
			}
			assert.LessOrEqual(t, got, 1.15*want+256<<10, "allocated more than estimated")
			assert.GreaterOrEqual(t, got, 0.5*want, "allocated under half the estimate")
		})
	}
}
