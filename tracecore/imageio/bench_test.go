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

// BenchmarkDecode decodes picos.jpg, the corpus's 8-megapixel photo
// (3264×2448, 1.8 MB, progressive 4:2:0), read from disk once. Stdlib is
// image/jpeg alone, the floor imageio adds its header pass and EXIF scan
// to; Orientation6 is the same file with an EXIF orientation of 6 spliced
// in, adding a quarter turn of the decoded YCbCr.
func BenchmarkDecode(b *testing.B) {
	data, err := os.ReadFile("../testdata/images/picos.jpg")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("picos.jpg", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, _, err := imageio.Decode(bytes.NewReader(data), 0); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("picos.jpg/orientation6", func(b *testing.B) {
		turned := spliceAfterSOI(data, exifSegment(binary.BigEndian, 6))
		b.ReportAllocs()
		b.SetBytes(int64(len(turned)))
		for b.Loop() {
			if _, _, err := imageio.Decode(bytes.NewReader(turned), 0); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("picos.jpg/stdlib", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkPlaceholder is the whole path of an upload, natively: picos.jpg's
// bytes decoded, traced with the placeholder preset and written as a data
// URI. Decoding at full size dominates (see BenchmarkDecode); the goal of
// 150 ms needs decoding at reduced scale.
func BenchmarkPlaceholder(b *testing.B) {
	data, err := os.ReadFile("../testdata/images/picos.jpg")
	if err != nil {
		b.Fatal(err)
	}
	var t tracecore.Tracer
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		img, _, err := imageio.Decode(bytes.NewReader(data), 0)
		if err != nil {
			b.Fatal(err)
		}
		res, err := t.TraceImage(context.Background(), img, tracecore.PlaceholderOptions())
		if err != nil {
			b.Fatal(err)
		}
		_ = res.AppendDataURI(nil)
	}
}
