package clientsvg_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/svgtrace/svgtrace/backend/clientsvg"
	"github.com/svgtrace/svgtrace/tracecore"
	"github.com/svgtrace/svgtrace/tracecore/imageio"
)

var update = flag.Bool("update", false, "rewrite testdata/accept/*.golden.svg")

// traceDir holds tracecore's test inputs.
const traceDir = "../../tracecore/testdata"

// bigLimits admit every trace of the corpus: full-size traces at three
// decimals exceed the default 1 MiB.
var bigLimits = clientsvg.Limits{MaxBytes: 64 << 20}

// A traced case is tracecore's SVG of one input with one option set.
type traced struct {
	name   string
	svg    []byte
	result *tracecore.Result
	bitmap *tracecore.Bitmap // the PBM traced, for PBM inputs read as bitmaps
}

// corpus traces tracecore's test images and bitmaps with the option sets
// whose SVG forms differ: precisions 0 to 3 and 6, the placeholder preset,
// posterized (2 to 4 steps), opaque and a set colour (#rgb, upper case).
// Images are traced at 400 and 800 pixels, bitmaps as their 400-pixel
// copies with every variant and at full size (all but picos.pbm, a
// megapixel-sized one) with three, to keep the run short.
var corpus = sync.OnceValues(func() ([]traced, error) {
	images, err := filepath.Glob(filepath.Join(traceDir, "images", "*"))
	if err != nil {
		return nil, err
	}
	pbms, err := filepath.Glob(filepath.Join(traceDir, "pbm", "*.pbm"))
	if err != nil {
		return nil, err
	}
	type variant struct {
		name string
		opts func() tracecore.Options
	}
	with := func(set func(*tracecore.Options)) func() tracecore.Options {
		return func() tracecore.Options {
			o := tracecore.DefaultOptions()
			set(&o)
			return o
		}
	}
	bitmapVariants := []variant{
		{"default", tracecore.DefaultOptions},
		{"precision0", with(func(o *tracecore.Options) { o.Precision = 0 })},
		{"precision2", with(func(o *tracecore.Options) { o.Precision = 2 })},
		{"precision3", with(func(o *tracecore.Options) { o.Precision = 3 })},
		{"precision6", with(func(o *tracecore.Options) { o.Precision = 6 })},
		{"opaque", with(func(o *tracecore.Options) { o.Opaque = true })},
		{"opaque-precision0", with(func(o *tracecore.Options) { o.Opaque, o.Precision = true, 0 })},
		{"color-rgb", with(func(o *tracecore.Options) { o.Color = "#C0F" })},
		{"polygon", with(func(o *tracecore.Options) { o.AlphaMax, o.OptiCurve = 0, false })},
	}
	imageVariants := []variant{
		{"placeholder", tracecore.PlaceholderOptions},
		{"default400", with(func(o *tracecore.Options) { o.MaxSide = 400 })},
		{"precision2-800", with(func(o *tracecore.Options) { o.MaxSide, o.Precision = 800, 2 })},
		{"steps2", with(func(o *tracecore.Options) { o.MaxSide, o.Steps, o.Precision = 400, 2, 0 })},
		{"steps3", with(func(o *tracecore.Options) { o.MaxSide, o.Steps = 400, 3 })},
		{"steps4", with(func(o *tracecore.Options) { o.MaxSide, o.Steps, o.Precision = 400, 4, 3 })},
		{"opaque400", with(func(o *tracecore.Options) { o.MaxSide, o.Opaque, o.Color = 400, true, "#12AB34" })},
	}
	var t tracecore.Tracer
	var out []traced
	for _, f := range pbms {
		base := filepath.Base(f)
		if base == "picos.pbm" {
			continue
		}
		raw, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		bm, err := tracecore.ReadPBM(bytes.NewReader(raw), 0)
		if err != nil {
			return nil, err
		}
		for _, v := range bitmapVariants {
			if !strings.HasSuffix(base, "_400.pbm") && v.name != "default" && v.name != "precision3" && v.name != "opaque" {
				continue
			}
			res, err := t.Trace(context.Background(), bm, v.opts())
			if err != nil {
				return nil, err
			}
			out = append(out, traced{name: base + "/" + v.name, svg: res.SVG(), result: res, bitmap: bm})
		}
	}
	for _, f := range images {
		raw, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		for _, v := range imageVariants {
			res, err := imageio.Trace(context.Background(), &t, bytes.NewReader(raw), v.opts())
			if err != nil {
				return nil, err
			}
			out = append(out, traced{name: filepath.Base(f) + "/" + v.name, svg: res.SVG(), result: res})
		}
	}
	return out, nil
})

