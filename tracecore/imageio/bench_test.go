package imageio_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"image/jpeg"
	"os"
	"testing"

	"github.com/svgtrace/svgtrace/tracecore"
	"github.com/svgtrace/svgtrace/tracecore/imageio"
)

// benchPhotos are the test photos the placeholder benchmarks read, from
// ../testdata/images: for a 400-pixel placeholder picos.jpg (3264×2448,
// progressive 4:2:0, 1.8 MB) decodes at 1/8 scale, brushes.jpg (1365×1074,
// progressive 4:4:4) and building.jpg (868×600, baseline 4:2:0) at 1/2, and
// fruits.jpg (512×480) at full size.
var benchPhotos = []string{"picos.jpg", "brushes.jpg", "building.jpg", "fruits.jpg", "opencv-logo.png"}

func readBenchPhoto(b *testing.B, name string) []byte {
	data, err := os.ReadFile("../testdata/images/" + name)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkDecode decodes picos.jpg, read from disk once: Full with Decode,
// Reduced with DecodeReduced for a 400-pixel trace (1/8 scale, DC scans
// only), Stdlib with image/jpeg alone (the floor Decode adds its header
// pass and EXIF scan to), and Orientation6 with an EXIF orientation of 6
// spliced in (a quarter turn of the decoded YCbCr).
func BenchmarkDecode(b *testing.B) {
	data := readBenchPhoto(b, "picos.jpg")
	turned := spliceAfterSOI(data, exifSegment(binary.BigEndian, 6))
	for _, c := range []struct {
		name   string
		data   []byte
		decode func([]byte) error
	}{
		{"picos.jpg/full", data, func(d []byte) error { _, _, err := imageio.Decode(bytes.NewReader(d), 0); return err }},
		{"picos.jpg/reduced", data, func(d []byte) error {
			_, _, err := imageio.DecodeReduced(bytes.NewReader(d), 0, 400)
			return err
		}},
		{"picos.jpg/stdlib", data, func(d []byte) error { _, err := jpeg.Decode(bytes.NewReader(d)); return err }},
		{"picos.jpg/orientation6", turned, func(d []byte) error { _, _, err := imageio.Decode(bytes.NewReader(d), 0); return err }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.data)))
			for b.Loop() {
				if err := c.decode(c.data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPlaceholder is the whole path of an upload, natively, for each
// test photo: its bytes decoded (DecodeReduced), traced with the
// placeholder preset and written as a data URI. The goal for picos.jpg is
// 150 ms.
func BenchmarkPlaceholder(b *testing.B) {
	for _, name := range benchPhotos {
		data := readBenchPhoto(b, name)
		b.Run(name, func(b *testing.B) {
			var t tracecore.Tracer
			opts := tracecore.PlaceholderOptions()
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				img, _, err := imageio.DecodeReduced(bytes.NewReader(data), 0, opts.MaxSide)
				if err != nil {
					b.Fatal(err)
				}
				res, err := t.TraceImage(context.Background(), img, opts)
				if err != nil {
					b.Fatal(err)
				}
				_ = res.AppendDataURI(nil)
			}
		})
	}
}
