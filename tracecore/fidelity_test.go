//go:build !js

package tracecore_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/svgtrace/svgtrace/tracecore"
	"github.com/svgtrace/svgtrace/tracecore/fidelity"
)

// fidelityLevels compares stage by stage, so a difference shows where it
// starts: polygons, then curves without optimisation, then the defaults.
var fidelityLevels = []struct {
	name    string
	potrace []string
	opts    func(*tracecore.Options)
}{
	{"Polygon", []string{"-a", "0", "-n"}, func(o *tracecore.Options) { o.AlphaMax, o.OptiCurve = 0, false }},
	{"Curves", []string{"-n"}, func(o *tracecore.Options) { o.OptiCurve = false }},
	{"Optimized", nil, func(o *tracecore.Options) {}},
}

// fidelitySlack is how far our mismatch may exceed potrace's on the same
// bitmap and settings, in percentage points.
const fidelitySlack = 0.05

// TestFidelityAgainstPotrace traces every bitmap of testdata/pbm at turd sizes
// 2 and 100 and requires a mismatch no worse than potrace's on the same file.
// With -short only the 400 px bitmaps are compared.
func TestFidelityAgainstPotrace(t *testing.T) {
	fidelity.RequireTools(t, "potrace", "rsvg-convert")
	files, err := filepath.Glob("testdata/pbm/*.pbm")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".pbm")
		if testing.Short() && !strings.HasSuffix(name, "_400") {
			continue
		}
		bm := readPBMFile(t, file)
		for _, turd := range []int{2, 100} {
			for _, lvl := range fidelityLevels {
				t.Run(fmt.Sprintf("%s/Turd%d/%s", name, turd, lvl.name), func(t *testing.T) {
					t.Parallel()
					o := tracecore.DefaultOptions()
					o.TurdSize = turd
					lvl.opts(&o)
					res, err := tracecore.Trace(context.Background(), bm, o)
					require.NoError(t, err)
					ours, err := fidelity.Mismatch(bm, res.SVG())
					require.NoError(t, err)
					ref, err := fidelity.PotraceSVG(file, append([]string{"-t", fmt.Sprint(turd)}, lvl.potrace...)...)
					require.NoError(t, err)
					theirs, err := fidelity.Mismatch(bm, ref)
					require.NoError(t, err)
					t.Logf("mismatch: svgtrace %.3f %%, potrace %.3f %%", ours, theirs)
					require.LessOrEqual(t, ours, theirs+fidelitySlack,
						"svgtrace's mismatch %.3f %% exceeds potrace's %.3f %% by more than %.2f points", ours, theirs, fidelitySlack)
				})
			}
		}
	}
}
