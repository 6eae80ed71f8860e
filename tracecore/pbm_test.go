package tracecore

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// encodeP1 writes bm as a plain PBM, one row per line.
func encodeP1(bm *Bitmap) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "P1\n%d %d\n", bm.Width, bm.Height)
	for y := 0; y < bm.Height; y++ {
		for x := 0; x < bm.Width; x++ {
			if bm.Black(x, y) {
				b.WriteByte('1')
			} else {
				b.WriteByte('0')
			}
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// encodeP4 writes bm as a raw PBM. padding is ORed into the unused low bits of
// each row's last byte, which readers must ignore.
func encodeP4(bm *Bitmap, padding byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "P4\n%d %d\n", bm.Width, bm.Height)
	rowBytes := (bm.Width + 7) / 8
	for y := 0; y < bm.Height; y++ {
		row := make([]byte, rowBytes)
		for x := 0; x < bm.Width; x++ {
			if bm.Black(x, y) {
				row[x/8] |= 0x80 >> uint(x%8)
			}
		}
		if r := bm.Width % 8; r != 0 {
			row[rowBytes-1] |= padding & (0xff >> uint(r))
		}
		b.Write(row)
	}
	return b.Bytes()
}

func readPBMString(s string, maxPixels int64) (*Bitmap, error) {
	return ReadPBM(strings.NewReader(s), maxPixels)
}

func TestReadPBM(t *testing.T) {
	t.Run("PlainWithComments", func(t *testing.T) {
		bm, err := readPBMString("P1\n# made by hand\n4 # width\n3\n# the raster\n0110\n1001 # a comment inside\n1 1\n1 1\n", 0)
		require.NoError(t, err)
		require.Equal(t, []string{".##.", "#..#", "####"}, bitmapRows(bm))
		requirePaddingClear(t, bm)
	})

	t.Run("PlainWithoutSpaces", func(t *testing.T) {
		// Digits need no separators, and rows need not be lines.
		bm, err := readPBMString("P1 3 2 101010", 0)
		require.NoError(t, err)
		require.Equal(t, []string{"#.#", ".#."}, bitmapRows(bm))
		bm, err = readPBMString("P1#comment right after the magic\n2 2\n1\n0\n0\n1", 0)
		require.NoError(t, err)
		require.Equal(t, []string{"#.", ".#"}, bitmapRows(bm))
		// Comments end at a carriage return too.
		bm, err = readPBMString("P1\r# old Mac lines\r2 1\r# 11\r01\r", 0)
		require.NoError(t, err)
		require.Equal(t, []string{".#"}, bitmapRows(bm))
	})

	t.Run("RawWidthsNotMultipleOf8", func(t *testing.T) {
		tests := []struct {
			name  string
			input string
			want  []string
		}{
			// 5 pixels in a byte; the 3 low bits are padding, set here.
			{"Width5", "P4\n5 2\n\xaf\x57", []string{"#.#.#", ".#.#."}},
			// 13 pixels: one full byte and 5 bits of the next.
			{"Width13", "P4 13 1\n\xf0\x0f", []string{"####........#"}},
			{"Width1", "P4 1 3\n\x80\x7f\xff", []string{"#", ".", "#"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				bm, err := readPBMString(tt.input, 0)
				require.NoError(t, err)
				require.Equal(t, tt.want, bitmapRows(bm))
				requirePaddingClear(t, bm)
			})
		}
		// Width 13, second byte 0x07: pixels 8 … 12 are its bits 7 … 3, all
		// zero; the set bits 2 … 0 are padding.
		bm, err := readPBMString("P4 13 1\n\x00\x07", 0)
		require.NoError(t, err)
		require.Equal(t, []string{"............."}, bitmapRows(bm))
		require.Zero(t, bm.Count())
	})

	t.Run("PlainAndRawAgree", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(11, 12))
		for _, w := range []int{1, 7, 8, 9, 63, 64, 65, 70, 130} {
			src := randomBitmap(t, rng, w, 5, 0.5)
			p1, err := ReadPBM(bytes.NewReader(encodeP1(src)), 0)
			require.NoError(t, err)
			p4, err := ReadPBM(bytes.NewReader(encodeP4(src, 0xff)), 0)
			require.NoError(t, err)
			require.Equal(t, src, p1, "width %d", w)
			require.Equal(t, p1, p4, "width %d", w)
			requirePaddingClear(t, p4)
		}
	})

	t.Run("Errors", func(t *testing.T) {
		tests := []struct {
			name  string
			input string
			want  error
		}{
			{"Empty", "", ErrCorrupt},
			{"OneByte", "P", ErrCorrupt},
			{"BadMagic", "Q1 1 1 1", ErrCorrupt},
			{"LowercaseMagic", "p1 1 1 1", ErrCorrupt},
			{"MagicP0", "P0 1 1 1", ErrCorrupt},
			{"MagicP8", "P8 1 1 1", ErrCorrupt},
			{"NoWidth", "P1\n", ErrCorrupt},
			{"NoHeight", "P1 3", ErrCorrupt},
			{"WidthNotANumber", "P1 x 1 1", ErrCorrupt},
			{"NegativeWidth", "P1 -1 1 1", ErrCorrupt},
			{"PlainTruncated", "P1 3 2 101 01", ErrCorrupt},
			{"PlainNoRaster", "P1 3 2\n", ErrCorrupt},
			{"PlainBadDigit", "P1 2 1 12", ErrCorrupt},
			{"RawTruncated", "P4 8 2\n\xff", ErrCorrupt},
			{"RawTruncatedInRow", "P4 16 1\n\xff", ErrCorrupt},
			{"RawNoSeparator", "P4 8 1", ErrCorrupt},
			{"RawNoRaster", "P4 8 1\n", ErrCorrupt},
			{"Graymap", "P2 1 1 255 0", ErrUnsupported},
			{"Pixmap", "P3 1 1 255 0 0 0", ErrUnsupported},
			{"RawGraymap", "P5 1 1 255\n\x00", ErrUnsupported},
			{"RawPixmap", "P6 1 1 255\n\x00\x00\x00", ErrUnsupported},
			{"PAM", "P7\nWIDTH 1\n", ErrUnsupported},
			{"HugeHeader", "P4 50000 50000\n", ErrTooLarge},
			{"TenDigitWidth", "P1 1234567890 1\n", ErrTooLarge},
			{"TenDigitHeight", "P4 1 1234567890\n", ErrTooLarge},
			// 2⁶⁴ + 1 wraps to 1 in 64-bit arithmetic: refused all the same.
			{"WrappingWidth", "P4 18446744073709551617 1\n\x80", ErrTooLarge},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				// ReadPBM may return a partly filled bitmap along with a
				// raster error; only the error counts.
				_, err := readPBMString(tt.input, 0)
				require.ErrorIs(t, err, tt.want)
				for _, other := range []error{ErrCorrupt, ErrUnsupported, ErrTooLarge} {
					if other != tt.want {
						require.False(t, errors.Is(err, other), "%v is also %v", err, other)
					}
				}
				require.Contains(t, err.Error(), "pbm:")
			})
		}
	})

	t.Run("MaxPixels", func(t *testing.T) {
		in := "P4 100 100\n" + strings.Repeat("\x00", 13*100)
		_, err := readPBMString(in, 100*100)
		require.NoError(t, err)
		_, err = readPBMString(in, 100*100-1)
		require.ErrorIs(t, err, ErrTooLarge)
	})

	t.Run("HugeHeaderAllocatesNothing", func(t *testing.T) {
		// 50000×50000 would be 312 MB of bitmap; the header check must come
		// first. The reader never blocks on the missing raster either.
		in := []byte("P4\n50000 50000\n")
		watchdog := time.AfterFunc(10*time.Second, func() { panic("ReadPBM did not return on a huge header") })
		defer watchdog.Stop()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range 10 {
			_, err := ReadPBM(bytes.NewReader(in), 0)
			require.ErrorIs(t, err, ErrTooLarge)
		}
		runtime.ReadMemStats(&after)
		require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20),
			"ten refused headers allocated %d bytes", after.TotalAlloc-before.TotalAlloc)
		allocs := testing.AllocsPerRun(10, func() {
			_, _ = ReadPBM(bytes.NewReader(in), 0)
		})
		require.Less(t, allocs, 20.0)
	})

	t.Run("ZeroSize", func(t *testing.T) {
		bm, err := readPBMString("P4 0 0\n", 0)
		require.NoError(t, err)
		require.Zero(t, bm.Width)
		require.Zero(t, bm.Height)
		bm, err = readPBMString("P1 0 3\n", 0)
		require.NoError(t, err)
		require.Equal(t, 3, bm.Height)
		require.Empty(t, bm.Words)
	})

	t.Run("RawRasterMayStartWithWhitespaceBytes", func(t *testing.T) {
		// Exactly one byte separates the header from the raster; the next
		// '\n' (0x0a = 00001010) is pixels.
		bm, err := readPBMString("P4 8 1\n\n", 0)
		require.NoError(t, err)
		require.Equal(t, []string{"....#.#."}, bitmapRows(bm))
	})

	t.Run("Testdata", func(t *testing.T) {
		sizes := map[string][2]int{
			"brushes.pbm":         {1365, 1074},
			"brushes_400.pbm":     {400, 315},
			"building.pbm":        {868, 600},
			"building_400.pbm":    {400, 276},
			"fruits.pbm":          {512, 480},
			"fruits_400.pbm":      {400, 375},
			"opencv-logo.pbm":     {600, 794},
			"opencv-logo_400.pbm": {302, 400},
			"picos.pbm":           {3264, 2448},
			"picos_400.pbm":       {400, 300},
		}
		files, err := filepath.Glob("testdata/pbm/*.pbm")
		require.NoError(t, err)
		require.Len(t, files, len(sizes))
		for _, file := range files {
			size, ok := sizes[filepath.Base(file)]
			require.True(t, ok, "unexpected file %s", file)
			bm := readPBMTestFile(t, file)
			require.Equal(t, size[0], bm.Width, file)
			require.Equal(t, size[1], bm.Height, file)
			requirePaddingClear(t, bm)
			// Photographs and logos: neither blank nor solid.
			n := bm.Count()
			require.Greater(t, n, bm.Width*bm.Height/100, file)
			require.Less(t, n, bm.Width*bm.Height*99/100, file)
		}
	})
}

