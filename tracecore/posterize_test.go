package tracecore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"image"
	"image/color"
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// objective is Σ S_c²/N_c of the classes cut at levels, as multiOtsu sums it.
func objective(hist *[histLevels]uint64, levels []int) float64 {
	bounds := append(append([]int{0}, levels...), histLevels)
	total := 0.0
	for c := 0; c+1 < len(bounds); c++ {
		var n, s uint64
		for v := bounds[c]; v < bounds[c+1]; v++ {
			n += hist[v]
			s += uint64(v) * hist[v]
		}
		if n > 0 {
			f := float64(s)
			total += float64(f*f) / float64(n)
		}
	}
	return total
}

func TestMultiOtsu(t *testing.T) {
	t.Run("Spikes", func(t *testing.T) {
		// Three spikes split between them; ties over the empty runs go
		// to the smallest cut.
		var h [histLevels]uint64
		h[20], h[120], h[220] = 500, 300, 700
		levels, ok := multiOtsu(&h, 2, nil)
		require.True(t, ok)
		require.Equal(t, []int{21, 121}, levels)
	})
	t.Run("Modes", func(t *testing.T) {
		// Four broad modes (every level occupied) split in the valleys.
		var h [histLevels]uint64
		for v := range h {
			h[v] = 1
			for _, m := range []int{30, 100, 170, 230} {
				if d := v - m; d*d < 225 {
					h[v] += uint64(1000 - 4*d*d)
				}
			}
		}
		levels, ok := multiOtsu(&h, 3, nil)
		require.True(t, ok)
		for i, valley := range []int{65, 135, 200} {
			require.InDelta(t, valley, levels[i], 12, "levels %v", levels)
		}
	})
	t.Run("BruteForce", func(t *testing.T) {
		// The DP's choice reaches the best objective of every pair of cuts.
		var h [histLevels]uint64
		seed := uint32(7)
		for v := range h {
			seed = seed*1664525 + 1013904223
			h[v] = uint64(seed>>24) * uint64(1+v%5)
		}
		levels, ok := multiOtsu(&h, 2, nil)
		require.True(t, ok)
		best := -1.0
		for a := 1; a < histLevels; a++ {
			for b := a + 1; b < histLevels; b++ {
				best = max(best, objective(&h, []int{a, b}))
			}
		}
		require.Equal(t, best, objective(&h, levels))
	})
	t.Run("OneLevelMatchesOtsu", func(t *testing.T) {
		var h [histLevels]uint64
		for v := range h {
			h[v] = uint64(1 + (v*v)%97 + 300*boolInt(v > 60 && v < 90) + 200*boolInt(v > 180))
		}
		levels, ok := multiOtsu(&h, 1, nil)
		require.True(t, ok)
		k, _ := otsu(&h)
		require.Equal(t, k, levels[0])
	})
	t.Run("Degenerate", func(t *testing.T) {
		var empty [histLevels]uint64
		levels, ok := multiOtsu(&empty, 2, nil)
		require.False(t, ok)
		require.Equal(t, []int{85, 171}, levels)
		levels, _ = multiOtsu(&empty, 1, nil)
		require.Equal(t, []int{autoFallbackLevel}, levels)
		one := empty
		one[77] = 1000
		_, ok = multiOtsu(&one, 4, nil)
		require.False(t, ok)
		// Two levels and more classes than levels: still ascending, and
		// the two levels apart.
		two := empty
		two[0], two[255] = 10, 10
		levels, ok = multiOtsu(&two, 3, nil)
		require.True(t, ok)
		require.Len(t, levels, 3)
		for i := 1; i < 3; i++ {
			require.Less(t, levels[i-1], levels[i])
		}
		require.True(t, levels[0] >= 1 && levels[2] <= 255)
		require.Equal(t, objective(&two, levels), float64(255*255*10))
	})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// bandsImage is 100×30 grey: columns 0–17 level 10, 18–29 level 60 (band 1),
// 30–39 level 100, 40–59 level 140 (band 2), 60–89 level 200 (band 3),
// 90–99 white (background).
func bandsImage() *image.Gray {
	img := image.NewGray(image.Rect(0, 0, 100, 30))
	for y := 0; y < 30; y++ {
		for x := 0; x < 100; x++ {
			var v uint8
			switch {
			case x < 18:
				v = 10
			case x < 30:
				v = 60
			case x < 40:
				v = 100
			case x < 60:
				v = 140
			case x < 90:
				v = 200
			default:
				v = 255
			}
			img.SetGray(x, y, color.Gray{v})
		}
	}
	return img
}

func TestPosterize(t *testing.T) {
	setup := func(t *testing.T, strategy, colour string) *Result {
		t.Helper()
		o := DefaultOptions()
		o.Steps, o.FillStrategy, o.Color = 3, strategy, colour
		o.Thresholds = []float64{0.3, 0.6, 0.9}
		o.TurdSize = 0
		res, err := TraceImage(t.Context(), bandsImage(), o)
		require.NoError(t, err)
		return res
	}
	colours := func(res *Result) []string {
		var out []string
		for _, l := range res.Layers {
			out = append(out, l.Color)
		}
		return out
	}
	want := map[string][]string{ // lightest layer first
		FillDominant: {"#c8c8c8", "#8c8c8c", "#0a0a0a"},
		"":           {"#c8c8c8", "#8c8c8c", "#0a0a0a"},
		FillMean:     {"#c8c8c8", "#7f7f7f", "#1e1e1e"},
		FillMedian:   {"#c8c8c8", "#8c8c8c", "#0a0a0a"},
		FillSpread:   {"#c8c8c8", "#737373", "#1e1e1e"},
	}
	for strategy, w := range want {
		t.Run("Strategy_"+strategy, func(t *testing.T) {
			require.Equal(t, w, colours(setup(t, strategy, "#000000")))
			// The image is grey: "auto" colours are the same greys.
			require.Equal(t, w, colours(setup(t, strategy, ColorAuto)))
		})
	}

	t.Run("LightestFirst", func(t *testing.T) {
		res := setup(t, FillMean, "#000")
		require.Nil(t, res.Paths)
		require.Len(t, res.Layers, 3)
		// Cumulative layers: each covers the columns of the darker ones.
		for i, cols := range []int{90, 60, 30} {
			require.Len(t, res.Layers[i].Paths, 1)
			require.Equal(t, cols*30, res.Layers[i].Paths[0].Area)
		}
		svg := string(res.SVG())
		require.Equal(t, 3, strings.Count(svg, "<path "))
		require.Less(t, strings.Index(svg, `fill="#c8c8c8"`), strings.Index(svg, `fill="#7f7f7f"`))
		require.Less(t, strings.Index(svg, `fill="#7f7f7f"`), strings.Index(svg, `fill="#1e1e1e"`))
		rep := res.Report()
		require.Equal(t, 3, rep.Paths)
		require.Equal(t, res.segmentCount(), rep.Segments)
		require.Positive(t, rep.Segments)
	})

	t.Run("Auto", func(t *testing.T) {
		o := DefaultOptions()
		o.Steps, o.TurdSize = 3, 0
		img := bandsImage()
		for y := 0; y < 30; y++ { // one tone a band: 10, 140, 200, and white
			for x := 18; x < 60; x++ {
				img.SetGray(x, y, color.Gray{map[bool]uint8{true: 10, false: 140}[x < 30]})
			}
		}
		res, err := TraceImage(t.Context(), img, o)
		require.NoError(t, err)
		require.Equal(t, []string{"#c8c8c8", "#8c8c8c", "#0a0a0a"}, colours(res))
		require.Len(t, res.Options.Thresholds, 3)
		// Given back as fixed thresholds they give the same SVG.
		again, err := TraceImage(t.Context(), img, res.Options)
		require.NoError(t, err)
		require.Equal(t, string(res.SVG()), string(again.SVG()))
	})

	t.Run("Colour", func(t *testing.T) {
		img := image.NewNRGBA(image.Rect(0, 0, 40, 20))
		for y := 0; y < 20; y++ {
			for x := 0; x < 40; x++ {
				c := color.NRGBA{255, 255, 255, 255}
				switch {
				case x < 10:
					c = color.NRGBA{0, 0, 128, 255} // luminance 14
				case x < 25:
					c = color.NRGBA{255, 0, 0, 255} // luminance 76
				}
				img.SetNRGBA(x, y, c)
			}
		}
		o := DefaultOptions()
		o.Steps, o.Color, o.TurdSize = 2, ColorAuto, 0
		o.Thresholds = []float64{0.2, 0.5}
		res, err := TraceImage(t.Context(), img, o)
		require.NoError(t, err)
		require.Equal(t, []string{"#ff0000", "#000080"}, colours(res))
		require.Equal(t, ColorAuto, res.Options.Color)
	})

	t.Run("EmptyBandsOmitted", func(t *testing.T) {
		o := DefaultOptions()
		o.Steps, o.TurdSize = 4, 0
		o.Thresholds = []float64{0.01, 0.3, 0.6, 0.9} // nothing below 0.01
		res, err := TraceImage(t.Context(), bandsImage(), o)
		require.NoError(t, err)
		require.Len(t, res.Layers, 3)
	})

	t.Run("SingleLayerUnchanged", func(t *testing.T) {
		o := DefaultOptions()
		for _, steps := range []int{0, 1} {
			o.Steps = steps
			res, err := TraceImage(t.Context(), bandsImage(), o)
			require.NoError(t, err)
			require.Nil(t, res.Layers)
			require.Equal(t, 1, strings.Count(string(res.SVG()), "<path "))
		}
	})

	t.Run("Progress", func(t *testing.T) {
		var stages []Stage
		tr := Tracer{OnProgress: func(s Stage, f float64) {
			if f == 1 {
				stages = append(stages, s)
			}
		}}
		o := DefaultOptions()
		o.Steps = 2
		res, err := tr.TraceImage(t.Context(), bandsImage(), o)
		require.NoError(t, err)
		require.Equal(t, StagePrepare, stages[0])
		require.Equal(t, len(res.Timings), len(stages))
		for _, s := range stages[1:] {
			require.NotEqual(t, StagePrepare, s)
		}
	})

	t.Run("Cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		o := DefaultOptions()
		o.Steps = 2
		_, err := TraceImage(ctx, bandsImage(), o)
		require.ErrorIs(t, err, context.Canceled)
	})

	t.Run("CancelledWhileTracingLayers", func(t *testing.T) {
		// Cancelled as the first layer's trace begins, with the layers
		// traced side by side: every goroutine stops, and the error is
		// the context's.
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		tr := Tracer{OnProgress: func(s Stage, f float64) {
			if s == StageDecompose {
				cancel()
			}
		}}
		o := DefaultOptions()
		o.Steps = 4
		_, err := tr.TraceImage(ctx, synthImage(), o)
		require.ErrorIs(t, err, context.Canceled)
	})

	t.Run("SameOnOneThread", func(t *testing.T) {
		// Layers traced side by side come out as when traced one by one.
		o := DefaultOptions()
		o.Steps, o.FillStrategy, o.Color = 5, FillMean, ColorAuto
		var tr Tracer
		parallel, err := tr.TraceImage(t.Context(), synthImage(), o)
		require.NoError(t, err)
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
		serial, err := tr.TraceImage(t.Context(), synthImage(), o)
		require.NoError(t, err)
		require.Equal(t, string(serial.SVG()), string(parallel.SVG()))
	})
}

