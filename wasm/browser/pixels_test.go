package main

import (
	"context"
	"flag"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/svgtrace/svgtrace/tracecore"
)

var update = flag.Bool("update", false, "rewrite testdata/*.svg from native tracecore")

// testRGBA is a 160×120 RGBA image with transparency and anti-aliased
// edges: a red disc with a hole, a blue bar and a grey ramp on a
// transparent background. Integer arithmetic but for the disc's edge,
// through math.Sqrt, which is exact everywhere.
func testRGBA() (pix []byte, w, h int) {
	w, h = 160, 120
	pix = make([]byte, 4*w*h)
	for y := range h {
		for x := range w {
			p := pix[4*(y*w+x):]
			dx, dy := float64(x-60), float64(y-55)
			d := math.Sqrt(float64(dx*dx) + float64(dy*dy))
			switch {
			case d < 14: // the hole: transparent
			case d < 40:
				p[0], p[1], p[2], p[3] = 220, 30, 40, 255
			case d < 42: // the edge, anti-aliased in alpha
				p[0], p[1], p[2], p[3] = 220, 30, 40, byte(255*(42-d)/2)
			case x >= 110 && x < 150 && y >= 20 && y < 100:
				p[0], p[1], p[2], p[3] = 20, 40, 200, 255
			case y >= 105:
				v := byte(x * 255 / w)
				p[0], p[1], p[2], p[3] = v, v, v, 255
			}
		}
	}
	return pix, w, h
}

// testGray is testRGBA's luminance on white, one byte a pixel.
func testGray() (pix []byte, w, h int) {
	rgba, w, h := testRGBA()
	pix = make([]byte, w*h)
	for i := range pix {
		p := rgba[4*i:]
		y := (299*int(p[0]) + 587*int(p[1]) + 114*int(p[2])) / 1000
		a := int(p[3])
		pix[i] = byte((y*a + 255*(255-a)) / 255)
	}
	return pix, w, h
}

// goldenOptions are the options of the golden traces: the placeholder
// preset with these fields over it, as JSON for the JavaScript API.
const goldenOptions = `{"maxside": 96, "precision": 1}`

func goldenOpts() tracecore.Options {
	o := tracecore.PlaceholderOptions()
	o.MaxSide, o.Precision = 96, 1
	return o
}

// nativeTrace traces pixels with tracecore directly.
func nativeTrace(t *testing.T, pix []byte, w, h, channels int, o tracecore.Options) *tracecore.Result {
	t.Helper()
	pix = append([]byte(nil), pix...)
	var res *tracecore.Result
	var err error
	if channels == 4 {
		img, err2 := tracecore.FromRGBA(pix, w, h, o.MaxPixels)
		if err2 != nil {
			t.Fatal(err2)
		}
		res, err = tracecore.TraceImage(context.Background(), img, o)
	} else {
		img, err2 := tracecore.FromGray(pix, w, h, o.MaxPixels)
		if err2 != nil {
			t.Fatal(err2)
		}
		res, err = tracecore.TraceImage(context.Background(), img, o)
	}
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestGolden pins tracecore's SVG of the test images. Natively it is the
// reference (go test -update ./wasm/browser rewrites it); in js/wasm the
// API's output is compared with the same files (TestTrace/Golden), so
// the browser module's bytes are checked against native tracecore's.
func TestGolden(t *testing.T) {
	for _, g := range goldens {
		pix, w, h := g.pixels()
		svg := nativeTrace(t, pix, w, h, g.channels, goldenOpts()).SVG()
		path := filepath.Join("testdata", g.name+".svg")
		if *update {
			if err := os.WriteFile(path, svg, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(svg) != string(want) {
			t.Errorf("%s: tracecore's SVG differs from %s (go test -update ./wasm/browser after a deliberate change)\n got %s", g.name, path, svg)
		}
	}
}

var goldens = []struct {
	name     string
	channels int
	pixels   func() ([]byte, int, int)
}{
	{"rgba", 4, testRGBA},
	{"gray", 1, testGray},
}
