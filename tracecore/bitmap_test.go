package tracecore

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// bitmapFromRows builds a bitmap from ASCII art, one string per row: '#' is
// black, '.' is white.
func bitmapFromRows(t testing.TB, rows ...string) *Bitmap {
	t.Helper()
	w := 0
	if len(rows) > 0 {
		w = len(rows[0])
	}
	bm, err := NewBitmap(w, len(rows), 0)
	require.NoError(t, err)
	for y, row := range rows {
		require.Len(t, row, w, "row %d", y)
		for x, c := range row {
			switch c {
			case '#':
				bm.Set(x, y, true)
			case '.':
			default:
				t.Fatalf("row %d: %q is neither '#' nor '.'", y, c)
			}
		}
	}
	return bm
}

// bitmapRows renders a bitmap as the ASCII art bitmapFromRows reads.
func bitmapRows(bm *Bitmap) []string {
	rows := make([]string, bm.Height)
	for y := range rows {
		var sb strings.Builder
		for x := 0; x < bm.Width; x++ {
			if bm.Black(x, y) {
				sb.WriteByte('#')
			} else {
				sb.WriteByte('.')
			}
		}
		rows[y] = sb.String()
	}
	return rows
}

// randomBitmap returns a w×h bitmap whose pixels are black with probability
// density, drawn from rng.
func randomBitmap(t testing.TB, rng *rand.Rand, w, h int, density float64) *Bitmap {
	t.Helper()
	bm, err := NewBitmap(w, h, 0)
	require.NoError(t, err)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if rng.Float64() < density {
				bm.Set(x, y, true)
			}
		}
	}
	return bm
}

// requirePaddingClear checks the Bitmap invariant that bits past Width are zero.
func requirePaddingClear(t testing.TB, bm *Bitmap) {
	t.Helper()
	require.Equal(t, (bm.Width+63)/64, bm.Stride)
	require.Len(t, bm.Words, bm.Stride*bm.Height)
	if bm.Width%64 == 0 {
		return
	}
	pad := ^uint64(0) >> uint(bm.Width%64)
	for y := 0; y < bm.Height; y++ {
		require.Zero(t, bm.Words[(y+1)*bm.Stride-1]&pad, "padding bits of row %d", y)
	}
}

