package tracecore

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"regexp"
	"strconv"

	"golang.org/x/image/vector"
)

// This file lends the external tests (package tracecore_test, which may
// import imageio) what they need of the package's internals.

var (
	svgViewBox = regexp.MustCompile(`viewBox="0 0 (\d+) (\d+)"`)
	svgPath    = regexp.MustCompile(`<path fill="#([0-9a-f]{6})" d="([^"]*)"/>`)
)

// RasterizeSVG renders an SVG in tracecore's canonical form at its viewBox
// size, over white, with a pure-Go rasterizer (golang.org/x/image/vector),
// so raster comparisons run natively and under js/wasm alike. It parses the
// path data with the same strict parser as the path data tests.
func RasterizeSVG(svg []byte) (*image.RGBA, error) {
	m := svgViewBox.FindSubmatch(svg)
	if m == nil {
		return nil, fmt.Errorf("no viewBox in %.80q", svg)
	}
	w, _ := strconv.Atoi(string(m[1]))
	h, _ := strconv.Atoi(string(m[2]))
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(dst, dst.Bounds(), image.White, image.Point{}, draw.Src)
	for _, p := range svgPath.FindAllSubmatch(svg, -1) {
		rgb, _ := strconv.ParseUint(string(p[1]), 16, 32)
		fill := image.NewUniform(color.RGBA{uint8(rgb >> 16), uint8(rgb >> 8), uint8(rgb), 255})
		subs, err := parsePathData(string(p[2]), maxPrecision)
		if err != nil {
			return nil, err
		}
		z := vector.NewRasterizer(w, h)
		for _, sp := range subs {
			z.MoveTo(float32(sp.start.X), float32(sp.start.Y))
			for _, op := range sp.ops {
				if op.cmd == 'L' {
					z.LineTo(float32(op.pts[0].X), float32(op.pts[0].Y))
					continue
				}
				a, b, c := op.pts[0], op.pts[1], op.pts[2]
				z.CubeTo(float32(a.X), float32(a.Y), float32(b.X), float32(b.Y), float32(c.X), float32(c.Y))
			}
			z.ClosePath()
		}
		z.Draw(dst, dst.Bounds(), fill, image.Point{})
	}
	return dst, nil
}
