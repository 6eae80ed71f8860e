package tracecore_test

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"log"

	"github.com/svgtrace/svgtrace/tracecore"
)

// A 300×200 white logo on transparency, traced at 120 pixels on the longer
// side: the shape is where the logo is opaque (a white-on-transparent logo
// is not traced to nothing), the SVG keeps the image's size as its width
// and height, and the viewBox is the traced bitmap's size.
func ExampleTraceImage() {
	img := image.NewNRGBA(image.Rect(0, 0, 300, 200))
	for y := 50; y < 150; y++ {
		for x := 100; x < 200; x++ {
			img.SetNRGBA(x, y, color.NRGBA{255, 255, 255, 255})
		}
	}
	o := tracecore.DefaultOptions()
	o.MaxSide = 120
	o.Threshold = tracecore.ThresholdAuto
	o.Color = tracecore.ColorAuto
	res, err := tracecore.TraceImage(context.Background(), img, o)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(res.SVG()))
	fmt.Println(res.Width, res.Height, res.ImageWidth, res.ImageHeight, res.Options.Color)
	// Output:
	// <svg xmlns="http://www.w3.org/2000/svg" width="300" height="200" viewBox="0 0 120 80"><path fill="#ffffff" d="M40,40v20h40v-40h-40z"/></svg>
	// 120 80 300 200 #ffffff
}

// Raw RGBA from a browser canvas (straight alpha), traced without a decoder.
func ExampleFromRGBA() {
	pix := []byte{
		0, 0, 0, 255, // opaque black
		0, 0, 0, 0, // transparent: never black
	}
	img, err := tracecore.FromRGBA(pix, 2, 1, 0)
	if err != nil {
		log.Fatal(err)
	}
	p, err := tracecore.Prepare(context.Background(), img, tracecore.DefaultOptions())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.Bitmap.Black(0, 0), p.Bitmap.Black(1, 0), p.Mode)
	// Output:
	// true false silhouette
}
