package tracecore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// decomposed is one path of a decomposition, copied out of the Tracer.
type decomposed struct {
	pts  []lattice
	area int
	hole bool
}

// decomposeBitmap runs the decomposition stage alone, as Trace does.
func decomposeBitmap(t testing.TB, bm *Bitmap, opts Options) (*Tracer, []decomposed) {
	t.Helper()
	tr := &Tracer{ctx: context.Background()}
	require.NoError(t, tr.decompose(bm, &opts))
	return tr, tracerPaths(tr)
}

func tracerPaths(tr *Tracer) []decomposed {
	var out []decomposed
	for _, p := range tr.paths {
		out = append(out, decomposed{
			pts:  append([]lattice(nil), tr.pts[p.off:p.off+p.n]...),
			area: p.area,
			hole: p.hole,
		})
	}
	return out
}

// optsTurd returns the default options with another turd size and turn policy.
func optsTurd(turd int, policy TurnPolicy) Options {
	o := DefaultOptions()
	o.TurdSize, o.TurnPolicy = turd, policy
	return o
}

func pts(xy ...int32) []lattice {
	var p []lattice
	for i := 0; i+1 < len(xy); i += 2 {
		p = append(p, lattice{xy[i], xy[i+1]})
	}
	return p
}

// requireWellFormedPaths checks what every decomposition must satisfy: closed
// paths of unit steps on the lattice inside the bitmap, the recorded area
// equal to the enclosed area, and the working bitmap left all white.
func requireWellFormedPaths(t testing.TB, tr *Tracer, bm *Bitmap) {
	t.Helper()
	require.Zero(t, tr.work.Count(), "every path's interior is inverted, so nothing black is left")
	for k, p := range tracerPaths(tr) {
		n := len(p.pts)
		require.GreaterOrEqual(t, n, 4, "path %d", k)
		area := 0
		for i, a := range p.pts {
			b := p.pts[(i+1)%n]
			require.True(t, a.X >= 0 && a.Y >= 0 && int(a.X) <= bm.Width && int(a.Y) <= bm.Height, "path %d point %v outside", k, a)
			dx, dy := b.X-a.X, b.Y-a.Y
			require.Equal(t, int32(1), dx*dx+dy*dy, "path %d: %v to %v is not a unit step", k, a, b)
			area += int(a.X) * int(dy)
		}
		require.Equal(t, p.area, max(area, -area), "path %d area", k)
	}
}

