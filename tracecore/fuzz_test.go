package tracecore

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzTrace input: byte 0 is the width and byte 1 the height (each mod 65, so
// at most 64×64 pixels: the work per input stays small), byte 2 the options,
// and the rest the pixels, row after row, eight to a byte, most significant
// bit first; missing bytes are white.
const fuzzMaxSide = 64

func fuzzBitmap(data []byte) *Bitmap {
	at := func(i int) byte {
		if i < len(data) {
			return data[i]
		}
		return 0
	}
	w, h := int(at(0))%(fuzzMaxSide+1), int(at(1))%(fuzzMaxSide+1)
	bm, err := NewBitmap(w, h, 0)
	if err != nil {
		panic(err)
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := y*w + x
			if at(3+i/8)&(0x80>>uint(i%8)) != 0 {
				bm.Set(x, y, true)
			}
		}
	}
	return bm
}

// fuzzOptions: bits 0–2 the turn policy (7 is minority again), bits 3–4
// alphamax 0, 1, 4/3 or ½, bit 5 opticurve off, bit 6 invert, bit 7 turd size
// 0 instead of the default 2.
func fuzzOptions(b byte) Options {
	o := DefaultOptions()
	o.TurnPolicy = TurnPolicies[int(b&7)%len(TurnPolicies)]
	o.AlphaMax = [4]float64{0, 1, 4.0 / 3, 0.5}[b>>3&3]
	o.OptiCurve = b>>5&1 == 0
	o.Invert = b>>6&1 != 0
	if b>>7 != 0 {
		o.TurdSize = 0
	}
	return o
}

// fuzzInput encodes a bitmap (cropped to 64×64) and an options byte.
func fuzzInput(bm *Bitmap, x0, y0 int, opts byte) []byte {
	w, h := min(bm.Width-x0, fuzzMaxSide), min(bm.Height-y0, fuzzMaxSide)
	data := make([]byte, 3+(w*h+7)/8)
	data[0], data[1], data[2] = byte(w), byte(h), opts
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if bm.Black(x0+x, y0+y) {
				i := y*w + x
				data[3+i/8] |= 0x80 >> uint(i%8)
			}
		}
	}
	return data
}

// requireWellFormedXML decodes the whole document and checks that it is one
// svg element.
func requireWellFormedXML(t testing.TB, doc []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	depth, roots := 0, 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err, "%.300s", doc)
		switch el := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
				require.Equal(t, "svg", el.Name.Local)
			} else {
				require.Equal(t, "path", el.Name.Local)
			}
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			require.Empty(t, bytes.TrimSpace(el), "text in the SVG")
		default:
			t.Fatalf("unexpected XML token %T", tok)
		}
	}
	require.Equal(t, 1, roots)
	require.Zero(t, depth)
}

func FuzzTrace(f *testing.F) {
	files, err := filepath.Glob("testdata/pbm/*_400.pbm")
	require.NoError(f, err)
	require.NotEmpty(f, files)
	for i, file := range files {
		bm := readPBMTestFile(f, file)
		// The middle of each picture, and its top-left corner.
		f.Add(fuzzInput(bm, bm.Width/2-32, bm.Height/2-32, byte(i*37)))
		f.Add(fuzzInput(bm, 0, 0, byte(0x80|i)))
	}
	for _, rows := range [][]string{
		{"#"},
		{"#.", ".#"},
		{"####", "#.##", "##.#", "####"},
		{"#.#.", ".#.#", "#.#.", ".#.#"},
		{"....", ".##.", ".##.", "...."},
	} {
		bm := bitmapFromRows(f, rows...)
		for _, opts := range []byte{0x00, 0x80, 0x81, 0x83, 0x85, 0x86, 0xa8, 0xc0, 0x18} {
			f.Add(fuzzInput(bm, 0, 0, opts))
		}
	}
	f.Add([]byte{})
	f.Add([]byte{64, 64, 0xff})
	f.Add(append([]byte{64, 64, 0x80}, bytes.Repeat([]byte{0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55}, 32)...))

	f.Fuzz(func(t *testing.T, data []byte) {
		bm := fuzzBitmap(data)
		var opts Options
		if len(data) > 2 {
			opts = fuzzOptions(data[2])
		} else {
			opts = fuzzOptions(0)
		}
		res, err := Trace(context.Background(), bm, opts)
		require.NoError(t, err)
		svg := res.SVG()
		require.True(t, bytes.HasPrefix(svg, []byte("<svg ")), "%.100s", svg)
		requireWellFormedXML(t, svg)

		w, h := float64(bm.Width), float64(bm.Height)
		inside := func(p Point) bool { return p.X >= -1 && p.X <= w+1 && p.Y >= -1 && p.Y <= h+1 }
		for i, p := range res.Paths {
			require.True(t, inside(p.Start), "path %d starts at %v", i, p.Start)
			for k, s := range p.Segments {
				require.True(t, inside(s.End), "path %d segment %d ends at %v, outside %v×%v", i, k, s.End, w, h)
			}
		}
		requirePathDataRoundTrips(t, res)
		if opts.TurdSize == 0 {
			// Every path kept: outlines minus holes count the black pixels.
			sum := 0
			for _, p := range res.Paths {
				if p.Hole {
					sum -= p.Area
				} else {
					sum += p.Area
				}
			}
			black := bm.Count()
			if opts.Invert {
				black = bm.Width*bm.Height - black
			}
			require.Equal(t, black, sum)
		}

		// The same bytes again, from a Tracer that has just traced
		// something else.
		var tr Tracer
		_, err = tr.Trace(context.Background(), bitmapFromRows(t, "##.#", "#.##", ".###"), DefaultOptions())
		require.NoError(t, err)
		again, err := tr.Trace(context.Background(), bm, opts)
		require.NoError(t, err)
		require.Equal(t, string(svg), string(again.SVG()))
	})
}
