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

// FuzzDecode checks that Decode never panics, that its errors wrap
// ErrCorrupt or ErrUnsupported, that an image it returns has the bounds
// of the frame reduced by 8, and that Supported agrees with its success.
func FuzzDecode(f *testing.F) {
	f.Add(handmade())
	for _, s := range []spec{
		{w: 17, h: 9, sampling: [][2]int{{2, 2}, {1, 1}, {1, 1}}, restart: 1, fill: true, acMax: 20, seed: 1},
		{w: 16, h: 16, sampling: [][2]int{{2, 1}, {1, 1}, {1, 1}}, progressive: true, restart: 2, acMax: 3, seed: 2},
		{w: 9, h: 9, sampling: [][2]int{{1, 1}}, progressive: true, separate: true, quant16: true, acMax: 2, seed: 3},
		{w: 8, h: 24, sampling: [][2]int{{4, 2}, {1, 1}, {1, 1}}, separate: true, acMax: 2, seed: 4},
	} {
		data := encodeTest(s).data
		f.Add(data)
		f.Add(data[:len(data)*2/3])
	}
	f.Add(stdlibJPEG(f, 17, 9, false))
	f.Add(stdlibJPEG(f, 8, 8, true))
	f.Fuzz(func(t *testing.T, data []byte) {
		d := &decoder{data: data}
		d.run(true)
		if d.width*d.height > maxFuzzPixels {
			return
		}
		m, err := Decode(data)
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
		if want := image.Rect(0, 0, (d.width+7)/8, (d.height+7)/8); m.Bounds() != want {
			t.Fatalf("bounds %v, want %v", m.Bounds(), want)
		}
	})
}
