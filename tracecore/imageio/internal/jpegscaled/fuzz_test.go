package jpegscaled

import (
	"errors"
	"image"
	"testing"
)

// maxFuzzPixels stands in for the caller's pixel-count check, which comes
// before Decode: frames above it are not decoded, so that the fuzzer does
// not spend its time and memory on 65535×65535 rasters.
const maxFuzzPixels = 1 << 22

// FuzzDecode checks that DecodeScaled never panics at any scale (the
// fuzzer's byte picks 1/8, 1/4 or 1/2), that its errors wrap ErrCorrupt or
// ErrUnsupported, that an image it returns has the bounds of the frame
// reduced to scale, and that Supported agrees with its success.
func FuzzDecode(f *testing.F) {
	var seeds [][]byte
	seeds = append(seeds, handmade())
	for _, s := range []spec{
		{w: 17, h: 9, sampling: [][2]int{{2, 2}, {1, 1}, {1, 1}}, restart: 1, fill: true, acMax: 20, seed: 1},
		{w: 16, h: 16, sampling: [][2]int{{2, 1}, {1, 1}, {1, 1}}, progressive: true, restart: 2, acMax: 3, seed: 2},
		{w: 9, h: 9, sampling: [][2]int{{1, 1}}, progressive: true, separate: true, quant16: true, acMax: 2, seed: 3},
		{w: 8, h: 24, sampling: [][2]int{{4, 2}, {1, 1}, {1, 1}}, separate: true, acMax: 2, seed: 4},
		{w: 24, h: 17, sampling: [][2]int{{2, 2}, {1, 1}, {1, 1}}, progressive: true, successive: true, restart: 2, acMax: 3, seed: 5},
		{w: 40, h: 8, sampling: [][2]int{{1, 1}}, progressive: true, successive: true, acMax: 2, seed: 6},
	} {
		data := encodeTest(s).data
		seeds = append(seeds, data, data[:len(data)*2/3])
	}
	seeds = append(seeds, stdlibJPEG(f, 17, 9, false), stdlibJPEG(f, 8, 8, true))
	for _, data := range seeds {
		for _, scale := range []byte{0, 1, 2} {
			f.Add(data, scale)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, scale byte) {
		d := &decoder{data: data}
		d.run(true)
		if d.width*d.height > maxFuzzPixels {
			return
		}
		n := 1 << (scale % 3) // 1, 2 or 4
		m, err := DecodeScaled(data, n)
		if err != nil {
			if m != nil {
				t.Fatalf("an image and an error: %v", err)
			}
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("error wraps neither sentinel: %v", err)
			}
			return
		}
		if !Supported(data) {
			t.Fatal("decoded but not Supported")
		}
		if want := image.Rect(0, 0, (d.width*n+7)/8, (d.height*n+7)/8); m.Bounds() != want {
			t.Fatalf("bounds %v, want %v", m.Bounds(), want)
		}
	})
}