func TestBitmap(t *testing.T) {
	widths := []int{1, 63, 64, 65, 130}

	t.Run("SetAndBlack", func(t *testing.T) {
		for _, w := range widths {
			bm, err := NewBitmap(w, 3, 0)
			require.NoError(t, err)
			require.Zero(t, bm.Count())
			for x := 0; x < w; x++ {
				bm.Set(x, 1, true)
				require.True(t, bm.Black(x, 1), "width %d, x %d", w, x)
				require.False(t, bm.Black(x, 0))
				require.False(t, bm.Black(x, 2))
				requirePaddingClear(t, bm)
			}
			require.Equal(t, w, bm.Count())
			// Outside the bitmap everything is white.
			for _, p := range [][2]int{{-1, 1}, {w, 1}, {0, -1}, {0, 3}, {math.MinInt, 1}, {math.MaxInt, 1}} {
				require.False(t, bm.Black(p[0], p[1]), "width %d, %v", w, p)
			}
			for x := 0; x < w; x += 2 {
				bm.Set(x, 1, false)
			}
			require.Equal(t, w/2, bm.Count())
			for x := 0; x < w; x++ {
				require.Equal(t, x%2 == 1, bm.Black(x, 1))
			}
		}
	})

	t.Run("SetPanicsOutside", func(t *testing.T) {
		bm, err := NewBitmap(65, 2, 0)
		require.NoError(t, err)
		for _, p := range [][2]int{{65, 0}, {-1, 0}, {0, 2}, {0, -1}} {
			require.Panics(t, func() { bm.Set(p[0], p[1], true) }, "%v", p)
		}
		require.Zero(t, bm.Count())
	})

	t.Run("Invert", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		for _, w := range widths {
			bm := randomBitmap(t, rng, w, 4, 0.3)
			orig := bm.Clone()
			bm.Invert()
			requirePaddingClear(t, bm)
			require.Equal(t, w*4-orig.Count(), bm.Count(), "width %d", w)
			for y := 0; y < 4; y++ {
				for x := 0; x < w; x++ {
					require.NotEqual(t, orig.Black(x, y), bm.Black(x, y), "width %d (%d, %d)", w, x, y)
				}
			}
			bm.Invert()
			require.Equal(t, orig, bm)
		}
		empty, err := NewBitmap(0, 3, 0)
		require.NoError(t, err)
		empty.Invert()
		require.Zero(t, empty.Count())
	})

	t.Run("Count", func(t *testing.T) {
		bm := bitmapFromRows(t,
			"#.#",
			"...",
			"###",
		)
		require.Equal(t, 5, bm.Count())
		rng := rand.New(rand.NewPCG(3, 4))
		for _, w := range widths {
			bm := randomBitmap(t, rng, w, 5, 0.5)
			n := 0
			for y := 0; y < 5; y++ {
				for x := 0; x < w; x++ {
					if bm.Black(x, y) {
						n++
					}
				}
			}
			require.Equal(t, n, bm.Count())
		}
	})

	t.Run("Clone", func(t *testing.T) {
		bm := bitmapFromRows(t, "#.", ".#")
		c := bm.Clone()
		require.Equal(t, bm, c)
		c.Set(1, 0, true)
		require.False(t, bm.Black(1, 0), "a clone shares no storage")
		bm.Set(0, 0, false)
		require.True(t, c.Black(0, 0))
	})

	t.Run("CopyIntoReusesStorage", func(t *testing.T) {
		big := randomBitmap(t, rand.New(rand.NewPCG(5, 6)), 130, 10, 0.5)
		small := bitmapFromRows(t, "#.#", ".#.")
		var dst Bitmap
		big.copyInto(&dst)
		require.Equal(t, big.Words, dst.Words)
		words := dst.Words
		small.copyInto(&dst)
		require.Equal(t, small.Width, dst.Width)
		require.Equal(t, small.Height, dst.Height)
		require.Equal(t, small.Stride, dst.Stride)
		require.Equal(t, small.Words, dst.Words)
		require.Same(t, &words[0], &dst.Words[0], "storage is reused")
	})

	t.Run("FlipRowMatchesPerPixel", func(t *testing.T) {
		const w = 130
		rng := rand.New(rand.NewPCG(7, 8))
		base := randomBitmap(t, rng, w, 3, 0.5)
		for x0 := 0; x0 <= w; x0++ {
			for x1 := x0; x1 <= w; x1++ {
				bm := base.Clone()
				bm.flipRow(1, x0, x1)
				for y := 0; y < 3; y++ {
					for x := 0; x < w; x++ {
						want := base.Black(x, y)
						if y == 1 && x >= x0 && x < x1 {
							want = !want
						}
						if bm.Black(x, y) != want {
							t.Fatalf("flipRow(1, %d, %d): pixel (%d, %d) is %v, want %v", x0, x1, x, y, !want, want)
						}
					}
				}
				requirePaddingClear(t, bm)
			}
		}
		// x0 > x1 flips nothing.
		bm := base.Clone()
		bm.flipRow(1, 70, 3)
		require.Equal(t, base, bm)
	})

	t.Run("NewBitmapLimits", func(t *testing.T) {
		tests := []struct {
			name          string
			width, height int
			maxPixels     int64
			want          error // nil, ErrTooLarge or ErrInvalidInput
		}{
			{"Empty", 0, 0, 0, nil},
			{"ZeroWidth", 0, 7, 0, nil},
			{"AtLimit", 10, 10, 100, nil},
			{"OverLimit", 10, 11, 100, ErrTooLarge},
			{"DefaultLimit", 5000, 10000, 0, nil},
			{"OverDefaultLimit", 5000, 10001, 0, ErrTooLarge},
			{"NegativeLimitMeansDefault", 5000, 10001, -1, ErrTooLarge},
			{"NegativeWidth", -1, 5, 0, ErrInvalidInput},
			{"NegativeHeight", 5, -1, 0, ErrInvalidInput},
			{"OneSideOverLimit", 1 << 40, 0, 0, ErrTooLarge},
			{"HugeBothSides", 1 << 40, 1 << 40, 0, ErrTooLarge},
			// With a limit as large as int64 allows, the product itself must
			// not wrap around: 2^32·2^32 = 2^64 and 2^40·2^40 = 2^80 are
			// both over any int64 limit.
			{"ProductOverflowsInt64", 1 << 32, 1 << 32, math.MaxInt64, ErrTooLarge},
			{"ProductOverflowsInt64Far", 1 << 40, 1 << 40, math.MaxInt64, ErrTooLarge},
			{"ProductJustOverflows", 3037000500, 3037000500, math.MaxInt64, ErrTooLarge},
			{"ProductJustFits", 3037000499, 3037000499, math.MaxInt64, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := CheckSize(tt.width, tt.height, tt.maxPixels)
				if tt.want == nil {
					require.NoError(t, err)
				} else {
					require.ErrorIs(t, err, tt.want)
				}
				if tt.want != nil || int64(tt.width)*int64(tt.height) <= 1<<20 {
					// Only sizes that are refused or small are allocated.
					bm, err := NewBitmap(tt.width, tt.height, tt.maxPixels)
					if tt.want == nil {
						require.NoError(t, err)
						require.Equal(t, tt.width, bm.Width)
						require.Equal(t, tt.height, bm.Height)
						requirePaddingClear(t, bm)
						require.Zero(t, bm.Count())
					} else {
						require.ErrorIs(t, err, tt.want)
						require.Nil(t, bm)
					}
				}
			})
		}
	})

	t.Run("RowsRoundTrip", func(t *testing.T) {
		rows := []string{
			"#..#.",
			".##..",
			"....#",
		}
		bm := bitmapFromRows(t, rows...)
		assert.Equal(t, rows, bitmapRows(bm))
		assert.Equal(t, 5, bm.Count())
	})
}
