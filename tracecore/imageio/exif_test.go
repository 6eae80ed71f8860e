package imageio_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/draw"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/svgtrace/svgtrace/tracecore/imageio"
)

// orientedJPEG returns the JPEG a camera writes for the upright picture u
// held with orientation o: u stored the other way round, and an APP1 Exif
// segment right after SOI saying how to turn it back.
func orientedJPEG(t testing.TB, u image.Image, o int, order binary.ByteOrder) []byte {
	return spliceAfterSOI(encodeJPEG(t, stored(u, o)), exifSegment(order, uint16(o)))
}

// Every EXIF orientation, in both byte orders, decodes to the upright
// picture: the red square at the top left, the blue one at the top right.
// JPEG's noise is tolerated by comparing mean colours of regions inside the
// squares, never exact pixels.
func TestOrientation(t *testing.T) {
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		for o := 1; o <= 8; o++ {
			t.Run(fmt.Sprintf("%v/%d", order, o), func(t *testing.T) {
				data := orientedJPEG(t, marks(), o, order)
				want := imageio.Config{Format: imageio.JPEG, Width: marksW, Height: marksH, Orientation: o}

				cfg, err := imageio.DecodeConfig(bytes.NewReader(data))
				require.NoError(t, err)
				assert.Equal(t, want, cfg)

				img, cfg, err := imageio.Decode(bytes.NewReader(data), 0)
				require.NoError(t, err)
				assert.Equal(t, want, cfg)
				assert.IsType(t, &image.YCbCr{}, img)
				requireMarks(t, img, 24)
			})
		}
	}
}

func toGray(m image.Image) *image.Gray {
	g := image.NewGray(m.Bounds())
	draw.Draw(g, g.Rect, m, m.Bounds().Min, draw.Src)
	return g
}

// Grey and CMYK JPEGs are turned upright too, keeping their types.
func TestOrientationTypes(t *testing.T) {
	for _, c := range []struct {
		name string
		data func(o int) []byte
		typ  image.Image
	}{
		{"Gray", func(o int) []byte {
			return spliceAfterSOI(encodeJPEG(t, toGray(stored(grayMarks(0, 128), o))), exifSegment(binary.BigEndian, uint16(o)))
		}, &image.Gray{}},
		{"CMYK", func(o int) []byte {
			// cmyk.jpg is upright; with orientation o it shows turned, so
			// compare with the marks turned the same way.
			return spliceAfterSOI(readFixture(t, "cmyk.jpg"), exifSegment(binary.BigEndian, uint16(o)))
		}, &image.CMYK{}},
	} {
		for o := 1; o <= 8; o++ {
			t.Run(fmt.Sprintf("%s/%d", c.name, o), func(t *testing.T) {
				img, cfg, err := imageio.Decode(bytes.NewReader(c.data(o)), 0)
				require.NoError(t, err)
				assert.Equal(t, o, cfg.Orientation)
				assert.IsType(t, c.typ, img)
				var want image.Image = grayMarks(0, 128)
				if c.name == "CMYK" {
					want = display(marks(), o)
				}
				require.Equal(t, want.Bounds(), img.Bounds())
				for _, r := range []image.Rectangle{regionRed, regionBlue, regionWhite, regionLeft} {
					if o >= 5 && c.name == "CMYK" { // the regions of the turned picture
						r = image.Rect(r.Min.Y, r.Min.X, r.Max.Y, r.Max.X)
					}
					got, exp := mean(img, r), mean(want, r)
					for i := range got {
						require.InDeltaf(t, exp[i], got[i], 24, "region %v: mean %v, want %v", r, got, exp)
					}
				}
			})
		}
	}
}

