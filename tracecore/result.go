package tracecore

// A Point is a position in pixel units, y-down, with the origin at the image's
// top-left corner.
type Point struct {
	X, Y float64
}

// A SegmentKind says how a Segment is drawn.
type SegmentKind uint8

const (
	// Bezier is a cubic Bézier curve from the previous end point through the
	// control points C1 and C2 to End.
	Bezier SegmentKind = iota
	// Corner is two straight lines: from the previous end point to the vertex
	// C2, then to End. C1 equals C2.
	Corner
)

// A Segment is one piece of a traced outline. It starts where the previous
// segment of its Path ends (the first starts at Path.Start).
type Segment struct {
	Kind   SegmentKind
	C1, C2 Point
	End    Point
}

// A Path is one closed outline: the boundary of a black region (an outline) or
// of a white region inside one (a hole). Holes wind the opposite way to
// outlines, so the nonzero fill rule renders them as holes.
type Path struct {
	// Hole is true for the boundary of a white region inside a black one.
	Hole bool
	// Area is the number of pixels the path's boundary encloses.
	Area int
	// Start is where the first segment begins; the last segment ends there.
	Start    Point
	Segments []Segment
}

// A Result is a finished trace: the outlines of a bitmap's black regions in
// the order decomposition found them (top to bottom, then left to right by the
// first pixel of each).
type Result struct {
	// Width and Height are the size of the traced bitmap in pixels; the paths
	// lie within [0, Width] × [0, Height]. They are the SVG's viewBox.
	Width, Height int
	// ImageWidth and ImageHeight are the size of the image the bitmap was
	// prepared from (TraceImage), the SVG's width and height. A trace of a
	// downscaled copy has a smaller Width and Height; 0 (a trace of a bitmap)
	// means the same as Width and Height.
	ImageWidth, ImageHeight int
	// Options are the options the trace was made with; SVG output uses their
	// Precision and Color. After TraceImage, automatic choices are resolved:
	// Threshold holds the threshold applied (Otsu's, for ThresholdAuto) and
	// Color the fill chosen for ColorAuto, so that the same image traced
	// with these Options gives the same SVG.
	Options Options
	// Paths are the outlines of a single-layer trace; nil when posterized.
	Paths []Path
	// Layers are the layers of a posterized trace (Options.Steps ≥ 2),
	// lightest first, each drawn over the previous; nil otherwise. A layer
	// whose band of luminance holds no pixel repeats the darker one and is
	// left out, so there may be fewer than Steps.
	Layers []Layer
	// Timings are the durations of the stages that made the trace, in order
	// (prepare, when it came from an image, then decompose … optimize). They
	// are the only part of a Result that differs between runs.
	Timings []StageTiming
}
