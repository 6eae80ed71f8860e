package server

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/svgtrace/svgtrace/backend/clientsvg"
	"github.com/svgtrace/svgtrace/backend/hub"
	"github.com/svgtrace/svgtrace/tracecore"
	"github.com/svgtrace/svgtrace/tracecore/imageio"
)

// DefaultPlausibilityTolerance is the share of the traced bitmap's pixels a
// client's trace may get wrong before it is refused. An honest trace misses
// the bitmap only where curves smooth its staircase edges and where turd
// size drops specks: on the repository's photos tracecore's own traces
// differ from the server's bitmap by at most 3.0 % (placeholder preset) and
// 1.9 % (potrace's defaults at 400 px), while a trace of another photo
// differs by at least 29 % (TestPlausibilityTolerance measures both). A
// browser decodes and downscales with its own code, which moves edge pixels
// by a few percent more; 10 % leaves it that room and stays three times
// below the nearest wrong trace.
const DefaultPlausibilityTolerance = 0.10

// ErrImplausible is returned when a client's trace does not match the image.
var ErrImplausible = errors.New("server: client trace does not match the image")

// clientTrace is a client's SVG checked and rebuilt.
type clientTrace struct {
	svg      string  // canonical, rebuilt from the allowlist
	mismatch float64 // share of pixels off the server's bitmap; -1 when not checked
}

// checkClientSVG parses and rebuilds a client's SVG (backend/clientsvg) and,
// unless plausibility checks are off, compares it with the server's own
// thresholded bitmap of original at opts. Errors carry hub codes.
func (s *Server) checkClientSVG(ctx context.Context, svg []byte, original io.Reader, opts tracecore.Options) (clientTrace, error) {
	doc, err := clientsvg.Parse(svg, clientsvg.Limits{})
	if err != nil {
		return clientTrace{}, &hub.CodedError{Code: "svg_rejected", Err: err}
	}
	ct := clientTrace{svg: string(doc.Bytes()), mismatch: -1}
	if s.cfg.PlausibilityTolerance < 0 || !plausibilityApplies(opts) {
		return ct, nil
	}
	m, err := mismatch(ctx, doc, original, opts)
	if err != nil {
		return clientTrace{}, err
	}
	ct.mismatch = m
	if m > s.cfg.PlausibilityTolerance {
		return clientTrace{}, &hub.CodedError{Code: "implausible",
			Err: fmt.Errorf("%w: %.1f %% of its pixels differ from the image's, over the %.1f %% allowed",
				ErrImplausible, 100*m, 100*s.cfg.PlausibilityTolerance)}
	}
	return ct, nil
}

// plausibilityApplies says whether a trace at opts can be compared with one
// bitmap: a single layer, holes transparent. Posterized and opaque traces
// stack differently coloured paths, whose coverage is no one bitmap; they
// are sanitized but not compared (docs/protocol.md).
func plausibilityApplies(o tracecore.Options) bool { return o.Steps < 2 && !o.Opaque }

// mismatch is the share of pixels where doc's coverage (at least half)
// differs from the bitmap tracecore makes of original at opts.
func mismatch(ctx context.Context, doc *clientsvg.Doc, original io.Reader, opts tracecore.Options) (float64, error) {
	img, _, err := imageio.DecodeReduced(original, opts.MaxPixels, opts.MaxSide)
	if err != nil {
		return 0, fmt.Errorf("decode original for the plausibility check: %w", err)
	}
	p, err := tracecore.Prepare(ctx, img, opts)
	if err != nil {
		return 0, fmt.Errorf("prepare original for the plausibility check: %w", err)
	}
	bm := p.Bitmap
	if opts.Invert {
		bm = bm.Clone()
		bm.Invert()
	}
	cover := doc.Rasterize(bm.Width, bm.Height)
	diff := 0
	for y := 0; y < bm.Height; y++ {
		row := cover.Pix[y*cover.Stride : y*cover.Stride+bm.Width]
		for x, a := range row {
			if (a >= 128) != bm.Black(x, y) {
				diff++
			}
		}
	}
	if n := bm.Width * bm.Height; n > 0 {
		return float64(diff) / float64(n), nil
	}
	return 0, nil
}