func TestDecompose(t *testing.T) {
	t.Run("SinglePixel", func(t *testing.T) {
		bm := bitmapFromRows(t,
			"...",
			".#.",
			"...",
		)
		tr, paths := decomposeBitmap(t, bm, optsTurd(0, TurnMinority))
		require.Equal(t, []decomposed{{pts: pts(1, 1, 1, 2, 2, 2, 2, 1), area: 1}}, paths)
		requireWellFormedPaths(t, tr, bm)
	})

	t.Run("Square", func(t *testing.T) {
		bm := bitmapFromRows(t, "##", "##")
		tr, paths := decomposeBitmap(t, bm, DefaultOptions())
		// Down the left edge, along the bottom, up the right, back along the top.
		require.Equal(t, []decomposed{{pts: pts(0, 0, 0, 1, 0, 2, 1, 2, 2, 2, 2, 1, 2, 0, 1, 0), area: 4}}, paths)
		requireWellFormedPaths(t, tr, bm)
	})

	t.Run("Ring", func(t *testing.T) {
		bm := bitmapFromRows(t,
			"####",
			"#..#",
			"#..#",
			"####",
		)
		tr, paths := decomposeBitmap(t, bm, DefaultOptions())
		require.Len(t, paths, 2)
		require.Equal(t, decomposed{pts: pts(0, 0, 0, 1, 0, 2, 0, 3, 0, 4, 1, 4, 2, 4, 3, 4, 4, 4, 4, 3, 4, 2, 4, 1, 4, 0, 3, 0, 2, 0, 1, 0), area: 16}, paths[0])
		// The hole is found as a black 2×2 square of the working bitmap.
		require.Equal(t, decomposed{pts: pts(1, 1, 1, 2, 1, 3, 2, 3, 3, 3, 3, 2, 3, 1, 2, 1), area: 4, hole: true}, paths[1])
		requireWellFormedPaths(t, tr, bm)
	})

	t.Run("NestedRings", func(t *testing.T) {
		bm := bitmapFromRows(t,
			"#########",
			"#.......#",
			"#.#####.#",
			"#.#...#.#",
			"#.#...#.#",
			"#.#...#.#",
			"#.#####.#",
			"#.......#",
			"#########",
		)
		tr, paths := decomposeBitmap(t, bm, DefaultOptions())
		require.Len(t, paths, 4)
		for i, want := range []struct {
			start lattice
			area  int
			hole  bool
		}{
			{lattice{0, 0}, 81, false}, // outer outline
			{lattice{1, 1}, 49, true},  // its hole
			{lattice{2, 2}, 25, false}, // the ring inside the hole
			{lattice{3, 3}, 9, true},   // and its hole
		} {
			require.Equal(t, want.start, paths[i].pts[0], "path %d", i)
			require.Equal(t, want.area, paths[i].area, "path %d", i)
			require.Equal(t, want.hole, paths[i].hole, "path %d", i)
		}
		requireWellFormedPaths(t, tr, bm)
	})

	t.Run("TurdSize", func(t *testing.T) {
		// Specks of 1, 2, 3 and 4 pixels, and a ring (8 pixels around a
		// one-pixel hole).
		bm := bitmapFromRows(t,
			"#.##.##..##.###",
			"......#..##.#.#",
			"............###",
		)
		tests := []struct {
			turd  int
			areas []int
		}{
			{0, []int{1, 2, 3, 4, 9, 1}},
			{1, []int{2, 3, 4, 9}}, // area == turdsize is dropped …
			{2, []int{3, 4, 9}},    // … turdsize+1 is kept
			{3, []int{4, 9}},
			{4, []int{9}},
			{8, []int{9}},
			{9, nil},
		}
		for _, tt := range tests {
			t.Run(fmt.Sprint("Turd", tt.turd), func(t *testing.T) {
				tr, paths := decomposeBitmap(t, bm, optsTurd(tt.turd, TurnMinority))
				var areas []int
				for _, p := range paths {
					areas = append(areas, p.area)
				}
				require.Equal(t, tt.areas, areas)
				// Dropped paths are inverted all the same.
				requireWellFormedPaths(t, tr, bm)
			})
		}
	})

	t.Run("TurnPolicies", func(t *testing.T) {
		// Each bitmap has one ambiguous corner, where two black pixels touch
		// diagonally, met either on an outline or on a hole. Turning right
		// joins the two working-black pixels into one path, turning left
		// keeps them apart. want is the number of paths each policy gives,
		// worked out by hand, with turd size 0.
		type counts map[TurnPolicy]int
		tests := []struct {
			name string
			rows []string
			want counts
		}{
			{
				// An outline. The rings around corner (1, 1) lie wholly
				// outside the bitmap, so white is the local majority.
				name: "DiagonalPair",
				rows: []string{
					"#.",
					".#",
				},
				want: counts{TurnRight: 1, TurnLeft: 2, TurnBlack: 1, TurnWhite: 2, TurnMajority: 2, TurnMinority: 1},
			},
			{
				// The same on a hole: two white pixels touching at (2, 2)
				// inside a black square. After the outline is inverted, the
				// rings around (2, 2) are white in the working bitmap (black
				// in the original, the majority there).
				name: "DiagonalHolePair",
				rows: []string{
					"####",
					"#.##",
					"##.#",
					"####",
				},
				// Outline plus one joined hole, or plus two holes.
				want: counts{TurnRight: 2, TurnLeft: 3, TurnBlack: 3, TurnWhite: 2, TurnMajority: 3, TurnMinority: 2},
			},
			{
				// An outline whose ambiguous corner (4, 4) is surrounded by
				// black: on the ring r = 2 (x, y in 2 … 5) 10 pixels are
				// black and 2 white, +8. The upper-left block touches
				// the rest only at that corner; the white crack around it
				// reaches the border, so there are no holes.
				name: "DiagonalPairInBlack",
				rows: []string{
					"####.###",
					"####.###",
					"####.###",
					"####.###",
					"....####",
					"########",
					"########",
					"########",
				},
				want: counts{TurnRight: 1, TurnLeft: 2, TurnBlack: 1, TurnWhite: 2, TurnMajority: 1, TurnMinority: 2},
			},
			{
				// The previous bitmap inverted inside a black frame: now two
				// white regions touch at corner (5, 5), white is the
				// majority around it (black in the working bitmap of the
				// hole walk), and the frame with the black crack is one
				// outline whose walk never reaches that corner.
				name: "DiagonalHolePairInWhite",
				rows: []string{
					"##########",
					"#....#...#",
					"#....#...#",
					"#....#...#",
					"#....#...#",
					"#####....#",
					"#........#",
					"#........#",
					"#........#",
					"##########",
				},
				want: counts{TurnRight: 2, TurnLeft: 3, TurnBlack: 3, TurnWhite: 2, TurnMajority: 2, TurnMinority: 3},
			},
			{
				// 4×4 checkerboard, black where x+y is even. Joining blacks
				// on the outline encloses the two inner whites (2, 1) and
				// (1, 2), which touch at (2, 2) and form a hole path of
				// their own (one if joined, two if not); separating gives
				// eight one-pixel outlines.
				name: "Checkerboard",
				rows: []string{
					"#.#.",
					".#.#",
					"#.#.",
					".#.#",
				},
				want: counts{TurnRight: 2, TurnLeft: 8, TurnBlack: 3, TurnWhite: 8},
			},
		}
		for _, tt := range tests {
			bm := bitmapFromRows(t, tt.rows...)
			for _, policy := range TurnPolicies {
				want, ok := tt.want[policy]
				if !ok {
					continue
				}
				t.Run(tt.name+"/"+string(policy), func(t *testing.T) {
					tr, paths := decomposeBitmap(t, bm, optsTurd(0, policy))
					require.Len(t, paths, want)
					requireWellFormedPaths(t, tr, bm)
					requireAreasAddUp(t, paths, bm)
				})
			}
		}
	})

	t.Run("CheckerboardAreas", func(t *testing.T) {
		bm := bitmapFromRows(t,
			"#.#.",
			".#.#",
			"#.#.",
			".#.#",
		)
		_, paths := decomposeBitmap(t, bm, optsTurd(0, TurnBlack))
		// One outline of the 8 blacks and the 2 enclosed whites, and the two
		// whites as separate holes (black separates on holes).
		require.Len(t, paths, 3)
		require.Equal(t, decomposed{pts: paths[0].pts, area: 10}, paths[0])
		require.Equal(t, []int{1, 1}, []int{paths[1].area, paths[2].area})
		require.True(t, paths[1].hole && paths[2].hole)
		_, paths = decomposeBitmap(t, bm, optsTurd(0, TurnRight))
		require.Len(t, paths, 2)
		require.Equal(t, 10, paths[0].area)
		require.Equal(t, 2, paths[1].area)
		require.True(t, paths[1].hole)
	})

	t.Run("RandomPolicy", func(t *testing.T) {
		// Twenty diagonal pairs at different positions: the random policy
		// must join some and separate others, and the same way every time.
		bm, err := NewBitmap(80, 8, 0)
		require.NoError(t, err)
		for i := 0; i < 20; i++ {
			x, y := 4*i%80, 4*(i/20)+i%2
			bm.Set(x, y, true)
			bm.Set(x+1, y+1, true)
		}
		_, first := decomposeBitmap(t, bm, optsTurd(0, TurnRandom))
		joined := 0
		for _, p := range first {
			if p.area == 2 {
				joined++
			}
		}
		require.Equal(t, 20, joined+(len(first)-joined)/2, "every pair is one path or two")
		require.NotZero(t, joined, "the random policy never joined")
		require.NotEqual(t, 20, joined, "the random policy always joined")
		for range 3 {
			_, again := decomposeBitmap(t, bm, optsTurd(0, TurnRandom))
			require.Equal(t, first, again)
		}
		// Each pair follows its corner's bit.
		for i := 0; i < 20; i++ {
			x, y := 4*i%80, 4*(i/20)+i%2
			pair, err := NewBitmap(80, 8, 0)
			require.NoError(t, err)
			pair.Set(x, y, true)
			pair.Set(x+1, y+1, true)
			_, paths := decomposeBitmap(t, pair, optsTurd(0, TurnRandom))
			if cornerHash(x+1, y+1)&1 != 0 {
				require.Len(t, paths, 1, "pair %d", i)
			} else {
				require.Len(t, paths, 2, "pair %d", i)
			}
		}
	})

	t.Run("Invert", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(21, 22))
		for i := 0; i < 20; i++ {
			bm := randomBitmap(t, rng, 1+rng.IntN(40), 1+rng.IntN(40), 0.5)
			inv := bm.Clone()
			inv.Invert()
			for _, policy := range TurnPolicies {
				o := optsTurd(rng.IntN(3), policy)
				o.Invert = true
				tr, got := decomposeBitmap(t, bm, o)
				o.Invert = false
				_, want := decomposeBitmap(t, inv, o)
				require.Equal(t, want, got, "policy %s", policy)
				requireWellFormedPaths(t, tr, bm)
			}
		}
		// A blank bitmap inverted is one solid rectangle.
		bm, err := NewBitmap(3, 2, 0)
		require.NoError(t, err)
		o := DefaultOptions()
		o.Invert = true
		_, paths := decomposeBitmap(t, bm, o)
		require.Len(t, paths, 1)
		require.Equal(t, 6, paths[0].area)
		require.False(t, paths[0].hole, "black after inversion is an outline")
		require.Zero(t, bm.Count(), "the input is not modified")
	})

	t.Run("RandomBitmaps", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(23, 24))
		for i := 0; i < 40; i++ {
			w, h := 1+rng.IntN(70), 1+rng.IntN(30)
			bm := randomBitmap(t, rng, w, h, rng.Float64())
			orig := bm.Clone()
			for _, policy := range TurnPolicies {
				tr, paths := decomposeBitmap(t, bm, optsTurd(0, policy))
				requireWellFormedPaths(t, tr, bm)
				requireAreasAddUp(t, paths, bm)
				require.Equal(t, orig, bm, "the input is not modified")
			}
		}
	})

	t.Run("Empty", func(t *testing.T) {
		for _, size := range [][2]int{{0, 0}, {0, 5}, {5, 0}, {70, 3}} {
			bm, err := NewBitmap(size[0], size[1], 0)
			require.NoError(t, err)
			_, paths := decomposeBitmap(t, bm, DefaultOptions())
			require.Empty(t, paths)
		}
	})

	t.Run("WordBoundaries", func(t *testing.T) {
		// Shapes straddling word boundaries and touching the right edge.
		for _, w := range []int{63, 64, 65, 128, 130} {
			bm, err := NewBitmap(w, 3, 0)
			require.NoError(t, err)
			for x := 62; x < w; x++ {
				bm.Set(x, 1, true)
			}
			tr, paths := decomposeBitmap(t, bm, optsTurd(0, TurnMinority))
			require.Len(t, paths, 1, "width %d", w)
			require.Equal(t, w-62, paths[0].area)
			require.Equal(t, lattice{62, 1}, paths[0].pts[0])
			requireWellFormedPaths(t, tr, bm)
		}
	})
}