func setup(t *testing.T) []traced {
	t.Helper()
	cases, err := corpus()
	require.NoError(t, err)
	require.NotEmpty(t, cases)
	return cases
}

func TestSanitizeTracecore(t *testing.T) {
	cases := setup(t)

	t.Run("ByteIdentical", func(t *testing.T) {
		forms := map[string]bool{}
		for _, c := range cases {
			out, err := clientsvg.Sanitize(c.svg, bigLimits)
			require.NoError(t, err, c.name)
			require.Equal(t, string(c.svg), string(out), c.name)
			s := string(c.svg)
			forms["s"] = forms["s"] || strings.Contains(s, "s")
			forms["paths>1"] = forms["paths>1"] || strings.Count(s, "<path") > 1
			forms["#ffffff"] = forms["#ffffff"] || strings.Contains(s, `fill="#ffffff"`)
			forms["#c0f"] = forms["#c0f"] || strings.Contains(s, `fill="#c0f"`)
			forms["downscaled"] = forms["downscaled"] || c.result.ImageWidth > c.result.Width
		}
		// The corpus covers every form tracecore writes.
		for _, f := range []string{"s", "paths>1", "#ffffff", "#c0f", "downscaled"} {
			assert.True(t, forms[f], "no trace in the corpus has %s", f)
		}
	})

	t.Run("Parsed", func(t *testing.T) {
		for _, c := range cases {
			doc, err := clientsvg.Parse(c.svg, bigLimits)
			require.NoError(t, err, c.name)
			w, h := c.result.ImageWidth, c.result.ImageHeight
			if w == 0 {
				w, h = c.result.Width, c.result.Height
			}
			assert.Equal(t, [4]int{w, h, c.result.Width, c.result.Height},
				[4]int{doc.Width, doc.Height, doc.ViewWidth, doc.ViewHeight}, c.name)
			for _, p := range doc.Paths {
				assert.Equal(t, 1.0, p.FillOpacity, c.name)
				assert.Equal(t, "nonzero", p.FillRule, c.name)
			}
			require.Equal(t, string(c.svg), string(doc.Bytes()), c.name)
		}
	})

	t.Run("PlaceholdersWithinDefaults", func(t *testing.T) {
		for _, c := range cases {
			if !strings.HasSuffix(c.name, "/placeholder") {
				continue
			}
			_, err := clientsvg.Sanitize(c.svg, clientsvg.Limits{})
			require.NoError(t, err, c.name)
		}
	})
}

func TestSanitizeIdempotent(t *testing.T) {
	inputs := acceptFiles(t)
	for _, f := range inputs {
		in, err := os.ReadFile(f)
		require.NoError(t, err)
		once, err := clientsvg.Sanitize(in, clientsvg.Limits{})
		require.NoError(t, err, f)
		twice, err := clientsvg.Sanitize(once, clientsvg.Limits{})
		require.NoError(t, err, f)
		require.Equal(t, string(once), string(twice), f)
		require.NoError(t, xmlWellFormed(once), f)
	}
}

// acceptFiles lists the accepted inputs of testdata/accept (not their
// goldens).
func acceptFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("testdata/accept/*.svg")
	require.NoError(t, err)
	var in []string
	for _, f := range files {
		if !strings.HasSuffix(f, ".golden.svg") {
			in = append(in, f)
		}
	}
	require.NotEmpty(t, in)
	return in
}

// TestGolden pins the canonical form of inputs that differ from it only in
// ways Parse normalises. Refresh with: go test ./backend/clientsvg -run Golden -update
func TestGolden(t *testing.T) {
	for _, f := range acceptFiles(t) {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".svg"), func(t *testing.T) {
			in, err := os.ReadFile(f)
			require.NoError(t, err)
			out, err := clientsvg.Sanitize(in, clientsvg.Limits{})
			require.NoError(t, err)
			golden := strings.TrimSuffix(f, ".svg") + ".golden.svg"
			if *update {
				require.NoError(t, os.WriteFile(golden, out, 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err)
			require.Equal(t, string(want), string(out))
		})
	}
}

