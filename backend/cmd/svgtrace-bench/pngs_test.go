package main

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/svgtrace/svgtrace/tracecore"
)

func TestScaledSize(t *testing.T) {
	for _, tc := range []struct{ w, h, max, ww, wh int }{
		{3264, 2448, 400, 400, 300},
		{1365, 1074, 400, 400, 315}, // 314.7
		{600, 794, 400, 302, 400},   // 302.3
		{868, 600, 400, 400, 276},   // 276.5: half up
		{400, 10, 400, 400, 10},     // fits
		{10000, 1, 400, 400, 1},     // at least 1
		{512, 480, 0, 512, 480},     // no limit
	} {
		if w, h := scaledSize(tc.w, tc.h, tc.max); w != tc.ww || h != tc.wh {
			t.Errorf("scaledSize(%d, %d, %d) = %d×%d, want %d×%d", tc.w, tc.h, tc.max, w, h, tc.ww, tc.wh)
		}
	}
}

func TestOverlaps(t *testing.T) {
	for _, tc := range []struct{ N, n int }{{3, 2}, {7, 3}, {10, 10}, {3264, 400}, {1074, 315}, {5, 1}} {
		got := overlaps(tc.N, tc.n)
		if len(got) != tc.n {
			t.Fatalf("overlaps(%d, %d): %d columns", tc.N, tc.n, len(got))
		}
		perSource := make([]uint64, tc.N)
		for j, spans := range got {
			sum := uint64(0)
			for _, s := range spans {
				sum += s.weight
				perSource[s.src] += s.weight
			}
			if sum != uint64(tc.N) {
				t.Errorf("overlaps(%d, %d): column %d weighs %d, want %d", tc.N, tc.n, j, sum, tc.N)
			}
		}
		for i, w := range perSource {
			if w != uint64(tc.n) {
				t.Errorf("overlaps(%d, %d): source %d is used %d units, want %d", tc.N, tc.n, i, w, tc.n)
			}
		}
	}
	// 3 → 2: thirds. Target 0 covers source 0 and half of 1.
	want := [][]span{{{0, 2}, {1, 1}}, {{1, 1}, {2, 2}}}
	got := overlaps(3, 2)
	for j := range want {
		if len(got[j]) != len(want[j]) {
			t.Fatalf("overlaps(3, 2) = %v, want %v", got, want)
		}
		for k := range want[j] {
			if got[j][k] != want[j][k] {
				t.Fatalf("overlaps(3, 2) = %v, want %v", got, want)
			}
		}
	}
}

// refDownscale is boxDownscale in floating point, by the definition: each
// target pixel averages the source over its rectangle [x·W/w, (x+1)·W/w) ×
// [y·H/h, (y+1)·H/h), colour premultiplied by alpha.
func refDownscale(src *image.NRGBA, w, h int) [][4]float64 {
	W, H := src.Bounds().Dx(), src.Bounds().Dy()
	out := make([][4]float64, w*h)
	cover := func(i, j, N, n int) float64 { // of source cell i by target cell j
		lo := math.Max(float64(i), float64(j)*float64(N)/float64(n))
		hi := math.Min(float64(i+1), float64(j+1)*float64(N)/float64(n))
		return math.Max(0, hi-lo)
	}
	for ty := range h {
		for tx := range w {
			var s [4]float64
			for sy := range H {
				wy := cover(sy, ty, H, h)
				if wy == 0 {
					continue
				}
				for sx := range W {
					wx := cover(sx, tx, W, w)
					if wx == 0 {
						continue
					}
					c := src.NRGBAAt(sx, sy)
					// 8-bit premultiplied, as image/draw converts NRGBA to RGBA
					pm := func(v uint8) float64 { return float64(uint32(v) * 0x101 * (uint32(c.A) * 0x101) / 0xffff >> 8) }
					s[0] += wx * wy * pm(c.R)
					s[1] += wx * wy * pm(c.G)
					s[2] += wx * wy * pm(c.B)
					s[3] += wx * wy * float64(c.A)
				}
			}
			area := float64(W) / float64(w) * float64(H) / float64(h)
			px := &out[ty*w+tx]
			px[3] = s[3] / area
			for c := range 3 {
				if s[3] > 0 {
					px[c] = s[c] * 255 / s[3]
				}
			}
		}
	}
	return out
}

