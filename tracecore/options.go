package tracecore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
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
	// when an image is turned into a bitmap (potrace's blacklevel), or
	// ThresholdAuto (JSON "auto") for Otsu's method on the image's visible
	// pixels (docs/pixels.md). Default 0.5.
	Threshold Threshold `json:"threshold"`
	// Invert swaps black and white before tracing. Default false.
	Invert bool `json:"invert"`
	// Precision is the number of decimal places of SVG coordinates, 0 to 6.
	// Default 1 (a tenth of a pixel, the grid potrace's SVG output uses).
	Precision int `json:"precision"`
	// Color is the fill colour of the traced shapes, "#rgb" or "#rrggbb", or
	// ColorAuto ("auto"): the dominant colour of the pixels that become
	// black (docs/pixels.md). Default "#000000".
	Color string `json:"color"`
	// Background, "#rgb" or "#rrggbb", is composited under every pixel of an
	// image before thresholding, so transparency becomes that colour. The
	// default "" composites nothing: transparent pixels are never black and
	// alpha decides the shape (docs/pixels.md).
	Background string `json:"background"`
	// MaxSide, when positive, downscales an image whose longer side exceeds
	// it to fit, by area averaging, before thresholding; the SVG keeps the
	// image's size as its width and height. Default 0: full size, as potrace.
	MaxSide int `json:"maxside"`
	// MaxPixels caps width×height of any input, checked before pixels are
	// allocated. Default DefaultMaxPixels.
	MaxPixels int64 `json:"maxpixels"`
	// Steps, from 2 to MaxSteps, posterizes an image (TraceImage) into that
	// many stacked layers, each filled with one tone, lighter layers under
	// darker ones (docs/pixels.md, "Posterize"). 0 or 1, the default, traces
	// one layer. Threshold is then unused and Invert must be false.
	Steps int `json:"steps,omitempty"`
	// FillStrategy chooses each posterized layer's tone from the pixels of
	// its band: FillDominant (the default; "" means it too), FillMean,
	// FillMedian or FillSpread.
	FillStrategy string `json:"fillstrategy,omitempty"`
	// Thresholds, when set, are the Steps luminance levels in (0, 1),
	// ascending, that bound the posterized layers; nil chooses them by
	// multilevel Otsu on the image's visible pixels. In a Result they hold
	// the levels applied.
	Thresholds []float64 `json:"thresholds,omitempty"`
	// Opaque fills the white regions enclosed by black ones (holes, and
	// holes in islands inside holes) with white instead of leaving them
	// transparent, as potrace's --opaque does; the area outside every
	// outline stays transparent (docs/svg.md, "Opaque"). Default false. It
	// applies to single-layer traces: with Steps ≥ 2 it is rejected.
	// Omitted from JSON when false, so the JSON (and the idempotency key)
	// of options that do not set it is unchanged.
	Opaque bool `json:"opaque,omitempty"`
	// FillColor is the colour Opaque fills the enclosed white regions with,
	// #rgb or #rrggbb; empty means white, potrace's default. It needs
	// Opaque (potrace's --fillcolor implies --opaque; the command line sets
	// both). Omitted from JSON when empty.
	FillColor string `json:"fillcolor,omitempty"`
}

// DefaultOptions returns potrace's defaults: turd size 2, minority turn policy,
// alphamax 1, curve optimisation on with tolerance 0.2, threshold 0.5, full
// size, black fill, no background.
func DefaultOptions() Options {
	return Options{
		TurdSize:     2,
		TurnPolicy:   TurnMinority,
		AlphaMax:     1,
		OptiCurve:    true,
		OptTolerance: 0.2,
		Threshold:    DefaultThreshold,
		Precision:    1,
		Color:        "#000000",
		MaxPixels:    DefaultMaxPixels,
	}
}