func xmlWellFormed(b []byte) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func TestPathData(t *testing.T) {
	const head = `<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100" viewBox="0 0 100 100">`
	doc := func(d string) string { return head + `<path fill="#000000" d="` + d + `"/></svg>` }
	for _, c := range []struct{ name, in, want string }{
		{"Canonical", "M1,2c.5-1.2.3,4,5,6s1,2,3,4h5v-6l1,1z", "M1,2c.5-1.2.3,4,5,6s1,2,3,4h5v-6l1,1z"},
		{"Spaces", " M 1 2 C 1.5 0.8 1.3 6 6 8 Z ", "M1,2c.5-1.2.3,4,5,6z"},
		{"AbsoluteToRelative", "M10 10L20 10H30V20C30 30 20 30 10 30S0 20 10 10Z", "M10,10l10,0h10v10c0,10-10,10-20,10s-10-10,0-20z"},
		{"LaterMovetoRelative", "M10 10h1z M20 20h1z m5 5h1z", "M10,10h1zm10,10h1zm5,5h1z"},
		{"LeadingRelativeMoveto", "m10 10h1z", "M10,10h1z"},
		{"ImplicitLineto", "M1 1 2 2 3 1z m1 1 1 1z", "M1,1l1,1,1-1zm1,1l1,1z"},
		{"ImplicitRepeat", "M0 0l1 1,2 2 3,3z", "M0,0l1,1,2,2,3,3z"},
		{"ZerosAndPlus", "M+01.50 0.250h-000.5000z", "M1.5.25h-.5z"},
		{"SeparatorRules", "M.5 .5l.5 .5 -1 1 1.5 .5z", "M.5.5l.5.5-1,1,1.5.5z"},
		{"MillionthsKept", "M1.000001 2h.000009z", "M1.000001,2h.000009z"},
		{"EmptySubpath", "M5 5z", "M5,5z"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, err := clientsvg.Sanitize([]byte(doc(c.in)), clientsvg.Limits{})
			require.NoError(t, err)
			require.Equal(t, doc(c.want), string(out))
		})
	}
	for _, c := range []struct{ name, in, reason string }{
		{"Empty", "", "empty"},
		{"NoMoveto", "L1 1z", "expected M or m"},
		{"Unclosed", "M1 1h1", "not closed"},
		{"UnclosedBeforeMoveto", "M1 1h1M2 2h1z", "not closed"},
		{"DrawAfterZ", "M1 1h1zh1z", "after z"},
		{"NumberAfterZ", "M1 1h1z 3", "number after z"},
		{"Quadratic", "M1 1Q1 1 2 2z", `command 'Q'`},
		{"Arc", "M1 1a1 1 0 0 0 2 2z", `command 'a'`},
		{"Exponent", "M1e2 1z", "exponent"},
		{"Huge", "M1e400 1z", "exponent"},
		{"NaN", "M NaN 1z", `found 'N'`},
		{"Inf", "M1 Infinity z", `found 'I'`},
		{"ManyDecimals", "M1.0000001 1z", "more than 6 decimals"},
		{"ManyDigits", "M12345678901 1z", "more than 10 digits"},
		{"FarOutside", "M1 1h1000z", "outside"},
		{"StrayComma", "M1 1,z", "stray comma"},
		{"CommaAfterLetter", "M,1 1z", "expected a number"},
		{"MissingNumber", "M1z", "expected a number"},
		{"LoneDot", "M. 1z", "expected a number"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := clientsvg.Sanitize([]byte(doc(c.in)), clientsvg.Limits{})
			require.ErrorIs(t, err, clientsvg.ErrRejected)
			assert.Contains(t, err.Error(), c.reason)
		})
	}
}

func TestErrors(t *testing.T) {
	_, err := clientsvg.Sanitize([]byte(`<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1" viewBox="0 0 1 1"><path onclick="x" d="M0 0z"/></svg>`), clientsvg.Limits{})
	var e *clientsvg.Error
	require.True(t, errors.As(err, &e))
	assert.Equal(t, clientsvg.ErrRejected, e.Err)
	assert.Equal(t, 1, e.Line)
	assert.Positive(t, e.Column)
	assert.Equal(t, `clientsvg: rejected: line 1, column 109: <path> attribute "onclick" is not allowed`, err.Error())
}
