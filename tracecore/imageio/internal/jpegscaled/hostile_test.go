package jpegscaled

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// headerEnd returns the offset just past the first SOS segment: from
// there on the input may end anywhere without an error.
func headerEnd(t testing.TB, data []byte) int {
	t.Helper()
	i := segmentAt(t, data, 0xda)
	return i + 2 + (int(data[i+2])<<8 | int(data[i+3]))
}

// stdlibJPEG encodes a small colour or grey image with image/jpeg.
func stdlibJPEG(t testing.TB, w, h int, grey bool) []byte {
	t.Helper()
	r := image.Rect(0, 0, w, h)
	var m image.Image
	if grey {
		g := image.NewGray(r)
		for i := range g.Pix {
			g.Pix[i] = uint8(i * 7)
		}
		m = g
	} else {
		c := image.NewRGBA(r)
		for y := range h {
			for x := range w {
				c.Set(x, y, color.RGBA{uint8(x * 9), uint8(y * 13), uint8(x * y), 255})
			}
		}
		m = c
	}
	var buf bytes.Buffer
	require.NoError(t, jpeg.Encode(&buf, m, &jpeg.Options{Quality: 80}))
	return buf.Bytes()
}

// TestTruncated cuts JPEGs at every length in their headers and scans:
// every cut is an error wrapping ErrCorrupt, at 1/8, 1/4 and 1/2 scale,
// and Supported (which reads the header only) is true from the end of the
// first SOS segment on.
func TestTruncated(t *testing.T) {
	files := map[string][]byte{
		"picos.jpg": readImage(t, "picos.jpg"),
		"stdlib":    stdlibJPEG(t, 37, 21, false),
		"grey":      stdlibJPEG(t, 20, 12, true),
		"restart": encodeTest(spec{w: 40, h: 24, sampling: [][2]int{{2, 1}, {1, 1}, {1, 1}},
			restart: 2, fill: true, acMax: 50, seed: 9}).data,
		"progressive": encodeTest(spec{w: 33, h: 17, sampling: [][2]int{{2, 2}, {1, 1}, {1, 1}},
			progressive: true, restart: 1, acMax: 3, seed: 10}).data,
		"successive": encodeTest(spec{w: 40, h: 33, sampling: [][2]int{{2, 1}, {1, 1}, {1, 1}},
			progressive: true, successive: true, restart: 3, acMax: 3, seed: 11}).data,
		"successiveGrey": encodeTest(spec{w: 64, h: 8, sampling: [][2]int{{1, 1}},
			progressive: true, successive: true, acMax: 2, seed: 12}).data,
	}
	for name, data := range files {
		t.Run(name, func(t *testing.T) {
			end := headerEnd(t, data)
			for _, scale := range []int{1, 2, 4} {
				_, err := DecodeScaled(data, scale)
				require.NoError(t, err)
			}
			// Every cut, in the header or the scans (picos: its first
			// 4 KiB, header and the start of the first scan), is an error.
			// (A cut of picos.jpg allocates its coefficients, 7.5 MB at
			// 1/2 scale: there one cut in 64 is tried at 1/4 and 1/2.)
			big := len(data) > 1<<20
			for n := range min(len(data), 4096) {
				for _, scale := range []int{1, 2, 4} {
					if big && scale > 1 && n%64 != 0 {
						continue
					}
					m, err := DecodeScaled(data[:n], scale)
					require.ErrorIs(t, err, ErrCorrupt, "length %d, scale %d/8", n, scale)
					require.Nil(t, m)
				}
				require.Equal(t, n >= end, Supported(data[:n]), "length %d", n)
			}
			// Cuts in the last scans, where a progressive file's AC
			// refinements are, too: picos.jpg's take a whole decode each,
			// so one cut in 512 of its last 4 KiB.
			step := 1
			if big {
				step = 512
			}
			for n := max(len(data)-4096, 4096); n < len(data)-1; n += step {
				for _, scale := range []int{1, 2, 4} {
					m, err := DecodeScaled(data[:n], scale)
					require.ErrorIs(t, err, ErrCorrupt, "length %d, scale %d/8", n, scale)
					require.Nil(t, m)
				}
			}
		})
	}
}

