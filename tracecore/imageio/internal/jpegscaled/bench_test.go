package jpegscaled

import (
	"bytes"
	"fmt"
	"image/jpeg"
	"os"
	"testing"
)

// BenchmarkDecode decodes the corpus's JPEGs at 1/8 scale, at 1/4 and 1/2
// (the scale2 and scale4 sub-benchmarks), and with image/jpeg at full size
// (the stdlib sub-benchmarks) for comparison: picos.jpg is a 3264×2448
// progressive 4:2:0 photo of 1.8 MB, brushes.jpg 1365×1074 progressive
// 4:4:4, building.jpg 868×600 baseline 4:2:0 and fruits.jpg 512×480
// baseline 4:2:2.
func BenchmarkDecode(b *testing.B) {
	for _, name := range []string{"picos.jpg", "brushes.jpg", "building.jpg", "fruits.jpg"} {
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
		for _, n := range []int{2, 4} {
			b.Run(fmt.Sprintf("%s/scale%d", name, n), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(data)))
				for b.Loop() {
					if _, err := DecodeScaled(data, n); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
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
