package tracecore_test

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/svgtrace/svgtrace/tracecore"
	"github.com/svgtrace/svgtrace/tracecore/imageio"
)

// Raster goldens: placeholders and posterized traces of the test photos,
// compared as pictures rather than bytes. Their pixels come through JPEG
// decoding, which may differ by a level or two between Go versions and
// decoders (and does between a full-size decode and a reduced-scale one), and
// a level moves a threshold's edge by a pixel here and there: an exact hash
// would fail on changes no one can see. The SVG is rendered with a pure-Go
// rasterizer (RasterizeSVG) at its traced size and compared with
// testdata/raster/NAME.png; a few stray pixels along edges pass, a missing
// layer, a wrong threshold, a flipped image or a shifted outline does not.
//
// Refresh after an intended change with: go test ./tracecore -run RasterGolden -update

const rasterDir = "testdata/raster"

// Two pixels differ when a channel differs by more than rasterLevels; at
// most rasterShare of the pixels may differ. An outline that moves by one
// pixel along its whole length differs on about 2 % of a 400×300 placeholder
// of a photo, a level's change of threshold on a few tenths of a percent.
const (
	rasterLevels = 64
	rasterShare  = 0.01
)

var rasterCases = []struct {
	name, file string
	opts       func() tracecore.Options
}{
	{"picos-placeholder", "picos.jpg", tracecore.PlaceholderOptions},
	{"brushes-placeholder", "brushes.jpg", tracecore.PlaceholderOptions},
	{"building-placeholder", "building.jpg", tracecore.PlaceholderOptions},
	{"fruits-placeholder", "fruits.jpg", tracecore.PlaceholderOptions},
	{"opencv-logo-placeholder", "opencv-logo.png", tracecore.PlaceholderOptions},
	{"picos-steps4-grey", "picos.jpg", func() tracecore.Options {
		o := tracecore.PlaceholderOptions()
		o.Steps, o.Color = 4, "#000000"
		return o
	}},
	{"brushes-steps3-dominant", "brushes.jpg", func() tracecore.Options {
		o := tracecore.PlaceholderOptions()
		o.Steps, o.FillStrategy = 3, tracecore.FillDominant
		return o
	}},
	{"fruits-steps5-spread", "fruits.jpg", func() tracecore.Options {
		o := tracecore.PlaceholderOptions()
		o.Steps, o.FillStrategy = 5, tracecore.FillSpread
		return o
	}},
}

func TestRasterGolden(t *testing.T) {
	for _, c := range rasterCases {
		t.Run(c.name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata/images", c.file))
			require.NoError(t, err)
			img, cfg, err := imageio.Decode(bytes.NewReader(data), 0)
			require.NoError(t, err)
			res, err := tracecore.TraceImage(t.Context(), img, c.opts())
			require.NoError(t, err)
			svg := res.SVG()
			require.Contains(t, string(svg), fmt.Sprintf(`width="%d" height="%d"`, cfg.Width, cfg.Height), "the SVG has the image's size")
			got, err := tracecore.RasterizeSVG(svg)
			require.NoError(t, err)

			path := filepath.Join(rasterDir, c.name+".png")
			if *update {
				var buf bytes.Buffer
				require.NoError(t, png.Encode(&buf, got))
				require.NoError(t, os.MkdirAll(rasterDir, 0o755))
				require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
				return
			}
			f, err := os.Open(path)
			require.NoError(t, err, "no golden raster: run go test ./tracecore -run RasterGolden -update")
			defer f.Close()
			want, err := png.Decode(f)
			require.NoError(t, err)
			require.Equal(t, want.Bounds(), got.Bounds(), "traced size")
			differ := differingPixels(want, got)
			share := float64(differ) / float64(got.Bounds().Dx()*got.Bounds().Dy())
			require.LessOrEqual(t, share, rasterShare, "%d pixels (%.2f %%) differ from %s", differ, 100*share, path)
		})
	}
}

// differingPixels counts the pixels where a channel of a and b differs by
// more than rasterLevels.
func differingPixels(a, b image.Image) int {
	n := 0
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			r1, g1, b1, _ := a.At(x, y).RGBA()
			r2, g2, b2, _ := b.At(x, y).RGBA()
			if far(r1, r2) || far(g1, g2) || far(b1, b2) {
				n++
			}
		}
	}
	return n
}

func far(a, b uint32) bool {
	d := int(a>>8) - int(b>>8)
	return d > rasterLevels || d < -rasterLevels
}