// requireAreasAddUp checks, for a decomposition with turd size 0, that the
// outlines' areas minus the holes' areas count the black pixels: a pixel
// inside d nested paths is black exactly when d is odd, and the signs
// alternate with the nesting.
func requireAreasAddUp(t testing.TB, paths []decomposed, bm *Bitmap) {
	t.Helper()
	sum := 0
	for _, p := range paths {
		if p.hole {
			sum -= p.area
		} else {
			sum += p.area
		}
	}
	require.Equal(t, bm.Count(), sum)
}

// TestMajorityBlack checks the neighbourhood count of the majority and
// minority policies directly: around corner (cx, cy), the outermost ring of
// the 2r×2r block for r = 2, 3, 4, the first ring not evenly split deciding.
func TestMajorityBlack(t *testing.T) {
	const cx, cy = 6, 6
	// ring returns the pixels of the ring of radius r around (cx, cy).
	ring := func(r int) [][2]int {
		var px [][2]int
		for i := -r; i <= r-1; i++ {
			for j := -r; j <= r-1; j++ {
				if i == -r || i == r-1 || j == -r || j == r-1 {
					px = append(px, [2]int{cx + i, cy + j})
				}
			}
		}
		return px
	}
	require.Len(t, ring(2), 12)
	require.Len(t, ring(3), 20)
	require.Len(t, ring(4), 28)
	// paint makes the first n pixels of ring r black.
	paint := func(bm *Bitmap, r, n int) {
		for _, p := range ring(r)[:n] {
			bm.Set(p[0], p[1], true)
		}
	}
	tests := []struct {
		name  string
		rings [3]int // black pixels on rings 2, 3, 4
		inner bool   // the 2×2 pixels at the corner black too
		outer bool   // a frame of black just outside the r = 4 block
		want  bool
	}{
		{"AllWhite", [3]int{0, 0, 0}, false, false, false},
		{"Ring2Black", [3]int{7, 0, 0}, false, false, true},
		{"Ring2White", [3]int{5, 20, 28}, false, false, false}, // ring 2 decides before 3 and 4
		{"Ring2TiedRing3Black", [3]int{6, 11, 0}, false, false, true},
		{"Ring2TiedRing3White", [3]int{6, 9, 28}, false, false, false},
		{"Ring23TiedRing4Black", [3]int{6, 10, 15}, false, false, true},
		{"AllTiedIsWhite", [3]int{6, 10, 14}, false, false, false},
		{"InnerPixelsDoNotCount", [3]int{5, 0, 0}, true, false, false},
		{"PixelsOutsideDoNotCount", [3]int{6, 10, 14}, false, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bm, err := NewBitmap(14, 14, 0)
			require.NoError(t, err)
			for r, n := range tt.rings {
				paint(bm, r+2, n)
			}
			if tt.inner {
				for _, p := range ring(1) {
					bm.Set(p[0], p[1], true)
				}
			}
			if tt.outer {
				// Column cx+4 and row cy+4 lie just outside the block of
				// r = 4 (which ends at cx+3, cy+3), as do cx-5 and cy-5.
				for k := 0; k < 14; k++ {
					bm.Set(cx+4, k, true)
					bm.Set(k, cy+4, true)
					bm.Set(cx-5, k, true)
					bm.Set(k, cy-5, true)
				}
			}
			require.Equal(t, tt.want, bm.majorityBlack(cx, cy))
		})
	}
	// Outside the bitmap counts as white: a corner on the border with black
	// all around inside the image.
	bm, err := NewBitmap(4, 4, 0)
	require.NoError(t, err)
	bm.Invert()
	// Ring r = 2 around (0, 0) has x or y equal to -2 or 1: only (1, 0),
	// (0, 1) and (1, 1) are inside, 3 black against 9 white.
	require.False(t, bm.majorityBlack(0, 0))
	require.True(t, bm.majorityBlack(2, 2))
}
