package tracecore_test

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"log"
	"strings"

	"github.com/svgtrace/svgtrace/tracecore"
)

// A 12×12 square frame, two pixels thick, as a plain PBM. At the defaults its
// outline and its hole are both squares large enough (8 pixels and more) to
// keep sharp corners, so the SVG is all straight lines: the outline from
// (0, 6) down, right, up and left, then the hole from (6, 2) the other way
// round, so that the nonzero fill rule leaves it empty.
func ExampleTrace() {
	const pbm = `P1
12 12
111111111111
111111111111
110000000011
110000000011
110000000011
110000000011
110000000011
110000000011
110000000011
110000000011
111111111111
111111111111
`
	bm, err := tracecore.ReadPBM(strings.NewReader(pbm), 0)
	if err != nil {
		log.Fatal(err)
	}
	res, err := tracecore.Trace(context.Background(), bm, tracecore.DefaultOptions())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(res.SVG()))
	for _, p := range res.Paths {
		fmt.Printf("hole %v, %d pixels, %d segments\n", p.Hole, p.Area, len(p.Segments))
	}
	// Output:
	// <svg xmlns="http://www.w3.org/2000/svg" width="12" height="12" viewBox="0 0 12 12"><path fill="#000000" d="M0,6v6h12v-12h-12zm6-4h4v8h-8v-8z"/></svg>
	// hole false, 144 pixels, 4 segments
	// hole true, 64 pixels, 4 segments
}

func ExampleReadPBM() {
	// Plain PBM: 1 is black; whitespace between digits is optional and
	// comments run to the end of the line.
	const pbm = "P1\n# a diagonal\n5 3\n10000\n01110 # the middle row\n00001\n"
	bm, err := tracecore.ReadPBM(strings.NewReader(pbm), 0)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d×%d, %d black\n", bm.Width, bm.Height, bm.Count())
	for y := 0; y < bm.Height; y++ {
		for x := 0; x < bm.Width; x++ {
			if bm.Black(x, y) {
				fmt.Print("#")
			} else {
				fmt.Print(".")
			}
		}
		fmt.Println()
	}
	// Output:
	// 5×3, 5 black
	// #....
	// .###.
	// ....#
}

func ExampleFromImage() {
	// A grey ramp whose bounds do not start at the origin: the bitmap's
	// pixel (0, 0) is the image's pixel (10, 20).
	img := image.NewGray(image.Rect(10, 20, 16, 22))
	for x := 10; x < 16; x++ {
		v := uint8(51 * (x - 10)) // 0, 51, 102, 153, 204, 255
		img.SetGray(x, 20, color.Gray{Y: v})
		img.SetGray(x, 21, color.Gray{Y: 255 - v})
	}
	// Below half of full scale is black: 0, 51 and 102 are; 153 is not.
	bm, err := tracecore.FromImage(img, 0.5, 0)
	if err != nil {
		log.Fatal(err)
	}
	for y := 0; y < bm.Height; y++ {
		for x := 0; x < bm.Width; x++ {
			if bm.Black(x, y) {
				fmt.Print("#")
			} else {
				fmt.Print(".")
			}
		}
		fmt.Println()
	}
	// Output:
	// ###...
	// ...###
}
