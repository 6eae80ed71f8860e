package jpegscaled

import (
	"bytes"
	"image/jpeg"
	"os"
	"testing"
)

// BenchmarkDecode decodes the corpus's JPEGs at 1/8 scale, and with
// image/jpeg at full size (the stdlib sub-benchmarks) for comparison:
// picos.jpg is a 3264×2448 progressive 4:2:0 photo of 1.8 MB, building.jpg
// 868×600 baseline 4:2:0 and fruits.jpg 512×480 baseline 4:2:2.
func BenchmarkDecode(b *testing.B) {
	for _, name := range []string{"picos.jpg", "building.jpg", "fruits.jpg"} {
		data, err := os.ReadFile("../../../testdata/images/" + name)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := Decode(data); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/stdlib", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
