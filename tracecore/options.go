package tracecore

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
)

// DefaultMaxPixels is the largest width×height any tracecore entry point accepts
// unless told otherwise: 50 megapixels. A 50 MP bitmap is 6.25 MB and a traced
// photo of that size needs a few hundred MB at most, which every backend worker
// and a desktop browser can afford; larger inputs should be downscaled first.
const DefaultMaxPixels int64 = 50_000_000

// A TurnPolicy resolves the ambiguous corners of path decomposition, where two
// black pixels touch only diagonally (Selinger §2.1.2).
type TurnPolicy string

// The seven turn policies. Minority is potrace's default.
const (
	TurnBlack    TurnPolicy = "black"    // join black pixels on outlines, separate them on holes
	TurnWhite    TurnPolicy = "white"    // the opposite of black
	TurnLeft     TurnPolicy = "left"     // always turn left: separate
	TurnRight    TurnPolicy = "right"    // always turn right: join
	TurnMinority TurnPolicy = "minority" // join the locally less frequent colour
	TurnMajority TurnPolicy = "majority" // join the locally more frequent colour
	TurnRandom   TurnPolicy = "random"   // a pseudo-random choice fixed by the corner's coordinates
)

// TurnPolicies lists every TurnPolicy in a fixed order.
var TurnPolicies = []TurnPolicy{TurnBlack, TurnWhite, TurnLeft, TurnRight, TurnMinority, TurnMajority, TurnRandom}

// Options control a trace. Their JSON names are the names every svgtrace surface
// uses: command-line flags, upload fields, WebSocket messages, the JavaScript API,
// the edge endpoint's query and the idempotency key of an upload.
//
// The zero value is not the default: start from DefaultOptions. JSON decoding
// into Options starts from the defaults, so an omitted field keeps its default.
type Options struct {
	// TurdSize drops paths enclosing this many pixels or fewer (speckles and
	// pinholes). Default 2.
	TurdSize int `json:"turdsize"`
	// TurnPolicy resolves diagonal pixel contacts. Default "minority".
	TurnPolicy TurnPolicy `json:"turnpolicy"`
	// AlphaMax is the corner threshold of smoothing: 0 gives polygons, 4/3 or
	// more gives no corners at all. Default 1.
	AlphaMax float64 `json:"alphamax"`
	// OptiCurve joins runs of Bézier segments into fewer curves. Default true.
	OptiCurve bool `json:"opticurve"`
	// OptTolerance bounds, in pixels, how far a joined curve may stray from
	// the segments it replaces where it runs parallel to their edges and
	// chords (the points curve optimisation checks; between them the
	// deviation can be a few times larger). Default 0.2.
	OptTolerance float64 `json:"opttolerance"`
	// Threshold is the luminance in [0, 1] below which a pixel counts as black
	// when an image is turned into a bitmap (potrace's blacklevel). Default 0.5.
	Threshold float64 `json:"threshold"`
	// Invert swaps black and white before tracing. Default false.
	Invert bool `json:"invert"`
	// Precision is the number of decimal places of SVG coordinates, 0 to 6.
	// Default 1 (a tenth of a pixel, the grid potrace's SVG output uses).
	Precision int `json:"precision"`
	// Color is the fill colour of the traced shapes, "#rgb" or "#rrggbb".
	// Default "#000000".
	Color string `json:"color"`
	// MaxPixels caps width×height of any input, checked before pixels are
	// allocated. Default DefaultMaxPixels.
	MaxPixels int64 `json:"maxpixels"`
}

// DefaultOptions returns potrace's defaults: turd size 2, minority turn policy,
// alphamax 1, curve optimisation on with tolerance 0.2, threshold 0.5.
func DefaultOptions() Options {
	return Options{
		TurdSize:     2,
		TurnPolicy:   TurnMinority,
		AlphaMax:     1,
		OptiCurve:    true,
		OptTolerance: 0.2,
		Threshold:    0.5,
		Precision:    1,
		Color:        "#000000",
		MaxPixels:    DefaultMaxPixels,
	}
}

// UnmarshalJSON decodes o starting from DefaultOptions, so fields the JSON
// omits keep their defaults, rejects fields it does not know, and validates
// the result.
func (o *Options) UnmarshalJSON(data []byte) error {
	type plain Options // plain has Options' fields but not this method
	p := plain(DefaultOptions())
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields() // a misspelt option must not be silently ignored
	if err := dec.Decode(&p); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidOptions, err)
	}
	if err := Options(p).Validate(); err != nil {
		return err
	}
	*o = Options(p)
	return nil
}

// maxPrecision bounds Options.Precision: a millionth of a pixel is far below
// anything a renderer resolves, and keeps scaled coordinates well inside int64.
const maxPrecision = 6

// maxTurdSize bounds Options.TurdSize; a larger value would drop every path of
// any image tracecore accepts.
const maxTurdSize = 1 << 40

// Validate reports the first invalid field as an error wrapping ErrInvalidOptions.
func (o Options) Validate() error {
	bad := func(field string, format string, args ...any) error {
		return fmt.Errorf("%w: %s %s", ErrInvalidOptions, field, fmt.Sprintf(format, args...))
	}
	switch {
	case o.TurdSize < 0 || o.TurdSize > maxTurdSize:
		return bad("turdsize", "%d is outside [0, %d]", o.TurdSize, maxTurdSize)
	case !o.TurnPolicy.valid():
		return bad("turnpolicy", "%q is not one of black, white, left, right, minority, majority, random", o.TurnPolicy)
	case math.IsNaN(o.AlphaMax) || o.AlphaMax < 0 || o.AlphaMax > 100:
		return bad("alphamax", "%v is outside [0, 100]", o.AlphaMax)
	case math.IsNaN(o.OptTolerance) || o.OptTolerance < 0 || o.OptTolerance > 100:
		return bad("opttolerance", "%v is outside [0, 100]", o.OptTolerance)
	case math.IsNaN(o.Threshold) || o.Threshold < 0 || o.Threshold > 1:
		return bad("threshold", "%v is outside [0, 1]", o.Threshold)
	case o.Precision < 0 || o.Precision > maxPrecision:
		return bad("precision", "%d is outside [0, %d]", o.Precision, maxPrecision)
	case o.MaxPixels < 0:
		return bad("maxpixels", "%d is negative", o.MaxPixels)
	}
	if _, ok := parseHexColor(o.Color); !ok {
		return bad("color", "%q is not #rgb or #rrggbb", o.Color)
	}
	return nil
}

func (p TurnPolicy) valid() bool {
	for _, q := range TurnPolicies {
		if p == q {
			return true
		}
	}
	return false
}

// parseHexColor returns the lowercase canonical form of a #rgb or #rrggbb colour.
func parseHexColor(s string) (string, bool) {
	if (len(s) != 4 && len(s) != 7) || s[0] != '#' {
		return "", false
	}
	b := []byte(s)
	for i := 1; i < len(b); i++ {
		c := b[i]
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f':
		case c >= 'A' && c <= 'F':
			b[i] = c + ('a' - 'A')
		default:
			return "", false
		}
	}
	return string(b), true
}