func readPBMTestFile(t testing.TB, path string) *Bitmap {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	bm, err := ReadPBM(bytes.NewReader(data), 0)
	require.NoError(t, err)
	return bm
}

// pbmHeader parses a PBM header the simple way for FuzzReadPBM: the magic, two
// decimal numbers separated by whitespace and comments. It returns the offset
// just past the last header digit.
func pbmHeader(data []byte) (raw bool, w, h, end int, ok bool) {
	if len(data) < 2 || data[0] != 'P' || (data[1] != '1' && data[1] != '4') {
		return false, 0, 0, 0, false
	}
	i := 2
	var nums [2]int
	for k := range nums {
		for i < len(data) {
			if c := data[i]; c == '#' {
				for i < len(data) && data[i] != '\n' && data[i] != '\r' {
					i++
				}
			} else if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' {
				i++
			} else {
				break
			}
		}
		j := i
		for j < len(data) && data[j] >= '0' && data[j] <= '9' {
			j++
		}
		if j == i || j-i > 9 {
			return false, 0, 0, 0, false
		}
		n, err := strconv.Atoi(string(data[i:j]))
		if err != nil {
			return false, 0, 0, 0, false
		}
		nums[k], i = n, j
	}
	return data[1] == '4', nums[0], nums[1], i, true
}