// synthImage is a 300×200 colour image of rings and gradients, made with
// integer arithmetic only.
func synthImage() *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, 300, 200))
	for y := 0; y < 200; y++ {
		for x := 0; x < 300; x++ {
			dx, dy := x-140, y-90
			d2 := dx*dx + 2*dy*dy
			v := uint8((d2/97 + x/3 + y/5) % 256)
			img.SetNRGBA(x, y, color.NRGBA{v, uint8((int(v) + 2*y) % 256), uint8(255 - x*255/299), 255})
		}
	}
	return img
}

// TestPosterizeGolden pins the SVG of a posterized synthetic image. The
// same hashes must come out natively and under js/wasm.
func TestPosterizeGolden(t *testing.T) {
	for _, tt := range []struct {
		name, strategy, colour, sum string
	}{
		{"Grey", "", "#000000", "debac5970e98b17101cf7dba3a46d116bbcc07e55186d332c9f2bb2cd95dc4ac"},
		{"AutoMean", FillMean, ColorAuto, "580e9d011114feb19bc147324bf14f97cda36023685aa373e078389a68cee452"},
		{"AutoSpread", FillSpread, ColorAuto, "49267348d6c55a600a4ca10daf5a0bf3735aa7d23f431030836b7b6ef7614487"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := DefaultOptions()
			o.Steps, o.MaxSide, o.FillStrategy, o.Color = 4, 120, tt.strategy, tt.colour
			res, err := TraceImage(t.Context(), synthImage(), o)
			require.NoError(t, err)
			require.Len(t, res.Layers, 4)
			sum := sha256.Sum256(res.SVG())
			require.Equal(t, tt.sum, hex.EncodeToString(sum[:]), "%s", res.SVG()[:200])
		})
	}
}

