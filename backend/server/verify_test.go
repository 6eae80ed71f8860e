package server

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/svgtrace/svgtrace/backend/clientsvg"
	"github.com/svgtrace/svgtrace/tracecore"
	"github.com/svgtrace/svgtrace/tracecore/imageio"
)

// TestPlausibilityTolerance measures both sides of the tolerance on the
// repository's photos: an honest trace (tracecore's own, as the browser's
// wasm module makes it) must pass with room to spare for a browser's
// decoder and resampler, and a trace of another photo must fail.
func TestPlausibilityTolerance(t *testing.T) {
	paths, err := filepath.Glob("../../tracecore/testdata/images/*")
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	ctx := context.Background()
	optionSets := map[string]tracecore.Options{"placeholder": tracecore.PlaceholderOptions()}
	def := tracecore.DefaultOptions()
	def.MaxSide = 400
	optionSets["potrace at 400 px"] = def

	data := map[string][]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		data[filepath.Base(p)] = b
	}
	for optName, opts := range optionSets {
		docs := map[string]*clientsvg.Doc{}
		for name, b := range data {
			res, err := imageio.Trace(ctx, &tracecore.Tracer{}, bytes.NewReader(b), opts)
			require.NoError(t, err)
			doc, err := clientsvg.Parse(res.SVG(), clientsvg.Limits{})
			require.NoError(t, err)
			docs[name] = doc
		}
		worstHonest, bestDishonest := 0.0, 1.0
		for name, b := range data {
			for traced, doc := range docs {
				m, err := mismatch(ctx, doc, bytes.NewReader(b), opts)
				if err != nil {
					continue // another photo's trace has another size: refused before comparing
				}
				if traced == name {
					worstHonest = max(worstHonest, m)
					assert.Less(t, m, DefaultPlausibilityTolerance/2, "%s, %s: honest trace", optName, name)
				} else {
					bestDishonest = min(bestDishonest, m)
					assert.Greater(t, m, DefaultPlausibilityTolerance, "%s: %s's trace passed for %s", optName, traced, name)
				}
			}
		}
		t.Logf("%s: honest traces differ by at most %.2f %%, traces of other photos by at least %.2f %% (tolerance %.0f %%)",
			optName, 100*worstHonest, 100*bestDishonest, 100*DefaultPlausibilityTolerance)
	}
}