// Placeholder settings. They make a small, recognisable silhouette of an
// image rather than a faithful copy, in as few bytes as the fidelity of
// image-trace-loader's placeholders allows. They were chosen by measuring the
// data URI bytes and the mismatch against the placeholder's own bitmap on the
// test photos (docs/options.md, "The placeholder preset"); the figures below
// are picos.jpg's and fruits.jpg's, against image-trace-loader's 2 826 bytes
// at 1.637 % and 3 372 bytes at 1.892 %.
const (
	// placeholderMaxSide is the traced size of a placeholder: 400 pixels on
	// the longer side keeps a face or a logo recognisable while bounding the
	// work (at most 160 000 pixels) whatever the upload's size.
	placeholderMaxSide = 400
	// placeholderTurdSize drops blobs of up to 72 pixels (0.06 % of a
	// 400×300 bitmap): the thresholded texture of a photo is mostly such
	// specks, each costing tens of bytes. image-trace-loader drops up to
	// 100, which on picos.jpg decoded at full size costs more fidelity than
	// it allows; 72 keeps it under.
	placeholderTurdSize = 72
	// placeholderAlphaMax 0.6 (default 1) turns more bends into corners,
	// which at 400 pixels follow the pixels more closely: against 1, the
	// mismatch falls on every test photo (brushes.jpg 3.34 → 3.04 %, where
	// image-trace-loader's is 3.39 %) for at most 2 % more bytes (building
	// has 6 % fewer). Below 0.6 the bytes grow faster than the mismatch
	// falls.
	placeholderAlphaMax = 0.6
	// placeholderOptTolerance 0.5 (default 0.2) lets curve optimisation
	// join more curves, which at whole-pixel precision changes the outline
	// less than rounding does.
	placeholderOptTolerance = 0.5
)

// PlaceholderOptions returns the settings of the placeholder preset: the
// defaults, with images downscaled to 400 pixels on the longer side, an
// automatic threshold, specks of up to 72 pixels dropped, more corners
// (alphamax 0.6) and freer curve joining (opttolerance 0.5), coordinates on
// the whole-pixel grid (a 400th of the image's side, invisible at placeholder
// size, and about half the bytes of tenths on the test photos) and the
// dominant colour as fill.
func PlaceholderOptions() Options {
	o := DefaultOptions()
	o.MaxSide = placeholderMaxSide
	o.Threshold = ThresholdAuto
	o.TurdSize = placeholderTurdSize
	o.AlphaMax = placeholderAlphaMax
	o.OptTolerance = placeholderOptTolerance
	o.Precision = 0
	o.Color = ColorAuto
	return o
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
		if errors.Is(err, ErrInvalidOptions) { // from Threshold, already naming the field
			return err
		}
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
	case !o.Threshold.valid():
		return bad("threshold", "%v is outside [0, 1] and not \"auto\"", float64(o.Threshold))
	case o.Precision < 0 || o.Precision > maxPrecision:
		return bad("precision", "%d is outside [0, %d]", o.Precision, maxPrecision)
	case o.MaxPixels < 0:
		return bad("maxpixels", "%d is negative", o.MaxPixels)
	case o.MaxSide < 0:
		return bad("maxside", "%d is negative", o.MaxSide)
	case o.FillColor != "" && !isHexColor(o.FillColor):
		return bad("fillcolor", "%q is not #rgb or #rrggbb", o.FillColor)
	case o.FillColor != "" && !o.Opaque:
		return bad("fillcolor", "%q needs opaque: it is the colour of the enclosed white regions opaque fills", o.FillColor)
	case o.Opaque && o.Steps >= 2:
		// A posterized trace's layers are opaque already, and which of its
		// holes potrace would fill has no answer: there is no potrace mode
		// to match.
		return bad("opaque", "cannot be combined with steps %d", o.Steps)
	}
	if _, ok := parseHexColor(o.Color); !ok && o.Color != ColorAuto {
		return bad("color", "%q is not #rgb, #rrggbb or \"auto\"", o.Color)
	}
	if _, ok := parseHexColor(o.Background); !ok && o.Background != "" {
		return bad("background", "%q is not #rgb or #rrggbb", o.Background)
	}
	return o.validatePosterize(bad)
}

