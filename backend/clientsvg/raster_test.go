package clientsvg_test

import (
	"image"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/svgtrace/svgtrace/backend/clientsvg"
)

func covered(m *image.Alpha, x, y int) bool { return m.AlphaAt(x, y).A >= clientsvg.CoveredAlpha }

func parse(t *testing.T, paths string) *clientsvg.Doc {
	t.Helper()
	doc, err := clientsvg.Parse([]byte(`<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20" viewBox="0 0 20 20">`+paths+`</svg>`), clientsvg.Limits{})
	require.NoError(t, err)
	return doc
}

func TestRasterize(t *testing.T) {
	t.Run("MatchesTracedBitmaps", func(t *testing.T) {
		// A trace covers its bitmap's black pixels: at the bitmap's size,
		// under 3 % of the pixels differ (measured 0.5–1.9 %: edges smoothed by curves).
		for _, c := range setup(t) {
			if c.bitmap == nil || !strings.HasSuffix(c.name, "_400.pbm/default") {
				continue
			}
			doc, err := clientsvg.Parse(c.svg, bigLimits)
			require.NoError(t, err)
			w, h := c.result.Width, c.result.Height
			m := doc.Rasterize(w, h)
			require.Equal(t, image.Rect(0, 0, w, h), m.Rect)
			diff := 0
			for y := range h {
				for x := range w {
					if covered(m, x, y) != c.bitmap.Black(x, y) {
						diff++
					}
				}
			}
			frac := float64(diff) / float64(w*h)
			t.Logf("%s: %.3f %% of pixels differ", c.name, 100*frac)
			assert.Less(t, frac, 0.03, c.name)
		}
	})

	t.Run("NonzeroHoles", func(t *testing.T) {
		// A hole wound the other way, as tracecore writes it, is empty.
		m := parse(t, `<path d="M2,2h16v16h-16zm4,4v8h8v-8z"/>`).Rasterize(20, 20)
		assert.True(t, covered(m, 3, 3))
		assert.False(t, covered(m, 10, 10))
		assert.False(t, covered(m, 0, 0))
		// The same hole wound the same way is filled under nonzero…
		m = parse(t, `<path d="M2,2h16v16h-16zm4,4h8v8h-8z"/>`).Rasterize(20, 20)
		assert.True(t, covered(m, 10, 10))
	})

	t.Run("EvenOdd", func(t *testing.T) {
		// … and empty under evenodd, whichever way it winds, with an
		// island inside it filled again.
		for _, d := range []string{"M2,2h16v16h-16zm4,4h8v8h-8zm2,2h4v4h-4z", "M2,2h16v16h-16zm4,4v8h8v-8zm2,2h4v4h-4z"} {
			m := parse(t, `<path fill-rule="evenodd" d="`+d+`"/>`).Rasterize(20, 20)
			assert.True(t, covered(m, 3, 3), d)
			assert.False(t, covered(m, 6, 6), d)
			assert.True(t, covered(m, 10, 10), d)
			assert.False(t, covered(m, 0, 0), d)
		}
	})

	t.Run("Scaled", func(t *testing.T) {
		m := parse(t, `<path d="M0,0h10v10h-10z"/>`).Rasterize(40, 40)
		assert.True(t, covered(m, 19, 19))
		assert.False(t, covered(m, 20, 20))
	})

	t.Run("OpacityComposites", func(t *testing.T) {
		doc := parse(t, `<path fill-opacity=".5" d="M0,0h10v20h-10z"/><path fill-opacity=".5" d="M5,0h10v20h-10z"/>`)
		m := doc.Rasterize(20, 20)
		assert.InDelta(t, 127, int(m.AlphaAt(2, 2).A), 1)
		assert.InDelta(t, 191, int(m.AlphaAt(7, 2).A), 1) // .5 over .5
		assert.Equal(t, uint8(0), m.AlphaAt(17, 2).A)
	})

	t.Run("SmoothCurveReflects", func(t *testing.T) {
		a := parse(t, `<path d="M2,10c0-6,8-6,8,0s8,6,8,0z"/>`).Rasterize(20, 20)
		b := parse(t, `<path d="M2,10c0-6,8-6,8,0c0,6,8,6,8,0z"/>`).Rasterize(20, 20)
		assert.Equal(t, a.Pix, b.Pix)
		// s after a line takes the current point as its first control point.
		c := parse(t, `<path d="M2,10h1s8-6,8,0z"/>`).Rasterize(20, 20)
		e := parse(t, `<path d="M2,10h1c0,0,8-6,8,0z"/>`).Rasterize(20, 20)
		assert.Equal(t, c.Pix, e.Pix)
	})

	t.Run("Empty", func(t *testing.T) {
		doc := parse(t, "")
		assert.Len(t, doc.Rasterize(0, 5).Pix, 0)
		assert.Len(t, doc.Rasterize(-3, 5).Pix, 0)
		assert.Equal(t, make([]uint8, 16), doc.Rasterize(4, 4).Pix)
	})

	t.Run("FarPointsStayCheap", func(t *testing.T) {
		// Points up to the viewBox's size beyond its edges, the most Parse
		// allows, on a large viewBox rasterized small.
		doc, err := clientsvg.Parse([]byte(`<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1" viewBox="0 0 1000000 1000000"><path d="M-1000000,-1000000C2000000-1000000,2000000,2000000-1000000,2000000z"/></svg>`), clientsvg.Limits{})
		require.NoError(t, err)
		m := doc.Rasterize(64, 64)
		assert.True(t, covered(m, 10, 10))
	})
}
