package imageio_test

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// readFixture returns a file of testdata/.
func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

// The marks picture (testdata/marks.png, and marks() here): 48×32, white,
// with a red 16×16 square at the top left and a blue one at the top right.
// Two marked corners fix which way up an image is.
const marksW, marksH = 48, 32

func marks() *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, marksW, marksH))
	for y := 0; y < marksH; y++ {
		for x := 0; x < marksW; x++ {
			c := color.NRGBA{255, 255, 255, 255}
			switch {
			case y < 16 && x < 16:
				c = color.NRGBA{255, 0, 0, 255}
			case y < 16 && x >= 32:
				c = color.NRGBA{0, 0, 255, 255}
			}
			m.SetNRGBA(x, y, c)
		}
	}
	return m
}

// mean returns the mean 8-bit non-premultiplied colour of the pixels of r.
func mean(img image.Image, r image.Rectangle) [4]float64 {
	var sum [4]float64
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			sum[0] += float64(c.R)
			sum[1] += float64(c.G)
			sum[2] += float64(c.B)
			sum[3] += float64(c.A)
			n++
		}
	}
	for i := range sum {
		sum[i] /= float64(n)
	}
	return sum
}

// Regions of the marks picture, each well inside one colour so that lossy
// coding's ringing at the edges does not reach them.
var (
	regionRed   = image.Rect(3, 3, 13, 13)
	regionBlue  = image.Rect(35, 3, 45, 13)
	regionWhite = image.Rect(19, 19, 29, 29) // bottom middle
	regionLeft  = image.Rect(3, 19, 13, 29)  // bottom left, white
)

// requireMarks checks that img is the marks picture upright, each region's
// mean colour within tol of what it should be.
func requireMarks(t testing.TB, img image.Image, tol float64) {
	t.Helper()
	require.Equal(t, image.Rect(0, 0, marksW, marksH), img.Bounds())
	for _, c := range []struct {
		name string
		r    image.Rectangle
		want [4]float64
	}{
		{"top left (red)", regionRed, [4]float64{255, 0, 0, 255}},
		{"top right (blue)", regionBlue, [4]float64{0, 0, 255, 255}},
		{"bottom middle (white)", regionWhite, [4]float64{255, 255, 255, 255}},
		{"bottom left (white)", regionLeft, [4]float64{255, 255, 255, 255}},
	} {
		got := mean(img, c.r)
		for i := range got {
			require.InDeltaf(t, c.want[i], got[i], tol, "%s: mean colour %v, want %v", c.name, got, c.want)
		}
	}
}

// encodeJPEG encodes img as a baseline JPEG, 4:2:0, quality 95.
func encodeJPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}))
	return buf.Bytes()
}

// spliceAfterSOI inserts segments right after a JPEG's SOI marker, where
// cameras write their APP1 Exif segment (image/jpeg writes no APP0).
func spliceAfterSOI(jpg []byte, segments ...[]byte) []byte {
	out := append([]byte{}, jpg[:2]...)
	for _, s := range segments {
		out = append(out, s...)
	}
	return append(out, jpg[2:]...)
}

// segment returns a JPEG marker segment: 0xFF, the code, the length (which
// counts itself) and the payload.
func segment(code byte, payload []byte) []byte {
	n := len(payload) + 2
	return append([]byte{0xff, code, byte(n >> 8), byte(n)}, payload...)
}

// exifTIFF returns a TIFF structure whose IFD0 holds one entry: tag, type,
// count and a value of two bytes.
func exifTIFF(order binary.ByteOrder, tag, typ uint16, count uint32, value uint16) []byte {
	t := make([]byte, 8+2+12+4)
	if order == binary.LittleEndian {
		copy(t, "II")
	} else {
		copy(t, "MM")
	}
	order.PutUint16(t[2:], 42)
	order.PutUint32(t[4:], 8) // IFD0 right after the header
	order.PutUint16(t[8:], 1) // one entry
	e := t[10:22]
	order.PutUint16(e[0:], tag)
	order.PutUint16(e[2:], typ)
	order.PutUint32(e[4:], count)
	order.PutUint16(e[8:], value)
	return t // the next-IFD offset stays 0
}

// exifSegment returns an APP1 Exif segment with the orientation o.
func exifSegment(order binary.ByteOrder, o uint16) []byte {
	return segment(0xe1, append([]byte("Exif\x00\x00"), exifTIFF(order, 0x0112, 3, 1, o)...))
}

// The geometric definitions of the EXIF orientations, written with At and
// Set and independently of the package's affine maps: each transform
// returns a new image.
func flipH(m image.Image) *image.NRGBA {
	r := m.Bounds()
	d := image.NewNRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	for y := 0; y < r.Dy(); y++ {
		for x := 0; x < r.Dx(); x++ {
			d.Set(x, y, m.At(r.Min.X+r.Dx()-1-x, r.Min.Y+y))
		}
	}
	return d
}

func flipV(m image.Image) *image.NRGBA {
	r := m.Bounds()
	d := image.NewNRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	for y := 0; y < r.Dy(); y++ {
		for x := 0; x < r.Dx(); x++ {
			d.Set(x, y, m.At(r.Min.X+x, r.Min.Y+r.Dy()-1-y))
		}
	}
	return d
}

func transpose(m image.Image) *image.NRGBA {
	r := m.Bounds()
	d := image.NewNRGBA(image.Rect(0, 0, r.Dy(), r.Dx()))
	for y := 0; y < r.Dx(); y++ {
		for x := 0; x < r.Dy(); x++ {
			d.Set(x, y, m.At(r.Min.X+y, r.Min.Y+x))
		}
	}
	return d
}

// display applies orientation o to a stored image: what a viewer shows.
// 6 (a quarter turn clockwise) is a transpose then a left–right mirror, 8
// a transpose then a top–bottom mirror, 7 a transpose then a half turn.
func display(m image.Image, o int) image.Image {
	switch o {
	case 2:
		return flipH(m)
	case 3:
		return flipV(flipH(m))
	case 4:
		return flipV(m)
	case 5:
		return transpose(m)
	case 6:
		return flipH(transpose(m))
	case 7:
		return flipV(flipH(transpose(m)))
	case 8:
		return flipV(transpose(m))
	}
	return m
}

// stored returns what a camera stores for an upright picture u with
// orientation o: the inverse of display. Every orientation is its own
// inverse except the quarter turns 6 and 8, which undo each other.
func stored(u image.Image, o int) image.Image {
	switch o {
	case 6:
		return display(u, 8)
	case 8:
		return display(u, 6)
	}
	return display(u, o)
}

// totalAlloc returns the bytes f allocates: runtime.MemStats.TotalAlloc
// before and after. Tests that use it do not run in parallel.
func totalAlloc(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// watchdog panics with every goroutine's stack if the test runs longer
// than d: a decoder that loops on hostile input fails loudly and says where.
func watchdog(t testing.TB, d time.Duration) {
	timer := time.AfterFunc(d, func() {
		debug.SetTraceback("all")
		panic(t.Name() + ": still running after " + d.String())
	})
	t.Cleanup(func() { timer.Stop() })
}