func TestPosterizeOptions(t *testing.T) {
	for _, tt := range []struct {
		field string
		set   func(*Options)
	}{
		{"steps", func(o *Options) { o.Steps = -1 }},
		{"steps", func(o *Options) { o.Steps = 9 }},
		{"fillstrategy", func(o *Options) { o.FillStrategy = "mode" }},
		{"fillstrategy", func(o *Options) { o.FillStrategy = "Mean" }},
		{"thresholds", func(o *Options) { o.Steps, o.Thresholds = 2, []float64{0.5} }},
		{"thresholds", func(o *Options) { o.Steps, o.Thresholds = 0, []float64{0.5} }},
		{"thresholds", func(o *Options) { o.Steps, o.Thresholds = 2, []float64{0.6, 0.5} }},
		{"thresholds", func(o *Options) { o.Steps, o.Thresholds = 2, []float64{0.5, 0.5} }},
		{"thresholds", func(o *Options) { o.Steps, o.Thresholds = 2, []float64{0, 0.5} }},
		{"thresholds", func(o *Options) { o.Steps, o.Thresholds = 2, []float64{0.5, 1} }},
		{"thresholds", func(o *Options) { o.Steps, o.Thresholds = 2, []float64{math.NaN(), 0.5} }},
		{"invert", func(o *Options) { o.Steps, o.Invert = 2, true }},
	} {
		t.Run(tt.field, func(t *testing.T) {
			o := DefaultOptions()
			tt.set(&o)
			err := o.Validate()
			require.ErrorIs(t, err, ErrInvalidOptions)
			require.Contains(t, err.Error(), tt.field)
			_, err = TraceImage(t.Context(), bandsImage(), o)
			require.ErrorIs(t, err, ErrInvalidOptions)
		})
	}
	t.Run("Valid", func(t *testing.T) {
		for _, set := range []func(*Options){
			func(o *Options) { o.Steps = 1 },
			func(o *Options) { o.Steps = 8 },
			func(o *Options) { o.Steps, o.Thresholds = 2, []float64{0.001, 0.999} },
			func(o *Options) { o.FillStrategy = FillSpread },
			func(o *Options) { o.Invert = true; o.Steps = 1 },
		} {
			o := DefaultOptions()
			set(&o)
			require.NoError(t, o.Validate())
		}
	})
	t.Run("JSON", func(t *testing.T) {
		var o Options
		require.NoError(t, json.Unmarshal([]byte(`{"steps":3,"fillstrategy":"median","thresholds":[0.2,0.4,0.8]}`), &o))
		require.Equal(t, 3, o.Steps)
		require.Equal(t, FillMedian, o.FillStrategy)
		require.Equal(t, []float64{0.2, 0.4, 0.8}, o.Thresholds)
		data, err := json.Marshal(o)
		require.NoError(t, err)
		var back Options
		require.NoError(t, json.Unmarshal(data, &back))
		require.Equal(t, o, back)
		err = json.Unmarshal([]byte(`{"steps":3,"thresholds":[0.2,0.4]}`), &o)
		require.ErrorIs(t, err, ErrInvalidOptions)
		require.Contains(t, err.Error(), "thresholds")
		// Unset, the new fields leave the JSON of Options as it was.
		data, err = json.Marshal(DefaultOptions())
		require.NoError(t, err)
		require.NotContains(t, string(data), "steps")
		require.NotContains(t, string(data), "fillstrategy")
		require.NotContains(t, string(data), "thresholds")
	})
}
