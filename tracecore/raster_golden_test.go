package tracecore_test

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"regexp"
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
//
// A trace of the full-size decode may differ from the reduced decode's on
// up to standInShare: its threshold can differ by a level, and specks near
// the turd size then fall on either side of it (picos.jpg's placeholder at
// 1/8 scale differs on 0.9 %, brushes.jpg's at 1/2 on 1.6 %, building.jpg's
// at 1/2 on 2.2 %: its automatic threshold is a level apart, as it is from
// an exact 2×2 box mean of the full decode, which differs on 2.1 %). A
// decode off by a block row or with wrong chroma differs on well over 5 %.
const (
	rasterLevels = 64
	rasterShare  = 0.01
	standInShare = 0.025
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

// fillAttr matches the fill colour of an SVG's path.
var fillAttr = regexp.MustCompile(`fill="#[0-9a-f]+"`)

func TestRasterGolden(t *testing.T) {
	for _, c := range rasterCases {
		t.Run(c.name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata/images", c.file))
			require.NoError(t, err)
			opts := c.opts()
			trace := func(decode func(io.Reader) (image.Image, imageio.Config, error)) []byte {
				img, cfg, err := decode(bytes.NewReader(data))
				require.NoError(t, err)
				res, err := tracecore.TraceImage(t.Context(), img, opts)
				require.NoError(t, err)
				svg := res.SVG()
				require.Contains(t, string(svg), fmt.Sprintf(`width="%d" height="%d"`, cfg.Width, cfg.Height), "the SVG has the image's size")
				return svg
			}
			render := func(svg []byte) *image.RGBA {
				img, err := tracecore.RasterizeSVG(svg)
				require.NoError(t, err)
				return img
			}
			// The product's path: decoded at reduced scale where it can be.
			svg := trace(func(r io.Reader) (image.Image, imageio.Config, error) {
				return imageio.DecodeReduced(r, 0, opts.MaxSide)
			})
			got := render(svg)

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
			requireLooksLike(t, want, got, rasterShare, path)
			if testing.Short() {
				return
			}
			// A full-size decode, downscaled by tracecore, gives the same
			// shapes: the reduced decode is a faithful stand-in. (Not
			// always the same dominant colour: where two bins are almost
			// as frequent, as blue shadow and brown rock are in picos.jpg,
			// a level's difference can tip the choice.)
			full := trace(func(r io.Reader) (image.Image, imageio.Config, error) { return imageio.Decode(r, 0) })
			requireLooksLike(t, render(greyFills(svg)), render(greyFills(full)), standInShare, c.name+" decoded at full size and reduced")
		})
	}
}

// greyFills replaces the fills of an SVG's paths, in order, with greys from
// black up, so that a comparison sees only the shapes of the layers.
func greyFills(svg []byte) []byte {
	i := 0
	return fillAttr.ReplaceAllFunc(svg, func([]byte) []byte {
		v := min(48*i, 240)
		i++
		return fmt.Appendf(nil, `fill="#%02x%02x%02x"`, v, v, v)
	})
}

// requireLooksLike requires got to differ from want on at most maxShare of
// its pixels.
func requireLooksLike(t *testing.T, want, got image.Image, maxShare float64, name string) {
	t.Helper()
	require.Equal(t, want.Bounds(), got.Bounds(), "traced size")
	differ := differingPixels(want, got)
	share := float64(differ) / float64(got.Bounds().Dx()*got.Bounds().Dy())
	require.LessOrEqual(t, share, maxShare, "%d pixels (%.2f %%) differ from %s", differ, 100*share, name)
	t.Logf("%s: %.2f %% of the pixels differ", name, 100*share)
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