// TestHostile feeds Decode malformed and unsupported headers: each fails
// with an error wrapping ErrCorrupt or ErrUnsupported and saying what was
// wrong, and Supported is false.
func TestHostile(t *testing.T) {
	base := stdlibJPEG(t, 24, 16, false)
	sof := segmentAt(t, base, 0xc0)
	dht := segmentAt(t, base, 0xc4)
	dqt := segmentAt(t, base, 0xdb)
	sos := segmentAt(t, base, 0xda)
	prog := encodeTest(spec{w: 16, h: 16, sampling: [][2]int{{1, 1}}, progressive: true, seed: 4}).data
	progSOS := segmentAt(t, prog, 0xda)
	cmyk, err := os.ReadFile("../../testdata/cmyk.jpg")
	require.NoError(t, err)
	adobe := func(transform byte) []byte {
		return []byte{0xff, 0xee, 0x00, 0x0e, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, transform}
	}
	jfif := []byte{0xff, 0xe0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0}
	// The ids of the three components, in SOF and SOS.
	rgbIDs := patched(patched(patched(base, sof+10, 'R'), sof+13, 'G'), sof+16, 'B')
	rgbIDs = patched(patched(patched(rgbIDs, sos+5, 'R'), sos+7, 'G'), sos+9, 'B')

	for _, tc := range []struct {
		name string
		data []byte
		want error
		msg  string
	}{
		{"Empty", nil, ErrCorrupt, "jpegscaled: corrupt: missing SOI marker"},
		{"NotJPEG", []byte("GIF89a"), ErrCorrupt, "jpegscaled: corrupt: missing SOI marker"},
		{"GarbageAfterSOI", []byte("\xff\xd8garbage"), ErrCorrupt,
			"jpegscaled: corrupt: marker expected at offset 2, found 0x67"},
		{"OnlySOI", []byte("\xff\xd8"), ErrCorrupt, "jpegscaled: corrupt: marker: truncated before the first scan"},
		{"FillBytesOnly", []byte("\xff\xd8\xff\xff\xff"), ErrCorrupt, "jpegscaled: corrupt: marker: truncated before the first scan"},
		{"EOIFirst", []byte("\xff\xd8\xff\xd9"), ErrCorrupt, "jpegscaled: corrupt: EOI before the first scan"},
		{"SecondSOI", []byte("\xff\xd8\xff\xd8"), ErrCorrupt, "jpegscaled: corrupt: unexpected marker 0xD8 at offset 3"},
		{"StuffedZeroAsMarker", []byte("\xff\xd8\xff\x00"), ErrCorrupt, "jpegscaled: corrupt: unexpected marker 0x00 at offset 3"},
		{"SegmentLength1", []byte("\xff\xd8\xff\xfe\x00\x01"), ErrCorrupt, "jpegscaled: corrupt: marker segment: length 1"},
		{"SOSBeforeSOF", append([]byte{0xff, 0xd8}, base[sos:]...), ErrCorrupt,
			"jpegscaled: corrupt: SOS: no frame header before the scan"},
		{"SecondSOF", spliced(base, sos, base[sof:sof+2+17]...), ErrCorrupt, "jpegscaled: corrupt: SOF: a second frame header"},
		{"DHTTableOutOfRange", patched(base, dht+4, 0x05), ErrCorrupt, "jpegscaled: corrupt: DHT: table 5 out of range"},
		{"DHTClass", patched(base, dht+4, 0x20), ErrCorrupt, "jpegscaled: corrupt: DHT: table class 2"},
		// Three 1-bit codes, with the same total of 12 codes.
		{"DHTBadCodeCount", patched(base, dht+5, 3, 1, 2), ErrCorrupt,
			"jpegscaled: corrupt: DHT: table 0: more codes than their lengths allow"},
		{"DHTTooManyCodes", patched(base, dht+5, bytes.Repeat([]byte{255}, 16)...), ErrCorrupt,
			"jpegscaled: corrupt: DHT: table 0: 4080 codes"},
		{"DHTShort", spliced(base, sos, append([]byte{0xff, 0xc4, 0, 19, 0x01, 1}, make([]byte, 15)...)...), ErrCorrupt,
			"jpegscaled: corrupt: DHT: table 1: segment too short"},
		{"DQTTableOutOfRange", patched(base, dqt+4, 0x04), ErrCorrupt, "jpegscaled: corrupt: DQT: table 4 out of range"},
		{"DQTPrecision", patched(base, dqt+4, 0x20), ErrCorrupt, "jpegscaled: corrupt: DQT: precision 2"},
		{"DQT16Short", spliced(base, sos, 0xff, 0xdb, 0, 5, 0x12, 0, 1), ErrCorrupt,
			"jpegscaled: corrupt: DQT: table 2: segment too short"},
		{"DRILength", spliced(base, sos, 0xff, 0xdd, 0x00, 0x03, 0x01), ErrCorrupt, "jpegscaled: corrupt: DRI: length 3"},
		{"SOFLength", patched(base, sof+3, 16), ErrCorrupt, "jpegscaled: corrupt: SOF: length 16 for 3 components"},
		{"SamplingZero", patched(base, sof+14, 0x01), ErrCorrupt, "jpegscaled: corrupt: SOF: component 2: sampling factors 0×1"},
		{"SamplingFive", patched(base, sof+11, 0x51), ErrCorrupt, "jpegscaled: corrupt: SOF: component 1: sampling factors 5×1"},
		{"QuantSelector", patched(base, sof+12, 4), ErrCorrupt,
			"jpegscaled: corrupt: SOF: component 1: quantisation table 4 out of range"},
		{"DuplicateComponent", patched(base, sof+13, 1), ErrCorrupt, "jpegscaled: corrupt: SOF: component id 1 twice"},
		{"WidthZero", patched(base, sof+7, 0, 0), ErrCorrupt, "jpegscaled: corrupt: SOF: width 0"},
		{"NoComponents", patched(base, sof+9, 0), ErrCorrupt, "jpegscaled: corrupt: SOF: no components"},
		{"SOSUnknownComponent", patched(base, sos+5, 9), ErrCorrupt,
			"jpegscaled: corrupt: SOS: component id 9 not in the frame"},
		{"SOSComponentTwice", patched(base, sos+7, 1), ErrCorrupt, "jpegscaled: corrupt: SOS: component id 1 twice"},
		{"SOSUndefinedTable", patched(base, sos+6, 0x22), ErrCorrupt,
			"jpegscaled: corrupt: SOS: component 1: DC Huffman table 2 not defined"},
		{"SOSUndefinedACTable", patched(base, sos+6, 0x03), ErrCorrupt,
			"jpegscaled: corrupt: SOS: component 1: AC Huffman table 3 not defined"},
		{"SOSTableOutOfRange", patched(base, sos+6, 0x40), ErrCorrupt,
			"jpegscaled: corrupt: SOS: component 1: Huffman table 4/0 out of range"},
		{"SOSUndefinedQuant", patched(base, sof+12, 3), ErrCorrupt,
			"jpegscaled: corrupt: SOS: component 1: quantisation table 3 not defined"},
		{"SOSTooManyComponents", patched(base, sos+4, 4), ErrCorrupt, "jpegscaled: corrupt: SOS: 4 components in a frame of 3"},
		{"SOSLength", patched(base, sos+4, 2), ErrCorrupt, "jpegscaled: corrupt: SOS: length 12 for 2 components"},
		{"ProgressionDCAndAC", patched(prog, progSOS+7, 0, 5), ErrCorrupt,
			"jpegscaled: corrupt: SOS: progression Ss=0 Se=5 Ah=0 Al=1"},
		{"ProgressionSeAbove63", patched(prog, progSOS+7, 1, 64), ErrCorrupt,
			"jpegscaled: corrupt: SOS: progression Ss=1 Se=64 Ah=0 Al=1"},

		{"HeightZero", patched(base, sof+5, 0, 0), ErrUnsupported,
			"jpegscaled: unsupported: SOF: height 0 (defined by a DNL marker)"},
		{"Precision12", patched(base, sof+4, 12), ErrUnsupported, "jpegscaled: unsupported: SOF: 12-bit precision"},
		{"Lossless", patched(base, sof+1, 0xc3), ErrUnsupported, "jpegscaled: unsupported: SOF3: lossless"},
		{"Arithmetic", patched(base, sof+1, 0xc9), ErrUnsupported,
			"jpegscaled: unsupported: SOF9: arithmetic-coded extended sequential"},
		{"ArithmeticProgressive", patched(base, sof+1, 0xca), ErrUnsupported,
			"jpegscaled: unsupported: SOF10: arithmetic-coded progressive"},
		{"HierarchicalSOF", patched(base, sof+1, 0xc5), ErrUnsupported,
			"jpegscaled: unsupported: SOF5: hierarchical sequential"},
		{"DAC", spliced(base, sof, 0xff, 0xcc, 0, 4, 0x10, 0x01), ErrUnsupported, "jpegscaled: unsupported: DAC: arithmetic coding"},
		{"Hierarchical", spliced(base, sof, 0xff, 0xde, 0, 2), ErrUnsupported, "jpegscaled: unsupported: hierarchical marker 0xDE"},
		{"CMYK", cmyk, ErrUnsupported, "jpegscaled: unsupported: SOF: 4 components (CMYK or YCCK)"},
		{"TwoComponents", patched(base, sof+3, 14, 8, 0, 16, 0, 24, 2), ErrUnsupported, "jpegscaled: unsupported: SOF: 2 components"},
		{"AdobeRGB", spliced(base, 2, adobe(0)...), ErrUnsupported,
			"jpegscaled: unsupported: Adobe APP14: colour transform 0 (not YCbCr)"},
		{"AdobeRGBWithJFIF", spliced(spliced(base, 2, adobe(0)...), 2, jfif...), ErrUnsupported,
			"jpegscaled: unsupported: Adobe APP14: colour transform 0 (not YCbCr)"},
		{"RGBComponentIDs", rgbIDs, ErrUnsupported, "jpegscaled: unsupported: SOF: component ids R, G, B (an RGB JPEG)"},
		{"ChromaAboveLuma", patched(base, sof+11, 0x11, 0, 2, 0x21), ErrUnsupported,
			"jpegscaled: unsupported: SOF: sampling factors 1×1, 2×1, 1×1"},
		{"ChromaUnequal", patched(base, sof+14, 0x21), ErrUnsupported,
			"jpegscaled: unsupported: SOF: sampling factors 2×2, 2×1, 1×1"},
		{"Ratio31", patched(base, sof+11, 0x31), ErrUnsupported,
			"jpegscaled: unsupported: SOF: sampling factors 3×1, 1×1, 1×1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Decode(tc.data)
			require.Error(t, err)
			assert.Nil(t, m)
			assert.ErrorIs(t, err, tc.want)
			assert.Equal(t, tc.msg, err.Error())
			other := ErrCorrupt
			if tc.want == ErrCorrupt {
				other = ErrUnsupported
			}
			assert.False(t, errors.Is(err, other), "wraps both sentinels")
			assert.False(t, Supported(tc.data))
		})
	}
}

