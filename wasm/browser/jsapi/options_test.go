package jsapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"reflect"
	"strings"
	"testing"

	"github.com/svgtrace/svgtrace/tracecore"
)

// serverOptions reads raw as the server does (backend/server's options):
// the placeholder preset's JSON with raw's fields over it, decoded by
// tracecore.Options.UnmarshalJSON.
func serverOptions(t *testing.T, raw string) (tracecore.Options, error) {
	t.Helper()
	merged := map[string]any{}
	b, _ := json.Marshal(tracecore.PlaceholderOptions())
	json.Unmarshal(b, &merged)
	var over map[string]any
	dec := json.NewDecoder(bytes.NewReader([]byte(raw)))
	dec.UseNumber()
	if err := dec.Decode(&over); err != nil {
		t.Fatalf("test case %s is not a JSON object: %v", raw, err)
	}
	for k, v := range over {
		merged[k] = v
	}
	b, _ = json.Marshal(merged)
	var o tracecore.Options
	err := json.Unmarshal(b, &o)
	return o, err
}

// fields reads a JSON object into Fields in document order, as
// JSON.parse and Object.keys give them to Options.
func fields(t *testing.T, raw string) []Field {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(raw)))
	dec.Token() // {
	var fs []Field
	for dec.More() {
		k, _ := dec.Token()
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		fs = append(fs, Field{k.(string), v})
	}
	return fs
}

func TestParseOptions(t *testing.T) {
	t.Run("Preset", func(t *testing.T) {
		o, err := ParseOptions(nil)
		if err != nil || !reflect.DeepEqual(o, tracecore.PlaceholderOptions()) {
			t.Fatalf("ParseOptions(nil) = %+v, %v; want the placeholder preset", o, err)
		}
	})
	t.Run("AsServer", func(t *testing.T) {
		// Valid options decode to what the server decodes; invalid ones
		// fail on both sides, with tracecore's message where the value
		// is of the right type (Validate's, or an unknown name's).
		for _, tc := range []struct {
			raw      string
			sameText bool // the error text is the server's
		}{
			{raw: `{}`},
			{raw: `{"turdsize": 0, "maxside": 64, "precision": 2}`},
			{raw: `{"threshold": 0.25, "color": "#AbC", "background": "#fff", "invert": true}`},
			{raw: `{"threshold": "auto", "alphamax": 1.3333, "opticurve": false, "opttolerance": 0}`},
			{raw: `{"turnpolicy": "black", "maxpixels": 1000000, "opaque": true}`},
			{raw: `{"steps": 3, "fillstrategy": "mean", "thresholds": [0.2, 0.5, 0.8]}`},
			{raw: `{"steps": 4, "thresholds": null, "fillstrategy": ""}`},
			{raw: `{"maxside": null, "threshold": null, "color": null}`}, // null: potrace's default
			{raw: `{"turdsize": -1}`, sameText: true},
			{raw: `{"threshold": 2}`, sameText: true},
			{raw: `{"threshold": "dark"}`, sameText: true},
			{raw: `{"turnpolicy": "up"}`, sameText: true},
			{raw: `{"color": "red"}`, sameText: true},
			{raw: `{"precision": 7}`, sameText: true},
			{raw: `{"opaque": true, "steps": 3}`, sameText: true},
			{raw: `{"steps": 3, "thresholds": [0.8, 0.2, 0.5]}`, sameText: true},
			{raw: `{"bogus": 1}`, sameText: true},
			{raw: `{"turdsize": 2.5}`},
			{raw: `{"turdsize": "2"}`},
			{raw: `{"invert": 1}`},
			{raw: `{"color": 0}`},
			{raw: `{"thresholds": [0.2, "x"]}`},
			{raw: `{"thresholds": 0.5}`},
		} {
			want, wantErr := serverOptions(t, tc.raw)
			got, err := ParseOptions(fields(t, tc.raw))
			switch {
			case wantErr == nil && err != nil:
				t.Errorf("%s: %v; the server accepts it", tc.raw, err)
			case wantErr == nil && !reflect.DeepEqual(got, want):
				t.Errorf("%s:\n got %+v\nwant %+v (the server's)", tc.raw, got, want)
			case wantErr != nil && err == nil:
				t.Errorf("%s: accepted; the server says %v", tc.raw, wantErr)
			case wantErr != nil && !errors.Is(err, tracecore.ErrInvalidOptions):
				t.Errorf("%s: %v does not wrap ErrInvalidOptions", tc.raw, err)
			case wantErr != nil && tc.sameText && err.Error() != wantErr.Error():
				t.Errorf("%s:\n got %v\nwant %v (the server's)", tc.raw, err, wantErr)
			}
		}
	})
	t.Run("EveryField", func(t *testing.T) {
		// Every JSON name of tracecore.Options is known here and sets its
		// own field: a field added to tracecore fails here before a
		// browser meets it.
		ty := reflect.TypeFor[tracecore.Options]()
		for i := range ty.NumField() {
			f := ty.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			var x any
			switch f.Type.Kind() {
			case reflect.Int, reflect.Int64, reflect.Float64:
				x = 1.0
			case reflect.Bool:
				x = true
			case reflect.String:
				x = "x"
			case reflect.Slice:
				x = []any{0.5}
			}
			o := tracecore.PlaceholderOptions()
			def := tracecore.DefaultOptions()
			if err := setOption(&o, &def, name, x); err != nil {
				t.Errorf("field %s: %v", f.Name, err)
				continue
			}
			// Only field i changed, to x.
			before := reflect.ValueOf(tracecore.PlaceholderOptions())
			after := reflect.ValueOf(o)
			for j := range ty.NumField() {
				if j != i && !reflect.DeepEqual(before.Field(j).Interface(), after.Field(j).Interface()) {
					t.Errorf("setting %s changed field %s", name, ty.Field(j).Name)
				}
			}
		}
	})
}

func TestStats(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 40, 30))
	for y := 8; y < 22; y++ {
		for x := 10; x < 30; x++ {
			img.SetNRGBA(x, y, color.NRGBA{200, 30, 30, 255})
		}
	}
	for _, o := range []tracecore.Options{tracecore.PlaceholderOptions(), tracecore.DefaultOptions()} {
		res, err := tracecore.TraceImage(context.Background(), img, o)
		if err != nil {
			t.Fatal(err)
		}
		rep := res.Report()
		var want map[string]any
		b, _ := json.Marshal(rep)
		json.Unmarshal(b, &want)
		delete(want, "svg")
		delete(want, "dataURI")
		var got map[string]any
		b, err = json.Marshal(asMap(Stats(rep)))
		if err != nil {
			t.Fatal(err)
		}
		json.Unmarshal(b, &got)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Stats:\n got %v\nwant %v (the Report's JSON without svg and dataURI)", got, want)
		}
	}
}

func asMap(fs []Field) map[string]any {
	m := map[string]any{}
	for _, f := range fs {
		if sub, ok := f.Value.([]Field); ok {
			m[f.Name] = asMap(sub)
		} else {
			m[f.Name] = f.Value
		}
	}
	return m
}
