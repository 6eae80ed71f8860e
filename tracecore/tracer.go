package tracecore

import (
	"context"
	"fmt"
	"image/color"
	"time"
)

// A Stage names a step of turning an image into a placeholder. Progress
// reports and every later progress event (WebSocket, JavaScript) use these names.
type Stage string

// The stages, in the order a trace passes through them. Decode and Prepare
// belong to the layers that turn image files into bitmaps; a Tracer reports the
// other five.
const (
	StageDecode    Stage = "decode"    // image bytes to pixels
	StagePrepare   Stage = "prepare"   // pixels to a bitmap: scale, threshold
	StageDecompose Stage = "decompose" // bitmap to closed pixel-edge paths (§2.1)
	StagePolygon   Stage = "polygon"   // optimal polygons and vertex adjustment (§2.2, §2.3)
	StageSmooth    Stage = "smooth"    // corners and Bézier curves (§2.4)
	StageOptimize  Stage = "optimize"  // curve optimisation (§2.5)
	StageEncode    Stage = "encode"    // SVG output
)

// A StageTiming is how long one stage of a trace took.
type StageTiming struct {
	Stage    Stage
	Duration time.Duration
}

// A ProgressFunc receives the stage in progress and the fraction of it done,
// from 0 to 1. It is called from the tracing goroutine and must be quick.
type ProgressFunc func(stage Stage, fraction float64)

// checkEvery is how many units of work (rows, path points, segments) a stage
// does between looks at its context and progress reports. At a few nanoseconds
// a unit this is a few tens of microseconds: cancellation is prompt and the
// interface call to ctx.Err stays out of the per-pixel cost.
const checkEvery = 1 << 13

// A Tracer turns bitmaps into outlines. It keeps its working memory (a copy of
// the bitmap, the paths' points, per-path scratch arrays) between calls, so
// tracing many images with one Tracer allocates little beyond each Result.
// The zero value is ready to use. A Tracer is not safe for concurrent use: use
// one per goroutine.
type Tracer struct {
	// OnProgress, if set, is called as the trace advances.
	OnProgress ProgressFunc

	work    Bitmap      // the working bitmap of decomposition
	pts     []lattice   // every kept path's points, path after path
	paths   []rawPath   // where each path's points are in pts
	verts   []Point     // adjusted polygon vertices, path after path
	curves  []vertexFit // smoothing's per-vertex result, path after path
	polygon polygonScratch
	opt     optimizeScratch

	timings []StageTiming // of the current call, stage by stage

	// helpers trace a posterized image's layers beside this Tracer.
	helpers []*Tracer

	// Scratch memory of preparing an image: the downscaled planes, a
	// posterized image's bands and multilevel Otsu's table.
	planeY   []uint32
	planeA   []uint16
	band     []uint8
	otsuCost []float64
	// ... and of the dominant colour: its bins, a row of sampled colours
	// and the columns they are sampled at.
	colourBins []colourBin
	colourRow  []color.NRGBA
	colourXs   []int

	// accounting for cancellation checks and progress
	ctx       context.Context
	started   time.Time
	stage     Stage
	done      int // units of the stage complete, of total
	total     int
	spent     int // units of work done, paced by nextCheck
	nextCheck int
}

// Trace traces bm with a new Tracer. See Tracer.Trace.
func Trace(ctx context.Context, bm *Bitmap, opts Options) (*Result, error) {
	var t Tracer
	return t.Trace(ctx, bm, opts)
}

// Trace traces the black pixels of bm into closed outlines with the stages of
// Selinger's algorithm: decomposition, optimal polygon, vertex adjustment,
// smoothing and, if opts.OptiCurve, curve optimisation. bm is not modified.
// The Result owns its memory; it stays valid after further calls.
//
// Trace returns an error wrapping ErrInvalidOptions for bad options and the
// context's error if ctx is cancelled; it checks ctx between stages and every
// few thousand units of work within them.
func (t *Tracer) Trace(ctx context.Context, bm *Bitmap, opts Options) (*Result, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if err := bm.validate(); err != nil {
		return nil, err
	}
	if err := CheckSize(bm.Width, bm.Height, opts.MaxPixels); err != nil {
		return nil, err
	}
	var ok bool
	if opts.Color, ok = parseHexColor(opts.Color); !ok {
		opts.Color = "#000000" // ColorAuto: a bitmap has no colours to choose from
	}
	t.ctx = ctx
	t.timings = t.timings[:0]
	defer func() { t.ctx = nil }()

	if err := t.decompose(bm, &opts); err != nil {
		return nil, fmt.Errorf("decompose: %w", err)
	}
	if err := t.polygons(); err != nil {
		return nil, fmt.Errorf("polygon: %w", err)
	}
	if err := t.smooth(opts.AlphaMax); err != nil {
		return nil, fmt.Errorf("smooth: %w", err)
	}
	res := &Result{Width: bm.Width, Height: bm.Height, Options: opts}
	if err := t.optimize(res, &opts); err != nil {
		return nil, fmt.Errorf("optimize: %w", err)
	}
	res.Timings = append([]StageTiming(nil), t.timings...)
	return res, nil
}

// begin starts accounting for a stage of total units of work.
func (t *Tracer) begin(stage Stage, total int) error {
	t.stage, t.done, t.total, t.spent, t.nextCheck = stage, 0, total, 0, checkEvery
	t.started = time.Now()
	if err := t.ctx.Err(); err != nil {
		return err
	}
	if t.OnProgress != nil {
		t.OnProgress(stage, 0)
	}
	return nil
}

// advance records n more units of the stage complete.
func (t *Tracer) advance(n int) error {
	t.done += n
	return t.spend(n)
}

// spend records n units of work that do not count towards the stage's
// fraction (such as the points of a path walked while scanning one row).
// Every checkEvery units it checks the context and reports progress.
func (t *Tracer) spend(n int) error {
	t.spent += n
	if t.spent < t.nextCheck {
		return nil
	}
	t.nextCheck = t.spent + checkEvery
	if err := t.ctx.Err(); err != nil {
		return err
	}
	if t.OnProgress != nil && t.total > 0 {
		t.OnProgress(t.stage, min(1, float64(t.done)/float64(t.total)))
	}
	return nil
}

// end records the stage's duration and reports it complete.
func (t *Tracer) end() {
	t.timings = append(t.timings, StageTiming{Stage: t.stage, Duration: time.Since(t.started)})
	if t.OnProgress != nil {
		t.OnProgress(t.stage, 1)
	}
}