// TestLenient covers input Decode reads although it bends the rules, as
// image/jpeg and browsers do: the colour signals that still mean YCbCr,
// extra bytes and markers between scans and after EOI. Damaged scan data
// and a missing EOI are errors.
func TestLenient(t *testing.T) {
	base := stdlibJPEG(t, 24, 16, false)
	want, err := Decode(base)
	require.NoError(t, err)
	sof := segmentAt(t, base, 0xc0)
	sos := segmentAt(t, base, 0xda)
	eoi := len(base) - 2
	require.Equal(t, []byte{0xff, 0xd9}, base[eoi:])
	rgbIDs := patched(patched(patched(base, sof+10, 'R'), sof+13, 'G'), sof+16, 'B')
	rgbIDs = patched(patched(patched(rgbIDs, sos+5, 'R'), sos+7, 'G'), sos+9, 'B')
	jfif := []byte{0xff, 0xe0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0}
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"AdobeYCbCr", spliced(base, 2, 0xff, 0xee, 0x00, 0x0e, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, 1)},
		{"RGBIdsWithJFIF", spliced(rgbIDs, 2, jfif...)},
		{"GarbageAfterEOI", append(bytes.Clone(base), "trailing bytes"...)},
		{"FillBeforeMarkers", spliced(spliced(base, eoi, 0xff, 0xff), sos, 0xff, 0xff, 0xff)},
		{"BytesBeforeEOI", spliced(base, eoi, 1, 2, 3)},
		{"COMAfterScan", spliced(base, eoi, 0xff, 0xfe, 0, 4, 'h', 'i')},
		{"StrayRST", spliced(base, eoi, 0xff, 0xd3)},
		{"DNLAfterScan", spliced(base, eoi, 0xff, 0xdc, 0, 4, 0, 16)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Decode(tc.data)
			require.NoError(t, err)
			assert.Equal(t, want, m)
			assert.True(t, Supported(tc.data))
		})
	}

	// Damaged or missing data is an error, as for image/jpeg.
	for _, tc := range []struct {
		name, msg string
		data      []byte
	}{
		{"NoEOI", "jpegscaled: corrupt: marker: input ends before EOI", base[:eoi]},
		{"InvalidHuffmanCode", "jpegscaled: corrupt: scan: invalid Huffman code in MCU 1 of 2", func() []byte {
			data := handmade()
			i := bytes.LastIndex(data, []byte{0b0100_1001}) // the second block
			return patched(data, i, 0b1100_0000)            // 11: no DC code
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Decode(tc.data)
			require.ErrorIs(t, err, ErrCorrupt)
			assert.Equal(t, tc.msg, err.Error())
			assert.Nil(t, m)
		})
	}

	// A DHT after the first scan is still checked.
	t.Run("BadSegmentAfterScan", func(t *testing.T) {
		dht := append([]byte{0xff, 0xc4, 0, 19, 0x07}, make([]byte, 16)...)
		_, err := Decode(spliced(base, eoi, dht...))
		require.ErrorIs(t, err, ErrCorrupt)
		assert.Equal(t, "jpegscaled: corrupt: DHT: table 7 out of range", err.Error())
	})
}
