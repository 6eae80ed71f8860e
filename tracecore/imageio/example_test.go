package imageio_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/svgtrace/svgtrace/tracecore"
	"github.com/svgtrace/svgtrace/tracecore/imageio"
)

// Decode an upload of any supported format into an upright image, refusing
// one too large before its pixels are decoded.
func ExampleDecode() {
	f, err := os.Open("testdata/marks.webp")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()

	img, cfg, err := imageio.Decode(f, tracecore.DefaultMaxPixels)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(cfg.Format, cfg.Width, cfg.Height, img.Bounds())

	// A header declaring more pixels than allowed fails before decoding.
	_, _, err = imageio.Decode(strings.NewReader("P5 8000 8000 255\n"), tracecore.DefaultMaxPixels)
	fmt.Println(errors.Is(err, tracecore.ErrTooLarge))
	fmt.Println(err)
	// Output:
	// webp 48 32 (0,0)-(48,32)
	// true
	// imageio: pgm: tracecore: image too large: 8000×8000 pixels is over the limit of 50000000
}

func ExampleSniff() {
	for _, head := range []string{"\x89PNG\r\n\x1a\n\x00\x00\x00\x0d", "P5 640 480 255\n", "GIF89a", "%PDF-1.7", ""} {
		f, err := imageio.Sniff([]byte(head))
		fmt.Printf("%q %v\n", f, err)
	}
	// Output:
	// "png" <nil>
	// "pgm" <nil>
	// "gif" <nil>
	// "" imageio: unsupported format: pdf (bytes start "%PDF-1.7")
	// "" imageio: empty input
}

// Trace an image file of any supported format straight to a placeholder.
func ExampleTrace() {
	f, err := os.Open("testdata/marks.png")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()

	var t tracecore.Tracer // reusable: keeps its buffers between traces
	res, err := imageio.Trace(context.Background(), &t, f, tracecore.PlaceholderOptions())
	if err != nil {
		log.Fatal(err)
	}
	rep := res.Report()
	fmt.Println(rep.Width, rep.Height, rep.Paths > 0, strings.HasPrefix(rep.SVG, "<svg"))

	// Bytes that are no image are refused by their first bytes.
	_, err = imageio.Trace(context.Background(), &t, strings.NewReader("hello"), tracecore.PlaceholderOptions())
	fmt.Println(errors.Is(err, tracecore.ErrUnsupported))
	// Output:
	// 48 32 true true
	// true
}