// ColorAuto as Options.Color fills the traced shapes with the dominant colour
// of the image's pixels that become black (docs/pixels.md).
const ColorAuto = "auto"

// A Threshold is a luminance level in [0, 1], or ThresholdAuto. In JSON it is
// a number or the string "auto".
type Threshold float64

// ThresholdAuto chooses the threshold of each image by Otsu's method on the
// luminance of its visible pixels (docs/pixels.md). It is -1 so that no valid
// fixed threshold can be mistaken for it.
const ThresholdAuto Threshold = -1

// DefaultThreshold is potrace's blacklevel and DefaultOptions' Threshold.
// (ThresholdAuto falls back to 128/255, the nearest grey level, when an
// image has nothing to split; see docs/pixels.md.)
const DefaultThreshold Threshold = 0.5

func (t Threshold) valid() bool {
	return t == ThresholdAuto || (!math.IsNaN(float64(t)) && t >= 0 && t <= 1)
}

// String returns "auto" or the number.
func (t Threshold) String() string {
	if t == ThresholdAuto {
		return "auto"
	}
	return strconv.FormatFloat(float64(t), 'g', -1, 64)
}

// Set parses a number in [0, 1] or "auto", as a command-line flag does; it
// makes *Threshold a flag.Value. The error wraps ErrInvalidOptions.
func (t *Threshold) Set(s string) error {
	if s == "auto" {
		*t = ThresholdAuto
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || !(v >= 0 && v <= 1) { // NaN fails both comparisons
		return fmt.Errorf("%w: threshold %q is not a number in [0, 1] or \"auto\"", ErrInvalidOptions, s)
	}
	*t = Threshold(v)
	return nil
}

// MarshalJSON writes ThresholdAuto as "auto" and anything else as a number.
func (t Threshold) MarshalJSON() ([]byte, error) {
	if t == ThresholdAuto {
		return []byte(`"auto"`), nil
	}
	return json.Marshal(float64(t)) // NaN and ±Inf are errors, as for any float
}

// UnmarshalJSON accepts a number in [0, 1] or the string "auto" (null
// leaves t unchanged, as encoding/json does for numbers); anything else gives an error wrapping ErrInvalidOptions that names the field.
func (t *Threshold) UnmarshalJSON(data []byte) error {
	if string(data) == "null" { // a no-op, as for every other field
		return nil
	}
	var v float64
	if err := json.Unmarshal(data, &v); err == nil {
		if v < 0 || v > 1 {
			return fmt.Errorf("%w: threshold %v is outside [0, 1] and not \"auto\"", ErrInvalidOptions, v)
		}
		*t = Threshold(v)
		return nil
	}
	var s string
	if err := json.Unmarshal(data, &s); err == nil && s == "auto" {
		*t = ThresholdAuto
		return nil
	}
	return fmt.Errorf("%w: threshold %s is not a number in [0, 1] or \"auto\"", ErrInvalidOptions, data)
}

func (p TurnPolicy) valid() bool {
	for _, q := range TurnPolicies {
		if p == q {
			return true
		}
	}
	return false
}

// isHexColor reports whether s is a #rgb or #rrggbb colour.
func isHexColor(s string) bool {
	_, ok := parseHexColor(s)
	return ok
}

// parseHexColor returns the lowercase canonical form of a #rgb or #rrggbb
// colour: s itself, without allocating, when it is already lowercase.
func parseHexColor(s string) (string, bool) {
	if (len(s) != 4 && len(s) != 7) || s[0] != '#' {
		return "", false
	}
	upper := false
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f':
		case c >= 'A' && c <= 'F':
			upper = true
		default:
			return "", false
		}
	}
	if upper {
		return strings.ToLower(s), true
	}
	return s, true
}