func TestBoxDownscale(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		W, H, max int
		alpha     bool
	}{{9, 7, 4, false}, {13, 5, 6, true}, {5, 13, 4, false}, {17, 17, 5, true}} {
		src := image.NewNRGBA(image.Rect(0, 0, tc.W, tc.H))
		for i := range src.Pix {
			src.Pix[i] = uint8(r.IntN(256))
			if i%4 == 3 && !tc.alpha {
				src.Pix[i] = 255
			}
		}
		got := boxDownscale(src, tc.max)
		w, h := scaledSize(tc.W, tc.H, tc.max)
		if got.Bounds() != image.Rect(0, 0, w, h) {
			t.Fatalf("%d×%d to %d: bounds %v", tc.W, tc.H, tc.max, got.Bounds())
		}
		ref := refDownscale(src, w, h)
		for y := range h {
			for x := range w {
				c := got.NRGBAAt(x, y)
				want := ref[y*w+x]
				gotv := [4]uint8{c.R, c.G, c.B, c.A}
				for k := range 4 {
					if math.Abs(float64(gotv[k])-want[k]) > 0.5+1e-9 {
						t.Errorf("%d×%d to %d×%d, alpha %v: pixel %d,%d channel %d = %d, want %.3f",
							tc.W, tc.H, w, h, tc.alpha, x, y, k, gotv[k], want[k])
					}
				}
			}
		}
	}
	// A uniform image stays uniform; one that fits keeps its size.
	u := image.NewNRGBA(image.Rect(0, 0, 30, 20))
	for i := range u.Pix {
		u.Pix[i] = []uint8{200, 100, 50, 255}[i%4]
	}
	g := boxDownscale(u, 7)
	for i := 0; i < len(g.Pix); i += 4 {
		if !bytes.Equal(g.Pix[i:i+4], []uint8{200, 100, 50, 255}) {
			t.Fatalf("uniform image became %v", g.Pix[i:i+4])
		}
	}
	if g := boxDownscale(u, 30); g.Bounds() != u.Bounds() || !bytes.Equal(g.Pix, u.Pix) {
		t.Errorf("an image that fits changed")
	}
}

func TestBitmapPNG(t *testing.T) {
	bm, err := tracecore.NewBitmap(70, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range [][2]int{{0, 0}, {69, 0}, {64, 1}, {3, 2}} {
		bm.Set(p[0], p[1], true)
	}
	path := filepath.Join(t.TempDir(), "bm.png")
	if err := writePNG(path, bitmapImage(bm)); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if data[24] != 1 || data[25] != 3 { // IHDR bit depth 1, colour type 3 (palette)
		t.Errorf("PNG bit depth %d, colour type %d: want a 1-bit palette", data[24], data[25])
	}
	for y := range bm.Height {
		for x := range bm.Width {
			black := color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y == 0
			if black != bm.Black(x, y) {
				t.Errorf("pixel %d,%d: black %v, want %v", x, y, black, bm.Black(x, y))
			}
		}
	}
}

func TestGrayBitmap(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 4, 1))
	copy(g.Pix, []uint8{0, 99, 100, 255})
	bm, err := grayBitmap(g, 99)
	if err != nil {
		t.Fatal(err)
	}
	for x, want := range []bool{true, true, false, false} {
		if bm.Black(x, 0) != want {
			t.Errorf("pixel %d: black %v, want %v (luminance ≤ 99)", x, bm.Black(x, 0), want)
		}
	}
}

func TestBlackFill(t *testing.T) {
	in := `<svg><path fill="#e22059" fill-rule="evenodd" d="M0 0"/><path d="M1 1" fill="tan"/><rect fill="none"/><g style="fill:red"/></svg>`
	want := `<svg><path fill="#000000" fill-rule="evenodd" d="M0 0"/><path d="M1 1" fill="#000000"/><rect fill="none"/><g style="fill:red"/></svg>`
	if got := string(blackFill([]byte(in))); got != want {
		t.Errorf("blackFill =\n%s\nwant\n%s", got, want)
	}
}
