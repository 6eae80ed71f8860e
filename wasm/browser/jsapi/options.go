package jsapi

import (
	"fmt"
	"math"

	"github.com/svgtrace/svgtrace/tracecore"
)

// Options and statistics cross the boundary as JavaScript values, not JSON
// text, and are read and written field by field, not by reflection:
// encoding/json would add about 100 KB gzipped to the browser build, a
// tenth of its budget, and reflect's struct tags and Value.Set another
// 10 KB (wasm/browser's doc, "Size"). The names and rules are those of
// tracecore.Options' JSON decoding; TestParseOptions checks the two agree
// field by field and that every field of tracecore.Options is known here,
// and TestStats does the same for tracecore.Report.

// A Field is one named value as JavaScript gives or takes it, in Go:
// float64, string, bool, nil (null or undefined), []any of those, or (in
// Stats) []Field for an object.
type Field struct {
	Name  string
	Value any
}

// ParseOptions returns the options of one call: the placeholder preset
// (tracecore.PlaceholderOptions) with fields set over it, in order, as the
// server reads an upload's options, so the same options trace the same way
// in the browser and on the backend (and the hub's assigned options, which
// name every field, mean the same on both sides). A null field takes
// tracecore.DefaultOptions' value, as it does on the server. The result is
// validated. Every error wraps tracecore.ErrInvalidOptions; an unknown name
// or an invalid value gives tracecore's own message.
func ParseOptions(fields []Field) (tracecore.Options, error) {
	o := tracecore.PlaceholderOptions()
	def := tracecore.DefaultOptions()
	for _, f := range fields {
		if err := setOption(&o, &def, f.Name, f.Value); err != nil {
			return tracecore.Options{}, fmt.Errorf("%w: %s", tracecore.ErrInvalidOptions, err)
		}
	}
	if err := o.Validate(); err != nil {
		return tracecore.Options{}, err
	}
	return o, nil
}

// setOption sets the option named name to x, or for nil to def's value.
func setOption(o, def *tracecore.Options, name string, x any) error {
	switch name {
	case "turdsize":
		return setInt(&o.TurdSize, def.TurdSize, name, x)
	case "turnpolicy":
		return setString((*string)(&o.TurnPolicy), string(def.TurnPolicy), name, x)
	case "alphamax":
		return setFloat(&o.AlphaMax, def.AlphaMax, name, x)
	case "opticurve":
		return setBool(&o.OptiCurve, def.OptiCurve, name, x)
	case "opttolerance":
		return setFloat(&o.OptTolerance, def.OptTolerance, name, x)
	case "threshold":
		if s, ok := x.(string); ok {
			if s != "auto" {
				return fmt.Errorf("threshold %q is not a number in [0, 1] or \"auto\"", s)
			}
			o.Threshold = tracecore.ThresholdAuto
			return nil
		}
		return setFloat((*float64)(&o.Threshold), float64(def.Threshold), name, x) // Validate checks the range
	case "invert":
		return setBool(&o.Invert, def.Invert, name, x)
	case "precision":
		return setInt(&o.Precision, def.Precision, name, x)
	case "color":
		return setString(&o.Color, def.Color, name, x)
	case "background":
		return setString(&o.Background, def.Background, name, x)
	case "maxside":
		return setInt(&o.MaxSide, def.MaxSide, name, x)
	case "maxpixels":
		n := int(def.MaxPixels)
		err := setInt(&n, n, name, x)
		o.MaxPixels = int64(n)
		return err
	case "steps":
		return setInt(&o.Steps, def.Steps, name, x)
	case "fillstrategy":
		return setString(&o.FillStrategy, def.FillStrategy, name, x)
	case "thresholds":
		if x == nil {
			o.Thresholds = def.Thresholds
			return nil
		}
		a, ok := x.([]any)
		if !ok {
			return fmt.Errorf("%s must be an array of numbers, not %s", name, typeName(x))
		}
		o.Thresholds = make([]float64, len(a))
		for i, e := range a {
			if o.Thresholds[i], ok = e.(float64); !ok {
				return fmt.Errorf("%s must be an array of numbers, not of %s", name, typeName(e))
			}
		}
		return nil
	case "opaque":
		return setBool(&o.Opaque, def.Opaque, name, x)
	case "fillcolor":
		return setString(&o.FillColor, def.FillColor, name, x)
	}
	return fmt.Errorf("json: unknown field %q", name) // encoding/json's words, as the server says it
}

func setInt(p *int, def int, name string, x any) error {
	if x == nil {
		*p = def
		return nil
	}
	f, ok := x.(float64)
	if !ok {
		return fmt.Errorf("%s must be a number, not %s", name, typeName(x))
	}
	// Whole and within ±2⁵³, where every float64 is an exact integer and an
	// int (64-bit on every GOARCH svgtrace runs on) holds it. NaN fails.
	if !(f == math.Trunc(f) && math.Abs(f) <= 1<<53) {
		return fmt.Errorf("%s %v is not a whole number", name, f)
	}
	*p = int(f)
	return nil
}

func setFloat(p *float64, def float64, name string, x any) error {
	if x == nil {
		*p = def
		return nil
	}
	f, ok := x.(float64)
	if !ok {
		return fmt.Errorf("%s must be a number, not %s", name, typeName(x))
	}
	*p = f
	return nil
}

func setBool(p *bool, def bool, name string, x any) error {
	if x == nil {
		*p = def
		return nil
	}
	b, ok := x.(bool)
	if !ok {
		return fmt.Errorf("%s must be true or false, not %s", name, typeName(x))
	}
	*p = b
	return nil
}

func setString(p *string, def string, name string, x any) error {
	if x == nil {
		*p = def
		return nil
	}
	s, ok := x.(string)
	if !ok {
		return fmt.Errorf("%s must be a string, not %s", name, typeName(x))
	}
	*p = s
	return nil
}

// typeName names x's JavaScript type.
func typeName(x any) string {
	switch x.(type) {
	case float64:
		return "number"
	case string:
		return "string"
	case bool:
		return "boolean"
	case []any:
		return "array"
	}
	return "object"
}

// Stats returns r's fields but SVG and DataURI, in order, by their JSON
// names: numbers as float64, strings, "auto" for ThresholdAuto, and timings
// as Fields of milliseconds sorted by stage, so the JavaScript object's key
// order is fixed. Its JSON is the Report's without svg and dataURI
// (TestStats).
func Stats(r tracecore.Report) []Field {
	var threshold any = float64(r.Threshold)
	if r.Threshold == tracecore.ThresholdAuto {
		threshold = "auto"
	}
	// Timings sorted by stage, by insertion: a handful of entries, and
	// slices.SortFunc would add 20 KB of code for them.
	timings := make([]Field, 0, len(r.Timings))
	for k, ms := range r.Timings {
		i := len(timings)
		timings = append(timings, Field{})
		for ; i > 0 && timings[i-1].Name > string(k); i-- {
			timings[i] = timings[i-1]
		}
		timings[i] = Field{string(k), ms}
	}
	return []Field{
		{"width", float64(r.Width)},
		{"height", float64(r.Height)},
		{"traceWidth", float64(r.TraceWidth)},
		{"traceHeight", float64(r.TraceHeight)},
		{"paths", float64(r.Paths)},
		{"segments", float64(r.Segments)},
		{"svgBytes", float64(r.SVGBytes)},
		{"dataURIBytes", float64(r.DataURIBytes)},
		{"gzipBytes", float64(r.GzipBytes)},
		{"threshold", threshold},
		{"color", r.Color},
		{"timings", timings},
	}
}
