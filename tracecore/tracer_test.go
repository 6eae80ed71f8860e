package tracecore

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// noiseBitmap returns a w×h bitmap of random pixels, a quarter of them black:
// the most paths per pixel a trace meets.
func noiseBitmap(t testing.TB, seed uint64, w, h int) *Bitmap {
	t.Helper()
	bm, err := NewBitmap(w, h, 0)
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(seed, seed))
	for i := range bm.Words {
		bm.Words[i] = rng.Uint64() & rng.Uint64()
	}
	last := bm.lastWordMask()
	for y := 0; y < h; y++ {
		bm.Words[(y+1)*bm.Stride-1] &= last
	}
	return bm
}

type progressCall struct {
	stage    Stage
	fraction float64
}

func TestTracer(t *testing.T) {
	files, err := filepath.Glob("testdata/pbm/*_400.pbm")
	require.NoError(t, err)
	require.NotEmpty(t, files)

	t.Run("CancelledBeforeStart", func(t *testing.T) {
		bm := noiseBitmap(t, 1, 2000, 2000)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		var calls []progressCall
		tr := &Tracer{OnProgress: func(s Stage, f float64) { calls = append(calls, progressCall{s, f}) }}
		start := time.Now()
		res, err := tr.Trace(ctx, bm, DefaultOptions())
		require.ErrorIs(t, err, context.Canceled)
		require.Nil(t, res)
		require.Empty(t, calls, "no stage starts under a cancelled context")
		require.Less(t, time.Since(start), 5*time.Second)
		// A deadline that has passed is reported as such.
		ctx, cancel = context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
		defer cancel()
		_, err = tr.Trace(ctx, bm, DefaultOptions())
		require.ErrorIs(t, err, context.DeadlineExceeded)
	})

	t.Run("CancelledMidStage", func(t *testing.T) {
		// Cancel from the progress callback once a stage is under way: the
		// trace stops within that stage.
		bm := noiseBitmap(t, 2, 1000, 1000)
		for _, stage := range []Stage{StageDecompose, StagePolygon} {
			t.Run(string(stage), func(t *testing.T) {
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				var calls []progressCall
				cancelled := false
				tr := &Tracer{OnProgress: func(s Stage, f float64) {
					calls = append(calls, progressCall{s, f})
					if s == stage && f > 0 && f < 1 {
						cancel()
						cancelled = true
					}
				}}
				res, err := tr.Trace(ctx, bm, DefaultOptions())
				require.True(t, cancelled, "no progress report within %s: %v", stage, calls)
				require.ErrorIs(t, err, context.Canceled)
				require.Nil(t, res)
				last := calls[len(calls)-1]
				require.Equal(t, stage, last.stage, "the trace went on after cancellation: %v", calls[max(0, len(calls)-3):])
				require.Less(t, last.fraction, 1.0)
				// The Tracer is still usable.
				res, err = tr.Trace(context.Background(), bitmapFromRows(t, "##", "##"), DefaultOptions())
				require.NoError(t, err)
				require.Len(t, res.Paths, 1)
			})
		}
	})

	t.Run("Progress", func(t *testing.T) {
		bm := readPBMTestFile(t, files[0])
		var calls []progressCall
		tr := &Tracer{OnProgress: func(s Stage, f float64) { calls = append(calls, progressCall{s, f}) }}
		_, err := tr.Trace(context.Background(), bm, DefaultOptions())
		require.NoError(t, err)
		var stages []Stage
		for i, c := range calls {
			require.True(t, c.fraction >= 0 && c.fraction <= 1, "call %d: %v", i, c)
			if i == 0 || calls[i-1].stage != c.stage {
				stages = append(stages, c.stage)
				require.Zero(t, c.fraction, "stage %s starts at 0", c.stage)
				if i > 0 {
					require.Equal(t, 1.0, calls[i-1].fraction, "stage %s ends at 1", calls[i-1].stage)
				}
			} else {
				require.GreaterOrEqual(t, c.fraction, calls[i-1].fraction, "call %d goes backwards", i)
			}
		}
		require.Equal(t, []Stage{StageDecompose, StagePolygon, StageSmooth, StageOptimize}, stages)
		require.Equal(t, progressCall{StageOptimize, 1}, calls[len(calls)-1])
		// A photograph takes long enough for reports within a stage.
		between := 0
		for _, c := range calls {
			if c.fraction > 0 && c.fraction < 1 {
				between++
			}
		}
		require.Positive(t, between)
	})

	t.Run("ReuseMatchesFresh", func(t *testing.T) {
		// One Tracer, many traces of different sizes and options: its
		// reused buffers must never leak from one trace into the next.
		type job struct {
			bm  *Bitmap
			set func(*Options)
		}
		var jobs []job
		for _, f := range files {
			jobs = append(jobs, job{readPBMTestFile(t, f), func(*Options) {}})
		}
		square := bitmapFromRows(t, "##", "##")
		empty, err := NewBitmap(5, 5, 0)
		require.NoError(t, err)
		jobs = append(jobs,
			job{square, func(*Options) {}},
			job{noiseBitmap(t, 3, 130, 70), func(o *Options) { o.TurnPolicy, o.TurdSize = TurnRandom, 0 }},
			job{jobs[0].bm, func(o *Options) { o.Invert = true }},
			job{empty, func(*Options) {}},
			job{jobs[1].bm, func(o *Options) { o.AlphaMax, o.OptiCurve = 0, false }},
			job{bitmapFromRows(t, "#"), func(o *Options) { o.TurdSize = 0 }},
			job{jobs[2].bm, func(o *Options) { o.Precision, o.TurnPolicy = 3, TurnMajority }},
			job{square, func(*Options) {}},
		)
		var tr Tracer
		for round := range 2 {
			for i, j := range jobs {
				o := DefaultOptions()
				j.set(&o)
				orig := j.bm.Clone()
				got, err := tr.Trace(context.Background(), j.bm, o)
				require.NoError(t, err)
				want, err := Trace(context.Background(), j.bm, o)
				require.NoError(t, err)
				require.True(t, bytes.Equal(want.SVG(), got.SVG()), "round %d job %d differs from a fresh Tracer", round, i)
				want.Timings, got.Timings = nil, nil // the only part that differs between runs
				require.Equal(t, want, got)
				require.Equal(t, orig, j.bm, "the input is not modified")
			}
		}
	})

	t.Run("ResultOutlivesTracer", func(t *testing.T) {
		var tr Tracer
		first, err := tr.Trace(context.Background(), readPBMTestFile(t, files[0]), DefaultOptions())
		require.NoError(t, err)
		svg := first.SVG()
		paths := slices.Clone(first.Paths)
		for i := range paths {
			paths[i].Segments = slices.Clone(paths[i].Segments)
		}
		// Larger and smaller traces overwrite every scratch buffer.
		for _, bm := range []*Bitmap{noiseBitmap(t, 4, 300, 300), bitmapFromRows(t, "##", "##"), readPBMTestFile(t, files[1])} {
			_, err = tr.Trace(context.Background(), bm, DefaultOptions())
			require.NoError(t, err)
		}
		require.Equal(t, paths, first.Paths)
		require.Equal(t, string(svg), string(first.SVG()))
	})

	t.Run("ResultFields", func(t *testing.T) {
		o := DefaultOptions()
		o.Color, o.TurdSize = "#ABC", 1
		res, err := Trace(context.Background(), bitmapFromRows(t,
			".......",
			".####..",
			".#..#..",
			".####..",
			".......",
		), o)
		require.NoError(t, err)
		require.Equal(t, 7, res.Width)
		require.Equal(t, 5, res.Height)
		want := o
		want.Color = "#abc"
		require.Equal(t, want, res.Options)
		require.Len(t, res.Paths, 2)
		require.Equal(t, []bool{false, true}, []bool{res.Paths[0].Hole, res.Paths[1].Hole})
		require.Equal(t, []int{12, 2}, []int{res.Paths[0].Area, res.Paths[1].Area})
		for _, p := range res.Paths {
			for _, s := range p.Segments {
				require.True(t, s.End.X >= 0 && s.End.X <= 7 && s.End.Y >= 0 && s.End.Y <= 5, "%v", s.End)
			}
		}
	})

	t.Run("InvalidInput", func(t *testing.T) {
		tests := []struct {
			name string
			bm   *Bitmap
		}{
			{"Nil", nil},
			{"NegativeWidth", &Bitmap{Width: -1, Height: 1, Stride: 1, Words: []uint64{0}}},
			{"NegativeHeight", &Bitmap{Width: 1, Height: -1, Stride: 1, Words: []uint64{0}}},
			{"StrideTooSmall", &Bitmap{Width: 65, Height: 1, Stride: 1, Words: []uint64{0, 0}}},
			{"WordsTooShort", &Bitmap{Width: 64, Height: 3, Stride: 1, Words: []uint64{0, 0}}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := Trace(context.Background(), tt.bm, DefaultOptions())
				require.ErrorIs(t, err, ErrInvalidInput)
			})
		}
	})

	t.Run("TooLarge", func(t *testing.T) {
		bm, err := NewBitmap(100, 100, 0)
		require.NoError(t, err)
		o := DefaultOptions()
		o.MaxPixels = 100*100 - 1
		_, err = Trace(context.Background(), bm, o)
		require.ErrorIs(t, err, ErrTooLarge)
		o.MaxPixels = 100 * 100
		_, err = Trace(context.Background(), bm, o)
		require.NoError(t, err)
	})

	t.Run("MalformedBitmapsRejectedOrHarmless", func(t *testing.T) {
		// Bitmap's fields are exported, so a caller can build one that breaks
		// its invariants. Trace checks the Stride and the length of Words;
		// it must also either refuse the rest (ErrInvalidInput) or trace
		// such a bitmap as the well-formed one with the same pixels, never
		// invent paths outside the image.
		tests := []struct {
			name   string
			bm     *Bitmap
			invert bool
		}{
			// Pixel 0 black and the padding bit after it set.
			{"PaddingBitSet", &Bitmap{Width: 1, Height: 1, Stride: 1, Words: []uint64{0xc000_0000_0000_0000}}, false},
			// A zero-padded row two words wide for one pixel, inverted:
			// Invert masks only each row's last word.
			{"WideStrideInverted", &Bitmap{Width: 1, Height: 1, Stride: 2, Words: []uint64{0, 0}}, true},
			{"WideStrideWordSet", &Bitmap{Width: 1, Height: 1, Stride: 2, Words: []uint64{1 << 63, 1 << 63}}, false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				clean, err := NewBitmap(tt.bm.Width, tt.bm.Height, 0)
				require.NoError(t, err)
				for y := 0; y < tt.bm.Height; y++ {
					for x := 0; x < tt.bm.Width; x++ {
						clean.Set(x, y, tt.bm.Black(x, y))
					}
				}
				o := DefaultOptions()
				o.TurdSize, o.Invert = 0, tt.invert
				want, err := Trace(context.Background(), clean, o)
				require.NoError(t, err)
				got, err := Trace(context.Background(), tt.bm, o)
				if errors.Is(err, ErrInvalidInput) {
					return
				}
				require.NoError(t, err)
				require.Equal(t, len(want.Paths), len(got.Paths), "paths traced from outside the %d×%d image: %.160s…", tt.bm.Width, tt.bm.Height, got.SVG())
				require.Equal(t, string(want.SVG()), string(got.SVG()))
			})
		}
	})
}
