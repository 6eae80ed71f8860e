package main

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"regexp"

	"github.com/svgtrace/svgtrace/tracecore"
	"github.com/svgtrace/svgtrace/tracecore/imageio"
)

// The peers read PNG files: node-potrace loads images through Jimp and
// takes no PBM. These helpers write the inputs they get.

// bitmapImage returns bm as a two-colour paletted image, white 0 and black 1:
// a PNG of it is 1-bit, and every reader's luminance of it is 0 or 255, so
// any threshold between them gives back bm.
func bitmapImage(bm *tracecore.Bitmap) *image.Paletted {
	img := image.NewPaletted(image.Rect(0, 0, bm.Width, bm.Height), color.Palette{color.White, color.Black})
	for y := range bm.Height {
		row := img.Pix[y*img.Stride : y*img.Stride+bm.Width]
		for x := range row {
			if bm.Black(x, y) {
				row[x] = 1
			}
		}
	}
	return img
}

// writePNG encodes img as a PNG file at path.
func writePNG(path string, img image.Image) error {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// downscalePNG decodes the image file src at full size, upright (imageio),
// scales it to maxSide pixels on its longer side with boxDownscale, and
// writes it as a PNG file at dst.
func downscalePNG(src, dst string, maxSide int) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	img, _, err := imageio.Decode(f, 0)
	if err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	return writePNG(dst, boxDownscale(img, maxSide))
}

// scaledSize is the size an image of w×h pixels is scaled to so that its
// longer side is maxSide: the rounding of tracecore's Options.MaxSide
// (shorter side to nearest, half up, at least 1), so the PNG a peer gets is
// the size the placeholder preset traces at. An image that fits keeps its
// size.
func scaledSize(w, h, maxSide int) (int, int) {
	if maxSide <= 0 || max(w, h) <= maxSide {
		return w, h
	}
	short := func(s, long int) int {
		return max(1, int((int64(s)*int64(maxSide)+int64(long)/2)/int64(long)))
	}
	if w >= h {
		return maxSide, short(h, w)
	}
	return short(w, h), maxSide
}

// boxDownscale returns img scaled to fit maxSide (scaledSize) by exact area
// averaging: each pixel is the mean of the source area it covers, source
// pixels weighted by the fraction of them it covers. Measured in units of
// 1/(w·W) of the width, source column i spans [i·w, (i+1)·w) and target
// column j spans [j·W, (j+1)·W), so every overlap is a whole number of units
// and the sums are exact integers, rounded once at the end; rows likewise.
// Colour is averaged premultiplied by alpha, so a transparent pixel's colour
// does not tint its neighbours, and returned straight (NRGBA).
func boxDownscale(img image.Image, maxSide int) *image.NRGBA {
	b := img.Bounds()
	W, H := b.Dx(), b.Dy()
	w, h := scaledSize(W, H, maxSide)
	// Premultiplied 8-bit RGBA; draw has fast paths from the decoders' types.
	src, ok := img.(*image.RGBA)
	if !ok || src.Bounds().Min != (image.Point{}) {
		src = image.NewRGBA(image.Rect(0, 0, W, H))
		draw.Draw(src, src.Bounds(), img, b.Min, draw.Src)
	}
	cols := overlaps(W, w)
	rows := overlaps(H, h)
	dst := image.NewNRGBA(image.Rect(0, 0, w, h))
	// acc holds, for the target row being made, the weighted sums of the
	// four premultiplied channels of each target column.
	acc := make([]uint64, 4*w)
	area := uint64(W) * uint64(H) // the total weight of a target pixel
	for ty, ry := range rows {
		clear(acc)
		for _, sy := range ry {
			line := src.Pix[sy.src*src.Stride : sy.src*src.Stride+4*W]
			for tx, rx := range cols {
				var s [4]uint64
				for _, sx := range rx {
					p := line[4*sx.src : 4*sx.src+4]
					for c := range s {
						s[c] += sx.weight * uint64(p[c])
					}
				}
				for c := range s {
					acc[4*tx+c] += sy.weight * s[c]
				}
			}
		}
		out := dst.Pix[ty*dst.Stride : ty*dst.Stride+4*w]
		for tx := range w {
			a := acc[4*tx+3]
			out[4*tx+3] = uint8((a + area/2) / area)
			if a == 0 {
				continue // transparent: colour 0
			}
			// Straight colour: premultiplied sum / alpha sum, scaled to 255.
			for c := range 3 {
				out[4*tx+c] = uint8(min(255, (acc[4*tx+c]*255+a/2)/a))
			}
		}
	}
	return dst
}

// A span is a source row or column and the units of it a target one covers.
type span struct {
	src    int
	weight uint64
}

// overlaps returns, for each of the n target columns over N source columns
// (n ≤ N), the source columns it overlaps and by how many units of 1/(n·N):
// the weights of each target column add up to N.
func overlaps(N, n int) [][]span {
	out := make([][]span, n)
	for j := range out {
		start, end := int64(j)*int64(N), int64(j+1)*int64(N)
		for i := start / int64(n); i*int64(n) < end; i++ {
			lo, hi := max(start, i*int64(n)), min(end, (i+1)*int64(n))
			if hi > lo {
				out[j] = append(out[j], span{int(i), uint64(hi - lo)})
			}
		}
	}
	return out
}

// grayBitmap returns the bitmap of the pixels of g no lighter than t
// (luminance ≤ t): node-potrace's bitmap at an explicit threshold t.
func grayBitmap(g *image.Gray, t int) (*tracecore.Bitmap, error) {
	b := g.Bounds()
	bm, err := tracecore.NewBitmap(b.Dx(), b.Dy(), 0)
	if err != nil {
		return nil, err
	}
	for y := range bm.Height {
		row := g.Pix[(y)*g.Stride : (y)*g.Stride+bm.Width]
		for x, v := range row {
			if int(v) <= t {
				bm.Set(x, y, true)
			}
		}
	}
	return bm, nil
}

// readGray decodes a PGM (or any grey image) file into an *image.Gray.
func readGray(path string) (*image.Gray, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, _, err := imageio.Decode(f, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	g, ok := img.(*image.Gray)
	if !ok || g.Bounds().Min != (image.Point{}) {
		return nil, fmt.Errorf("%s: not an 8-bit grey image (%T)", path, img)
	}
	return g, nil
}

// fillAttr matches the fill of an SVG element (not fill-rule or
// fill-opacity), whatever its colour syntax: SVGO writes some colours as
// names ("tan").
var fillAttr = regexp.MustCompile(`(\s)fill="[^"]*"`)

// blackFill returns svg with every fill but "none" made black. Mismatch
// measures the shape: a light fill colour would render as white.
func blackFill(svg []byte) []byte {
	return fillAttr.ReplaceAllFunc(svg, func(m []byte) []byte {
		if bytes.HasSuffix(m, []byte(`"none"`)) {
			return m
		}
		return append(m[:1:1], `fill="#000000"`...)
	})
}
