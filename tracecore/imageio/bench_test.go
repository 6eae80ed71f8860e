package imageio_test

import (
	"bytes"
	"encoding/binary"
	"image/jpeg"
	"os"
	"testing"

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