func FuzzReadPBM(f *testing.F) {
	files, err := filepath.Glob("testdata/pbm/*_400.pbm")
	require.NoError(f, err)
	require.NotEmpty(f, files)
	for _, file := range files {
		data, err := os.ReadFile(file)
		require.NoError(f, err)
		f.Add(data)
	}
	for _, s := range []string{
		"P1\n# c\n4 2\n0110\n1001\n",
		"P1 3 2 101010",
		"P4\n5 2\n\xaf\x57",
		"P4 13 1\n\xf0\x0f",
		"P4 0 0\n",
		"P4 50000 50000\n",
		"P1 1234567890 1\n",
		"P2 1 1 255 0",
		"P4 8 2\n\xff",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// A small limit caps the work: at most a megapixel is allocated.
		const maxPixels = 1 << 20
		bm, err := ReadPBM(bytes.NewReader(data), maxPixels)
		if err != nil {
			require.True(t, errors.Is(err, ErrCorrupt) || errors.Is(err, ErrUnsupported) || errors.Is(err, ErrTooLarge), "%v", err)
			return
		}
		raw, w, h, end, ok := pbmHeader(data)
		require.True(t, ok, "ReadPBM accepted a header the simple parser rejects")
		require.Equal(t, w, bm.Width)
		require.Equal(t, h, bm.Height)
		require.LessOrEqual(t, int64(w)*int64(h), int64(maxPixels))
		requirePaddingClear(t, bm)
		// The pixels are the raster's bits (P4: one separator byte, then
		// rows of ceil(w/8) bytes) or digits (P1: '0' and '1' between
		// whitespace and comments).
		black := make([]bool, 0, w*h)
		if raw {
			rowBytes := (w + 7) / 8
			raster := data[end+1:]
			require.GreaterOrEqual(t, len(raster), rowBytes*h)
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					black = append(black, raster[y*rowBytes+x/8]&(0x80>>uint(x%8)) != 0)
				}
			}
		} else {
			for i := end; len(black) < w*h; i++ {
				require.Less(t, i, len(data), "ReadPBM accepted a short plain raster")
				switch c := data[i]; c {
				case '0', '1':
					black = append(black, c == '1')
				case '#':
					for i < len(data) && data[i] != '\n' && data[i] != '\r' {
						i++
					}
				}
			}
		}
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				if bm.Black(x, y) != black[y*w+x] {
					t.Fatalf("pixel (%d, %d) is %v, the raster says %v", x, y, bm.Black(x, y), black[y*w+x])
				}
			}
		}
	})
}

// TestReadPBMHeaderAtEOF: a header number may end the input. "P1 0 0" is a
// whole (empty) image; "P4 8 1" is truncated in its raster, not a bad number.
func TestReadPBMHeaderAtEOF(t *testing.T) {
	bm, err := ReadPBM(strings.NewReader("P1 0 0"), 0)
	require.NoError(t, err)
	require.Equal(t, 0, bm.Width)
	_, err = ReadPBM(strings.NewReader("P4 8 1"), 0)
	require.ErrorIs(t, err, ErrCorrupt)
	require.NotContains(t, err.Error(), "not a number")
}