// EXIF is a hint: a missing, malformed or out-of-range orientation decodes
// the image as stored, with orientation 1, never an error.
func TestOrientationMalformed(t *testing.T) {
	le, be := binary.LittleEndian, binary.BigEndian
	valid := exifTIFF(be, 0x0112, 3, 1, 6)
	app1 := func(tiff []byte) []byte { return segment(0xe1, append([]byte("Exif\x00\x00"), tiff...)) }
	patched := func(at int, b ...byte) []byte {
		t := append([]byte{}, valid...)
		copy(t[at:], b)
		return t
	}
	for _, c := range []struct {
		name     string
		segments [][]byte
		want     int
	}{
		{"None", nil, 1},
		{"Valid", [][]byte{app1(valid)}, 6}, // the control: the rest differ from it in one way
		{"AfterJFIF", [][]byte{segment(0xe0, []byte("JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")), app1(valid)}, 6},
		{"AfterXMP", [][]byte{segment(0xe1, []byte("http://ns.adobe.com/xap/1.0/\x00<x/>")), app1(valid)}, 6},
		{"AfterFillBytes", [][]byte{{0xff, 0xff, 0xff}, app1(valid)[1:]}, 6},
		{"OnlyTheFirstExifCounts", [][]byte{app1(exifTIFF(le, 0x0112, 3, 1, 0)), app1(valid)}, 1},
		{"NotExif", [][]byte{segment(0xe1, append([]byte("Exif\x00\x01"), valid...))}, 1},
		{"EmptySegment", [][]byte{segment(0xe1, nil)}, 1},
		{"HeaderOnly", [][]byte{app1([]byte("Exif"))}, 1},
		{"ShortTIFF", [][]byte{app1(valid[:7])}, 1},
		{"BadByteOrder", [][]byte{app1(patched(0, 'M', 'I'))}, 1},
		{"BadMagic", [][]byte{app1(patched(2, 0, 43))}, 1},
		{"IFDOffsetPastEnd", [][]byte{app1(patched(4, 0, 0, 0x10, 0))}, 1},
		{"IFDOffsetHuge", [][]byte{app1(patched(4, 0xff, 0xff, 0xff, 0xff))}, 1},
		{"IFDOffsetInHeader", [][]byte{app1(patched(4, 0, 0, 0, 2))}, 1},
		{"EntryCountZero", [][]byte{app1(patched(8, 0, 0))}, 1},
		// A count past the end is read as far as the entries go.
		{"EntryCountPastEnd", [][]byte{app1(patched(8, 0xff, 0xff))}, 6},
		{"EntriesTruncated", [][]byte{app1(valid[:20])}, 1},
		{"WrongType", [][]byte{app1(exifTIFF(be, 0x0112, 4, 1, 6))}, 1},
		{"WrongCount", [][]byte{app1(exifTIFF(be, 0x0112, 3, 2, 6))}, 1},
		{"Zero", [][]byte{app1(exifTIFF(be, 0x0112, 3, 1, 0))}, 1},
		{"Nine", [][]byte{app1(exifTIFF(be, 0x0112, 3, 1, 9))}, 1},
		{"OtherTag", [][]byte{app1(exifTIFF(be, 0x0110, 3, 1, 6))}, 1},
		{"WrongByteOrderValue", [][]byte{app1(exifTIFF(le, 0x0112, 3, 1, 6<<8))}, 1},
		// A segment length shorter than itself ends the search.
		{"BadSegmentLength", [][]byte{{0xff, 0xe1, 0x00, 0x01}, app1(valid)}, 1},
		// The search ends 128 KiB into the file: three 64 KiB comment
		// segments push the Exif segment past it.
		{"PastScanLimit", [][]byte{
			segment(0xfe, make([]byte, 65533)), segment(0xfe, make([]byte, 65533)), segment(0xfe, make([]byte, 65533)),
			app1(valid)}, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			data := spliceAfterSOI(encodeJPEG(t, marks()), c.segments...)
			img, cfg, err := imageio.Decode(bytes.NewReader(data), 0)
			if c.name == "BadSegmentLength" {
				// image/jpeg rejects the file itself; EXIF played no part.
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, c.want, cfg.Orientation)
			if c.want == 1 {
				requireMarks(t, img, 24)
			} else {
				assert.Equal(t, image.Rect(0, 0, marksH, marksW), img.Bounds())
			}
		})
	}
}

// An Exif segment after the first scan is not looked for: the scan ends
// at SOS.
func TestOrientationAfterSOS(t *testing.T) {
	jpg := encodeJPEG(t, marks())
	sos := bytes.Index(jpg, []byte{0xff, 0xda})
	require.Positive(t, sos)
	data := append(append(append([]byte{}, jpg[:sos]...), exifSegment(binary.BigEndian, 6)...), jpg[sos:]...)
	// Inserted just before SOS, it is found…
	_, cfg, err := imageio.Decode(bytes.NewReader(data), 0)
	require.NoError(t, err)
	assert.Equal(t, 6, cfg.Orientation)
	// …but not after EOI, where some editors append metadata.
	data = append(append([]byte{}, jpg...), exifSegment(binary.BigEndian, 6)...)
	_, cfg, err = imageio.Decode(bytes.NewReader(data), 0)
	require.NoError(t, err)
	assert.Equal(t, 1, cfg.Orientation)
}
