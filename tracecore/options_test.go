package tracecore

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestOptions(t *testing.T) {
	t.Run("Defaults", func(t *testing.T) {
		o := DefaultOptions()
		require.Equal(t, Options{
			TurdSize:     2,
			TurnPolicy:   TurnMinority,
			AlphaMax:     1,
			OptiCurve:    true,
			OptTolerance: 0.2,
			Threshold:    0.5,
			Invert:       false,
			Precision:    1,
			Color:        "#000000",
			MaxPixels:    DefaultMaxPixels,
		}, o)
		require.NoError(t, o.Validate())
		require.Equal(t, int64(50_000_000), DefaultMaxPixels)
	})

	t.Run("TurnPolicies", func(t *testing.T) {
		require.Equal(t, []TurnPolicy{"black", "white", "left", "right", "minority", "majority", "random"}, TurnPolicies)
		for _, p := range TurnPolicies {
			o := DefaultOptions()
			o.TurnPolicy = p
			require.NoError(t, o.Validate(), p)
		}
	})

	t.Run("JSONNames", func(t *testing.T) {
		o := Options{
			TurdSize:     7,
			TurnPolicy:   TurnMajority,
			AlphaMax:     0.75,
			OptiCurve:    false,
			OptTolerance: 0.5,
			Threshold:    0.25,
			Invert:       true,
			Precision:    3,
			Color:        "#abc",
			Background:   "#fff",
			MaxSide:      400,
			MaxPixels:    1000,
		}
		data, err := json.Marshal(o)
		require.NoError(t, err)
		require.JSONEq(t, `{"turdsize":7,"turnpolicy":"majority","alphamax":0.75,"opticurve":false,"opttolerance":0.5,"threshold":0.25,"invert":true,"precision":3,"color":"#abc","background":"#fff","maxside":400,"maxpixels":1000}`, string(data))
		var back Options
		require.NoError(t, json.Unmarshal(data, &back))
		require.Equal(t, o, back)
		// The automatic settings round-trip as "auto".
		o.Threshold, o.Color = ThresholdAuto, ColorAuto
		data, err = json.Marshal(o)
		require.NoError(t, err)
		require.Contains(t, string(data), `"threshold":"auto"`)
		require.Contains(t, string(data), `"color":"auto"`)
		back = Options{}
		require.NoError(t, json.Unmarshal(data, &back))
		require.Equal(t, o, back)
	})

	t.Run("JSONOmittedFieldsKeepDefaults", func(t *testing.T) {
		tests := []struct {
			json string
			set  func(*Options)
		}{
			{`{}`, func(*Options) {}},
			{`{"turdsize":5}`, func(o *Options) { o.TurdSize = 5 }},
			{`{"opticurve":false}`, func(o *Options) { o.OptiCurve = false }},
			{`{"turnpolicy":"black","invert":true}`, func(o *Options) { o.TurnPolicy, o.Invert = TurnBlack, true }},
			{`{"alphamax":0}`, func(o *Options) { o.AlphaMax = 0 }},
			{`{"precision":0,"color":"#FFF"}`, func(o *Options) { o.Precision, o.Color = 0, "#FFF" }},
			{`{"maxpixels":0}`, func(o *Options) { o.MaxPixels = 0 }},
			{`{"threshold":"auto"}`, func(o *Options) { o.Threshold = ThresholdAuto }},
			{`{"threshold":0}`, func(o *Options) { o.Threshold = 0 }},
			{`{"threshold":1}`, func(o *Options) { o.Threshold = 1 }},
			{`{"threshold":0.35}`, func(o *Options) { o.Threshold = 0.35 }},
			{`{"threshold":null}`, func(*Options) {}},
			{`{"color":"auto","background":"#FFF","maxside":400}`, func(o *Options) { o.Color, o.Background, o.MaxSide = ColorAuto, "#FFF", 400 }},
		}
		for _, tt := range tests {
			t.Run(tt.json, func(t *testing.T) {
				want := DefaultOptions()
				tt.set(&want)
				// Decoding starts from the defaults even when the target
				// holds something else.
				got := Options{TurdSize: 99, Color: "#123456"}
				require.NoError(t, json.Unmarshal([]byte(tt.json), &got))
				require.Equal(t, want, got)
			})
		}
	})

	t.Run("Invalid", func(t *testing.T) {
		tests := []struct {
			field string
			set   func(*Options)
		}{
			{"turdsize", func(o *Options) { o.TurdSize = -1 }},
			{"turdsize", func(o *Options) { o.TurdSize = 1<<40 + 1 }},
			{"turnpolicy", func(o *Options) { o.TurnPolicy = "" }},
			{"turnpolicy", func(o *Options) { o.TurnPolicy = "Minority" }},
			{"turnpolicy", func(o *Options) { o.TurnPolicy = "sideways" }},
			{"alphamax", func(o *Options) { o.AlphaMax = -0.1 }},
			{"alphamax", func(o *Options) { o.AlphaMax = 100.5 }},
			{"alphamax", func(o *Options) { o.AlphaMax = math.NaN() }},
			{"alphamax", func(o *Options) { o.AlphaMax = math.Inf(1) }},
			{"opttolerance", func(o *Options) { o.OptTolerance = -1 }},
			{"opttolerance", func(o *Options) { o.OptTolerance = 100.5 }},
			{"opttolerance", func(o *Options) { o.OptTolerance = math.NaN() }},
			{"threshold", func(o *Options) { o.Threshold = -0.01 }},
			{"threshold", func(o *Options) { o.Threshold = 1.01 }},
			{"threshold", func(o *Options) { o.Threshold = Threshold(math.NaN()) }},
			{"precision", func(o *Options) { o.Precision = -1 }},
			{"precision", func(o *Options) { o.Precision = 7 }},
			{"maxpixels", func(o *Options) { o.MaxPixels = -1 }},
			{"maxside", func(o *Options) { o.MaxSide = -1 }},
			{"threshold", func(o *Options) { o.Threshold = -0.5 }},
			{"threshold", func(o *Options) { o.Threshold = Threshold(math.Inf(-1)) }},
			{"color", func(o *Options) { o.Color = "Auto" }},
			{"background", func(o *Options) { o.Background = "white" }},
			{"background", func(o *Options) { o.Background = "#12345" }},
			{"background", func(o *Options) { o.Background = "auto" }},
			{"color", func(o *Options) { o.Color = "" }},
			{"color", func(o *Options) { o.Color = "black" }},
			{"color", func(o *Options) { o.Color = "#12345" }},
			{"color", func(o *Options) { o.Color = "#ggg" }},
			{"color", func(o *Options) { o.Color = "000000" }},
		}
		for _, tt := range tests {
			o := DefaultOptions()
			tt.set(&o)
			t.Run(tt.field, func(t *testing.T) {
				err := o.Validate()
				require.ErrorIs(t, err, ErrInvalidOptions)
				require.Contains(t, err.Error(), tt.field)
				// Trace refuses them before looking at the bitmap.
				_, err = Trace(t.Context(), nil, o)
				require.ErrorIs(t, err, ErrInvalidOptions)
				// So does JSON decoding, where JSON can say it.
				if data, err := json.Marshal(map[string]any{tt.field: fieldValue(o, tt.field)}); err == nil {
					var got Options
					err := json.Unmarshal(data, &got)
					require.ErrorIs(t, err, ErrInvalidOptions, "%s", data)
					require.Contains(t, err.Error(), tt.field)
				}
			})
		}
	})

	t.Run("Edges", func(t *testing.T) {
		// The ends of every range are valid.
		for _, set := range []func(*Options){
			func(o *Options) { o.TurdSize = 0 },
			func(o *Options) { o.TurdSize = 1 << 40 },
			func(o *Options) { o.AlphaMax = 0 },
			func(o *Options) { o.AlphaMax = 100 },
			func(o *Options) { o.OptTolerance = 0 },
			func(o *Options) { o.OptTolerance = 100 },
			func(o *Options) { o.Threshold = 0 },
			func(o *Options) { o.Threshold = 1 },
			func(o *Options) { o.Precision = 0 },
			func(o *Options) { o.Precision = 6 },
			func(o *Options) { o.MaxPixels = 0 },
			func(o *Options) { o.Color = "#fff" },
			func(o *Options) { o.Color = "#AbCdEf" },
			func(o *Options) { o.Threshold = ThresholdAuto },
			func(o *Options) { o.Color = ColorAuto },
			func(o *Options) { o.Background = "#fff" },
			func(o *Options) { o.Background = "#A0B0C0" },
			func(o *Options) { o.MaxSide = 1 },
		} {
			o := DefaultOptions()
			set(&o)
			require.NoError(t, o.Validate(), "%+v", o)
		}
	})

	t.Run("ThresholdJSON", func(t *testing.T) {
		for _, in := range []string{
			`"AUTO"`, `"Auto"`, `"0.5"`, `"none"`, `""`,
			`-1`, // ThresholdAuto's value is not a way to write "auto"
			`-0.001`, `1.5`, `1e9`, `true`, `[0.5]`, `{}`,
		} {
			var o Options
			err := json.Unmarshal([]byte(`{"threshold":`+in+`}`), &o)
			require.ErrorIs(t, err, ErrInvalidOptions, in)
			require.Contains(t, err.Error(), "threshold", in)
			require.Equal(t, 1, strings.Count(err.Error(), "invalid options"), "%s: wrapped twice: %v", in, err)
			var th Threshold
			require.ErrorIs(t, json.Unmarshal([]byte(in), &th), ErrInvalidOptions, in)
		}
		for _, tt := range []struct {
			json string
			want Threshold
		}{{`"auto"`, ThresholdAuto}, {`0`, 0}, {`1`, 1}, {`0.5`, 0.5}, {`0.123`, 0.123}} {
			var th Threshold
			require.NoError(t, json.Unmarshal([]byte(tt.json), &th))
			require.Equal(t, tt.want, th)
			data, err := json.Marshal(th)
			require.NoError(t, err)
			require.JSONEq(t, tt.json, string(data))
		}
		_, err := json.Marshal(Threshold(math.NaN()))
		require.Error(t, err)
	})

	t.Run("ThresholdFlag", func(t *testing.T) {
		var th Threshold
		require.NoError(t, th.Set("auto"))
		require.Equal(t, ThresholdAuto, th)
		require.Equal(t, "auto", th.String())
		require.NoError(t, th.Set("0.25"))
		require.Equal(t, Threshold(0.25), th)
		require.Equal(t, "0.25", th.String())
		for _, bad := range []string{"", "Auto", "-1", "1.01", "NaN", "x"} {
			err := th.Set(bad)
			require.ErrorIs(t, err, ErrInvalidOptions, bad)
			require.Contains(t, err.Error(), "threshold")
		}
		require.Equal(t, Threshold(0.25), th, "a failed Set leaves the value")
	})

	t.Run("Opaque", func(t *testing.T) {
		// Off by default and in both presets, and left out of the JSON
		// then, so the JSON of options that do not use it is unchanged.
		for _, o := range []Options{DefaultOptions(), PlaceholderOptions()} {
			require.False(t, o.Opaque)
			data, err := json.Marshal(o)
			require.NoError(t, err)
			require.NotContains(t, string(data), "opaque")
		}
		o := DefaultOptions()
		o.Opaque = true
		data, err := json.Marshal(o)
		require.NoError(t, err)
		require.Contains(t, string(data), `"opaque":true`)
		var back Options
		require.NoError(t, json.Unmarshal([]byte(`{"opaque":true}`), &back))
		require.Equal(t, o, back)
		// Posterized traces have no opaque form.
		err = json.Unmarshal([]byte(`{"opaque":true,"steps":4}`), &back)
		require.ErrorIs(t, err, ErrInvalidOptions)
		require.ErrorContains(t, err, "opaque cannot be combined with steps 4")
		require.NoError(t, json.Unmarshal([]byte(`{"opaque":true,"steps":1}`), &back))
		// fillcolor: omitted when empty, a colour, and only with opaque.
		require.NotContains(t, string(data), "fillcolor")
		require.NoError(t, json.Unmarshal([]byte(`{"opaque":true,"fillcolor":"#F00"}`), &back))
		require.Equal(t, "#F00", back.FillColor)
		for body, want := range map[string]string{
			`{"fillcolor":"#ff0000"}`:                `fillcolor "#ff0000" needs opaque`,
			`{"opaque":true,"fillcolor":"red"}`:      `fillcolor "red" is not #rgb or #rrggbb`,
			`{"opaque":true,"fillcolor":"auto"}`:     `fillcolor "auto" is not #rgb or #rrggbb`,
			`{"opaque":true,"fillcolor":"#ff00000"}`: `fillcolor "#ff00000" is not #rgb or #rrggbb`,
		} {
			err := json.Unmarshal([]byte(body), &back)
			require.ErrorIs(t, err, ErrInvalidOptions, body)
			require.ErrorContains(t, err, want, body)
		}
	})

	t.Run("Placeholder", func(t *testing.T) {
		o := PlaceholderOptions()
		require.NoError(t, o.Validate())
		require.Equal(t, 400, o.MaxSide)
		require.Equal(t, ThresholdAuto, o.Threshold)
		require.Equal(t, ColorAuto, o.Color)
		require.GreaterOrEqual(t, o.TurdSize, 10)
		require.LessOrEqual(t, o.TurdSize, 100) // image-trace-loader drops up to 100
		require.Contains(t, []int{0, 1}, o.Precision)
		data, err := json.Marshal(o)
		require.NoError(t, err)
		var back Options
		require.NoError(t, json.Unmarshal(data, &back))
		require.Equal(t, o, back)
	})

	t.Run("JSONTypeErrors", func(t *testing.T) {
		for _, in := range []string{
			`{"turdsize":"2"}`,
			`{"opticurve":"yes"}`,
			`{"alphamax":[1]}`,
			`{"precision":1.5}`,
			`{"maxside":"400"}`,
			`{"background":1}`,
			`[]`,
			`{`,
		} {
			var o Options
			err := json.Unmarshal([]byte(in), &o)
			require.Error(t, err, in)
			if json.Valid([]byte(in)) {
				require.ErrorIs(t, err, ErrInvalidOptions, in)
			}
		}
	})
}

// fieldValue returns the value of the Options field with the JSON name field,
// as JSON would carry it.
func fieldValue(o Options, field string) any {
	switch field {
	case "turdsize":
		return o.TurdSize
	case "turnpolicy":
		return o.TurnPolicy
	case "alphamax":
		return o.AlphaMax
	case "opttolerance":
		return o.OptTolerance
	case "threshold":
		return o.Threshold
	case "precision":
		return o.Precision
	case "maxpixels":
		return o.MaxPixels
	case "color":
		return o.Color
	case "background":
		return o.Background
	case "maxside":
		return o.MaxSide
	}
	panic(field)
}
